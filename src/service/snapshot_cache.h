// Read-through cache of whole-trip snapshots, one per trip, in process, kept
// honest by every change this instance makes and hears of.
//
// A miss loads the trip from the store once, however many requests are
// waiting for it (single flight): a storm on a trip's seat map costs one
// database load per instance per cache lifetime (`ttl`).
//
// Changes. Apply() writes seat changes into the cached snapshot in place
// (its version goes up): this instance's own changes as it makes them, and,
// through the change feed (cache/change_feed.h, this class is its sink),
// every other instance's within a second while Redis is up. A load takes the
// trip's feed position before reading the database and follows the feed from
// there, so no change is missed between the read and the follow. A load that
// started before an own change is handed to its waiters but not kept.
//
// Trust. A cached copy may be older than the database. It may REFUSE a hold
// of a seat (MayRefuse) only while it is known to agree with the database
// within the service's bounds: the seat's state was learned within `ttl`
// (loaded, changed or heard of), or the feed has delivered every change of
// the trip since its load (no gap, never lost) and the load is younger than
// `trust_cap`. A copy the feed lost sight of waits for its next load to be
// trusted beyond `ttl` again. Holds never need a fresh copy otherwise: the
// trip's definition never changes and seat states only phrase the first
// condition of a conditional write. Peek gives whatever is cached.
//
// Disabled (enabled=false), every Get loads on its own: no caching and no
// single flight; nothing may refuse. That exists to measure what the cache
// saves.
//
// Threading: REQUIRES every call on one single-threaded executor (the
// service's io_context thread), the feed's executor too. Not locked.
// Snapshots handed out may be changed in place between two suspension points
// of a caller; a caller that needs a value across a co_await copies it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <asio/steady_timer.hpp>

#include "cache/change_feed.h"
#include "domain/seat_change.h"
#include "service/service_stats.h"
#include "storage/seat_store.h"

namespace inventory::service {

struct SnapshotCacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t loads = 0;
};

struct SnapshotCacheOptions {
  std::chrono::milliseconds ttl{5000};
  bool enabled = true;
  // How long a copy followed by the feed without a gap may refuse holds.
  std::chrono::milliseconds trust_cap{30000};
};

class SnapshotCache final : public cache::FeedSink {
 public:
  using SnapshotPtr = std::shared_ptr<const domain::TripSnapshot>;
  using Clock = std::function<int64_t()>;  // unix milliseconds

  // `store`, `feed` (may be null: no feed) and `stats` must outlive the
  // cache. ttl 0 caches nothing but keeps the single flight.
  SnapshotCache(storage::SeatStore& store, cache::ChangeFeed* feed, SnapshotCacheOptions options, Clock clock,
                ServiceStats& stats);

  asio::awaitable<absl::StatusOr<SnapshotPtr>> Get(storage::TripRef trip);

  struct Peeked {
    SnapshotPtr snapshot;       // null when nothing is cached
    bool fresh = false;         // loaded (or re-seeded) within ttl
    bool feed_trusted = false;  // followed without a gap since its load, within trust_cap
    int64_t now_ms = 0;
  };
  // The cached snapshot of `trip`, fresh or not; never loads, never counts.
  Peeked Peek(const storage::TripRef& trip) const;
  // Whether the copy may refuse a hold of seat `seat_index` (see above).
  bool MayRefuse(const Peeked& peeked, int seat_index) const;

  // Applies `changes` to the cached snapshot of `trip` (if any) in place;
  // the seats they touch are known as of now. `own`: changes this instance
  // made (a load in flight is then not kept).
  void Apply(const storage::TripRef& trip, const std::vector<domain::SeatChange>& changes, bool own);
  void Invalidate(const storage::TripRef& trip);
  // Caches `snapshot` as freshly loaded (a trip this instance has just
  // written in full) and follows its feed. No-op when disabled.
  asio::awaitable<void> Seed(storage::TripRef trip, std::shared_ptr<domain::TripSnapshot> snapshot);

  // cache::FeedSink.
  void OnChanges(const cache::TripKey& trip, std::vector<domain::SeatChange> changes) override;
  void OnGap(const cache::TripKey& trip) override;
  void OnFeedLost() override;

  bool enabled() const { return options_.enabled; }
  std::chrono::milliseconds ttl() const { return options_.ttl; }
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
    int64_t loaded_at_ms = 0;  // when this copy's load began (or its seed)
    bool feed_trusted = false;
    std::shared_ptr<Flight> flight;
    uint64_t generation = 0;  // bumped by own changes and invalidation
    uint64_t feed_epoch = 0;  // bumped by each gap of this trip
  };

  static std::string Key(const storage::TripRef& trip);
  // The feed position before a load, when the feed answers.
  asio::awaitable<absl::StatusOr<cache::FeedPosition>> FeedPosition(const storage::TripRef& trip);
  void Follow(const storage::TripRef& trip, const absl::StatusOr<cache::FeedPosition>& position);
  void ApplyTo(Entry& entry, const std::vector<domain::SeatChange>& changes);

  storage::SeatStore& store_;
  cache::ChangeFeed* feed_;
  const SnapshotCacheOptions options_;
  Clock clock_;
  ServiceStats& service_stats_;
  std::map<std::string, Entry> entries_;
  uint64_t feed_epoch_ = 0;  // bumped each time the feed is lost
  SnapshotCacheStats stats_;
};

}  // namespace inventory::service
