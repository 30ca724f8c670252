// The life of a hold and of its booking, step by step over the store
// (domain/lifecycle.h draws it).
//
// Every operation that takes several steps records an intent first and
// drops it after its last step; every change of a record's state is a
// conditional write naming the state it leaves (SeatStore::Step), and seat
// rows change only after the step that decides it was applied. An operation
// answers success only for a step it applied, or one a SERIAL read proved in
// place for the same request. When a step fails part-way, the operation
// answers an error and leaves its intent and its in-between state: a retry of
// the call, another call on the same hold, or the repairer (Repair) carries
// it on from there. Compensations that fail are never dropped: they are left
// to the repairer through the intent.
//
// Used by the service's calls (Inventory) and by the repairer alike; both
// may work on the same hold at once: every step is idempotent or decided by
// a condition.
//
// Every change of seats is announced (SeatAnnouncer): this instance's seat
// map at once, Redis markers and the trip's change stream for the others.
//
// Threading: one executor (the service's io thread); not locked.
#pragma once

#include <asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "domain/lifecycle.h"
#include "service/clock_guard.h"
#include "service/intent_log.h"
#include "service/seat_announcer.h"
#include "service/service_stats.h"
#include "storage/seat_store.h"

namespace inventory::service {

struct HoldRequest {
  storage::TripRef trip;
  std::string user_id;
  std::string session_id;
  std::string request_key;  // same organisation, user, session, trip, journey and seats => same key
  std::vector<std::string> seats;
  domain::SegmentRange range;
  int64_t duration_s = 0;
  // Per seat (parallel to `seats`): what the caller believes its segments
  // hold; empty when it knows nothing fresh. Only phrases the first condition.
  std::vector<std::vector<domain::SegmentState>> believed;
  EdgeLease lease;  // released with the announcement
};

struct HoldResult {
  enum class Kind { kHeld, kNotAvailable, kLimitReached } kind = Kind::kHeld;
  storage::HoldRecord hold;                // kHeld: this request's hold (or its earlier self's)
  std::vector<std::string> refused_seats;  // kNotAvailable
  // kNotAvailable: who holds or booked each refused seat (seat, user), where known.
  std::vector<std::pair<std::string, std::string>> takers;
};

struct ReleaseResult {
  enum class Kind { kReleased, kConfirmed, kNotFound } kind = Kind::kReleased;
  int released = 0;  // seats freed by this call
};

struct ConfirmResult {
  enum class Kind { kConfirmed, kExpired, kOtherOrder, kNotFound } kind = Kind::kConfirmed;
  storage::BookingRecord booking;  // kConfirmed
};

struct CancelResult {
  int released = 0;  // seats freed by this call
};

class Lifecycle {
 public:
  // Every reference must outlive the lifecycle.
  Lifecycle(storage::SeatStore& store, IntentLog& intents, SeatAnnouncer& announcer, const ClockGuard& clock,
            ServiceStats& stats, int max_holds_per_user);

  // Takes every seat of `request` over its range for a new hold, or none.
  // A request that already holds exactly these seats (a retry) gets its hold
  // back. Errors: the outcome is unknown to the caller (a hold may exist; a
  // retry of the same request gets it back; otherwise it is abandoned and
  // repaired within the service's bound).
  asio::awaitable<absl::StatusOr<HoldResult>> Hold(HoldRequest request);

  // Releases `hold` (as read; its state decides, domain::ForRelease).
  asio::awaitable<absl::StatusOr<ReleaseResult>> Release(storage::HoldRecord hold);

  // Confirms `hold` for `proposed.order_id` (as read; domain::ForConfirm).
  // `proposed` is the booking to create when the confirm begins.
  asio::awaitable<absl::StatusOr<ConfirmResult>> Confirm(storage::HoldRecord hold, storage::BookingRecord proposed);

  // Cancels `booking` (as read; domain::ForCancel). A booking whose confirm
  // is under way or was cut is first carried to its end.
  asio::awaitable<absl::StatusOr<CancelResult>> Cancel(storage::BookingRecord booking);

  // Finishes or undoes the operation of `intent` (domain::ForRepair) and
  // drops the intent. Errors: nothing is dropped; try again later.
  asio::awaitable<absl::StatusOr<RepairKind>> Repair(storage::Intent intent);

