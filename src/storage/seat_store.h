// The inventory's durable state, as semantic operations.
//
// Every method says what it means ("hold this seat over these segments if it
// is free", "move this hold from active to releasing"), never how; the CQL
// backend (storage/cql/) makes each seat write one lightweight transaction
// over the seat's own partition and each step of a hold's life one
// conditional write over the user's partition. An embedded backend can be
// added beside it.
//
// Outcomes that are business answers (a seat was taken, a step did not apply
// because the hold had moved on) are values of the result types; a Status
// error means the store could not answer (UNAVAILABLE, DEADLINE_EXCEEDED) or
// the request was malformed. After an error from a write, the write may or
// may not have been applied. "Unknown outcome" of a conditional write (a CAS
// write timeout, a lost connection) is settled by a linearizable read before
// returning whenever that read answers; only when it does not is the error
// returned.
//
// The life of a hold and a booking is domain/lifecycle.h. Operations that
// take several steps announce themselves first with an Intent, which the
// repairer finds if the operation never finishes.
//
// Threading: implementations are used from coroutines on the service's
// io_context; see each implementation for its executor contract.
// Lifetimes: parameters are taken by value (they live in the coroutine frame)
// except the trip definition of CreateTrip, which must outlive the awaited
// call.
#pragma once

#include <asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "domain/journey.h"
#include "domain/lifecycle.h"
#include "domain/seat_status.h"
#include "domain/trip.h"
#include "domain/trip_snapshot.h"

namespace inventory::storage {

struct TripRef {
  std::string organization_id;
  std::string trip_id;
};

enum class CreateTripOutcome { kCreated, kUnchanged, kConflict };

// What a hold of one seat found when it did not win the seat.
struct SeatClaim {
  bool applied = false;
  // When not applied: the seat's status over the range (booked > blocked >
  // held) and, for held, by which hold and user, until when; for booked, by
  // which booking and user.
  domain::SeatStatus blocking = domain::SeatStatus::kAvailable;
  std::string holder_hold_id;
  std::string holder_user_id;
  std::string holder_booking_id;
  int64_t holder_expires_at_ms = 0;
  // When not applied and the refusal rests on a read of the database made
  // by this call: the seat's states on every segment as read (else empty:
  // the refusal rests on the caller's belief).
  std::vector<domain::SegmentState> read;
};

struct HoldRecord {
  std::string hold_id;
  std::string organization_id;
  std::string user_id;
  std::string trip_id;
  std::string session_id;
  std::string request_key;  // same request => same key
  std::vector<std::string> seat_ids;
  domain::SegmentRange range;
  int64_t created_at_ms = 0;
  int64_t expires_at_ms = 0;
  domain::HoldState state = domain::HoldState::kActive;
  std::string order_id;    // from confirming on
  std::string booking_id;  // from confirming on
};

struct Passenger {
  std::string seat_id;
  std::string nid;
  std::string name;
};

struct BookingRecord {
  std::string booking_id;
  std::string hold_id;
  std::string order_id;
  std::string organization_id;
  std::string user_id;
  std::string trip_id;
  std::vector<std::string> seat_ids;
  std::vector<std::string> seat_numbers;
  std::vector<std::string> ticket_ids;
  std::vector<Passenger> passengers;
  domain::SegmentRange range;
  int64_t created_at_ms = 0;
  domain::BookingState state = domain::BookingState::kPending;
};

enum class LimitOutcome { kRecorded, kLimitReached };

// Where the store keeps an intent; opaque to callers, handed back to
// DropIntents.
struct IntentKey {
  int64_t window = 0;
  int32_t shard = 0;
  std::string id;
};

// An operation under way, recorded before its first step. For a hold: the
// seats and range it is taking, so that a repairer can free them.
struct Intent {
  domain::IntentKind kind = domain::IntentKind::kHold;
  std::string organization_id;
  std::string user_id;
  std::string trip_id;
  std::string hold_id;     // every kind (cancel: the booking's hold)
  std::string booking_id;  // cancel
  std::vector<std::string> seat_ids;
  domain::SegmentRange range;
  int64_t expires_at_ms = 0;
  int64_t created_at_ms = 0;  // REQUIRES set before recording
  IntentKey key;              // set by the store when recorded or read
};

// One step of a hold's (and its booking's) life, written as one conditional
// write naming the states it leaves (domain::HoldTransitionAllowed and
// BookingTransitionAllowed must allow it).
struct LedgerStep {
  std::string organization_id;
  std::string user_id;
  std::string hold_id;
  // The hold row moves from `hold_from` to `hold_to` (both or neither set).
  std::optional<domain::HoldState> hold_from;
  std::optional<domain::HoldState> hold_to;
  // The booking row `booking_id` moves from `booking_from` to `booking_to`;
  // with `new_booking` set (and booking_from unset) it is created as
  // booking_to. Unset booking_to: the booking row is untouched.
  std::string booking_id;
  std::optional<domain::BookingState> booking_from;
  std::optional<domain::BookingState> booking_to;
  std::optional<BookingRecord> new_booking;
  // Written on the hold row with the step (confirming names its order).
  std::string order_id;
  // The hold stops counting against the user's limit.
  bool end_live = false;
};

struct LedgerResult {
  // True if the step is in place: applied by this call, or (after an
  // unknown outcome) a SERIAL read shows exactly its target states and,
  // when it names one, its order id.
  bool applied = false;
  // When not applied: the records as a SERIAL read found them.
  std::optional<HoldRecord> hold;
  std::optional<BookingRecord> booking;
};

struct WaitlistEntry {
  std::string entry_id;  // time-ordered
  std::string organization_id;
  std::string trip_id;
  std::string user_id;
  std::string seat_class;
  int32_t requested_seats = 0;
  std::string status;  // "pending"
  int64_t created_at_ms = 0;
  int32_t position = 0;  // 1-based among pending entries, filled by reads
};

class SeatStore {
 public:
  virtual ~SeatStore() = default;

