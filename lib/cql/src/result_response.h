// RESULT message body codec (native_protocol_v4.spec §4.2.5): Void, Rows,
// Set_keyspace, Prepared and Schema_change.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cql/result.h"
#include "response_reader.h"

namespace cql::internal {

// Result nesting/size limits that bound what hostile input can allocate.
inline constexpr int32_t kMaxColumns = 65535;

// <metadata> of §4.2.5.2. Fails on truncation, negative counts, or a column
// count that cannot fit in the remaining bytes.
absl::StatusOr<RowsMetadata> ReadRowsMetadata(ResponseReader& reader);

// <metadata><result_metadata> of §4.2.5.4 (after the [short bytes] id).
absl::StatusOr<PreparedMetadata> ReadPreparedBody(ResponseReader& reader);

// SCHEMA_CHANGE body (§4.2.5.5 / §4.2.6).
absl::StatusOr<SchemaChange> ReadSchemaChange(ResponseReader& reader);

// Builds cql::Result values (it is Result's friend).
class ResultBuilder {
 public:
  // Decodes a RESULT message that starts at `offset` of `body` (after any
  // tracing id / warnings / custom payload). Takes ownership of the body: a
  // Rows result keeps it and indexes its cells. Unknown kinds are an error.
  static absl::StatusOr<Result> Decode(std::string body, size_t offset, std::vector<std::string> warnings);
};

}  // namespace cql::internal
