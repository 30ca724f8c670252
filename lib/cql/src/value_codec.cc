#include "value_codec.h"

#include <algorithm>
#include <limits>

#include "absl_compat.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "response_reader.h"

namespace cql::internal {
namespace {

absl::Status Mismatch(const Value& value, const DataType& type) {
  return absl::InvalidArgumentError(
      absl::StrCat("cannot bind a ", Sv(ValueKindName(value.kind())), " value to a column of type ", type.ToString()));
}

bool IsText(TypeId id) { return id == TypeId::kAscii || id == TypeId::kVarchar; }

// Writes an integer with the width of the column type `id`.
absl::Status WriteInteger(int64_t v, TypeId id, RequestWriter& w) {
  switch (id) {
    case TypeId::kBigint:
    case TypeId::kCounter:
      w.WriteInt(8);
      w.WriteLong(v);
      return absl::OkStatus();
    case TypeId::kInt:
      if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
        return absl::InvalidArgumentError(absl::StrCat("value ", v, " out of range for int"));
      }
      w.WriteInt(4);
      w.WriteInt(static_cast<int32_t>(v));
      return absl::OkStatus();
    case TypeId::kSmallint:
      if (v < std::numeric_limits<int16_t>::min() || v > std::numeric_limits<int16_t>::max()) {
        return absl::InvalidArgumentError(absl::StrCat("value ", v, " out of range for smallint"));
      }
      w.WriteInt(2);
      w.WriteShort(static_cast<uint16_t>(static_cast<int16_t>(v)));
      return absl::OkStatus();
    case TypeId::kTinyint:
      if (v < std::numeric_limits<int8_t>::min() || v > std::numeric_limits<int8_t>::max()) {
        return absl::InvalidArgumentError(absl::StrCat("value ", v, " out of range for tinyint"));
      }
      w.WriteInt(1);
      w.WriteByte(static_cast<uint8_t>(static_cast<int8_t>(v)));
      return absl::OkStatus();
    default:
      return absl::InternalError("not an integer type");
  }
}

bool IsIntegerColumn(TypeId id) {
  return id == TypeId::kBigint || id == TypeId::kCounter || id == TypeId::kInt || id == TypeId::kSmallint ||
         id == TypeId::kTinyint;
}

absl::Status WriteValueAt(const Value& value, const DataType* type, RequestWriter& w, int depth);

absl::Status WriteElements(const Value& value, const DataType* type, RequestWriter& w, int depth) {
  const auto& elems = value.elements();
  const bool is_map = value.kind() == Value::Kind::kMap;
  const size_t count = is_map ? value.map_size() : elems.size();
  if (count > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return absl::InvalidArgumentError("collection too large");
  }
  const size_t len_at = w.ReserveInt();
  const size_t start = w.size();
  w.WriteInt(static_cast<int32_t>(count));
  for (size_t i = 0; i < elems.size(); ++i) {
    const Value& e = elems[i];
    if (e.is_null() || e.is_unset()) {
      return absl::InvalidArgumentError("null or unset values are not allowed inside collections");
    }
    const DataType* et = nullptr;
    if (type != nullptr && !type->params.empty()) {
      et = is_map ? &type->params[std::min<size_t>(i % 2, type->params.size() - 1)] : &type->params[0];
    }
    RETURN_IF_ERROR(WriteValueAt(e, et, w, depth + 1));
  }
  w.PatchInt(len_at, static_cast<int32_t>(w.size() - start));
  return absl::OkStatus();
}

absl::Status WriteValueAt(const Value& value, const DataType* type, RequestWriter& w, int depth) {
  if (depth > kMaxValueDepth) {
    return absl::InvalidArgumentError(absl::StrCat("value nesting deeper than ", kMaxValueDepth));
  }
  // Custom types accept whatever the caller serialised; no checks.
  if (type != nullptr && type->id == TypeId::kCustom) type = nullptr;
  using K = Value::Kind;
  switch (value.kind()) {
    case K::kNull:
      w.WriteNullBytes();
      return absl::OkStatus();
    case K::kUnset:
      w.WriteUnsetValue();
      return absl::OkStatus();
    case K::kText:  // §6.1, §6.15, §6.22
      if (type != nullptr && !IsText(type->id)) return Mismatch(value, *type);
      w.WriteBytes(value.text());
      return absl::OkStatus();
    case K::kBlob:  // §6.3; also raw bytes for any column type
      w.WriteBytes(value.text());
      return absl::OkStatus();
    case K::kInet:  // §6.9: 4 or 16 address bytes
      if (type != nullptr && type->id != TypeId::kInet) return Mismatch(value, *type);
      if (value.text().size() != 4 && value.text().size() != 16) {
        return absl::InvalidArgumentError("an inet value has 4 or 16 address bytes");
      }
      w.WriteBytes(value.text());
      return absl::OkStatus();
    case K::kInt:  // §6.10 (and widened: §6.2, §6.14, §6.19)
    case K::kBigint:
      if (type == nullptr) {
        return WriteInteger(value.bigint_value(), value.kind() == K::kInt ? TypeId::kInt : TypeId::kBigint, w);
      }
      if (!IsIntegerColumn(type->id)) return Mismatch(value, *type);
      return WriteInteger(value.bigint_value(), type->id, w);
    case K::kBoolean:  // §6.4
      if (type != nullptr && type->id != TypeId::kBoolean) return Mismatch(value, *type);
      w.WriteInt(1);
      w.WriteByte(value.bool_value() ? 1 : 0);
      return absl::OkStatus();
    case K::kTimestamp:  // §6.17
      if (type != nullptr && type->id != TypeId::kTimestamp) return Mismatch(value, *type);
      w.WriteInt(8);
      w.WriteLong(value.bigint_value());
      return absl::OkStatus();
    case K::kUuid:  // §6.18, §6.21
      if (type != nullptr && type->id != TypeId::kUuid && type->id != TypeId::kTimeuuid) {
        return Mismatch(value, *type);
      }
      w.WriteInt(16);
      w.WriteUuid(value.uuid());
      return absl::OkStatus();
    case K::kList:  // §6.11, §6.13
    case K::kSet:
      if (type != nullptr && type->id != TypeId::kList && type->id != TypeId::kSet) return Mismatch(value, *type);
      return WriteElements(value, type, w, depth);
    case K::kMap:  // §6.12
      if (type != nullptr && type->id != TypeId::kMap) return Mismatch(value, *type);
      return WriteElements(value, type, w, depth);
  }
  return absl::InternalError("unknown value kind");
}

absl::StatusOr<Value> DecodeAt(const DataType& type, std::optional<std::string_view> bytes, int depth);

absl::StatusOr<Value> DecodeCollection(const DataType& type, std::string_view bytes, int depth) {
  const bool is_map = type.id == TypeId::kMap;
  if (type.params.size() != (is_map ? 2u : 1u)) {
    return absl::InternalError(absl::StrCat("malformed collection type ", type.ToString()));
  }
  ResponseReader r(bytes);
  ASSIGN_OR_RETURN(int32_t n, r.ReadInt());
  const size_t per = is_map ? 8 : 4;
  if (n < 0 || static_cast<uint64_t>(n) * per > r.remaining()) {
    return absl::InternalError(absl::StrCat("collection element count ", n, " does not fit in ", r.remaining(),
                                            " bytes"));
  }
  std::vector<Value> elems;
  elems.reserve(static_cast<size_t>(n) * (is_map ? 2 : 1));
  for (int32_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < (is_map ? 2u : 1u); ++k) {
      ASSIGN_OR_RETURN(std::optional<std::string_view> eb, r.ReadBytes());
      ASSIGN_OR_RETURN(Value v, DecodeAt(type.params[is_map ? k : 0], eb, depth + 1));
      elems.push_back(std::move(v));
    }
  }
  if (!r.empty()) {
    return absl::InternalError(absl::StrCat(r.remaining(), " trailing bytes after ", type.ToString(), " value"));
  }
  if (type.id == TypeId::kList) return Value::List(std::move(elems));
  if (type.id == TypeId::kSet) return Value::Set(std::move(elems));
  std::vector<std::pair<Value, Value>> entries;
  entries.reserve(elems.size() / 2);
  for (size_t i = 0; i + 1 < elems.size(); i += 2) {
    entries.emplace_back(std::move(elems[i]), std::move(elems[i + 1]));
  }
  return Value::Map(std::move(entries));
}