  // --- Trips ---

  // Stores the definition with every (seat, segment) available, each seat's
  // rows written only where none exist (so a later hold or booking is never
  // overwritten, whatever any clock says). Re-sending the same definition
  // completes an interrupted load and changes nothing else (kUnchanged); a
  // different one for an existing trip is kConflict and touches nothing.
  // REQUIRES: domain::ValidateTrip(trip).ok().
  virtual asio::awaitable<absl::StatusOr<CreateTripOutcome>> CreateTrip(const domain::TripDefinition& trip) = 0;

  // The whole trip: definition plus every seat's state on every segment.
  // NOT_FOUND for an unknown (or not fully loaded) trip.
  virtual asio::awaitable<absl::StatusOr<std::shared_ptr<domain::TripSnapshot>>> LoadSnapshot(TripRef trip) = 0;

  // --- Seats: each call is one conditional write of one seat's partition ---

  // Holds the seat on every segment of `range` for `hold_id` if it is free
  // there (available, or held by a hold that expired and may be reclaimed:
  // see the implementation's reclaim rule). `believed` is the caller's view
  // of the seat's segments (may be stale or empty); it only phrases the
  // first attempt's condition.
  virtual asio::awaitable<absl::StatusOr<SeatClaim>> HoldSeat(TripRef trip, std::string seat_id,
                                                              domain::SegmentRange range, std::string hold_id,
                                                              std::string user_id, int64_t expires_at_ms,
                                                              std::vector<domain::SegmentState> believed) = 0;

  // Frees the segments of `range` still held by `hold_id`. True if the seat
  // was freed by this call (false: it was not held by it).
  virtual asio::awaitable<absl::StatusOr<bool>> ReleaseSeat(TripRef trip, std::string seat_id,
                                                            domain::SegmentRange range, std::string hold_id) = 0;

  // Turns the hold of `hold_id` on `range` into a booking. True if the seat
  // is booked by `booking_id` afterwards (by this call or before); false if
  // the hold no longer owns it.
  virtual asio::awaitable<absl::StatusOr<bool>> BookSeat(TripRef trip, std::string seat_id,
                                                         domain::SegmentRange range, std::string hold_id,
                                                         std::string booking_id) = 0;

