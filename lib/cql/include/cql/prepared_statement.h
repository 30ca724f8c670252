// cql::PreparedStatement — a shared handle to a statement prepared by
// Session::Prepare (native_protocol_v4.spec §4.1.5, §4.2.5.4).
//
// Copying the handle is cheap (one shared_ptr). All copies see the same
// metadata, which the session updates in place when it transparently
// re-prepares the statement after an UNPREPARED error. Use handles only on
// the session's executor (see session.h).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cql/result.h"

namespace cql {

class PreparedStatement {
 public:
  // An empty handle; valid() is false.
  PreparedStatement() = default;
  explicit PreparedStatement(std::shared_ptr<PreparedMetadata> metadata)
      : metadata_(std::move(metadata)) {}

  bool valid() const { return metadata_ != nullptr; }
  // REQUIRES: valid().
  const std::string& query() const { return metadata_->query; }
  const std::string& id() const { return metadata_->id; }
  const std::vector<ColumnSpec>& bind_columns() const { return metadata_->bind_columns; }
  const std::vector<uint16_t>& pk_indexes() const { return metadata_->pk_indexes; }
  const RowsMetadata& result_metadata() const { return metadata_->result_metadata; }
  const std::shared_ptr<PreparedMetadata>& metadata() const { return metadata_; }

 private:
  std::shared_ptr<PreparedMetadata> metadata_;
};

}  // namespace cql