absl::StatusOr<Value> DecodeAt(const DataType& type, std::optional<std::string_view> bytes, int depth) {
  if (depth > kMaxValueDepth) return absl::InternalError("value nesting too deep");
  if (!bytes.has_value()) return Value::Null();
  const std::string_view b = *bytes;
  switch (type.id) {
    case TypeId::kAscii:
    case TypeId::kVarchar:
      return Value::Text(std::string(b));
    case TypeId::kBlob:
      return Value::Blob(std::string(b));
    case TypeId::kInt:
    case TypeId::kSmallint:
    case TypeId::kTinyint: {
      ASSIGN_OR_RETURN(int64_t v, DecodeInteger(type.id, b));
      return Value::Int(static_cast<int32_t>(v));
    }
    case TypeId::kBigint:
    case TypeId::kCounter: {
      ASSIGN_OR_RETURN(int64_t v, DecodeInteger(type.id, b));
      return Value::Bigint(v);
    }
    case TypeId::kTimestamp: {
      ASSIGN_OR_RETURN(int64_t v, DecodeInteger(type.id, b));
      return Value::TimestampMillis(v);
    }
    case TypeId::kBoolean: {
      ASSIGN_OR_RETURN(bool v, DecodeBoolean(b));
      return Value::Boolean(v);
    }
    case TypeId::kUuid:
    case TypeId::kTimeuuid: {
      ASSIGN_OR_RETURN(Uuid u, DecodeUuid(b));
      return Value::FromUuid(u);
    }
    case TypeId::kInet:
      if (b.size() != 4 && b.size() != 16) {
        return absl::InternalError(absl::StrCat("inet cell has ", b.size(), " bytes, expected 4 or 16"));
      }
      return Value::Inet(std::string(b));
    case TypeId::kList:
    case TypeId::kSet:
    case TypeId::kMap:
      return DecodeCollection(type, b, depth);
    default:
      return absl::UnimplementedError(absl::StrCat("no value codec for type ", type.ToString()));
  }
}

}  // namespace

