#include "cql/result.h"

#include "absl_compat.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "value_codec.h"

namespace cql {

const Result::Cell* Result::CellAt(size_t row, size_t column) const {
  const auto cols = static_cast<size_t>(metadata_.column_count);
  if (row >= row_count_ || column >= cols) return nullptr;
  return &cells_[row * cols + column];
}

std::optional<size_t> Result::ColumnIndex(std::string_view name) const {
  for (size_t i = 0; i < metadata_.columns.size(); ++i) {
    if (metadata_.columns[i].name == name) return i;
  }
  return std::nullopt;
}

absl::StatusOr<bool> Result::Applied() const {
  if (kind_ != ResultKind::kRows || metadata_.columns.empty() || metadata_.columns[0].name != "[applied]" ||
      row_count_ == 0) {
    return absl::FailedPreconditionError("result is not an LWT result (no [applied] column)");
  }
  return row(0).GetBool(size_t{0});
}


size_t Row::size() const { return static_cast<size_t>(result_->metadata_.column_count); }

bool Row::IsNull(size_t column) const {
  const auto* cell = result_->CellAt(index_, column);
  return cell == nullptr || cell->length < 0;
}

std::optional<std::string_view> Row::GetRaw(size_t column) const {
  const auto* cell = result_->CellAt(index_, column);
  if (cell == nullptr || cell->length < 0) return std::nullopt;
  return std::string_view(result_->body_).substr(static_cast<size_t>(cell->offset),
                                                 static_cast<size_t>(cell->length));
}

// Shared checks for the typed getters: index, metadata, and column type.
#define CQL_GET_CELL_(var, column, accepts, allow_null)                                                      \
  const auto* cell_##var = result_->CellAt(index_, column);                                                  \
  if (cell_##var == nullptr) {                                                                               \
    return absl::OutOfRangeError(absl::StrCat("column ", column, " / row ", index_, " out of range"));      \
  }                                                                                                          \
  if (column >= result_->metadata_.columns.size()) {                                                         \
    return absl::FailedPreconditionError("result has no column metadata");                                   \
  }                                                                                                          \
  const ColumnSpec& spec_##var = result_->metadata_.columns[column];                                         \
  {                                                                                                          \
    [[maybe_unused]] const TypeId id = spec_##var.type.id;                                                   \
    if (!(accepts)) {                                                                                        \
      return absl::FailedPreconditionError(                                                                  \
          absl::StrCat("column '", spec_##var.name, "' has type ", spec_##var.type.ToString()));             \
    }                                                                                                        \
  }                                                                                                          \
  if (cell_##var->length < 0 && !(allow_null)) {                                                             \
    return absl::FailedPreconditionError(absl::StrCat("column '", spec_##var.name, "' is null"));           \
  }                                                                                                          \
  const std::string_view var =                                                                               \
      cell_##var->length < 0 ? std::string_view()                                                            \
                             : std::string_view(result_->body_)                                              \
                                   .substr(static_cast<size_t>(cell_##var->offset),                          \
                                           static_cast<size_t>(cell_##var->length))

absl::StatusOr<std::string> Row::GetString(size_t column) const {
  CQL_GET_CELL_(b, column, id == TypeId::kVarchar || id == TypeId::kAscii, false);
  return std::string(b);
}

absl::StatusOr<int32_t> Row::GetInt(size_t column) const {
  CQL_GET_CELL_(b, column, id == TypeId::kInt || id == TypeId::kSmallint || id == TypeId::kTinyint, false);
  ASSIGN_OR_RETURN(int64_t v, internal::DecodeInteger(spec_b.type.id, b));
  return static_cast<int32_t>(v);
}

absl::StatusOr<int64_t> Row::GetBigint(size_t column) const {
  CQL_GET_CELL_(b, column,
                id == TypeId::kBigint || id == TypeId::kCounter || id == TypeId::kInt || id == TypeId::kSmallint ||
                    id == TypeId::kTinyint,
                false);
  return internal::DecodeInteger(spec_b.type.id, b);
}

absl::StatusOr<bool> Row::GetBool(size_t column) const {
  CQL_GET_CELL_(b, column, id == TypeId::kBoolean, false);
  return internal::DecodeBoolean(b);
}

absl::StatusOr<Timestamp> Row::GetTimestamp(size_t column) const {
  CQL_GET_CELL_(b, column, id == TypeId::kTimestamp, false);
  ASSIGN_OR_RETURN(int64_t v, internal::DecodeInteger(TypeId::kTimestamp, b));
  return Timestamp(std::chrono::milliseconds(v));
}

absl::StatusOr<Uuid> Row::GetUuid(size_t column) const {
  CQL_GET_CELL_(b, column, id == TypeId::kUuid || id == TypeId::kTimeuuid, false);
  return internal::DecodeUuid(b);
}

absl::StatusOr<std::string> Row::GetBlob(size_t column) const {
  CQL_GET_CELL_(b, column, true, false);
  return std::string(b);
}

absl::StatusOr<std::vector<Value>> Row::GetList(size_t column) const {
  CQL_GET_CELL_(b, column, id == TypeId::kList || id == TypeId::kSet, true);
  if (cell_b->length < 0) return std::vector<Value>();
  ASSIGN_OR_RETURN(Value v, internal::DecodeValue(spec_b.type, b));
  return v.elements();
}

absl::StatusOr<std::vector<Value>> Row::GetSet(size_t column) const { return GetList(column); }

absl::StatusOr<std::vector<std::pair<Value, Value>>> Row::GetMap(size_t column) const {
  CQL_GET_CELL_(b, column, id == TypeId::kMap, true);
  std::vector<std::pair<Value, Value>> out;
  if (cell_b->length < 0) return out;
  ASSIGN_OR_RETURN(Value v, internal::DecodeValue(spec_b.type, b));
  out.reserve(v.map_size());
  for (size_t i = 0; i < v.map_size(); ++i) out.emplace_back(v.map_key(i), v.map_value(i));
  return out;
}

absl::StatusOr<Value> Row::GetValue(size_t column) const {
  CQL_GET_CELL_(b, column, true, true);
  if (cell_b->length < 0) return Value::Null();
  return internal::DecodeValue(spec_b.type, b);
}

#undef CQL_GET_CELL_

absl::StatusOr<size_t> Row::Index(std::string_view name) const {
  auto i = result_->ColumnIndex(name);
  if (!i) return absl::NotFoundError(absl::StrCat("no column named '", internal::Sv(name), "' in result"));
  return *i;
}

bool Row::IsNull(std::string_view name) const {
  auto i = result_->ColumnIndex(name);
  return !i || IsNull(*i);
}

#define CQL_BY_NAME_(Ret, Getter)                        \
  absl::StatusOr<Ret> Row::Getter(std::string_view name) const { \
    ASSIGN_OR_RETURN(size_t i, Index(name));             \
    return Getter(i);                                    \
  }
CQL_BY_NAME_(std::string, GetString)
CQL_BY_NAME_(int32_t, GetInt)
CQL_BY_NAME_(int64_t, GetBigint)
CQL_BY_NAME_(bool, GetBool)
CQL_BY_NAME_(Timestamp, GetTimestamp)
CQL_BY_NAME_(Uuid, GetUuid)
CQL_BY_NAME_(std::string, GetBlob)
CQL_BY_NAME_(std::vector<Value>, GetList)
CQL_BY_NAME_(std::vector<Value>, GetSet)
using ValuePairs = std::vector<std::pair<Value, Value>>;
CQL_BY_NAME_(ValuePairs, GetMap)
CQL_BY_NAME_(Value, GetValue)
#undef CQL_BY_NAME_

}  // namespace cql
