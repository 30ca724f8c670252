// The inventory's use cases: trips, seat maps, availability, holds, bookings,
// blocks and the waitlist, over a SeatStore and (optionally) the Redis edge.
//
// Every method validates its request (INVALID_ARGUMENT naming the field),
// answers business refusals as OK responses with success=false and a
// FailureReason, and returns NOT_FOUND for an unknown trip, UNAVAILABLE /
// DEADLINE_EXCEEDED when the database cannot answer. The edge (pre-locks and
// "taken" markers) only ever speeds things up: when Redis does not answer the
// request goes on to the database's lightweight transactions.
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
#include <set>
#include <string>

#include "cache/edge_guard.h"
#include "inventory/v1/inventory.pb.h"
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
  // Lifetime of a pre-lock: longer than one hold's database work.
  std::chrono::milliseconds prelock_ttl{3000};
  // How long a "booked" marker keeps refusing at the edge.
  std::chrono::milliseconds booked_marker_ttl{60000};
  bool prelock = true;
  // Refuse, without a database round trip, holds of seats this instance
  // knows are taken: in flight here (L0), taken in the fresh cached seat map,
  // or marked taken in Redis. Off only to measure what it saves.
  bool edge_short_circuit = true;
  // The seat-map snapshot cache (off: every read loads from the database).
  bool seatmap_cache = true;
};

// Exact counters for the metrics endpoint.
struct InventoryStats {
  uint64_t prelock_acquired = 0;
  uint64_t prelock_contended = 0;
  uint64_t prelock_skipped = 0;    // Redis down or slow: went straight to the LWT
  // Holds refused without a database round trip, by what refused them.
  uint64_t edge_rejections = 0;      // a Redis "taken" marker
  uint64_t seatmap_rejections = 0;   // the fresh cached seat map shows the seat taken
  uint64_t inflight_rejections = 0;  // a hold of the seat is in flight here (L0)
  // Serialized seat-map answers: built, or reused as they were.
  uint64_t seatmap_answers_built = 0;
  uint64_t seatmap_answers_reused = 0;
};

class Inventory {
 public:
  using Clock = std::function<int64_t()>;  // unix milliseconds

  // `store` and `edge` (may be null: no Redis) must outlive the service.
  Inventory(storage::SeatStore& store, cache::EdgeGuard* edge, InventoryOptions options, Clock clock);

  asio::awaitable<absl::StatusOr<v1::InitializeTripInventoryResponse>> InitializeTrip(
      const v1::InitializeTripInventoryRequest& request);
  // The seat map (a GetSeatMapResponse), serialized. One serialization serves every request for
  // the same journey of the same snapshot (and version) until a hold shown
  // in it expires, so a storm of seat-map reads costs no re-serialization.
  // With the seat-map cache off, every call builds and serializes afresh.
  asio::awaitable<absl::StatusOr<std::shared_ptr<const std::string>>> GetSeatMapBytes(
      const v1::GetSeatMapRequest& request);
  asio::awaitable<absl::StatusOr<v1::CheckAvailabilityResponse>> CheckAvailability(
      const v1::CheckAvailabilityRequest& request);
  asio::awaitable<absl::StatusOr<v1::BatchCheckResponse>> BatchCheckAvailability(const v1::BatchCheckRequest& request);
  asio::awaitable<absl::StatusOr<v1::HoldSeatsResponse>> HoldSeats(const v1::HoldSeatsRequest& request);
  asio::awaitable<absl::StatusOr<v1::ReleaseSeatsResponse>> ReleaseSeats(const v1::ReleaseSeatsRequest& request);
  asio::awaitable<absl::StatusOr<v1::ConfirmBookingResponse>> ConfirmBooking(
      const v1::ConfirmBookingRequest& request);
  asio::awaitable<absl::StatusOr<v1::CancelBookingResponse>> CancelBooking(const v1::CancelBookingRequest& request);
  asio::awaitable<absl::StatusOr<v1::UpdateInventoryResponse>> UpdateInventory(
      const v1::UpdateInventoryRequest& request);
  asio::awaitable<absl::StatusOr<v1::JoinWaitlistResponse>> JoinWaitlist(const v1::JoinWaitlistRequest& request);
  asio::awaitable<absl::StatusOr<v1::GetUserWaitlistResponse>> GetUserWaitlist(
      const v1::GetUserWaitlistRequest& request);

  const InventoryStats& stats() const { return stats_; }
  const SnapshotCache& cache() const { return cache_; }

 private:
  asio::awaitable<absl::StatusOr<SnapshotCache::SnapshotPtr>> Snapshot(const std::string& org,
                                                                      const std::string& trip);
  asio::awaitable<absl::StatusOr<v1::HoldSeatsResponse>> HoldInDatabase(const v1::HoldSeatsRequest& request,
                                                                        const domain::TripSnapshot& snapshot,
                                                                        domain::SegmentRange range,
                                                                        const std::string& request_key,
                                                                        const std::vector<std::string>& seats,
                                                                        int64_t duration_seconds,
                                                                        bool trust_snapshot);
  // The seat map of `range` as of `now_ms`; `valid_until_ms` is set to when
  // it would first differ (the earliest expiry of a hold it shows).
  v1::GetSeatMapResponse BuildSeatMap(const domain::TripSnapshot& t, domain::SegmentRange range, int64_t now_ms,
                                      int64_t* valid_until_ms) const;
  void AfterChange(const storage::TripRef& trip) { cache_.Invalidate(trip); }
  // Writes a change this instance just made to `seats` over `range` into
  // the cached snapshot (instead of dropping it): `change` is applied to
  // each of their segment states.
  void PatchSeats(const storage::TripRef& trip, const std::vector<std::string>& seats, domain::SegmentRange range,
                  const std::function<void(domain::SegmentState&)>& change);
  void AfterHold(const storage::HoldRecord& hold);
  // Logs, at most every 10 s, that the edge was skipped and why.
  void WarnEdgeSkipped(const absl::Status& why);

  storage::SeatStore& store_;
  cache::EdgeGuard* edge_;
  InventoryOptions options_;
  Clock clock_;
  SnapshotCache cache_;
  // (org, trip, seat, segment) cells with a hold request in flight here (L0).
  std::set<std::string> inflight_;
  // Serialized seat-map answers by trip and journey.
  struct SeatMapAnswer {
    SnapshotCache::SnapshotPtr snapshot;  // the one it was built from
    uint64_t version = 0;
    int64_t valid_until_ms = 0;
    std::shared_ptr<const std::string> bytes;
  };
  std::map<std::string, SeatMapAnswer> seatmap_answers_;
  InventoryStats stats_;
  int64_t last_edge_warning_ms_ = 0;
  uint64_t skipped_at_last_warning_ = 0;
};

}  // namespace inventory::service
