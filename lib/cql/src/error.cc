#include "cql/error.h"

#include "absl_compat.h"
#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "error_response.h"
#include "request_writer.h"

namespace cql {
namespace {
// Payload key under which the ERROR body (re-encoded, §9 layout) is kept.
constexpr std::string_view kPayloadUrl = "type.inventory/cql.ServerError";
}  // namespace

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kServerError: return "Server_error";
    case ErrorCode::kProtocolError: return "Protocol_error";
    case ErrorCode::kBadCredentials: return "Authentication_error";
    case ErrorCode::kUnavailable: return "Unavailable";
    case ErrorCode::kOverloaded: return "Overloaded";
    case ErrorCode::kIsBootstrapping: return "Is_bootstrapping";
    case ErrorCode::kTruncateError: return "Truncate_error";
    case ErrorCode::kWriteTimeout: return "Write_timeout";
    case ErrorCode::kReadTimeout: return "Read_timeout";
    case ErrorCode::kReadFailure: return "Read_failure";
    case ErrorCode::kFunctionFailure: return "Function_failure";
    case ErrorCode::kWriteFailure: return "Write_failure";
    case ErrorCode::kSyntaxError: return "Syntax_error";
    case ErrorCode::kUnauthorized: return "Unauthorized";
    case ErrorCode::kInvalid: return "Invalid";
    case ErrorCode::kConfigError: return "Config_error";
    case ErrorCode::kAlreadyExists: return "Already_exists";
    case ErrorCode::kUnprepared: return "Unprepared";
  }
  return "Unknown";
}

absl::StatusCode StatusCodeFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kUnavailable:
    case ErrorCode::kOverloaded:
    case ErrorCode::kIsBootstrapping:
    case ErrorCode::kTruncateError:
    case ErrorCode::kReadFailure:
    case ErrorCode::kWriteFailure:
      return absl::StatusCode::kUnavailable;
    case ErrorCode::kWriteTimeout:
    case ErrorCode::kReadTimeout:
      return absl::StatusCode::kDeadlineExceeded;
    case ErrorCode::kSyntaxError:
    case ErrorCode::kInvalid:
    case ErrorCode::kConfigError:
    case ErrorCode::kFunctionFailure:
      return absl::StatusCode::kInvalidArgument;
    case ErrorCode::kUnauthorized:
      return absl::StatusCode::kPermissionDenied;
    case ErrorCode::kBadCredentials:
      return absl::StatusCode::kUnauthenticated;
    case ErrorCode::kAlreadyExists:
      return absl::StatusCode::kAlreadyExists;
    case ErrorCode::kUnprepared:
      return absl::StatusCode::kFailedPrecondition;
    case ErrorCode::kServerError:
    case ErrorCode::kProtocolError:
      return absl::StatusCode::kInternal;
  }
  return absl::StatusCode::kInternal;
}

absl::Status ServerErrorToStatus(const ServerError& e) {
  std::string message = absl::StrCat("CQL ", internal::Sv(ErrorCodeName(e.code)), " (0x", absl::Hex(static_cast<int32_t>(e.code)),
                                     "): ", e.message);
  switch (e.code) {
    case ErrorCode::kUnavailable:
      absl::StrAppend(&message, " [consistency ", internal::Sv(ConsistencyName(e.consistency)), ", required ", e.required,
                      ", alive ", e.alive, "]");
      break;
    case ErrorCode::kWriteTimeout:
      absl::StrAppend(&message, " [consistency ", internal::Sv(ConsistencyName(e.consistency)), ", received ", e.received, "/",
                      e.block_for, ", write_type ", e.write_type, "]");
      break;
    case ErrorCode::kReadTimeout:
      absl::StrAppend(&message, " [consistency ", internal::Sv(ConsistencyName(e.consistency)), ", received ", e.received, "/",
                      e.block_for, ", data_present ", e.data_present, "]");
      break;
    case ErrorCode::kUnprepared:
      absl::StrAppend(&message, " [id ", absl::BytesToHexString(e.unprepared_id), "]");
      break;
    default:
      break;
  }
  absl::Status status(StatusCodeFor(e.code), message);
  std::string body;
  internal::RequestWriter w(&body);
  internal::EncodeErrorBody(e, w);
  if (w.status().ok()) status.SetPayload(internal::Sv(kPayloadUrl), absl::Cord(std::move(body)));
  return status;
}

std::optional<ServerError> ServerErrorOf(const absl::Status& status) {
  if (status.ok()) return std::nullopt;
  auto payload = status.GetPayload(internal::Sv(kPayloadUrl));
  if (!payload) return std::nullopt;
  auto decoded = internal::DecodeErrorBody(std::string(*payload));
  if (!decoded.ok()) return std::nullopt;
  return std::move(decoded).value();
}

bool IsCasWriteTimeout(const absl::Status& status) {
  auto e = ServerErrorOf(status);
  return e && e->code == ErrorCode::kWriteTimeout && e->write_type == "CAS";
}

}  // namespace cql