  // Frees the segments booked by `booking_id`. True if freed by this call.
  virtual asio::awaitable<absl::StatusOr<bool>> UnbookSeat(TripRef trip, std::string seat_id,
                                                           domain::SegmentRange range, std::string booking_id) = 0;

  // Blocks (or unblocks) the seat on every segment, only where nothing is
  // held or booked (a reclaimable expired hold counts as free). True if
  // changed.
  virtual asio::awaitable<absl::StatusOr<bool>> SetBlocked(TripRef trip, std::string seat_id, int segment_count,
                                                           bool blocked, std::string reason) = 0;

  // --- Intents: operations under way ---

  // Intents are kept in windows of this many milliseconds of created_at.
  virtual int64_t IntentWindowMs() const = 0;
  // Records `intent` (sets intent.key).
  virtual asio::awaitable<absl::Status> RecordIntent(Intent& intent) = 0;
  // Forgets intents whose operations are over. Idempotent.
  virtual asio::awaitable<absl::Status> DropIntents(std::vector<IntentKey> keys) = 0;
  // Every intent recorded in window `window` (created_at_ms / IntentWindowMs()).
  virtual asio::awaitable<absl::StatusOr<std::vector<Intent>>> IntentsIn(int64_t window) = 0;
  // Progress shared by every instance's repairer: no window before the
  // answer holds an intent left to repair (nullopt: never recorded).
  virtual asio::awaitable<absl::StatusOr<std::optional<int64_t>>> RepairedBefore() = 0;
  virtual asio::awaitable<absl::Status> SetRepairedBefore(int64_t window) = 0;

  // --- Holds ---

  // The start of a hold: records `intent` (kind hold, sets intent.key) and a
  // marker that the hold counts against the user's limit, in one atomic
  // write; then counts the user's live markers. Over `max_live` (this one
  // included) it answers kLimitReached, leaving the marker for the caller to
  // remove (EndLive) and the intent for it to drop. Race-free across any number of
  // instances: of holds over the limit at the same time, the last to count
  // sees them all. Holds of one user racing each other may all be refused;
  // the limit is never exceeded.
  virtual asio::awaitable<absl::StatusOr<LimitOutcome>> BeginHold(Intent& intent, int max_live) = 0;
  // Removes a hold's live marker (a hold that was not made, or is over).
  virtual asio::awaitable<absl::Status> EndLive(std::string organization_id, std::string user_id,
                                                std::string hold_id) = 0;
  // Writes the hold's record, as `record.state` (active or abandoned), only
  // if the hold has no record yet. Applied: it is ours. Not applied: the
  // record that was there.
  virtual asio::awaitable<absl::StatusOr<LedgerResult>> CreateHoldRecord(HoldRecord record) = 0;
  // The hold record, if this user of this organisation has it; `serial`
  // reads at SERIAL consistency (sees every applied step).
  virtual asio::awaitable<absl::StatusOr<std::optional<HoldRecord>>> GetHold(std::string organization_id,
                                                                             std::string user_id,
                                                                             std::string hold_id, bool serial) = 0;
  virtual asio::awaitable<absl::StatusOr<std::optional<BookingRecord>>> GetBooking(std::string organization_id,
                                                                                   std::string user_id,
                                                                                   std::string booking_id) = 0;
  // Applies one step of a hold's life (see LedgerStep / LedgerResult).
  virtual asio::awaitable<absl::StatusOr<LedgerResult>> Step(LedgerStep step) = 0;

  // --- Waitlist ---

  // Adds the user to the trip's (and class's) FIFO unless already there;
  // returns the entry with its current position either way.
  virtual asio::awaitable<absl::StatusOr<WaitlistEntry>> JoinWaitlist(WaitlistEntry entry) = 0;
  // The user's entries (all organisations when organization_id is empty),
  // each with its current position.
  virtual asio::awaitable<absl::StatusOr<std::vector<WaitlistEntry>>> UserWaitlist(std::string user_id,
                                                                                  std::string organization_id) = 0;

  // --- Time ---

  // The database's clock (unix ms), read once; for measuring the skew of
  // this instance's clock.
  virtual asio::awaitable<absl::StatusOr<int64_t>> DatabaseNowMs() = 0;
};

}  // namespace inventory::storage
