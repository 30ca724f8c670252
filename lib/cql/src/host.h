// Host — one node of the cluster as the session sees it: where to dial it,
// what the system tables say about it (datacenter, rack, tokens), its pool
// of connections, its reconnection state and its counters.
//
// Health. A host is usable for a request when it has a usable connection
// (open, a stream id free) and it is not stalled: connections with requests
// waiting that have read nothing for kStallAfter are sent a heartbeat at
// once, and one left unanswered for kProbeGrace marks a node that stopped
// answering (a paused process, a dead link) long before the heartbeat's
// own timeout closes it; requests go elsewhere first.
//
// Threading: the session's executor only, like everything in the session.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>

#include "absl/status/status.h"
#include "connection.h"
#include "cql/session.h"
#include "cql/uuid.h"
#include "scylla_sharding.h"

namespace cql::internal {

using SteadyClock = std::chrono::steady_clock;

inline constexpr std::chrono::milliseconds kStallAfter{1500};
// How long a heartbeat sent to a quiet, busy connection may go unanswered
// before the node is taken for stalled (OPTIONS costs a node nothing).
inline constexpr std::chrono::milliseconds kProbeGrace{500};

// What the system tables say about a node.
struct NodeInfo {
  std::string address;  // native address (IP text), or the contact point dialled for the control host
  uint16_t port = 9042;
  std::optional<Uuid> host_id;
  std::string datacenter;
  std::string rack;
  std::vector<int64_t> tokens;
  std::string schema_version;
};

// Counters kept per host (they only grow), exported through HostInfo.
struct HostCounters {  // NOLINT
  int64_t requests = 0;
  int64_t errors = 0;
  int64_t replica = 0;
  int64_t non_replica = 0;
  int64_t unrouted = 0;
  int64_t lwt_primary = 0;
  int64_t lwt_replica = 0;
  int64_t lwt_non_replica = 0;
  int64_t connects = 0;
  int64_t connect_failures = 0;
  std::array<int64_t, kHostLatencyBuckets + 1> latency{};  // the last bucket is +Inf
  int64_t latency_sum_us = 0;

  void AddLatency(std::chrono::microseconds elapsed);
};

class Host {
 public:
  Host(asio::any_io_executor executor, NodeInfo info, int target_connections);

  NodeInfo info;
  std::string endpoint;  // "address:port" or "[v6]:port"
  // Connections; with ScyllaDB sharding, slot i serves shard i % nr_shards.
  std::vector<std::shared_ptr<Connection>> connections;
  std::optional<ScyllaSharding> sharding;
  bool shard_port_failed = false;  // SCYLLA_SHARD_AWARE_PORT did not answer: use the regular port
  bool removed = false;      // no longer in the cluster's system tables
  int failures = 0;          // consecutive failed connects
  SteadyClock::time_point next_attempt{};
  absl::Status last_error;
  bool loop_running = false;
  asio::steady_timer wake;  // the pool loop sleeps on it; cancel() to wake it
  HostCounters counters;

  // A usable connection, the least loaded one; with sharding the one of
  // `shard` when that is usable. Null when there is none.
  std::shared_ptr<Connection> Acquire(std::optional<int> shard) const;
  int open_connections() const;
  int in_flight() const;
  // Every open connection has requests waiting, has read nothing for
  // kStallAfter, and left a heartbeat sent since unanswered for kProbeGrace.
  // A node busy with one slow request answers the heartbeat and is not.
  bool Stalled(SteadyClock::time_point now) const;
  // Sends that heartbeat to every connection that is quiet and busy.
  void ProbeQuiet(SteadyClock::time_point now);
  // Usable for requests right now (see the file comment).
  bool Healthy(SteadyClock::time_point now) const;
  // Index of the first empty or closed slot, or -1 when the pool is full.
  int FreeSlot() const;
  HostInfo Snapshot(SteadyClock::time_point now) const;
};

// "a:p" for IPv4 and names, "[a]:p" for IPv6 literals.
std::string EndpointOf(const std::string& address, uint16_t port);

}  // namespace cql::internal
