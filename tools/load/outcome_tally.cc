#include "outcome_tally.h"

#include <string>

namespace inventory::load {
namespace {

constexpr std::string_view kContentionPrefix = "seat query contention";
constexpr std::string_view kNotAvailablePrefix = "some seats not available";
constexpr std::string_view kOtherDetail = "(other)";

bool StartsWith(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

}  // namespace

std::string_view OutcomeKindName(OutcomeKind kind) {
  switch (kind) {
    case OutcomeKind::kSuccess:
      return "success";
    case OutcomeKind::kContention:
      return "contention";
    case OutcomeKind::kNotAvailable:
      return "not_available";
    case OutcomeKind::kOtherRefusal:
      return "other_refusal";
    case OutcomeKind::kError:
      return "error";
  }
  return "error";
}

std::string StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "CODE_" + std::to_string(static_cast<int>(code));
  }
}

Outcome ClassifyHoldSeats(const grpc::Status& status, const inventory::v1::HoldSeatsResponse& response) {
  if (!status.ok()) return Outcome{OutcomeKind::kError, status.error_code(), status.error_message()};
  if (response.success()) return Outcome{OutcomeKind::kSuccess, grpc::StatusCode::OK, ""};
  const std::string& text = response.failure_reason();
  OutcomeKind kind = OutcomeKind::kOtherRefusal;
  switch (response.reason()) {
    case inventory::v1::FAILURE_REASON_CONTENTION:
      kind = OutcomeKind::kContention;
      break;
    case inventory::v1::FAILURE_REASON_NOT_AVAILABLE:
      kind = OutcomeKind::kNotAvailable;
      break;
    case inventory::v1::FAILURE_REASON_UNSPECIFIED:
      // A server without the reason field: the text is all there is.
      if (StartsWith(text, kContentionPrefix)) {
        kind = OutcomeKind::kContention;
      } else if (StartsWith(text, kNotAvailablePrefix)) {
        kind = OutcomeKind::kNotAvailable;
      }
      break;
    default:
      break;
  }
  std::string detail = text;
  if (kind == OutcomeKind::kOtherRefusal && response.reason() != inventory::v1::FAILURE_REASON_UNSPECIFIED) {
    detail = inventory::v1::FailureReason_Name(response.reason()) + (text.empty() ? "" : ": " + text);
  }
  return Outcome{kind, grpc::StatusCode::OK, std::move(detail)};
}

void OutcomeTally::AddDetail(std::map<std::string, uint64_t>& details, const std::string& detail) {
  const std::string key = detail.empty() ? std::string("(no reason given)") : detail;
  auto it = details.find(key);
  if (it != details.end()) {
    ++it->second;
  } else if (details.size() < kMaxDistinctDetails) {
    details.emplace(key, 1);
  } else {
    ++details[std::string(kOtherDetail)];
  }
}

void OutcomeTally::Add(const Outcome& outcome) {
  ++total_;
  switch (outcome.kind) {
    case OutcomeKind::kSuccess:
      ++success_;
      break;
    case OutcomeKind::kContention:
      ++contention_;
      break;
    case OutcomeKind::kNotAvailable:
      ++not_available_;
      break;
    case OutcomeKind::kOtherRefusal:
      ++other_refusal_;
      AddDetail(other_refusal_details_, outcome.detail);
      break;
    case OutcomeKind::kError:
      ++errors_;
      ++errors_by_code_[outcome.code];
      AddDetail(error_details_[StatusCodeName(outcome.code)], outcome.detail);
      break;
  }
}

}  // namespace inventory::load
