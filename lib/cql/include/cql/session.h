// cql::Session — a CQL native protocol v4 client for a cluster: it learns
// the nodes from the contact points, keeps a pool of connections per node,
// routes each statement to a replica of its partition, retries what is safe
// to retry, and follows the cluster's changes. README "Pointing the service
// at a cluster" describes the behaviour from the operator's side.
//
// CLUSTER. A control connection (to any node) reads system.local and
// system.peers_v2 (system.peers on older nodes) and the keyspaces'
// replication, and registers for TOPOLOGY_CHANGE, STATUS_CHANGE and
// SCHEMA_CHANGE events; on an event (or every minute) it reads them again.
// If it breaks it moves to another node. Every node gets
// connections_per_host connections (ScyllaDB: one per shard at least), and
// a node whose connections are gone is reconnected in the background with
// exponential backoff and jitter; a STATUS_CHANGE UP reconnects at once.
// Idle connections send heartbeats (OPTIONS) and are dropped when they do
// not answer.
//
// ROUTING (query_plan.h). The routing key of a prepared statement (its
// partition-key bind markers) gives a Murmur3 token, the ring and the
// keyspace's replication give the replicas. A conditional statement (LWT) or
// a SERIAL read goes to the first live replica, so one coordinator runs a
// partition's Paxos rounds; other statements spread over the live replicas
// of the local datacenter; without a token, round robin over live nodes.
// Nodes of other datacenters are used only when no local node is up.
//
// RETRIES. A request is sent again, to the next node of its plan, only when
// it cannot have been applied: no usable connection to a node, or the node
// answered UNAVAILABLE, OVERLOADED or IS_BOOTSTRAPPING. After a connection
// is lost or a request timed out, only idempotent statements
// (QueryOptions::idempotent; SELECTs by default) are sent again; a
// conditional statement never is — its outcome is unknown and is the
// caller's to settle (a SERIAL read). All attempts share one timeout.
//
// SCHEMA. A statement that changes the schema returns once every live node
// reports the same schema_version, or after schema_agreement_timeout
// (WaitForSchemaAgreement tells which).
//
// THREADING CONTRACT. A Session is bound to the executor passed to Connect()
// (an io_context run by one thread, or a strand). Every method, including
// the destructor, must be called — and every returned awaitable awaited — on
// that executor. Nothing is locked: the executor serialises all state.
// Any number of requests may be in flight at once from concurrent coroutines
// on that executor; they are multiplexed over the connections by stream id
// (up to 32768 per connection). To use a session from other threads, post /
// co_spawn onto its executor.
//
// FAILURES are values (absl::Status; see error.h for the code mapping):
//  * Connect() fails fast (connection refused, unreachable, timeout after
//    SessionOptions::connect_timeout) naming each host:port tried.
//  * Each request has a client-side timeout (QueryOptions::timeout or
//    SessionOptions::request_timeout) → DEADLINE_EXCEEDED. A timed-out write
//    may still be applied by the server.
//  * With no usable connection to any node: UNAVAILABLE at once, naming each
//    node's last error. Nothing hangs beyond the request timeout.
//  * EXECUTE (alone or in a BATCH) that meets UNPREPARED re-prepares the
//    statement from its query text on that connection and is replayed once.
//
// GCC 12 notes (coroutine bugs): (1) the overloads without QueryOptions
// exist because default arguments of coroutines are destroyed twice by GCC
// 12; do not add defaults. (2) Inside a coroutine, a braced list written
// directly in the co_await expression (co_await s.Execute(stmt, {Value(1)}))
// is rejected ("array used as initializer"); build the vector first.
// Arguments passed by reference (statement, batch, options, the query text)
// must stay alive until the returned awaitable completes; temporaries in the
// co_await full-expression are fine.
//
// Results are never requested with Skip_metadata: LWT result columns change
// between executions.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cql/batch.h"
#include "cql/options.h"
#include "cql/prepared_statement.h"
#include "cql/result.h"
#include "cql/value.h"

