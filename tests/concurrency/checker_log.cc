#include "checker_log.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include <chrono>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace inventory::checker {

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kHold:
      return "hold";
    case Kind::kConfirm:
      return "confirm";
    case Kind::kRelease:
      return "release";
    case Kind::kCancel:
      return "cancel";
  }
  return "?";
}

std::string CodeName(grpc::StatusCode c) {
  switch (c) {
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    default:
      return absl::StrCat("code ", static_cast<int>(c));
  }
}

bool UnknownCode(grpc::StatusCode c) {
  return c == grpc::StatusCode::UNAVAILABLE || c == grpc::StatusCode::DEADLINE_EXCEEDED ||
         c == grpc::StatusCode::CANCELLED || c == grpc::StatusCode::UNKNOWN || c == grpc::StatusCode::INTERNAL ||
         c == grpc::StatusCode::ABORTED || c == grpc::StatusCode::RESOURCE_EXHAUSTED;
}

bool MayStillRun(grpc::StatusCode c) {
  return c == grpc::StatusCode::DEADLINE_EXCEEDED || c == grpc::StatusCode::CANCELLED ||
         c == grpc::StatusCode::UNKNOWN;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Op Op::Begin(uint64_t seq, int client, int instance, Kind kind, const std::string& user) {
  Op op;
  op.seq = seq;
  op.client = client;
  op.instance = instance;
  op.kind = kind;
  op.user = user;
  op.start_ms = NowMs();
  return op;
}

void Op::Finish(const grpc::Status& st) {
  end_ms = NowMs();
  code = st.error_code();
  if (!st.ok()) {
    message = st.error_message().substr(0, 120);
    outcome = UnknownCode(st.error_code()) ? Outcome::kUnknown : Outcome::kRejected;
  }
}

void Op::TakeHoldAnswer(const grpc::Status& st, const v1::HoldSeatsResponse& resp) {
  if (!st.ok()) return;
  if (resp.success()) {
    outcome = Outcome::kSuccess;
    hold_id = resp.hold_id();
    expires_at_ms = resp.expires_at() * 1000;
    std::set<std::string> got(resp.held_seat_ids().begin(), resp.held_seat_ids().end());
    if (got != std::set<std::string>(seats.begin(), seats.end())) note += " HELD-SEATS-MISMATCH";
  } else {
    outcome = Outcome::kRefused;
    reason = resp.reason();
    failed_seats.assign(resp.failed_seat_ids().begin(), resp.failed_seat_ids().end());
  }
}

void Op::TakeConfirmAnswer(const grpc::Status& st, const v1::ConfirmBookingResponse& resp) {
  if (!st.ok()) return;
  if (resp.success()) {
    outcome = Outcome::kSuccess;
    booking_id = resp.booking_id();
    std::set<std::string> got;
    for (const v1::ConfirmedSeat& c : resp.confirmed_seats()) got.insert(c.seat_id());
    if (got != std::set<std::string>(seats.begin(), seats.end())) note += " CONFIRMED-SEATS-MISMATCH";
  } else {
    outcome = Outcome::kRefused;
    reason = resp.reason();
  }
}

void Op::TakeReleaseAnswer(const grpc::Status& st, const v1::ReleaseSeatsResponse& resp) {
  if (!st.ok()) return;
  outcome = resp.success() ? Outcome::kSuccess : Outcome::kRefused;
  reason = resp.reason();
  released_count = resp.released_count();
}

void Op::TakeCancelAnswer(const grpc::Status& st, const v1::CancelBookingResponse& resp) {
  if (!st.ok()) return;
  outcome = resp.success() ? Outcome::kSuccess : Outcome::kRefused;
  reason = resp.failure();
  released_count = resp.released_count();
}

std::string Op::Describe() const {
  std::string o;
  switch (outcome) {
    case Outcome::kSuccess:
      o = "SUCCESS";
      break;
    case Outcome::kRefused:
      o = absl::StrCat("refused(", v1::FailureReason_Name(reason), ")");
      break;
    case Outcome::kRejected:
      o = absl::StrCat("rejected(", CodeName(code), ": ", message, ")");
      break;
    case Outcome::kUnknown:
      o = absl::StrCat("UNKNOWN(", CodeName(code), ": ", message, ")");
      break;
  }
  return absl::StrCat("#", seq, " ", KindName(kind), " client ", client, " via inst", instance, " user ", user,
                      " hold ", hold_id.empty() ? "-" : hold_id, " seats [", absl::StrJoin(seats, ","), "]",
                      kind == Kind::kHold ? absl::StrCat(" seg ", first, "..", last) : std::string(), " t=[",
                      start_ms, ",", end_ms, "] -> ", o,
                      expires_at_ms ? absl::StrCat(" expires ", expires_at_ms) : "", note.empty() ? "" : " ", note,
                      no_effect ? " (instance dead)" : "");
}

void WaitPastEveryExpiry(const std::vector<Op>& ops) {
  int64_t latest_expiry = 0;
  for (const Op& op : ops) {
    if (op.kind == Kind::kHold) latest_expiry = std::max(latest_expiry, (op.end_ms / 1000 + op.duration_s + 1) * 1000);
  }
  while (NowMs() < latest_expiry + 1500) std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

}  // namespace inventory::checker
