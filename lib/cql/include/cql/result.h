// cql::Result — the decoded RESULT of a QUERY, EXECUTE or BATCH
// (native_protocol_v4.spec §4.2.5), and cql::Row, a view of one of its rows.
//
// A Rows result owns the response body; cells are decoded lazily by the typed
// Row accessors. Row is a cheap view: it must not outlive its Result.
// Result is movable and not copyable; it is not thread-safe for concurrent
// use but holds no ties to the session or its executor.
//
// LWT results (§e of the Cassandra notes): a conditional statement returns
// Rows whose first column is the boolean "[applied]". When not applied the
// remaining columns hold the current values (only the conditioned columns,
// the whole row for IF [NOT] EXISTS, plus key columns in conditional
// batches, which may return several rows). The column set can change between
// executions of the same statement, so metadata is parsed for every result.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "cql/data_type.h"
#include "cql/uuid.h"
#include "cql/value.h"

namespace cql {

namespace internal {
class ResultBuilder;
}  // namespace internal

enum class ResultKind : int32_t {
  kVoid = 0x0001,
  kRows = 0x0002,
  kSetKeyspace = 0x0003,
  kPrepared = 0x0004,
  kSchemaChange = 0x0005,
};

struct ColumnSpec {
  std::string keyspace;
  std::string table;
  std::string name;
  DataType type;
};

// <metadata> of §4.2.5.2 (and <result_metadata> of §4.2.5.4).
struct RowsMetadata {
  int32_t flags = 0;
  int32_t column_count = 0;
  // Set when the Global_tables_spec flag (0x0001) was present.
  std::string global_keyspace;
  std::string global_table;
  bool has_more_pages = false;
  std::string paging_state;  // raw bytes, empty unless has_more_pages
  std::vector<ColumnSpec> columns;  // empty if No_metadata (0x0004)
};

// Body of a Prepared result (§4.2.5.4) plus the query text it came from.
// Shared by PreparedStatement handles; updated in place when the session
// re-prepares after an UNPREPARED error.
struct PreparedMetadata {
  std::string query;
  std::string id;  // [short bytes]
  std::string keyspace;  // from the global table spec, if any
  std::vector<uint16_t> pk_indexes;
  std::vector<ColumnSpec> bind_columns;
  RowsMetadata result_metadata;
  // Set by the session from the query text: a conditional statement (LWT).
  bool conditional = false;
  // A SELECT (idempotent unless QueryOptions says otherwise).
  bool select = false;
};

// §4.2.5.5 / §4.2.6 SCHEMA_CHANGE.
struct SchemaChange {
  std::string change_type;  // CREATED, UPDATED, DROPPED
  std::string target;       // KEYSPACE, TABLE, TYPE, FUNCTION, AGGREGATE
  std::string keyspace;
  std::string name;                    // table/type/function name (if any)
  std::vector<std::string> arg_types;  // FUNCTION/AGGREGATE
};

class Result;

class Row {
 public:
  Row(const Result* result, size_t index) : result_(result), index_(index) {}

  size_t index() const { return index_; }
  size_t size() const;

  // True if the cell is null (negative [bytes] length). Out of range: true.
  bool IsNull(size_t column) const;
  // Raw serialized cell (§6), nullopt for null or out of range.
  std::optional<std::string_view> GetRaw(size_t column) const;

  // Typed accessors. Errors: OUT_OF_RANGE for a bad index, NOT_FOUND for an
  // unknown column name, FAILED_PRECONDITION if the cell is null or the column
  // type does not match, INTERNAL if the bytes are malformed.
  // Accepted column types: GetString ascii/text/varchar; GetInt int, smallint,
  // tinyint; GetBigint bigint, counter, int, smallint, tinyint; GetBool
  // boolean; GetTimestamp timestamp; GetUuid uuid, timeuuid; GetBlob any type
  // (raw bytes). Collections: a null (absent) collection reads as empty.
  absl::StatusOr<std::string> GetString(size_t column) const;
  absl::StatusOr<int32_t> GetInt(size_t column) const;
  absl::StatusOr<int64_t> GetBigint(size_t column) const;
  absl::StatusOr<bool> GetBool(size_t column) const;
  absl::StatusOr<Timestamp> GetTimestamp(size_t column) const;
  absl::StatusOr<Uuid> GetUuid(size_t column) const;
  absl::StatusOr<std::string> GetBlob(size_t column) const;
  absl::StatusOr<std::vector<Value>> GetList(size_t column) const;  // list or set
  absl::StatusOr<std::vector<Value>> GetSet(size_t column) const;   // set or list
  absl::StatusOr<std::vector<std::pair<Value, Value>>> GetMap(size_t column) const;
  // Any supported type, null as Value::Null().
  absl::StatusOr<Value> GetValue(size_t column) const;

