// Token-aware routing: the partition key a bound statement targets, its
// Murmur3 token, and which nodes replicate that token.
//
//  * Murmur3Token: Cassandra's Murmur3Partitioner (MurmurHash3_x64_128 with
//    Cassandra's sign-extending tail, seed 0, first half; Long.MIN_VALUE is
//    normalised to Long.MAX_VALUE).
//  * RoutingKey: the serialized partition key of a prepared statement from its
//    pk_indexes and bound values (single column: the value's bytes; composite:
//    CompositeType, i.e. per component [short] length, bytes, 0x00).
//  * TokenRing / ReplicaMap: the ring of node tokens from system.local /
//    system.peers and the replicas of each token range under SimpleStrategy or
//    NetworkTopologyStrategy (Cassandra's rack-aware placement).
//
// Pure computation, no I/O. TokenRing and ReplicaMap are immutable once built
// and safe to share between threads for reading.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cql/result.h"
#include "cql/value.h"

namespace cql::internal {

// The Murmur3Partitioner token of a serialized partition key.
int64_t Murmur3Token(std::string_view partition_key);

// The serialized partition key of a bound statement: `pk_indexes` (from the
// Prepared result, §4.2.5.4) index into `bind_columns` and `values`.
// NOT_FOUND if pk_indexes is empty (the statement has no routable key);
// INVALID_ARGUMENT if an index is out of range, a key value is null or unset,
// does not encode for its column type, or a composite component exceeds 65535
// bytes. Callers route without a token on error.
absl::StatusOr<std::string> RoutingKey(const std::vector<uint16_t>& pk_indexes,
                                       const std::vector<ColumnSpec>& bind_columns,
                                       const std::vector<Value>& values);

struct RingNode {
  std::string datacenter;
  std::string rack;
  std::vector<int64_t> tokens;
};

// The token ring: every node's tokens in ascending order. Nodes are referred
// to by their index in the vector given to the constructor. A token owned by
// two nodes (inconsistent metadata) is kept for the lower node index only.
class TokenRing {
 public:
  TokenRing() = default;
  explicit TokenRing(std::vector<RingNode> nodes);

  // Parses a token as stored in system.local/system.peers (decimal text).
  static absl::StatusOr<int64_t> ParseToken(std::string_view text);

  const std::vector<RingNode>& nodes() const { return nodes_; }
  // Sorted ring tokens and, in parallel, the index of the node owning each.
  const std::vector<int64_t>& tokens() const { return tokens_; }
  const std::vector<int>& owners() const { return owners_; }
  bool empty() const { return tokens_.empty(); }

  // Position in tokens() of the first ring token >= token, wrapping to 0 past
  // the last one. REQUIRES: !empty().
  size_t IndexOf(int64_t token) const;
  // The node owning `token` (primary replica, ignoring replication); -1 if
  // the ring is empty.
  int OwnerOf(int64_t token) const;

 private:
  std::vector<RingNode> nodes_;
  std::vector<int64_t> tokens_;
  std::vector<int> owners_;
};

// The replicas of every token for one keyspace's replication settings,
// precomputed per ring token: ReplicasOf is a binary search.
class ReplicaMap {
 public:
  // An empty map: no replicas for any token (route without a token).
  ReplicaMap() = default;

  // `replication` is system_schema.keyspaces.replication: "class" is
  // SimpleStrategy (needs "replication_factor"), NetworkTopologyStrategy
  // (datacenter name -> factor; other DCs get none), LocalStrategy (empty
  // map: every node holds its own data, there is nothing to route to) or
  // EverywhereStrategy (every node), with or without the
  // "org.apache.cassandra.locator." prefix. A factor may use the transient
  // syntax "3/1" (the total, 3, counts). INVALID_ARGUMENT for an unknown
  // class or a missing or malformed factor.
  static absl::StatusOr<ReplicaMap> Build(const TokenRing& ring,
                                          const std::map<std::string, std::string>& replication);

  // Node indices replicating `token`, primary first then in ring-walk order.
  // Empty if the ring is empty or the strategy does not route. The reference
  // stays valid as long as the map.
  const std::vector<int>& ReplicasOf(int64_t token) const;

 private:
  std::vector<int64_t> tokens_;             // the ring's sorted tokens
  std::vector<std::vector<int>> replicas_;  // per ring token
};

}  // namespace cql::internal
