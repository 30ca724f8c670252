// The life of a hold and of the booking it may become, as pure rules.
//
// The database keeps each hold's and booking's state in its record; every
// change of state is one conditional write naming the state it leaves, and
// seat rows change only as the consequence of an applied change. The
// in-between states (releasing, confirming, aborting, cancelling) are
// written BEFORE the seat work they announce, so whoever finds one — a retry
// of the call, another call on the same hold, or the repairer after a crash
// — knows how to finish it. An operation is announced by an intent row
// before its first step; the intent is what the repairer finds.
//
//  hold (record in the user's ledger)
//
//   (in flight) ──every seat won──▶ active ──release──▶ releasing ──seats freed──▶ released
//        │                             │
//        │                             └──confirm(order)──▶ confirming ──every seat booked──▶ confirmed
//        │                                                     │
//        └──fenced by the repairer──▶ abandoned                └──a seat was lost──▶ aborting ──seats undone──▶ lapsed
//
//  booking (same partition, id derived from the hold)
//
//   (none) ──with active→confirming──▶ pending ──with confirming→confirmed──▶ confirmed ──cancel──▶ cancelling
//                                         │                                                            │
//                                         └──with aborting→lapsed──▶ cancelled ◀──────seats freed──────┘
//
// "In flight" has no record: HoldSeats writes the record once, as `active`,
// only after winning every seat, with a condition that no record exists; the
// repairer, finding an intent whose request never finished, writes
// `abandoned` with the same condition. Exactly one of them succeeds. An
// active hold whose expires_at has passed is expired without any write; its
// seats are reclaimed by conditional writes naming it.
//
// Pure functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace inventory::domain {

enum class HoldState : uint8_t {
  kActive = 0,
  kReleasing = 1,
  kReleased = 2,
  kConfirming = 3,
  kConfirmed = 4,
  kAborting = 5,
  kLapsed = 6,
  kAbandoned = 7,
};
inline constexpr std::array<HoldState, 8> kAllHoldStates = {
    HoldState::kActive,    HoldState::kReleasing, HoldState::kReleased, HoldState::kConfirming,
    HoldState::kConfirmed, HoldState::kAborting,  HoldState::kLapsed,   HoldState::kAbandoned};

enum class BookingState : uint8_t { kPending = 0, kConfirmed = 1, kCancelling = 2, kCancelled = 3 };
inline constexpr std::array<BookingState, 4> kAllBookingStates = {BookingState::kPending, BookingState::kConfirmed,
                                                                   BookingState::kCancelling,
                                                                   BookingState::kCancelled};

// Database spellings ("active", "releasing", ...; "pending", ...).
std::string_view HoldStateName(HoldState state);
std::string_view BookingStateName(BookingState state);
// nullopt for text that names no state.
std::optional<HoldState> HoldStateFromName(std::string_view name);
std::optional<BookingState> BookingStateFromName(std::string_view name);

// No transition leaves a terminal state.
bool IsTerminal(HoldState state);
bool IsTerminal(BookingState state);

// Whether the diagram above has an arrow from `from` to `to`. A missing
// `from` is a record that does not exist yet.
bool HoldTransitionAllowed(std::optional<HoldState> from, HoldState to);
bool BookingTransitionAllowed(std::optional<BookingState> from, BookingState to);

// --- What each call does with the state it finds ---

enum class ReleaseStep {
  kBegin,            // active: write active→releasing, then free the seats
  kFinish,           // releasing: free the seats, write releasing→released
  kDone,             // released or lapsed: nothing held, success
  kRefuseConfirmed,  // confirming, confirmed, aborting: it became a booking
  kNotFound,         // abandoned: never given to anyone
};
ReleaseStep ForRelease(HoldState state);

enum class ConfirmStep {
  kBegin,              // active and not expired: write active→confirming (+ the booking)
  kFinish,             // confirming (or aborting) for this order: carry it to its end
  kDone,               // confirmed for this order: answer the booking
  kRefuseExpired,      // active but expired, or lapsed: "hold expired"
  kRefuseOtherOrder,   // confirming/confirmed/aborting for another order
  kRefuseNotFound,     // releasing, released, abandoned: "hold not found"
};
// `same_order`: the record's order id is the caller's. `expired`: the hold's
// expires_at has passed on this instance's clock.
ConfirmStep ForConfirm(HoldState state, bool same_order, bool expired);

enum class CancelStep {
  kBegin,               // confirmed: write confirmed→cancelling, then free the seats
  kFinish,              // cancelling: free the seats, write cancelling→cancelled
  kDone,                // cancelled: nothing booked, success
  kFinishConfirmFirst,  // pending: a confirm is under way or was cut; finish it first
};
CancelStep ForCancel(BookingState state);

// After a confirm has tried to book every seat of the hold.
enum class BookingOutcome {
  kCommit,  // every seat booked: confirming→confirmed, pending→confirmed
  kAbort,   // some seat is definitely lost: confirming→aborting, undo, →lapsed/cancelled
  kRetry,   // some outcome unknown (an error): leave it confirming for a retry or the repairer
};
BookingOutcome AfterBooking(int seats, int booked, int lost, int unknown);

// What the repairer does with an intent older than its minimum age.
enum class IntentKind : uint8_t { kHold = 0, kRelease = 1, kConfirm = 2, kCancel = 3 };
std::string_view IntentKindName(IntentKind kind);
std::optional<IntentKind> IntentKindFromName(std::string_view name);

enum class RepairStep {
  kNothing,        // the operation reached a state that needs nothing more: drop the intent
  kFenceAbandoned, // hold intent, no record: write `abandoned` if still no record, then free seats
  kFreeAbandoned,  // hold intent, record abandoned: free the seats it may hold
  kFinishRelease,  // release intent, record releasing
  kFinishConfirm,  // confirm intent, record confirming or aborting
  kFinishCancel,   // cancel intent, booking cancelling
};
// `hold` is the hold record's state (nullopt: no record); `booking` the
// booking's, for cancel intents.
RepairStep ForRepair(IntentKind kind, std::optional<HoldState> hold, std::optional<BookingState> booking);

}  // namespace inventory::domain