  // The same by column name (first column with that name).
  bool IsNull(std::string_view name) const;
  absl::StatusOr<std::string> GetString(std::string_view name) const;
  absl::StatusOr<int32_t> GetInt(std::string_view name) const;
  absl::StatusOr<int64_t> GetBigint(std::string_view name) const;
  absl::StatusOr<bool> GetBool(std::string_view name) const;
  absl::StatusOr<Timestamp> GetTimestamp(std::string_view name) const;
  absl::StatusOr<Uuid> GetUuid(std::string_view name) const;
  absl::StatusOr<std::string> GetBlob(std::string_view name) const;
  absl::StatusOr<std::vector<Value>> GetList(std::string_view name) const;
  absl::StatusOr<std::vector<Value>> GetSet(std::string_view name) const;
  absl::StatusOr<std::vector<std::pair<Value, Value>>> GetMap(std::string_view name) const;
  absl::StatusOr<Value> GetValue(std::string_view name) const;

 private:
  absl::StatusOr<size_t> Index(std::string_view name) const;

  const Result* result_;
  size_t index_;
};

class Result {
 public:
  // A Void result.
  Result() = default;
  Result(Result&&) = default;
  Result& operator=(Result&&) = default;
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;

  ResultKind kind() const { return kind_; }

  // Rows (empty for other kinds).
  const RowsMetadata& metadata() const { return metadata_; }
  const std::vector<ColumnSpec>& columns() const { return metadata_.columns; }
  size_t column_count() const { return metadata_.columns.size(); }
  size_t row_count() const { return row_count_; }
  Row row(size_t i) const { return Row(this, i); }
  std::optional<size_t> ColumnIndex(std::string_view name) const;
  bool has_more_pages() const { return metadata_.has_more_pages; }
  // Pass to QueryOptions::paging_state to fetch the next page.
  const std::string& paging_state() const { return metadata_.paging_state; }

  // LWT outcome: the "[applied]" column of the first row. FAILED_PRECONDITION
  // if this is not an LWT result.
  absl::StatusOr<bool> Applied() const;

  // Set_keyspace: the keyspace name.
  const std::string& keyspace() const { return keyspace_; }
  // Schema_change.
  const SchemaChange& schema_change() const { return schema_change_; }
  // Prepared.
  const std::shared_ptr<PreparedMetadata>& prepared() const { return prepared_; }

  // Server warnings attached to the response (frame Warning flag, §2.2).
  const std::vector<std::string>& warnings() const { return warnings_; }

  class Iterator {
   public:
    Iterator(const Result* r, size_t i) : r_(r), i_(i) {}
    Row operator*() const { return Row(r_, i_); }
    Iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const Iterator& o) const { return i_ == o.i_; }

   private:
    const Result* r_;
    size_t i_;
  };
  Iterator begin() const { return Iterator(this, 0); }
  Iterator end() const { return Iterator(this, row_count_); }

 private:
  friend class Row;
  friend class internal::ResultBuilder;

  struct Cell {
    int32_t offset;  // into body_
    int32_t length;  // -1: null
  };

  const Cell* CellAt(size_t row, size_t column) const;

  ResultKind kind_ = ResultKind::kVoid;
  RowsMetadata metadata_;
  size_t row_count_ = 0;
  std::string body_;
  std::vector<Cell> cells_;  // row-major
  std::string keyspace_;
  SchemaChange schema_change_;
  std::shared_ptr<PreparedMetadata> prepared_;
  std::vector<std::string> warnings_;
};

}  // namespace cql
