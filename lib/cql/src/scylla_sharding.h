// ScyllaDB shard awareness ("Intranode sharding" in ScyllaDB's
// docs/dev/protocol-extensions.md): the sharding parameters a ScyllaDB node
// advertises in SUPPORTED (§4.2.4), the biased-token-round-robin mapping of a
// token to the shard (CPU core) owning it, and the client source port that
// makes the node's shard-aware port (native_shard_aware_transport_port) hand
// the connection to a chosen shard (shard = source port % nr_shards).
//
// Pure computation; Cassandra advertises none of these keys.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace cql::internal {

struct ScyllaSharding {
  int shard = 0;       // SCYLLA_SHARD: the shard serving this connection
  int nr_shards = 1;   // SCYLLA_NR_SHARDS
  int ignore_msb = 0;  // SCYLLA_SHARDING_IGNORE_MSB
  std::string partitioner;         // SCYLLA_PARTITIONER (may be empty)
  std::string sharding_algorithm;  // SCYLLA_SHARDING_ALGORITHM (may be empty)
  std::optional<uint16_t> shard_aware_port;      // SCYLLA_SHARD_AWARE_PORT
  std::optional<uint16_t> shard_aware_port_ssl;  // SCYLLA_SHARD_AWARE_PORT_SSL
};

// Reads the SCYLLA_* keys of a SUPPORTED multimap (first value of each key).
// nullopt if SCYLLA_SHARD or SCYLLA_NR_SHARDS is absent or not a decimal
// integer, nr_shards < 1, shard is not in [0, nr_shards), ignore_msb is
// malformed or not in [0, 63], or SCYLLA_SHARDING_ALGORITHM is given and is
// not "biased-token-round-robin". A malformed or zero port is left unset.
std::optional<ScyllaSharding> ParseScyllaSharding(const std::multimap<std::string, std::string>& supported);

// biased-token-round-robin: the shard of a Murmur3 token on a node with
// `nr_shards` shards. 0 if nr_shards <= 1; ignore_msb is clamped to [0, 63].
int ScyllaShardOf(int64_t token, int nr_shards, int ignore_msb);

// The first local port >= attempt_base (attempt_base is first wrapped into
// [49152, 65535], then the search wraps from 65535 to 49152) with
// port % nr_shards == shard. 0 if there is none (shard not in [0, nr_shards),
// or nr_shards so large that no port of the range maps to the shard).
uint16_t ScyllaLocalPortFor(int shard, int nr_shards, uint16_t attempt_base);

}  // namespace cql::internal