namespace cql {

// Upper bounds (milliseconds) of the per-node latency histogram's buckets;
// a last bucket counts everything slower.
inline constexpr size_t kHostLatencyBuckets = 14;
const std::array<double, kHostLatencyBuckets>& HostLatencyBucketsMs();

// One node as the session sees it (Session::Hosts()). Counters only grow.
struct HostInfo {
  std::string endpoint;  // "address:port"
  std::string datacenter;
  std::string rack;
  bool up = false;  // a usable connection, answering
  int open_connections = 0;
  int in_flight = 0;
  int shards = 0;  // ScyllaDB shards (0: not sharded)
  int64_t requests = 0;  // attempts sent to this node
  int64_t errors = 0;    // attempts that failed (lost, timed out, refused)
  // Statements with a routing token sent here as one of their replicas, or
  // not (every replica down); statements without a token.
  int64_t replica = 0;
  int64_t non_replica = 0;
  int64_t unrouted = 0;
  // Conditional statements and SERIAL reads: sent to the partition's first
  // replica, to a later replica (the first was down), or to no replica.
  int64_t lwt_primary = 0;
  int64_t lwt_replica = 0;
  int64_t lwt_non_replica = 0;
  int64_t connects = 0;  // connections opened
  int64_t connect_failures = 0;
  std::vector<int64_t> latency_buckets;  // kHostLatencyBuckets + 1 counts
  int64_t latency_sum_us = 0;
};

class Session {
 public:
  // Connects to the contact points (each gets connections_per_host
  // connections) and performs the handshake. Succeeds if at least one
  // connection is established; otherwise UNAVAILABLE (or UNAUTHENTICATED)
  // with the failure of every host:port.
  static asio::awaitable<absl::StatusOr<std::unique_ptr<Session>>> Connect(
      asio::any_io_executor executor, SessionOptions options);

  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // QUERY (§4.1.4) with positional bound values. The text is taken by
  // value so that an awaitable created from a temporary string stays valid;
  // reference parameters here and below must outlive the awaitable.
  asio::awaitable<absl::StatusOr<Result>> Query(std::string cql, std::vector<Value> values,
                                                const QueryOptions& options);
  asio::awaitable<absl::StatusOr<Result>> Query(std::string cql, std::vector<Value> values) {
    return Query(std::move(cql), std::move(values), DefaultQueryOptions());
  }
  asio::awaitable<absl::StatusOr<Result>> Query(std::string cql) {
    return Query(std::move(cql), std::vector<Value>(), DefaultQueryOptions());
  }

  // PREPARE (§4.1.5). Cached by query text: preparing the same text again
  // returns the same shared handle without a round trip.
  asio::awaitable<absl::StatusOr<PreparedStatement>> Prepare(std::string cql);

  // EXECUTE (§4.1.6). Values are type-checked against the bind metadata
  // (INVALID_ARGUMENT before sending on mismatch or wrong count).
  // REQUIRES: statement.valid().
  asio::awaitable<absl::StatusOr<Result>> Execute(const PreparedStatement& statement,
                                                  std::vector<Value> values, const QueryOptions& options);
  asio::awaitable<absl::StatusOr<Result>> Execute(const PreparedStatement& statement, std::vector<Value> values) {
    return Execute(statement, std::move(values), DefaultQueryOptions());
  }

  // BATCH (§4.1.7). page_size and paging_state of `options` are ignored.
  asio::awaitable<absl::StatusOr<Result>> ExecuteBatch(const Batch& batch, const QueryOptions& options);
  asio::awaitable<absl::StatusOr<Result>> ExecuteBatch(const Batch& batch) {
    return ExecuteBatch(batch, DefaultQueryOptions());
  }

  // The SUPPORTED options (§4.2.4) of the first server connected to.
  const std::multimap<std::string, std::string>& supported() const;
  // True if SUPPORTED advertises ScyllaDB extensions (any "SCYLLA_" key).
  bool IsScylla() const;

  // Keyspace used for new connections (updated by a successful USE query,
  // which itself changes only the connection it ran on: with several
  // connections, set SessionOptions::keyspace or qualify table names).
  const std::string& keyspace() const;

  // Number of request connections currently open (all nodes).
  int open_connections() const;

  // The nodes known, with their state and counters.
  std::vector<HostInfo> Hosts() const;
  // The datacenter whose nodes are preferred.
  const std::string& local_datacenter() const;

  // Waits until every live node reports the same schema_version
  // (DEADLINE_EXCEEDED after schema_agreement_timeout, naming the versions).
  asio::awaitable<absl::Status> WaitForSchemaAgreement();

  // Closes every connection; in-flight requests fail with UNAVAILABLE. The
  // session may not be used afterwards (requests fail with UNAVAILABLE).
  asio::awaitable<void> Close();

 private:
  class Core;

  // A static default-constructed QueryOptions (no temporaries; see above).
  static const QueryOptions& DefaultQueryOptions();

  explicit Session(std::shared_ptr<Core> core);

  // Shared with the background coroutines (pools, control connection),
  // which end once the session is closed or destroyed.
  std::shared_ptr<Core> core_;
};

}  // namespace cql
