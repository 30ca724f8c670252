// The inventory's use cases: trips, seat maps, availability, holds, bookings,
// blocks and the waitlist, over a SeatStore and (optionally) Redis.
//
// Every method validates its request (INVALID_ARGUMENT naming the field),
// answers business refusals as OK responses with success=false and a
// FailureReason, and returns NOT_FOUND for an unknown trip, UNAVAILABLE /
// DEADLINE_EXCEEDED when the database cannot answer. The parts:
//  - HoldGate: refusals without a database round trip, one request per seat
//    at a time (hold_gate.h);
//  - Lifecycle: the steps of a hold's and a booking's life (lifecycle.h);
//  - Repairer: finishes or undoes what was cut (repairer.h);
//  - SnapshotCache: seat maps, kept honest by the change feed;
//  - SeatAnnouncer: every change told to the cache, Redis and the others;
//  - ClockGuard: how far this instance's clock may decide expiry.
// Redis only ever speeds things up: when it does not answer, requests go on
// to the database's conditional writes.
//
// Threading: REQUIRES every call on the service's single-threaded executor
// (the io_context thread that also owns the store's session). Requests are
// borrowed: they must outlive the awaited call.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <asio/steady_timer.hpp>

#include "cache/change_feed.h"
#include "cache/edge_guard.h"
#include "inventory/v1/inventory.pb.h"
#include "service/admission.h"
#include "service/clock_guard.h"
#include "service/hold_gate.h"
#include "service/intent_log.h"
#include "service/lifecycle.h"
#include "service/repairer.h"
#include "service/seat_announcer.h"
#include "service/seat_map_watch.h"
#include "service/seatmap_answers.h"
#include "service/service_stats.h"
#include "service/snapshot_cache.h"
#include "storage/seat_store.h"

namespace inventory::service {

namespace v1 = ::inventory::v1;

inline constexpr int kMaxSeatsPerHold = 10;
inline constexpr int kMaxPassengers = 100;
inline constexpr int kMaxBatchChecks = 100;
inline constexpr int kMaxSeatUpdates = 500;
inline constexpr int kMaxWaitlistSeats = 20;

struct InventoryOptions {
  std::chrono::seconds hold_ttl_default{600};
  std::chrono::seconds hold_ttl_min{30};
  std::chrono::seconds hold_ttl_max{3600};
  int max_holds_per_user = 2;
  std::chrono::milliseconds seatmap_cache_ttl{5000};
  // How long a cached seat map the change feed keeps honest may refuse holds.
  std::chrono::milliseconds seatmap_trust{30000};
  // Lifetime of a pre-lock: longer than one hold's database work.
  std::chrono::milliseconds prelock_ttl{3000};
  // How long a "booked" marker keeps refusing at the edge.
  std::chrono::milliseconds booked_marker_ttl{60000};
  // Refuse, without a database round trip, holds of seats this instance
  // knows are taken. Off only to measure what it saves.
  bool edge_short_circuit = true;
  // The seat-map snapshot cache (off: every read loads from the database).
  bool seatmap_cache = true;
  // The memory of the seat-map caches, > 0: snapshots (and remembered
  // unknown trips) get three quarters of it, serialized answers a quarter.
  // Fixed shares keep each cache's eviction its own; the snapshots get the
  // larger one because a snapshot evicted costs a database load, an answer
  // evicted only its serialization from a cached snapshot.
  uint64_t seatmap_cache_bytes = uint64_t{256} << 20;
  // How long a trip the database did not know is answered NOT_FOUND without
  // asking it again (0: never; see SnapshotCache).
  std::chrono::milliseconds seatmap_not_found_ttl{2000};
  // The clock's measurement against the database.
  std::chrono::milliseconds clock_check_interval{10000};
  RepairerOptions repair;
  SeatMapWatchOptions watch;
};

class Inventory {
 public:
  using Clock = std::function<int64_t()>;  // unix milliseconds

  // `store`, `edge` (may be null: no Redis pre-locks nor markers), `feed` (may be null) and
  // `clock` must outlive the service.
  Inventory(storage::SeatStore& store, cache::EdgeGuard* edge, cache::ChangeFeed* feed, ClockGuard& clock,
            InventoryOptions options);
  ~Inventory();

  // Measures the clock once, then starts the background work (repairer,
  // retries of announcements and intent drops, clock checks, the feed).
  asio::awaitable<void> Start();
  // Stops the background work and waits for it.
  asio::awaitable<void> Stop();

