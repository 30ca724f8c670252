// Value codecs (native_protocol_v4.spec §6): cql::Value <-> serialized cell
// bytes, for binding ([value], §3) and for decoding rows.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "cql/data_type.h"
#include "cql/value.h"
#include "request_writer.h"

namespace cql::internal {

// Collections nest at most this deep when encoding/decoding values.
inline constexpr int kMaxValueDepth = 16;

// Appends `value` as a [value]: [int] length then the §6 serialization
// (null: -1, unset: -2). If `type` is non-null the value must be compatible
// with it (INVALID_ARGUMENT otherwise); integers are widened or range-checked
// to the column width. Without a type, each kind uses its natural encoding.
absl::Status WriteValue(const Value& value, const DataType* type, RequestWriter& writer);

// Decodes one cell of type `type`; nullopt bytes decode to Value::Null().
// UNIMPLEMENTED for types without a Value kind (decimal, varint, double,
// float, date, time, UDT, tuple, custom); INTERNAL for malformed bytes.
absl::StatusOr<Value> DecodeValue(const DataType& type, std::optional<std::string_view> bytes);

// Fixed-width primitives of §6 (exact size required).
absl::StatusOr<int64_t> DecodeInteger(TypeId id, std::string_view bytes);  // tinyint..bigint, counter, timestamp
absl::StatusOr<bool> DecodeBoolean(std::string_view bytes);
absl::StatusOr<Uuid> DecodeUuid(std::string_view bytes);

}  // namespace cql::internal
