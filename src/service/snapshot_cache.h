// Read-through cache of whole-trip snapshots, one per trip, in process, kept
// honest by every change this instance makes and hears of.
//
// A miss loads the trip from the store once, however many requests are
// waiting for it (single flight): a storm on a trip's seat map costs one
// database load per instance per cache lifetime (`ttl`), while the trip
// stays within the memory budget (see Memory below). A copy older than `ttl`
// that the feed keeps honest (trusted, see Trust) is still answered at once
// while one load replaces it in the background: readers of a big trip never
// wait for its reload; a copy the feed lost sight of makes them wait.
//
// Changes. Apply() writes seat changes into the cached snapshot in place
// (its version goes up): this instance's own changes as it makes them, and,
// through the change feed (cache/change_feed.h, this class is its sink),
// every other instance's within a second while Redis is up. A load takes the
// trip's feed position before reading the database and follows the feed from
// there, so no change is missed between the read and the follow. Own changes
// made while a load is in flight (it may have read the seats before them)
// are applied to the loaded copy too when it lands (applying a change twice
// is harmless); a load that started before an invalidation or a seed is
// handed to its waiters but not kept.
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
// Memory. The cache keeps to `max_bytes` (> 0), counted with an estimate of
// each snapshot (TripSnapshot::EstimatedBytes: seats x segments states,
// seat definitions, strings, indexes) plus each entry's own bookkeeping.
// Past it, the least recently used entries go (a Get or Peek that finds the
// snapshot, a load or a seed makes an entry the most recent), except an
// entry with a load in flight: its waiters need it. A trip larger than the
// whole budget is handed to its waiters but not kept. An evicted trip is
// forgotten entirely: its feed is unfollowed, and its next Get loads it
// again like a trip never seen, taking a new feed position first, so the
// new copy is trusted only as far as that load earns (never on the word of
// the evicted one). Callers that still hold the evicted snapshot keep it
// alive, but it is no longer changed by the feed nor returned by Peek.
//
// Unknown trips. A load answered NOT_FOUND is remembered for
// `not_found_ttl` (0: not at all), counted in the budget and evicted like
// the rest: Gets within that time answer NOT_FOUND without the store, so a
// storm on a bad trip id costs one load per instance per period (requests
// arriving during the load share it, as for any load). Seed() and
// Invalidate() of the trip (this instance initialising it) forget it at
// once; a trip another instance initialises may be answered NOT_FOUND here
// for up to `not_found_ttl`.
//
// Threading: REQUIRES every call on one single-threaded executor (the
// service's io_context thread), the feed's executor too. Not locked.
// Snapshots handed out may be changed in place between two suspension points
// of a caller; a caller that needs a value across a co_await copies it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
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
  uint64_t not_found_hits = 0;  // Gets answered NOT_FOUND from memory
  uint64_t stale_hits = 0;      // hits older than ttl, kept honest by the feed (a reload in the background)
  uint64_t evictions = 0;       // entries dropped to keep to the budget
  // Gauges: now.
  uint64_t bytes = 0;             // estimated, entries' bookkeeping included
  uint64_t snapshots = 0;         // trips cached
  uint64_t not_found_trips = 0;   // trips remembered as unknown (expired or not)
};

struct SnapshotCacheOptions {
  std::chrono::milliseconds ttl{5000};
  bool enabled = true;
  // How long a copy followed by the feed without a gap may refuse holds.
  std::chrono::milliseconds trust_cap{30000};
  // The budget (> 0) of the snapshots and remembered unknown trips.
  uint64_t max_bytes = uint64_t{192} << 20;
  // How long a trip the store did not know is answered NOT_FOUND (0: never).
  std::chrono::milliseconds not_found_ttl{2000};
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
  // The cached snapshot of `trip`, fresh or not; never loads, never counts
  // a hit or miss (a snapshot found becomes the most recently used).
  Peeked Peek(const storage::TripRef& trip);
  // Whether the copy may refuse a hold of seat `seat_index` (see above).
  bool MayRefuse(const Peeked& peeked, int seat_index) const;

  // Applies `changes` to the cached snapshot of `trip` (if any) in place;
  // the seats they touch are known as of now. `own`: changes this instance
  // made (applied to the copy of a load in flight too, when it lands).
  void Apply(const storage::TripRef& trip, const std::vector<domain::SeatChange>& changes, bool own);
  // Forgets the cached snapshot of `trip` (a load in flight is not kept)
  // and that it was unknown.
  void Invalidate(const storage::TripRef& trip);
  // Caches `snapshot` as freshly loaded (a trip this instance has just
  // written in full) and follows its feed; forgets at once that the trip
  // was unknown. Caches nothing when disabled or ttl is 0.
  asio::awaitable<void> Seed(storage::TripRef trip, std::shared_ptr<domain::TripSnapshot> snapshot);

