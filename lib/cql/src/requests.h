// Request message encoders (native_protocol_v4.spec §4.1), one function per
// opcode. Each appends one complete frame with stream id 0 to *out; the
// connection patches the real stream id (PatchStreamId) when it sends.
// Sans-I/O. Failures (INVALID_ARGUMENT) leave *out in an unspecified state.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "cql/batch.h"
#include "query_parameters.h"

namespace cql::internal {

// §4.1.3 OPTIONS: empty body.
absl::Status EncodeOptions(std::string* out);

// §4.1.1 STARTUP: a [string map] of options (CQL_VERSION is mandatory).
absl::Status EncodeStartup(const std::vector<std::pair<std::string, std::string>>& options, std::string* out);

// §4.1.2 AUTH_RESPONSE: a [bytes] SASL token.
absl::Status EncodeAuthResponse(std::string_view token, std::string* out);

// SASL PLAIN token for PasswordAuthenticator: "\0user\0password".
std::string PlainAuthToken(std::string_view username, std::string_view password);

// §4.1.4 QUERY: <query:[long string]><query_parameters>.
absl::Status EncodeQuery(std::string_view query, const QueryParameters& params, std::string* out);

// §4.1.5 PREPARE: <query:[long string]>.
absl::Status EncodePrepare(std::string_view query, std::string* out);

// §4.1.6 EXECUTE: <id:[short bytes]><query_parameters>.
absl::Status EncodeExecute(std::string_view id, const QueryParameters& params, std::string* out);

// §4.1.7 BATCH:
//   <type><n><query_1>...<query_n><consistency><flags>[<serial>][<timestamp>]
// Prepared entries use their current id and are type-checked against their
// bind metadata. INVALID_ARGUMENT for an empty batch or > 65535 entries.
absl::Status EncodeBatch(const Batch& batch, Consistency consistency, std::optional<Consistency> serial_consistency,
                         std::optional<int64_t> default_timestamp, std::string* out);

// §4.1.8 REGISTER: a [string list] of event types ("TOPOLOGY_CHANGE",
// "STATUS_CHANGE", "SCHEMA_CHANGE"); the server answers READY and then pushes
// those events on stream -1 (§4.2.6; see EventMessage). The types are not
// checked here: the server rejects unknown ones with a protocol ERROR.
// INVALID_ARGUMENT for an empty list.
absl::Status EncodeRegister(const std::vector<std::string>& event_types, std::string* out);

}  // namespace cql::internal
