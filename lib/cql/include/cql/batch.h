// cql::Batch — the statements of one BATCH request (native_protocol_v4.spec
// §4.1.7): prepared statements and query strings may be mixed.
//
// A conditional (LWT) batch is a logged batch whose statements carry IF
// conditions; Cassandra requires all of them to target one partition of one
// table and rejects others with INVALID_ARGUMENT. Batch is a plain value
// type; it holds prepared handles, so build and use it on the session's
// executor.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cql/prepared_statement.h"
#include "cql/value.h"

namespace cql {

enum class BatchType : uint8_t {
  kLogged = 0,
  kUnlogged = 1,
  kCounter = 2,
};

class Batch {
 public:
  struct Statement {
    PreparedStatement prepared;  // valid() for a prepared entry
    std::string query;           // used when !prepared.valid()
    std::vector<Value> values;
  };

  explicit Batch(BatchType type = BatchType::kLogged) : type_(type) {}

  // Adds a query string with bound values (values are never spliced).
  Batch& Add(std::string query, std::vector<Value> values = {}) {
    statements_.push_back(Statement{PreparedStatement(), std::move(query), std::move(values)});
    return *this;
  }
  // Adds a prepared statement with bound values. REQUIRES: stmt.valid().
  Batch& Add(const PreparedStatement& stmt, std::vector<Value> values) {
    statements_.push_back(Statement{stmt, std::string(), std::move(values)});
    return *this;
  }

  BatchType type() const { return type_; }
  const std::vector<Statement>& statements() const { return statements_; }
  size_t size() const { return statements_.size(); }
  bool empty() const { return statements_.empty(); }

 private:
  BatchType type_;
  std::vector<Statement> statements_;
};

}  // namespace cql
