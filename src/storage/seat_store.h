// The inventory's durable state, as semantic operations.
//
// Every method says what it means ("hold this seat over these segments if it
// is free"), never how; the CQL backend (storage/cql/) makes each seat write
// one lightweight transaction over the seat's own partition. An embedded
// backend can be added beside it.
//
// Outcomes that are business answers (a seat was taken, a hold is unknown)
// are values of the result types; a Status error means the store could not
// answer (UNAVAILABLE, DEADLINE_EXCEEDED) or the request was malformed.
// "Unknown outcome" never escapes: a write whose fate the database left open
// (a CAS write timeout) is resolved by a linearizable read before returning.
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
#include "domain/seat_status.h"
#include "domain/trip.h"
#include "domain/trip_snapshot.h"

namespace inventory::storage {

struct TripRef {
  std::string organization_id;
  std::string trip_id;
};

enum class CreateTripOutcome { kCreated, kUnchanged, kConflict };

// A seat's per-segment state as the store last saw it, used to phrase the
// conditions of the next write (the condition is the check).
struct SeatClaim {
  bool applied = false;
  // When not applied: the seat's status over the range (booked > blocked >
  // held) and, for held, by which hold and user, until when.
  domain::SeatStatus blocking = domain::SeatStatus::kAvailable;
  std::string holder_hold_id;
  std::string holder_user_id;
  int64_t holder_expires_at_ms = 0;
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
  enum class State { kActive, kReleased, kConfirmed } state = State::kActive;
  std::string booking_id;  // when confirmed
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
  enum class State { kPending, kConfirmed, kCancelled } state = State::kPending;
};

enum class LimitOutcome { kRecorded, kLimitReached };

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

  // Stores the definition with every (seat, segment) available. Re-sending
  // the same definition completes an interrupted load and changes nothing
  // else (kUnchanged); a different one for an existing trip is kConflict and
  // touches nothing. REQUIRES: domain::ValidateTrip(trip).ok().
  virtual asio::awaitable<absl::StatusOr<CreateTripOutcome>> CreateTrip(const domain::TripDefinition& trip) = 0;

  // The whole trip: definition plus every seat's state on every segment.
  // NOT_FOUND for an unknown (or not fully loaded) trip.
  virtual asio::awaitable<absl::StatusOr<std::shared_ptr<domain::TripSnapshot>>> LoadSnapshot(TripRef trip) = 0;

  // --- Seats: each call is one conditional write of one seat's partition ---

  // Holds the seat on every segment of `range` for `hold_id` if it is free
  // there (available, or held by an expired hold). `believed` is the caller's
  // view of the seat's segments (may be stale or empty); it only phrases the
  // first attempt's condition.
  virtual asio::awaitable<absl::StatusOr<SeatClaim>> HoldSeat(TripRef trip, std::string seat_id,
                                                              domain::SegmentRange range, std::string hold_id,
                                                              std::string user_id, int64_t expires_at_ms,
                                                              std::vector<domain::SegmentState> believed) = 0;

  // Frees the segments of `range` still held by `hold_id`. Returns true if
  // the seat was freed by this call (false: it was not held by it).
  virtual asio::awaitable<absl::StatusOr<bool>> ReleaseSeat(TripRef trip, std::string seat_id,
                                                            domain::SegmentRange range, std::string hold_id) = 0;

  // Turns the hold of `hold_id` on `range` into a booking. True if booked by
  // this call or already booked by `booking_id`; false if the hold no longer
  // owns the seat.
  virtual asio::awaitable<absl::StatusOr<bool>> BookSeat(TripRef trip, std::string seat_id,
                                                         domain::SegmentRange range, std::string hold_id,
                                                         std::string booking_id) = 0;

  // Frees the segments booked by `booking_id`. True if freed by this call.
  virtual asio::awaitable<absl::StatusOr<bool>> UnbookSeat(TripRef trip, std::string seat_id,
                                                           domain::SegmentRange range, std::string booking_id) = 0;

  // Blocks (or unblocks) the seat on every segment, only where nothing is
  // held or booked (an expired hold counts as free). True if changed.
  virtual asio::awaitable<absl::StatusOr<bool>> SetBlocked(TripRef trip, std::string seat_id, int segment_count,
                                                           bool blocked, std::string reason) = 0;

  // --- Holds and the per-user limit ---

  // Stores the hold record if the user then has at most `max_live` live
  // holds (this one included); otherwise stores nothing and answers
  // kLimitReached. Race-free across any number of instances: the record is
  // written first and the user's live holds counted afterwards, so of any
  // holds over the limit at the same time the last one to count sees them
  // all and withdraws. Holds of one user racing each other may both
  // withdraw; the limit is never exceeded.
  virtual asio::awaitable<absl::StatusOr<LimitOutcome>> RecordHoldWithinLimit(HoldRecord hold, int max_live) = 0;

  // The hold record, if this user of this organisation has it.
  virtual asio::awaitable<absl::StatusOr<std::optional<HoldRecord>>> GetHold(std::string organization_id,
                                                                             std::string user_id,
                                                                             std::string hold_id) = 0;

  // Marks the hold released or confirmed; it no longer counts as live.
  virtual asio::awaitable<absl::Status> FinishHold(HoldRecord hold, HoldRecord::State state,
                                                   std::string booking_id) = 0;

  // --- Bookings ---

  // Stores the booking as pending if no booking with its id exists; returns
  // the stored booking (the existing one when there was one).
  virtual asio::awaitable<absl::StatusOr<BookingRecord>> CreateBooking(BookingRecord booking) = 0;
  virtual asio::awaitable<absl::StatusOr<std::optional<BookingRecord>>> GetBooking(std::string organization_id,
                                                                                   std::string user_id,
                                                                                   std::string booking_id) = 0;
  virtual asio::awaitable<absl::Status> SetBookingState(BookingRecord booking, BookingRecord::State state) = 0;

  // --- Waitlist ---

  // Adds the user to the trip's (and class's) FIFO unless already there;
  // returns the entry with its current position either way.
  virtual asio::awaitable<absl::StatusOr<WaitlistEntry>> JoinWaitlist(WaitlistEntry entry) = 0;
  // The user's entries (all organisations when organization_id is empty),
  // each with its current position.
  virtual asio::awaitable<absl::StatusOr<std::vector<WaitlistEntry>>> UserWaitlist(std::string user_id,
                                                                                  std::string organization_id) = 0;
};

}  // namespace inventory::storage