  asio::awaitable<absl::StatusOr<v1::InitializeTripInventoryResponse>> InitializeTrip(
      const v1::InitializeTripInventoryRequest& request);
  // The seat map (a GetSeatMapResponse), serialized. One serialization serves
  // every request for the same journey of the same snapshot (and version)
  // until a hold shown in it expires.
  asio::awaitable<absl::StatusOr<std::shared_ptr<const std::string>>> GetSeatMapBytes(
      const v1::GetSeatMapRequest& request);
  asio::awaitable<absl::StatusOr<v1::CheckAvailabilityResponse>> CheckAvailability(
      const v1::CheckAvailabilityRequest& request);
  asio::awaitable<absl::StatusOr<v1::BatchCheckResponse>> BatchCheckAvailability(const v1::BatchCheckRequest& request);
  // A hold that passes the edge asks `admission` (if set) for a slot before
  // its database work, and stops there if `budget`'s caller went away.
  asio::awaitable<absl::StatusOr<v1::HoldSeatsResponse>> HoldSeats(const v1::HoldSeatsRequest& request,
                                                                    const CallBudget& budget = {});
  asio::awaitable<absl::StatusOr<v1::ReleaseSeatsResponse>> ReleaseSeats(const v1::ReleaseSeatsRequest& request);
  asio::awaitable<absl::StatusOr<v1::ConfirmBookingResponse>> ConfirmBooking(
      const v1::ConfirmBookingRequest& request);
  asio::awaitable<absl::StatusOr<v1::CancelBookingResponse>> CancelBooking(const v1::CancelBookingRequest& request);
  asio::awaitable<absl::StatusOr<v1::UpdateInventoryResponse>> UpdateInventory(
      const v1::UpdateInventoryRequest& request);
  asio::awaitable<absl::StatusOr<v1::JoinWaitlistResponse>> JoinWaitlist(const v1::JoinWaitlistRequest& request);
  asio::awaitable<absl::StatusOr<v1::GetUserWaitlistResponse>> GetUserWaitlist(
      const v1::GetUserWaitlistRequest& request);

  // Starts sending the journey's seat map to `watcher`: a full map, then
  // each change (see SeatMapWatch). INVALID_ARGUMENT, NOT_FOUND, or
  // RESOURCE_EXHAUSTED past the watchers' limit; the watcher gets nothing
  // then. Until StopWatching(watcher) or Stop() (which ends it UNAVAILABLE).
  asio::awaitable<absl::Status> WatchSeatMap(const v1::WatchSeatMapRequest& request,
                                             std::shared_ptr<SeatMapWatcher> watcher);
  void StopWatching(const SeatMapWatcher* watcher);
  // Ends every WatchSeatMap stream (UNAVAILABLE) and refuses new ones.
  void EndWatches() { watch_.Stop(); }

  // Admission control of the holds' database work (null: none). REQUIRES:
  // before the first call; `admission` outlives the service.
  void set_admission(Admission* admission) { admission_ = admission; }

  const ServiceStats& stats() const { return stats_; }
  const SnapshotCache& cache() const { return cache_; }
  const SeatMapAnswers& answers() const { return answers_; }
  const SeatMapWatch& watch() const { return watch_; }
  const ClockGuard& clock() const { return clock_; }
  size_t pending_intent_drops() const { return intents_.queued(); }

 private:
  asio::awaitable<absl::StatusOr<SnapshotCache::SnapshotPtr>> Snapshot(const std::string& org,
                                                                      const std::string& trip);
  // Measures this instance's clock against the database's.
  asio::awaitable<void> CheckClock();
  asio::awaitable<void> ClockLoop();
  // Runs `loop` in the background; Stop() waits for it.
  void Spawn(std::function<asio::awaitable<void>()> loop);

  storage::SeatStore& store_;
  cache::ChangeFeed* feed_;
  InventoryOptions options_;
  ClockGuard& clock_;
  ServiceStats stats_;
  SnapshotCache cache_;
  SeatAnnouncer announcer_;
  IntentLog intents_;
  Lifecycle lifecycle_;
  HoldGate gate_;
  Repairer repairer_;
  Admission* admission_ = nullptr;
  // Serialized seat-map answers by trip and journey.
  SeatMapAnswers answers_;
  SeatMapWatch watch_;
  // Background work.
  bool stopping_ = false;
  int running_ = 0;
  std::unique_ptr<asio::steady_timer> clock_timer_;
  std::unique_ptr<asio::steady_timer> all_stopped_;
  bool skew_warned_ = false;
};

}  // namespace inventory::service
