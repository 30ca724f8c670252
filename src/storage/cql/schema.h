// The database schema and its migrations.
//
// Each migration is a numbered list of idempotent CQL statements (CREATE ...
// IF NOT EXISTS). ApplyMigrations creates the keyspace, then runs every
// migration whose number is not yet recorded in `schema_migrations`, and
// records it. Running it again, or from several instances at once against one
// cluster, is harmless: every statement is idempotent and the record is an
// INSERT ... IF NOT EXISTS.
//
// Table design (README, "Schema"): one seat's per-segment state is one
// partition, so holding a seat over a segment range is one conditional batch.
// Lookup tables are written explicitly; no materialized views, no secondary
// indexes.
#pragma once

#include <asio/awaitable.hpp>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cql {
class Session;
}

namespace inventory::storage {

struct Migration {
  int version;
  std::string description;
  // Statements with the placeholder {ks} for the keyspace name.
  std::vector<std::string> statements;
};

// All migrations in order; versions are 1, 2, 3... without gaps.
const std::vector<Migration>& Migrations();

struct SchemaOptions {
  std::string keyspace = "inventory";
  // "SimpleStrategy:1" or "NetworkTopologyStrategy:dc1=3,dc2=3".
  std::string replication = "SimpleStrategy:1";
  // ScyllaDB: LWT and tablets do not mix on several releases; the keyspace is
  // created with tablets disabled.
  bool scylla = false;
};

// CREATE KEYSPACE IF NOT EXISTS statement for the options.
// REQUIRES: keyspace is [A-Za-z0-9_]+ (it is an identifier and cannot be bound).
absl::StatusOr<std::string> KeyspaceStatement(const SchemaOptions& options);

// Replaces {ks} with the keyspace name.
std::string WithKeyspace(std::string_view statement, std::string_view keyspace);

// Appends "WITH id = <uuid>" (or "AND id = ...") to a CREATE TABLE IF NOT
// EXISTS statement: a name-based UUID of "keyspace.table". Instances that
// create the same table at once on different Cassandra nodes then create the
// same table, not two tables with one name and different ids (a schema
// conflict Cassandra cannot merge). Other statements are returned unchanged.
// Not used on ScyllaDB, whose schema changes are serialised by Raft.
std::string WithTableId(std::string_view statement, std::string_view keyspace);

// Creates the keyspace and applies pending migrations, then waits until
// every live node reports the same schema version. Returns the number of
// migrations applied by this call (0 when the schema was current).
asio::awaitable<absl::StatusOr<int>> ApplyMigrations(cql::Session& session, const SchemaOptions& options);

}  // namespace inventory::storage