 private:
  // The hold that every seat of `request` is believed held by, live, for
  // this user (a retry's earlier self), if there is one.
  static std::optional<std::string> EarlierSelf(const HoldRequest& request, int64_t now);
  // The hold `hold_id` when it is this request's own (same request key),
  // active and live at `now`; nullopt otherwise or when it cannot be read.
  asio::awaitable<std::optional<storage::HoldRecord>> LiveHoldOf(const HoldRequest& request,
                                                                 const std::string& hold_id, int64_t now);
  // The in-between states, carried to their end. `intent` (may be null) is
  // dropped once the end is reached.
  asio::awaitable<absl::StatusOr<int>> FinishRelease(storage::HoldRecord hold, const storage::IntentKey* intent);
  // `known`: the booking as this call created it, answered when committed
  // (null: the answer names the booking only; a caller that needs it reads it).
  asio::awaitable<absl::StatusOr<ConfirmResult>> FinishConfirm(storage::HoldRecord hold,
                                                               const storage::IntentKey* intent,
                                                               const storage::BookingRecord* known);
  asio::awaitable<absl::StatusOr<ConfirmResult>> FinishAbort(storage::HoldRecord hold,
                                                             const storage::IntentKey* intent);
  asio::awaitable<absl::StatusOr<int>> FinishCancel(storage::BookingRecord booking, const storage::IntentKey* intent);
  // Frees the seats of a hold that was never made (its intent says which),
  // removes its live marker. Errors leave the intent.
  asio::awaitable<absl::Status> FreeAbandoned(const storage::Intent& intent);
  // The hold record read again at SERIAL.
  asio::awaitable<absl::StatusOr<storage::HoldRecord>> Reread(const storage::HoldRecord& hold);

  // Gives back `seats` of a hold that was not made (the intent's hold and
  // range) and its live marker. On failure it records the intent afresh so
  // that the repairer finishes the undo; the error is returned.
  asio::awaitable<absl::Status> GiveBack(const storage::TripRef& trip, const std::vector<std::string>& seats,
                                         const storage::Intent& intent);
  // Frees each seat of `seats` from `owner` on `range` by `free_one`, in
  // parallel. Returns how many this call freed; an error if any did not settle.
  using FreeOne = asio::awaitable<absl::StatusOr<bool>> (storage::SeatStore::*)(storage::TripRef, std::string,
                                                                                domain::SegmentRange, std::string);
  asio::awaitable<absl::StatusOr<int>> FreeSeats(const storage::TripRef& trip, const std::vector<std::string>& seats,
                                                 domain::SegmentRange range, const std::string& owner,
                                                 FreeOne free_one);
  // Frees each seat of `seats` held by `hold_id` on `range`, in parallel.
  // Returns how many this call freed; an error if any write did not settle.
  asio::awaitable<absl::StatusOr<int>> ReleaseSeats(const storage::TripRef& trip,
                                                    const std::vector<std::string>& seats, domain::SegmentRange range,
                                                    const std::string& hold_id);
  asio::awaitable<absl::StatusOr<int>> UnbookSeats(const storage::TripRef& trip, const std::vector<std::string>& seats,
                                                   domain::SegmentRange range, const std::string& booking_id);
  void Forget(const storage::IntentKey* intent);
  // The first step of a release, confirm or cancel: records `intent` (sets
  // its key), then takes `step`. A step not taken forgets the intent again.
  asio::awaitable<absl::StatusOr<storage::LedgerResult>> Begin(storage::Intent& intent,
                                                               const storage::LedgerStep& step);
  // Announces changes this instance made (no facts, no pre-locks).
  asio::awaitable<void> Tell(storage::TripRef trip, std::vector<domain::SeatChange> changes);

  storage::SeatStore& store_;
  IntentLog& intents_;
  SeatAnnouncer& announcer_;
  const ClockGuard& clock_;
  ServiceStats& stats_;
  const int max_holds_per_user_;
};

// A hold's booking id is derived from it: confirming the same hold twice can
// only ever produce one booking.
std::string BookingIdFor(const std::string& hold_id);

}  // namespace inventory::service
