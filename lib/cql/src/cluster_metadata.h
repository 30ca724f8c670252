// Reading the cluster's own description: nodes from system.local and
// system.peers_v2 / system.peers, keyspace replication from
// system_schema.keyspaces, contact points as written by users, and what a
// statement's text says about it (a SELECT, a conditional statement).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cql/result.h"
#include "host.h"

namespace cql::internal {

// The columns read; peers_v2 has the native port, peers only rpc_address.
inline constexpr char kSelectLocal[] =
    "SELECT host_id, data_center, rack, tokens, schema_version, rpc_address FROM system.local WHERE key='local'";
inline constexpr char kSelectPeersV2[] =
    "SELECT host_id, data_center, rack, tokens, schema_version, native_address, native_port, peer FROM system.peers_v2";
inline constexpr char kSelectPeers[] =
    "SELECT host_id, data_center, rack, tokens, schema_version, rpc_address, peer FROM system.peers";
inline constexpr char kSelectKeyspaces[] = "SELECT keyspace_name, replication FROM system_schema.keyspaces";
inline constexpr char kSelectLocalSchema[] = "SELECT schema_version FROM system.local WHERE key='local'";
inline constexpr char kSelectPeersSchema[] = "SELECT host_id, schema_version FROM system.peers";

// A row of system.local (address: the endpoint dialled) or of the peers
// tables (address: native_address / rpc_address, or peer when that is the
// wildcard 0.0.0.0; port: native_port, else default_port).
absl::StatusOr<NodeInfo> NodeFromLocalRow(const Row& row, const std::string& dialled_address, uint16_t dialled_port);
absl::StatusOr<NodeInfo> NodeFromPeerRow(const Row& row, uint16_t default_port);

// keyspace name -> replication options.
using ReplicationByKeyspace = std::map<std::string, std::map<std::string, std::string>>;
absl::StatusOr<ReplicationByKeyspace> ReplicationFromRows(const Result& result);

struct HostPort {
  std::string host;
  uint16_t port = 0;
};
// "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6 address.
absl::StatusOr<HostPort> ParseContactPoint(std::string_view text, uint16_t default_port);

struct StatementTraits {
  bool select = false;       // a SELECT: idempotent by default
  bool conditional = false;  // INSERT/UPDATE/DELETE/BATCH with an IF clause: an LWT
  bool schema = false;       // CREATE, ALTER or DROP: changes the schema (or finds it changed)
};
// Looks at the keywords outside quotes and comments; never fails.
StatementTraits ClassifyStatement(std::string_view cql);

}  // namespace cql::internal
