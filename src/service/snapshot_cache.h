// Read-through cache of whole-trip snapshots, one per trip, in process.
//
// A miss loads the trip from the store once, however many requests are
// waiting for it (single flight): a storm on a trip's seat map costs one
// database load per instance per cache lifetime. Entries live `ttl`; every
// change this instance makes to a trip invalidates its entry, and a load that
// started before an invalidation is handed to its waiters but not kept.
//
// Threading: REQUIRES every call on one single-threaded executor (the
// service's io_context thread). Not locked.
#pragma once

#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "storage/seat_store.h"

namespace inventory::service {

struct SnapshotCacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t loads = 0;
};

class SnapshotCache {
 public:
  using SnapshotPtr = std::shared_ptr<const domain::TripSnapshot>;

  // `store` must outlive the cache. ttl 0 disables caching (every call loads).
  SnapshotCache(storage::SeatStore& store, std::chrono::milliseconds ttl);

  asio::awaitable<absl::StatusOr<SnapshotPtr>> Get(storage::TripRef trip);
  void Invalidate(const storage::TripRef& trip);

  const SnapshotCacheStats& stats() const { return stats_; }

 private:
  struct Flight {
    explicit Flight(asio::any_io_executor ex) : done(ex) {}
    asio::steady_timer done;
    absl::StatusOr<SnapshotPtr> result = absl::UnavailableError("load in progress");
    bool finished = false;
  };
  struct Entry {
    SnapshotPtr snapshot;
    std::chrono::steady_clock::time_point loaded_at;
    std::shared_ptr<Flight> flight;
    uint64_t generation = 0;
  };

  static std::string Key(const storage::TripRef& trip);

  storage::SeatStore& store_;
  std::chrono::milliseconds ttl_;
  std::map<std::string, Entry> entries_;
  SnapshotCacheStats stats_;
};

}  // namespace inventory::service
