// ERROR message body codec (native_protocol_v4.spec §4.2.1, §9):
//   <code:[int]><message:[string]> followed by code-specific fields.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "cql/error.h"
#include "request_writer.h"

namespace cql::internal {

// Decodes an ERROR body. Unknown codes decode with just code and message
// (forward compatible); truncated code-specific fields are an error.
absl::StatusOr<ServerError> DecodeErrorBody(std::string_view body);

// Encodes `error` as an ERROR body (the inverse of DecodeErrorBody). Used
// for the Status payload and by tests.
void EncodeErrorBody(const ServerError& error, RequestWriter& writer);

// The Status for an ERROR body: ServerErrorToStatus() of the decoded error,
// or INTERNAL if the body is malformed.
absl::Status ErrorBodyToStatus(std::string_view body);

}  // namespace cql::internal