absl::Status WriteValue(const Value& value, const DataType* type, RequestWriter& writer) {
  return WriteValueAt(value, type, writer, 0);
}

absl::StatusOr<Value> DecodeValue(const DataType& type, std::optional<std::string_view> bytes) {
  return DecodeAt(type, bytes, 0);
}

absl::StatusOr<int64_t> DecodeInteger(TypeId id, std::string_view bytes) {
  size_t width = 0;
  switch (id) {
    case TypeId::kTinyint: width = 1; break;
    case TypeId::kSmallint: width = 2; break;
    case TypeId::kInt: width = 4; break;
    case TypeId::kBigint:
    case TypeId::kCounter:
    case TypeId::kTimestamp: width = 8; break;
    default: return absl::InternalError("not an integer type");
  }
  if (bytes.size() != width) {
    return absl::InternalError(absl::StrCat("integer cell has ", bytes.size(), " bytes, expected ", width));
  }
  uint64_t u = 0;
  for (char c : bytes) u = (u << 8) | static_cast<uint8_t>(c);
  // Sign-extend from `width` bytes.
  const int shift = static_cast<int>(64 - 8 * width);
  return static_cast<int64_t>(u << shift) >> shift;
}

absl::StatusOr<bool> DecodeBoolean(std::string_view bytes) {
  if (bytes.size() != 1) return absl::InternalError(absl::StrCat("boolean cell has ", bytes.size(), " bytes"));
  return bytes[0] != 0;
}

absl::StatusOr<Uuid> DecodeUuid(std::string_view bytes) {
  auto u = Uuid::FromBytes(bytes);
  if (!u) return absl::InternalError(absl::StrCat("uuid cell has ", bytes.size(), " bytes, expected 16"));
  return *u;
}

}  // namespace cql::internal
