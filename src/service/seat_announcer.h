// Telling everyone about a change of seats: this instance's cached seat map
// at once, and Redis — "taken" markers written or removed, the trip's change
// stream appended (other instances apply it within a second) — in one round
// trip, which also releases the request's pre-locks.
//
// When Redis does not answer, the announcement is not lost: it is queued and
// sent again (without the pre-locks, which expire by themselves) until Redis
// takes it, oldest first. A marker of a freed seat is thus removed as soon
// as Redis is back; if this instance dies first, the marker's own lifetime
// (the guard's cap) ends it. Late markers are harmless: a removal leaves a
// tombstone that stops a late marker of the same owner.
//
// Threading: one executor (the service's io thread); not locked.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cache/edge_guard.h"
#include "domain/seat_change.h"
#include "service/service_stats.h"
#include "service/snapshot_cache.h"
#include "storage/seat_store.h"

namespace inventory::service {

// The pre-locks a request took (empty: none).
struct EdgeLease {
  std::vector<cache::SeatSegment> cells;
  std::string token;
};

struct AnnouncerOptions {
  // How long a "booked" marker refuses at the edge (the guard caps it too).
  std::chrono::milliseconds booked_marker{60000};
  std::chrono::milliseconds retry_interval{500};
  size_t max_queued = 10000;
};

class SeatAnnouncer {
 public:
  using Clock = std::function<int64_t()>;

  // `cache`, `edge` (null: no Redis) and `stats` must outlive the announcer.
  SeatAnnouncer(SnapshotCache& cache, cache::EdgeGuard* edge, AnnouncerOptions options, Clock clock,
                ServiceStats& stats);

  // Applies `changes` (made by this instance) to the cached seat map now and
  // announces them; `facts` (seats found taken by someone else) are learned
  // by the cached seat map and marked in Redis but not published; `lease` is
  // released in the same round trip. Never fails: what Redis does not take
  // is queued (the lease excepted).
  asio::awaitable<void> Announce(storage::TripRef trip, std::vector<domain::SeatChange> changes,
                                 std::vector<domain::SeatChange> facts, EdgeLease lease);

  // Sends the queue every retry_interval until Stop().
  asio::awaitable<void> Run();
  void Stop();
  size_t queued() const { return queue_.size(); }

 private:
  struct Pending {
    uint64_t seq = 0;  // order of queueing
    cache::TripKey trip;
    cache::Announcement announcement;
  };
  cache::Announcement Build(const std::vector<domain::SeatChange>& changes,
                            const std::vector<domain::SeatChange>& facts) const;
  asio::awaitable<void> SendQueued();

  SnapshotCache& cache_;
  cache::EdgeGuard* edge_;
  AnnouncerOptions options_;
  Clock clock_;
  ServiceStats& stats_;
  std::deque<Pending> queue_;
  uint64_t queued_seq_ = 0;
  bool stopping_ = false;
  bool sending_ = false;
  std::unique_ptr<asio::steady_timer> timer_;
};

}  // namespace inventory::service
