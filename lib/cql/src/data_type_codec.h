// Codec for the [option] type descriptions of result and prepared metadata
// (native_protocol_v4.spec §4.2.5.2): native types, custom, list, map, set,
// UDT and tuple.
#pragma once

#include "absl/status/statusor.h"
#include "cql/data_type.h"
#include "request_writer.h"
#include "response_reader.h"

namespace cql::internal {

// Types nest at most this deep (list<map<...>> counts 2); deeper input is
// rejected so hostile metadata cannot exhaust the stack.
inline constexpr int kMaxTypeDepth = 16;

// Reads one [option] type. Fails on unknown ids, truncation and nesting
// deeper than kMaxTypeDepth.
absl::StatusOr<DataType> ReadDataType(ResponseReader& reader);

// Writes one [option] type (used by tests and the fake server).
void WriteDataType(const DataType& type, RequestWriter& writer);

}  // namespace cql::internal
