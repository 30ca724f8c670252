// What stands between a hold request and the database: the refusals that
// need no database round trip, and one request per (seat, segment) at a
// time (README "How a hold is decided", steps 1 and 2).
//
//  1. The cached seat map, where it may refuse (SnapshotCache::MayRefuse),
//     shows a seat held by someone else, booked or blocked: "not available".
//  2. A hold of one of the same cells is in flight on this instance: wait
//     for it. Its outcome answers this request when it can: a seat it won
//     for another user, or found taken by someone else, is "not available";
//     if it met contention at Redis, this one is "contention" too; otherwise
//     this request goes on.
//  3. Redis, in one script: a marker of another holder is "not available"
//     (and the cached seat map learns it); another request's pre-lock is
//     "contention"; otherwise pre-locks are taken for this request. Redis
//     down or slow: skipped (the database decides alone).
//
// So "contention - please retry" is answered only while a seat may still be
// free and a request for it is really in flight; a seat known taken is "not
// available".
//
// Threading: one executor (the service's io thread); not locked.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cache/edge_guard.h"
#include "service/clock_guard.h"
#include "service/seat_announcer.h"
#include "service/service_stats.h"
#include "service/snapshot_cache.h"

namespace inventory::service {

struct GateOptions {
  bool short_circuit = true;  // steps 1 and 2 (off only to measure); step 3 runs when there is an edge
  std::chrono::milliseconds prelock_ttl{3000};
};

class HoldGate {
 public:
  struct Request {
    storage::TripRef trip;
    std::string user_id;
    std::vector<std::string> seats;
    domain::SegmentRange range;
  };
  // What a request that went through learned, for those waiting on it.
  struct Outcome {
    bool won = false;        // it holds every seat now (for its user)
    bool contended = false;  // Redis said another request is in flight
    std::vector<std::pair<std::string, std::string>> takers;  // (seat, user): taken over its range
  };
  struct Flight;
  struct Verdict {
    enum class Kind { kPass, kTaken, kContended } kind = Kind::kPass;
    std::vector<std::string> seats;  // kTaken / kContended: the seats to name
    // kPass: per seat, the states the cached seat map may vouch for (empty:
    // none), to phrase the first conditions; the pre-locks taken.
    std::vector<std::vector<domain::SegmentState>> believed;
    EdgeLease lease;
    std::shared_ptr<Flight> flight;  // kPass: hand back to Leave
  };

  // Every reference must outlive the gate; `edge` may be null (no Redis).
  HoldGate(SnapshotCache& cache, cache::EdgeGuard* edge, const ClockGuard& clock, GateOptions options,
           ServiceStats& stats);

  asio::awaitable<Verdict> Enter(Request request);
  // REQUIRES: once for every kPass verdict, after the database step.
  void Leave(const Verdict& verdict, Outcome outcome);

 private:
  // The outcome of `flight` for `request`, when it decides it.
  std::optional<Verdict> Answer(const Flight& flight, const Request& request) const;
  // Logs, at most every 10 s, that the edge was skipped and why.
  void WarnEdgeSkipped(const absl::Status& why);

  SnapshotCache& cache_;
  cache::EdgeGuard* edge_;
  const ClockGuard& clock_;
  GateOptions options_;
  ServiceStats& stats_;
  // (org, trip, seat, segment) cells with a hold in flight here.
  std::unordered_map<std::string, std::shared_ptr<Flight>> inflight_;
  int64_t last_edge_warning_ms_ = 0;
  uint64_t skipped_at_last_warning_ = 0;
};

}  // namespace inventory::service
