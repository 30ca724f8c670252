#include "result_response.h"

#include "absl_compat.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "data_type_codec.h"

namespace cql::internal {
namespace {

constexpr int32_t kFlagGlobalTablesSpec = 0x0001;
constexpr int32_t kFlagHasMorePages = 0x0002;
constexpr int32_t kFlagNoMetadata = 0x0004;

absl::Status ReadColumnSpecs(ResponseReader& r, int32_t flags, int32_t count, std::string* global_ks,
                             std::string* global_table, std::vector<ColumnSpec>* out) {
  const bool global = (flags & kFlagGlobalTablesSpec) != 0;
  if (global) {
    ASSIGN_OR_RETURN(std::string_view ks, r.ReadString());
    ASSIGN_OR_RETURN(std::string_view table, r.ReadString());
    *global_ks = std::string(ks);
    *global_table = std::string(table);
  }
  // Each spec needs at least a [string] name and a [short] type id.
  if (static_cast<size_t>(count) * 4 > r.remaining()) {
    return absl::InternalError(absl::StrCat("column count ", count, " does not fit in ", r.remaining(), " bytes"));
  }
  out->reserve(static_cast<size_t>(count));
  for (int32_t i = 0; i < count; ++i) {
    ColumnSpec spec;
    if (global) {
      spec.keyspace = *global_ks;
      spec.table = *global_table;
    } else {
      ASSIGN_OR_RETURN(std::string_view ks, r.ReadString());
      ASSIGN_OR_RETURN(std::string_view table, r.ReadString());
      spec.keyspace = std::string(ks);
      spec.table = std::string(table);
    }
    ASSIGN_OR_RETURN(std::string_view name, r.ReadString());
    spec.name = std::string(name);
    ASSIGN_OR_RETURN(spec.type, ReadDataType(r));
    out->push_back(std::move(spec));
  }
  return absl::OkStatus();
}

absl::StatusOr<int32_t> ReadCount(ResponseReader& r, std::string_view what) {
  ASSIGN_OR_RETURN(int32_t n, r.ReadInt());
  if (n < 0 || n > kMaxColumns) return absl::InternalError(absl::StrCat("invalid ", Sv(what), " ", n));
  return n;
}

}  // namespace

absl::StatusOr<RowsMetadata> ReadRowsMetadata(ResponseReader& r) {
  RowsMetadata m;
  ASSIGN_OR_RETURN(m.flags, r.ReadInt());
  ASSIGN_OR_RETURN(m.column_count, ReadCount(r, "column count"));
  if (m.flags & kFlagHasMorePages) {
    ASSIGN_OR_RETURN(std::optional<std::string_view> ps, r.ReadBytes());
    m.has_more_pages = true;
    if (ps) m.paging_state = std::string(*ps);
  }
  if (!(m.flags & kFlagNoMetadata)) {
    RETURN_IF_ERROR(ReadColumnSpecs(r, m.flags, m.column_count, &m.global_keyspace, &m.global_table, &m.columns));
  }
  return m;
}

absl::StatusOr<PreparedMetadata> ReadPreparedBody(ResponseReader& r) {
  PreparedMetadata p;
  ASSIGN_OR_RETURN(std::string_view id, r.ReadShortBytes());
  p.id = std::string(id);
  ASSIGN_OR_RETURN(int32_t flags, r.ReadInt());
  ASSIGN_OR_RETURN(int32_t count, ReadCount(r, "bind marker count"));
  ASSIGN_OR_RETURN(int32_t pk_count, ReadCount(r, "partition key count"));
  if (static_cast<size_t>(pk_count) * 2 > r.remaining()) {
    return absl::InternalError(absl::StrCat("partition key count ", pk_count, " does not fit"));
  }
  p.pk_indexes.reserve(static_cast<size_t>(pk_count));
  for (int32_t i = 0; i < pk_count; ++i) {
    ASSIGN_OR_RETURN(uint16_t idx, r.ReadShort());
    p.pk_indexes.push_back(idx);
  }
  std::string table;
  RETURN_IF_ERROR(ReadColumnSpecs(r, flags, count, &p.keyspace, &table, &p.bind_columns));
  ASSIGN_OR_RETURN(p.result_metadata, ReadRowsMetadata(r));
  return p;
}

absl::StatusOr<SchemaChange> ReadSchemaChange(ResponseReader& r) {
  SchemaChange c;
  ASSIGN_OR_RETURN(std::string_view change, r.ReadString());
  ASSIGN_OR_RETURN(std::string_view target, r.ReadString());
  c.change_type = std::string(change);
  c.target = std::string(target);
  ASSIGN_OR_RETURN(std::string_view ks, r.ReadString());
  c.keyspace = std::string(ks);
  if (target == "KEYSPACE") return c;
  ASSIGN_OR_RETURN(std::string_view name, r.ReadString());
  c.name = std::string(name);
  if (target == "FUNCTION" || target == "AGGREGATE") {
    ASSIGN_OR_RETURN(c.arg_types, r.ReadStringList());
  } else if (target != "TABLE" && target != "TYPE") {
    return absl::InternalError(absl::StrCat("unknown schema change target '", Sv(target), "'"));
  }
  return c;
}

absl::StatusOr<Result> ResultBuilder::Decode(std::string body, size_t offset, std::vector<std::string> warnings) {
  Result result;
  result.warnings_ = std::move(warnings);
  if (offset > body.size()) return absl::InternalError("RESULT offset past end of body");
  ResponseReader r(std::string_view(body).substr(offset));
  ASSIGN_OR_RETURN(int32_t kind, r.ReadInt());
  switch (static_cast<ResultKind>(kind)) {
    case ResultKind::kVoid:
      result.kind_ = ResultKind::kVoid;
      return result;
    case ResultKind::kRows: {
      result.kind_ = ResultKind::kRows;
      ASSIGN_OR_RETURN(result.metadata_, ReadRowsMetadata(r));
      ASSIGN_OR_RETURN(int32_t rows, r.ReadInt());
      const auto cols = static_cast<uint64_t>(result.metadata_.column_count);
      // Every cell takes at least its 4-byte length.
      if (rows < 0 || static_cast<uint64_t>(rows) * cols * 4 > r.remaining()) {
        return absl::InternalError(absl::StrCat("row count ", rows, " x ", cols, " columns does not fit in ",
                                                r.remaining(), " bytes"));
      }
      result.row_count_ = static_cast<size_t>(rows);
      result.cells_.reserve(static_cast<size_t>(rows * cols));
      for (uint64_t i = 0; i < static_cast<uint64_t>(rows) * cols; ++i) {
        ASSIGN_OR_RETURN(std::optional<std::string_view> cell, r.ReadBytes());
        if (cell) {
          result.cells_.push_back(Result::Cell{static_cast<int32_t>(offset + r.offset() - cell->size()),
                                               static_cast<int32_t>(cell->size())});
        } else {
          result.cells_.push_back(Result::Cell{0, -1});
        }
      }
      result.body_ = std::move(body);
      return result;
    }
    case ResultKind::kSetKeyspace: {
      result.kind_ = ResultKind::kSetKeyspace;
      ASSIGN_OR_RETURN(std::string_view ks, r.ReadString());
      result.keyspace_ = std::string(ks);
      return result;
    }
    case ResultKind::kPrepared: {
      result.kind_ = ResultKind::kPrepared;
      ASSIGN_OR_RETURN(PreparedMetadata p, ReadPreparedBody(r));
      result.prepared_ = std::make_shared<PreparedMetadata>(std::move(p));
      return result;
    }
    case ResultKind::kSchemaChange: {
      result.kind_ = ResultKind::kSchemaChange;
      ASSIGN_OR_RETURN(result.schema_change_, ReadSchemaChange(r));
      return result;
    }
  }
  return absl::InternalError(absl::StrCat("unknown RESULT kind 0x", absl::Hex(kind)));
}

}  // namespace cql::internal
