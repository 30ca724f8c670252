// CQL server errors (ERROR responses, native_protocol_v4.spec §4.2.1 and §9)
// and how they appear as absl::Status.
//
// Every failure of this library is an absl::Status whose canonical code says
// what the caller should do next:
//   UNAVAILABLE        Unavailable, Overloaded, Is_bootstrapping,
//                      Truncate_error, Read/Write_failure, connect failures,
//                      broken connections, reconnect backoff. Retry later.
//   DEADLINE_EXCEEDED  Write_timeout, Read_timeout, client-side request
//                      timeout. A timed-out write (notably an LWT with
//                      write_type "CAS") MAY still apply: resolve with a
//                      SERIAL read, do not blindly retry.
//   INVALID_ARGUMENT   Syntax_error, Invalid, Config_error, Function_failure,
//                      client-side bind errors.
//   PERMISSION_DENIED  Unauthorized.
//   UNAUTHENTICATED    Authentication error, or credentials required but not
//                      configured.
//   ALREADY_EXISTS     Already_exists.
//   FAILED_PRECONDITION Unprepared (only if transparent re-prepare failed).
//   INTERNAL           Server_error, Protocol_error, malformed responses.
//
// Statuses built from a server ERROR additionally carry a payload; use
// ServerErrorOf() to get the structured details back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "cql/consistency.h"

namespace cql {

// Error codes of §9.
enum class ErrorCode : int32_t {
  kServerError = 0x0000,
  kProtocolError = 0x000A,
  kBadCredentials = 0x0100,
  kUnavailable = 0x1000,
  kOverloaded = 0x1001,
  kIsBootstrapping = 0x1002,
  kTruncateError = 0x1003,
  kWriteTimeout = 0x1100,
  kReadTimeout = 0x1200,
  kReadFailure = 0x1300,
  kFunctionFailure = 0x1400,
  kWriteFailure = 0x1500,
  kSyntaxError = 0x2000,
  kUnauthorized = 0x2100,
  kInvalid = 0x2200,
  kConfigError = 0x2300,
  kAlreadyExists = 0x2400,
  kUnprepared = 0x2500,
};

// "Write_timeout" etc.; "Unknown" for codes outside §9.
std::string_view ErrorCodeName(ErrorCode code);

// The decoded body of an ERROR message. Only the fields relevant to `code`
// are meaningful; the others keep their defaults.
struct ServerError {
  ErrorCode code = ErrorCode::kServerError;
  std::string message;

  // Unavailable, Write/Read_timeout, Read/Write_failure.
  Consistency consistency = Consistency::kAny;
  // Unavailable: <required>/<alive>.
  int32_t required = 0;
  int32_t alive = 0;
  // Timeouts and failures: <received>/<blockfor>.
  int32_t received = 0;
  int32_t block_for = 0;
  // Read/Write_failure: <numfailures>.
  int32_t num_failures = 0;
  // Write_timeout/Write_failure: "SIMPLE", "BATCH", "CAS", ...
  std::string write_type;
  // Read_timeout/Read_failure.
  bool data_present = false;
  // Already_exists (table empty for a keyspace) and Function_failure.
  std::string keyspace;
  std::string table;
  std::string function;
  std::vector<std::string> arg_types;
  // Unprepared: the unknown statement id (raw bytes).
  std::string unprepared_id;
};

// The canonical status code for a server error code (table above).
absl::StatusCode StatusCodeFor(ErrorCode code);

// Builds the Status for a server error: canonical code, a message naming the
// CQL error and the server's text, and the structured payload.
absl::Status ServerErrorToStatus(const ServerError& error);

// The structured server error carried by `status`, or nullopt if the status
// did not come from a server ERROR response (e.g. a connection failure or a
// client-side timeout).
std::optional<ServerError> ServerErrorOf(const absl::Status& status);

// True iff `status` is a server Write_timeout whose write_type is "CAS": the
// outcome of the LWT is unknown and must be settled by a SERIAL read.
bool IsCasWriteTimeout(const absl::Status& status);

}  // namespace cql
