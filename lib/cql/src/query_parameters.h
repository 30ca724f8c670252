// <query_parameters> shared by QUERY and EXECUTE (native_protocol_v4.spec
// §4.1.4):
//   <consistency><flags>[<n><value_1>...<value_n>][<result_page_size>]
//   [<paging_state>][<serial_consistency>][<timestamp>]
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "cql/consistency.h"
#include "cql/result.h"
#include "cql/value.h"
#include "request_writer.h"

namespace cql::internal {

// §4.1.4 flag bits.
inline constexpr uint8_t kQueryFlagValues = 0x01;
inline constexpr uint8_t kQueryFlagSkipMetadata = 0x02;
inline constexpr uint8_t kQueryFlagPageSize = 0x04;
inline constexpr uint8_t kQueryFlagPagingState = 0x08;
inline constexpr uint8_t kQueryFlagSerialConsistency = 0x10;
inline constexpr uint8_t kQueryFlagDefaultTimestamp = 0x20;

struct QueryParameters {
  Consistency consistency = Consistency::kLocalQuorum;
  const std::vector<Value>* values = nullptr;  // may be null: no values
  // Bind marker metadata for type checks (prepared statements); may be null.
  const std::vector<ColumnSpec>* bind_columns = nullptr;
  int32_t page_size = 0;  // <= 0: flag not sent
  std::string_view paging_state;  // empty: flag not sent
  std::optional<Consistency> serial_consistency;
  std::optional<int64_t> default_timestamp;
};

// Writes <query_parameters>. Skip_metadata is never set (LWT result
// metadata changes between executions). INVALID_ARGUMENT if a value does not
// match its bind marker type, the value count differs from the bind marker
// count (when known), there are more than 65535 values, or the serial
// consistency is not SERIAL/LOCAL_SERIAL.
absl::Status WriteQueryParameters(const QueryParameters& params, RequestWriter& writer);

// Writes <n><value_1>...<value_n> with type checks; shared with BATCH.
absl::Status WriteBoundValues(const std::vector<Value>& values, const std::vector<ColumnSpec>* bind_columns,
                              RequestWriter& writer);

}  // namespace cql::internal
