// Read-through cache of whole-trip snapshots, one per trip, in process.
//
// A miss loads the trip from the store once, however many requests are
// waiting for it (single flight): a storm on a trip's seat map costs one
// database load per instance per cache lifetime. Entries are fresh for
// `ttl`. A change this instance makes is either applied to the cached
// snapshot in place (Update: the snapshot stays as fresh as it was, and its
// version goes up) or drops it (Invalidate); either way a load that started
// before the change is handed to its waiters but not kept.
//
// Holds do not need a fresh snapshot: the trip's definition never changes and
// the seat states are only the first guess of a conditional write. Peek gives
// whatever is cached, fresh or not, without loading.
//
// Disabled (enabled=false), every Get loads on its own: no caching and no
// single flight. That exists to measure what the cache saves.
//
// Threading: REQUIRES every call on one single-threaded executor (the
// service's io_context thread). Not locked. Snapshots handed out may be
// updated in place between two suspension points of a caller; a caller that
// needs a value across a co_await copies it.
#pragma once

#include <asio/steady_timer.hpp>

#include <chrono>
#include <functional>
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

  // `store` must outlive the cache. ttl 0 caches nothing but keeps the
  // single flight; enabled=false does neither.
  SnapshotCache(storage::SeatStore& store, std::chrono::milliseconds ttl, bool enabled);

  asio::awaitable<absl::StatusOr<SnapshotPtr>> Get(storage::TripRef trip);

  struct Peeked {
    SnapshotPtr snapshot;  // null when nothing is cached
    bool fresh = false;    // loaded (or updated from a fresh one) within ttl
  };
  // The cached snapshot of `trip`, fresh or not; never loads, never counts.
  Peeked Peek(const storage::TripRef& trip) const;

  // Applies `change` to the cached snapshot of `trip` (if any) in place and
  // bumps its version; a load in flight is not kept.
  void Update(const storage::TripRef& trip, const std::function<void(domain::TripSnapshot&)>& change);
  void Invalidate(const storage::TripRef& trip);
  // Caches `snapshot` as freshly loaded (a trip this instance has just
  // written in full); a load in flight is not kept. No-op when disabled.
  void Seed(const storage::TripRef& trip, std::shared_ptr<domain::TripSnapshot> snapshot);

  bool enabled() const { return enabled_; }
  std::chrono::milliseconds ttl() const { return ttl_; }
  const SnapshotCacheStats& stats() const { return stats_; }

 private:
  struct Flight {
    explicit Flight(asio::any_io_executor ex) : done(ex) {}
    asio::steady_timer done;
    absl::StatusOr<SnapshotPtr> result = absl::UnavailableError("load in progress");
    bool finished = false;
  };
  struct Entry {
    std::shared_ptr<domain::TripSnapshot> snapshot;
    std::chrono::steady_clock::time_point loaded_at;
    std::shared_ptr<Flight> flight;
    uint64_t generation = 0;
  };

  static std::string Key(const storage::TripRef& trip);

  storage::SeatStore& store_;
  const std::chrono::milliseconds ttl_;
  const bool enabled_;
  std::map<std::string, Entry> entries_;
  SnapshotCacheStats stats_;
};

}  // namespace inventory::service