  // Called after `trip`'s cached snapshot changed: `changes` applied to it
  // in place, or (null) a snapshot loaded or seeded in its place. On the
  // cache's executor; it may call Peek.
  using Listener = std::function<void(const storage::TripRef& trip, const std::vector<domain::SeatChange>* changes)>;
  void set_listener(Listener listener) { listener_ = std::move(listener); }

  // cache::FeedSink.
  void OnChanges(const cache::TripKey& trip, std::vector<domain::SeatChange> changes) override;
  void OnGap(const cache::TripKey& trip) override;
  void OnFeedLost() override;

  bool enabled() const { return options_.enabled; }
  std::chrono::milliseconds ttl() const { return options_.ttl; }
  uint64_t max_bytes() const { return options_.max_bytes; }
  const SnapshotCacheStats& stats() const { return stats_; }

 private:
  struct Flight {
    explicit Flight(asio::any_io_executor ex) : done(ex) {}
    asio::steady_timer done;
    absl::StatusOr<SnapshotPtr> result = absl::UnavailableError("load in progress");
    bool finished = false;
  };
  // A trip's slot: a snapshot, a remembered NOT_FOUND, a load in flight, or
  // several of these. Erased (evicted) only without a load in flight.
  struct Entry {
    storage::TripRef trip;
    std::shared_ptr<domain::TripSnapshot> snapshot;
    uint64_t snapshot_bytes = 0;  // snapshot->EstimatedBytes(), kept up to date by ApplyTo
    int64_t loaded_at_ms = 0;  // when this copy's load began (or its seed)
    bool feed_trusted = false;
    std::shared_ptr<Flight> flight;
    uint64_t generation = 0;  // bumped by invalidation and seeding (a load in flight is then not kept)
    // Own changes made while a load is in flight, applied to its copy too.
    std::vector<domain::SeatChange> own_in_flight;
    uint64_t feed_epoch = 0;  // bumped by each gap of this trip
    // A load answered NOT_FOUND (not_found is its status): answered so
    // until then.
    int64_t not_found_until_ms = 0;
    absl::Status not_found;
    // What the entry counts in stats_ (bytes, snapshots, not_found_trips).
    uint64_t bytes = 0;
    bool counted_snapshot = false;
    bool counted_not_found = false;
    std::list<std::string>::iterator recency;  // its key in recency_
  };
  using Entries = std::map<std::string, Entry>;

  static std::string Key(const storage::TripRef& trip);
  // The entry of `trip`, created (most recent, counted) if missing.
  Entry& Slot(const storage::TripRef& trip, const std::string& key);
  // Makes the entry the most recently used.
  void Touch(Entry& entry);
  // Counts the entry again in stats_ after its content changed.
  void Recount(Entry& entry);
  // Erases the entry and stops following its feed. REQUIRES: no flight.
  void Drop(Entries::iterator it);
  // Evicts the least recently used entries without a flight until the
  // estimate is within max_bytes.
  void Shrink();
  // A load of `trip` (single flight: joins the one in flight), kept as the
  // entry's copy (with the own changes made meanwhile) unless the entry was
  // invalidated or seeded meanwhile.
  asio::awaitable<absl::StatusOr<SnapshotPtr>> Load(storage::TripRef trip, std::string key);
  // The feed position before a load, when the feed answers.
  asio::awaitable<absl::StatusOr<cache::FeedPosition>> FeedPosition(const storage::TripRef& trip);
  void Follow(const storage::TripRef& trip, const absl::StatusOr<cache::FeedPosition>& position);
  void ApplyTo(Entry& entry, const std::vector<domain::SeatChange>& changes);

  storage::SeatStore& store_;
  cache::ChangeFeed* feed_;
  const SnapshotCacheOptions options_;
  Clock clock_;
  ServiceStats& service_stats_;
  Entries entries_;
  std::list<std::string> recency_;  // keys of entries_, most recently used first
  uint64_t feed_epoch_ = 0;  // bumped each time the feed is lost
  SnapshotCacheStats stats_;
  Listener listener_;
};

}  // namespace inventory::service
