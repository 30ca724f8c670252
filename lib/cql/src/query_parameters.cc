#include "query_parameters.h"

#include "absl_compat.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "value_codec.h"

namespace cql::internal {

absl::Status WriteBoundValues(const std::vector<Value>& values, const std::vector<ColumnSpec>* bind_columns,
                              RequestWriter& writer) {
  if (values.size() > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(values.size(), " bound values exceed the 65535 limit"));
  }
  if (bind_columns != nullptr && bind_columns->size() != values.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("statement has ", bind_columns->size(), " bind markers but ", values.size(), " values given"));
  }
  writer.WriteShort(static_cast<uint16_t>(values.size()));
  for (size_t i = 0; i < values.size(); ++i) {
    const DataType* type = bind_columns != nullptr ? &(*bind_columns)[i].type : nullptr;
    absl::Status s = WriteValue(values[i], type, writer);
    if (!s.ok()) {
      const std::string name = bind_columns != nullptr ? absl::StrCat(" ('", (*bind_columns)[i].name, "')") : "";
      return absl::Status(s.code(), absl::StrCat("bound value ", i, name, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status WriteQueryParameters(const QueryParameters& p, RequestWriter& w) {
  if (p.serial_consistency && !IsSerial(*p.serial_consistency)) {
    return absl::InvalidArgumentError(absl::StrCat("serial consistency must be SERIAL or LOCAL_SERIAL, got ",
                                                   Sv(ConsistencyName(*p.serial_consistency))));
  }
  if (p.default_timestamp && *p.default_timestamp < 0) {
    return absl::InvalidArgumentError("default timestamp must not be negative");
  }
  const bool has_values = p.values != nullptr && !p.values->empty();
  uint8_t flags = 0;
  if (has_values) flags |= kQueryFlagValues;
  if (p.page_size > 0) flags |= kQueryFlagPageSize;
  if (!p.paging_state.empty()) flags |= kQueryFlagPagingState;
  if (p.serial_consistency) flags |= kQueryFlagSerialConsistency;
  if (p.default_timestamp) flags |= kQueryFlagDefaultTimestamp;

  w.WriteConsistency(p.consistency);
  w.WriteByte(flags);
  if (has_values) {
    RETURN_IF_ERROR(WriteBoundValues(*p.values, p.bind_columns, w));
  } else if (p.bind_columns != nullptr && !p.bind_columns->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("statement has ", p.bind_columns->size(), " bind markers but no values given"));
  }
  if (flags & kQueryFlagPageSize) w.WriteInt(p.page_size);
  if (flags & kQueryFlagPagingState) w.WriteBytes(p.paging_state);
  if (flags & kQueryFlagSerialConsistency) w.WriteConsistency(*p.serial_consistency);
  if (flags & kQueryFlagDefaultTimestamp) w.WriteLong(*p.default_timestamp);
  return w.status();
}

}  // namespace cql::internal
