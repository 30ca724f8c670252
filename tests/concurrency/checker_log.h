// The checker's log of client calls (DESIGN.md §6): one Op per gRPC call a
// checker client made, with when it started and ended and what the service
// answered. The rules (checker_rules.h) read nothing else about the clients.
//
// An outcome is ACKNOWLEDGED when the service answered definitively: success,
// a business refusal (OK with success=false) or a definitive gRPC error such
// as FAILED_PRECONDITION. Any other error (UnknownCode) leaves the outcome
// unknown: the call may or may not have taken effect, and if the client gave
// up on it (MayStillRun) the server may still be working on it.
//
// Plain values; no synchronisation (each client thread fills its own ops,
// merged and sorted by `seq` afterwards).
#pragma once

#include <grpcpp/support/status_code_enum.h>
#include <grpcpp/support/status.h>

#include <cstdint>
#include <string>
#include <vector>

#include "inventory/v1/inventory.pb.h"

namespace inventory::checker {

// The call an Op records.
enum class Kind { kHold, kConfirm, kRelease, kCancel };

// "hold", "confirm", "release", "cancel".
const char* KindName(Kind k);

// Acknowledged success, acknowledged refusal (OK + success=false),
// acknowledged rejection (a definitive gRPC error such as FAILED_PRECONDITION),
// or unknown (the call may or may not have taken effect).
enum class Outcome { kSuccess, kRefused, kRejected, kUnknown };

// "UNAVAILABLE", "DEADLINE_EXCEEDED", … for the codes the checker meets,
// "code <n>" for the others.
std::string CodeName(grpc::StatusCode c);

// True when a call that ended with `c` has an unknown outcome (UNAVAILABLE,
// DEADLINE_EXCEEDED, CANCELLED, UNKNOWN, INTERNAL, ABORTED,
// RESOURCE_EXHAUSTED); false for OK and the definitive rejections.
bool UnknownCode(grpc::StatusCode c);

// True when the server may still be working on a call that ended with `c`:
// the client gave up on it (DEADLINE_EXCEEDED, CANCELLED, UNKNOWN).
bool MayStillRun(grpc::StatusCode c);

// Wall-clock time (system_clock) in milliseconds since the Unix epoch: the
// clock of Op times, snapshot read times and the service's expiries.
int64_t NowMs();

// One call by one client.
struct Op {
  uint64_t seq = 0;  // global order in which calls were begun, from 1
  int client = 0;
  int instance = 0;  // the instance the call was sent to
  Kind kind = Kind::kHold;
  std::string user;
  std::string hold_id;  // hold: set on success; others: the hold acted on
  std::vector<std::string> seats;
  int first = 0, last = 0;  // hold: the journey's first and last segment
  int duration_s = 0;       // hold
  int64_t request_start_ms = 0;  // hold: start of the first attempt of this request
  int64_t start_ms = 0, end_ms = 0;
  Outcome outcome = Outcome::kUnknown;
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string message;  // the gRPC error message (truncated by the client)
  v1::FailureReason reason = v1::FAILURE_REASON_UNSPECIFIED;
  std::vector<std::string> failed_seats;  // refused hold: the answer's failed_seat_ids
  int64_t expires_at_ms = 0;  // hold success
  std::string booking_id;     // confirm success; cancel: the booking cancelled
  int released_count = 0;
  bool no_effect = false;  // sent to the killed instance after it died: provably did nothing
  std::string note;        // what the client meant (e.g. "after expiry")

  // An Op of `kind` numbered `seq` by `client` via `instance` for `user`,
  // begun now (start_ms).
  static Op Begin(uint64_t seq, int client, int instance, Kind kind, const std::string& user);

  // Records how the call ended: end_ms and code, and for an error its message
  // (truncated to 120 characters) and outcome (unknown or rejected, by
  // UnknownCode).
  void Finish(const grpc::Status& st);

  // Records what an answered HoldSeats said (success with its hold, or a
  // refusal with its reason and seats); notes when the seats held are not
  // the seats asked for. For an `st` that is not OK it does nothing.
  void TakeHoldAnswer(const grpc::Status& st, const v1::HoldSeatsResponse& resp);
  // The same for ConfirmBooking (success with its booking id, or a refusal
  // with its reason); notes when the seats confirmed are not the seats asked
  // for.
  void TakeConfirmAnswer(const grpc::Status& st, const v1::ConfirmBookingResponse& resp);
  // The same for ReleaseSeats and CancelBooking: success or refusal, the
  // reason and the released count.
  void TakeReleaseAnswer(const grpc::Status& st, const v1::ReleaseSeatsResponse& resp);
  void TakeCancelAnswer(const grpc::Status& st, const v1::CancelBookingResponse& resp);

  // One line: seq, kind, client, instance, user, hold, seats, journey (hold),
  // times, outcome, expiry, note. Does not show failed_seats.
  std::string Describe() const;
};

// Sleeps until every hold any of `ops` could have made has expired, and
// 1.5 s more.
void WaitPastEveryExpiry(const std::vector<Op>& ops);

}  // namespace inventory::checker
