#include "cql/session.h"

#include <algorithm>
#include <random>
#include <set>
#include <utility>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ssl/context.hpp>
#include <asio/use_awaitable.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cluster_metadata.h"
#include "common/status_macros.h"
#include "connection.h"
#include "cql/error.h"
#include "host.h"
#include "query_plan.h"
#include "requests.h"
#include "response.h"
#include "tls.h"
#include "token_ring.h"

namespace cql {

using internal::Connection;
using internal::Host;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

const std::array<double, kHostLatencyBuckets>& HostLatencyBucketsMs() {
  static constexpr std::array<double, kHostLatencyBuckets> kBounds = {0.5, 1,   2,    5,    10,   20,   50,
                                                                      100, 200, 500, 1000, 2000, 5000, 10000};
  return kBounds;
}

namespace {

constexpr auto kTuple = asio::experimental::as_tuple(asio::use_awaitable);
constexpr milliseconds kControlTick{1000};
constexpr auto kMetadataRefresh = std::chrono::seconds(60);
constexpr milliseconds kEventDebounce{200};
constexpr milliseconds kAgreementPoll{200};

const std::vector<std::shared_ptr<PreparedMetadata>>& NoPrepared() {
  static const auto* const kNone = new std::vector<std::shared_ptr<PreparedMetadata>>();
  return *kNone;
}


// A server's refusal after which the request may go to another node:
// UNAVAILABLE and IS_BOOTSTRAPPING are answered before anything is applied;
// OVERLOADED may come after some replicas applied a write, so only an
// idempotent, unconditional statement is sent again after it.
bool RetryableRefusal(const absl::Status& status, bool idempotent) {
  std::optional<ServerError> e = ServerErrorOf(status);
  if (!e) return false;
  if (e->code == ErrorCode::kUnavailable || e->code == ErrorCode::kIsBootstrapping) return true;
  return e->code == ErrorCode::kOverloaded && idempotent;
}

milliseconds Remaining(Clock::time_point deadline) {
  return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
}

// Exponential backoff with up to 50 % of it taken off at random.
milliseconds Backoff(const SessionOptions& o, int failures) {
  thread_local std::minstd_rand rng{std::random_device{}()};
  const milliseconds base = std::min<milliseconds>(o.reconnect_backoff_min * (int64_t{1} << std::min(failures - 1, 16)),
                                                   o.reconnect_backoff_max);
  std::uniform_int_distribution<int64_t> jitter(0, base.count() / 2);
  return base - milliseconds(jitter(rng));
}

}  // namespace

// Where a request goes and how it may be retried.
struct Route {
  std::string_view keyspace;
  std::optional<int64_t> token;
  bool lwt = false;          // a conditional statement or a SERIAL read: to the first replica
  bool conditional = false;  // a conditional statement: never sent twice
  bool idempotent = false;
  // When set, receives the connection that answered.
  std::shared_ptr<internal::Connection>* served = nullptr;
};

class Session::Core : public std::enable_shared_from_this<Core> {
 public:
  Core(asio::any_io_executor ex, SessionOptions o)
      : executor(std::move(ex)), options(std::move(o)), control_wake(executor) {}

  asio::awaitable<absl::Status> Start();
  void Shutdown();

  asio::awaitable<absl::StatusOr<Result>> Run(const Route& route, milliseconds timeout,
                                              absl::FunctionRef<absl::Status(std::string*)> encode,
                                              const std::vector<std::shared_ptr<PreparedMetadata>>& prepared);
  // `schema_statement`: CREATE/ALTER/DROP, which waits for agreement even
  // when it changed nothing (IF NOT EXISTS met a change another client made,
  // which this node has and others may not).
  asio::awaitable<absl::StatusOr<Result>> AfterResult(absl::StatusOr<Result> result,
                                                      std::shared_ptr<Connection> served, bool schema_statement);
  // Asked of `witness`'s node when it is usable (the node that ran a schema
  // change knows its new version at once; another node may not even have
  // heard of it), else of any node.
  asio::awaitable<absl::Status> WaitForSchemaAgreement(std::shared_ptr<Connection> witness);
  std::optional<int64_t> TokenOf(const PreparedMetadata& md, const std::vector<Value>& values) const;

  asio::any_io_executor executor;
  SessionOptions options;
  std::vector<internal::HostPort> contact_points;
  std::shared_ptr<asio::ssl::context> tls;
  bool closed = false;
  std::vector<std::shared_ptr<Host>> hosts;
  std::string local_dc;
  std::multimap<std::string, std::string> supported;
  std::unordered_map<std::string, std::shared_ptr<PreparedMetadata>> prepared_cache;
  uint64_t rotation = 0;

 private:
  internal::ConnectionOptions ConnectionOptionsFor(const std::string& address, uint16_t port, bool control);
  asio::awaitable<absl::Status> OpenControl();
  asio::awaitable<absl::Status> RefreshTopology();
  asio::awaitable<absl::Status> RefreshKeyspaces();
  asio::awaitable<absl::StatusOr<Result>> QueryOn(Connection& connection, std::string cql, milliseconds timeout);
  asio::awaitable<void> ControlLoop(std::shared_ptr<Core> self);
  asio::awaitable<void> HostLoop(std::shared_ptr<Core> self, std::shared_ptr<Host> host);
  asio::awaitable<void> OpenPoolConnection(Host& host, int slot);
  void StartHost(const std::shared_ptr<Host>& host);
  void OnEvent(const internal::EventMessage& event);
  Host* FindHost(const std::string& address, uint16_t port) const;
  void RebuildRing();
  void Replicas(std::string_view keyspace, int64_t token, std::vector<Host*>* out);
  void Count(Host& host, const Route& route, const std::vector<Host*>& replicas);
  asio::awaitable<absl::StatusOr<Result>> SendWithReprepare(
      std::shared_ptr<Connection> connection, Clock::time_point deadline,
      absl::FunctionRef<absl::Status(std::string*)> encode,
      const std::vector<std::shared_ptr<PreparedMetadata>>& prepared);
  asio::awaitable<absl::Status> Reprepare(Connection& connection, PreparedMetadata& metadata,
                                          Clock::time_point deadline);

 public:
  // Prepares the statements on a connection in the background (a node that
  // joined or came back, or the other nodes after a first Prepare), so that
  // requests do not meet UNPREPARED there. Failures are left to the
  // re-prepare on UNPREPARED.
  void PrepareInBackground(std::shared_ptr<Connection> connection,
                           std::vector<std::shared_ptr<PreparedMetadata>> statements);

 private:
  asio::awaitable<void> PrepareAll(std::shared_ptr<Core> self, std::shared_ptr<Connection> connection,
                                   std::vector<std::shared_ptr<PreparedMetadata>> statements);
  std::shared_ptr<Connection> AnyConnection() const;
  // Waits until a pool connection attempt ends (or `until`).
  asio::awaitable<void> WaitForPool(Clock::time_point until);
  void NotifyPool();

  std::shared_ptr<Connection> control;
  internal::HostPort control_address_;  // as dialled
  bool topology_dirty = false;
  bool keyspaces_dirty = false;
  int control_failures = 0;
  Clock::time_point last_refresh{};
  asio::steady_timer control_wake;  // the control loop sleeps on it
  // Timers of coroutines waiting for a pool connection attempt to end.
  std::vector<asio::steady_timer*> pool_waiters;
  std::unique_ptr<internal::TokenRing> ring;
  std::vector<Host*> ring_hosts;  // ring node index -> host
  internal::ReplicationByKeyspace replication;
  std::map<std::string, std::optional<internal::ReplicaMap>, std::less<>> replica_maps;
};

internal::ConnectionOptions Session::Core::ConnectionOptionsFor(const std::string& address, uint16_t port,
                                                                bool control) {
  internal::ConnectionOptions co;
  co.host = address;
  co.port = port;
  co.username = options.username;
  co.password = options.password;
  co.keyspace = control ? std::string() : options.keyspace;
  co.connect_timeout = options.connect_timeout;
  co.tls = tls;
  if (tls && options.tls.verify_hostname) co.tls_verify_name = address;
  co.heartbeat_interval = options.heartbeat_interval;
  co.heartbeat_timeout = options.heartbeat_timeout;
  if (control) {
    std::weak_ptr<Core> weak = weak_from_this();
    co.on_event = [weak](const internal::EventMessage& event) {
      if (auto core = weak.lock()) core->OnEvent(event);
    };
  }
  return co;
}

asio::awaitable<absl::Status> Session::Core::Start() {
  for (const std::string& text : options.contact_points) {
    CO_ASSIGN_OR_RETURN(internal::HostPort hp, internal::ParseContactPoint(text, options.port));
    contact_points.push_back(std::move(hp));
  }
  if (options.tls.enabled) {
    CO_ASSIGN_OR_RETURN(tls, internal::MakeTlsContext(options.tls));
  }
  CO_RETURN_IF_ERROR(co_await OpenControl());
  for (const auto& host : hosts) StartHost(host);
  // Wait (bounded) until a pool connection is open or every node has failed once.
  const auto deadline = Clock::now() + options.connect_timeout + milliseconds(200);
  for (;;) {
    bool any_open = false;
    bool all_tried = true;
    for (const auto& h : hosts) {
      any_open = any_open || h->open_connections() > 0;
      all_tried = all_tried && (h->counters.connects + h->counters.connect_failures > 0);
    }
    if (any_open) break;
    if (all_tried || Clock::now() >= deadline) {
      std::vector<std::string> errors;
      absl::StatusCode code = absl::StatusCode::kUnavailable;
      for (const auto& h : hosts) {
        errors.push_back(absl::StrCat(h->endpoint, ": ", h->last_error.message()));
        // Configuration problems (credentials, keyspace, TLS) win over plain unavailability.
        const absl::StatusCode c = h->last_error.code();
        if (c != absl::StatusCode::kOk && c != absl::StatusCode::kUnavailable &&
            c != absl::StatusCode::kDeadlineExceeded) {
          code = c;
        }
      }
      co_return absl::Status(code, absl::StrCat("no connection to any node: ", absl::StrJoin(errors, "; ")));
    }
    co_await WaitForPool(deadline);
  }
  asio::co_spawn(executor, ControlLoop(shared_from_this()), asio::detached);
  co_return absl::OkStatus();
}

void Session::Core::Shutdown() {
  if (closed) return;
  closed = true;
  const absl::Status reason = absl::UnavailableError("CQL session closed");
  if (control) control->Close(reason);
  for (auto& h : hosts) {
    for (auto& c : h->connections) {
      if (c) c->Close(reason);
    }
    h->wake.cancel();
  }
  control_wake.cancel();
  NotifyPool();
}

// The control connection: the known nodes first (local datacenter first),
// then the contact points. Errors name every endpoint tried; configuration
// errors (credentials, TLS) win over plain unavailability.
asio::awaitable<absl::Status> Session::Core::OpenControl() {
  // Healthy nodes first (the last control node is usually the one lost),
  // local datacenter first within each kind.
  std::vector<internal::HostPort> candidates;
  const auto now = Clock::now();
  for (int pass = 0; pass < 4; ++pass) {
    const bool want_healthy = pass < 2;
    const bool want_local = pass % 2 == 0;
    for (const auto& h : hosts) {
      const bool local = local_dc.empty() || h->info.datacenter == local_dc;
      if (!h->removed && h->Healthy(now) == want_healthy && local == want_local) {
        candidates.push_back({h->info.address, h->info.port});
      }
    }
  }
  for (const auto& cp : contact_points) candidates.push_back(cp);
  std::vector<std::string> errors;
  absl::StatusCode code = absl::StatusCode::kUnavailable;
  std::set<std::string> tried;
  for (const internal::HostPort& c : candidates) {
    if (closed) co_return absl::UnavailableError("CQL session closed");
    if (!tried.insert(internal::EndpointOf(c.host, c.port)).second) continue;
    internal::ConnectionOptions co = ConnectionOptionsFor(c.host, c.port, true);
    auto opened = co_await Connection::Open(executor, std::move(co));
    if (closed) {
      if (opened.ok()) (*opened)->Close(absl::UnavailableError("CQL session closed"));
      co_return absl::UnavailableError("CQL session closed");
    }
    absl::Status s = opened.status();
    if (s.ok()) {
      control = *opened;
      control_address_ = c;
      std::string frame;
      const std::vector<std::string> events = {"TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"};
      s = internal::EncodeRegister(events, &frame);
      if (s.ok()) {
        absl::StatusOr<internal::Frame> reply = co_await control->Send(frame, options.request_timeout);
        if (!reply.ok()) {
          s = reply.status();
        } else {
          absl::StatusOr<internal::ResponseMessage> m = internal::DecodeResponse(*std::move(reply));
          if (!m.ok()) s = m.status();
        }
      }
      if (s.ok()) s = co_await RefreshTopology();
      if (s.ok()) {
        absl::Status k = co_await RefreshKeyspaces();
        (void)k;  // without replication data requests are routed round robin; the next refresh retries
        if (supported.empty()) supported = control->supported();
        control_failures = 0;
        co_return absl::OkStatus();
      }
      control->Close(s);
      control.reset();
    }
    if (s.code() != absl::StatusCode::kUnavailable && s.code() != absl::StatusCode::kDeadlineExceeded) code = s.code();
    errors.push_back(std::string(s.message()));
  }
  co_return absl::Status(code, absl::StrCat("cannot connect to any CQL contact point: ", absl::StrJoin(errors, "; ")));
}

asio::awaitable<absl::StatusOr<Result>> Session::Core::QueryOn(Connection& connection, std::string cql,
                                                                milliseconds timeout) {
  internal::QueryParameters params;
  params.consistency = Consistency::kOne;
  std::string frame;
  CO_RETURN_IF_ERROR(internal::EncodeQuery(cql, params, &frame));
  CO_ASSIGN_OR_RETURN(internal::Frame response, co_await connection.Send(frame, timeout));
  co_return internal::DecodeResultResponse(std::move(response));
}

// Reads the nodes on the control connection and merges them into `hosts`:
// new nodes get a pool, nodes gone are closed, changed tokens rebuild the ring.
asio::awaitable<absl::Status> Session::Core::RefreshTopology() {
  if (!control) co_return absl::UnavailableError("no control connection");
  std::shared_ptr<Connection> conn = control;
  CO_ASSIGN_OR_RETURN(Result local_rows, co_await QueryOn(*conn, internal::kSelectLocal, options.request_timeout));
  if (local_rows.row_count() != 1) co_return absl::InternalError("system.local has no row");
  CO_ASSIGN_OR_RETURN(internal::NodeInfo local_node,
                      internal::NodeFromLocalRow(local_rows.row(0), control_address_.host, control_address_.port));
  std::vector<internal::NodeInfo> nodes;
  nodes.push_back(std::move(local_node));
  if (options.discover_peers) {
    absl::StatusOr<Result> peers = co_await QueryOn(*conn, internal::kSelectPeersV2, options.request_timeout);
    if (!peers.ok()) {
      std::optional<ServerError> e = ServerErrorOf(peers.status());
      if (!e || e->code != ErrorCode::kInvalid) co_return peers.status();
      peers = co_await QueryOn(*conn, internal::kSelectPeers, options.request_timeout);
      if (!peers.ok()) co_return peers.status();
    }
    for (size_t i = 0; i < peers->row_count(); ++i) {
      CO_ASSIGN_OR_RETURN(internal::NodeInfo node, internal::NodeFromPeerRow(peers->row(i), options.port));
      nodes.push_back(std::move(node));
    }
  }
  if (local_dc.empty()) local_dc = options.local_datacenter.empty() ? nodes[0].datacenter : options.local_datacenter;

  std::vector<std::shared_ptr<Host>> fresh;
  for (internal::NodeInfo& node : nodes) {
    std::shared_ptr<Host> match;
    for (const auto& h : hosts) {
      const bool same_id = node.host_id && h->info.host_id && *node.host_id == *h->info.host_id;
      if (!h->removed && (same_id || (h->info.address == node.address && h->info.port == node.port))) match = h;
    }
    if (match) {
      // The control host keeps the address it was dialled by (a name, a proxy).
      const bool moved = match->info.address != node.address || match->info.port != node.port;
      if (moved && &node != &nodes[0]) {
        match->removed = true;  // re-created below at its new address
        for (auto& c : match->connections) {
          if (c) c->Close(absl::UnavailableError("node moved"));
        }
        match.reset();
      } else {
        match->info.datacenter = node.datacenter;
        match->info.rack = node.rack;
        match->info.tokens = node.tokens;
        match->info.schema_version = node.schema_version;
        if (node.host_id) match->info.host_id = node.host_id;
      }
    }
    if (!match) {
      match = std::make_shared<Host>(executor, std::move(node), options.connections_per_host);
      if (!hosts.empty()) StartHost(match);  // at start-up Start() starts them
    }
    fresh.push_back(std::move(match));
  }
  if (options.discover_peers) {
    for (const auto& h : hosts) {
      if (std::find(fresh.begin(), fresh.end(), h) != fresh.end()) continue;
      h->removed = true;
      for (auto& c : h->connections) {
        if (c) c->Close(absl::UnavailableError("node left the cluster"));
      }
      h->wake.cancel();
    }
  } else {
    // Only the contact points are used; the others keep their (unknown) metadata.
    for (const auto& cp : contact_points) {
      const std::string ep = internal::EndpointOf(cp.host, cp.port);
      if (std::none_of(fresh.begin(), fresh.end(), [&](const auto& h) { return h->endpoint == ep; })) {
        std::shared_ptr<Host> match;
        for (const auto& h : hosts) {
          if (h->endpoint == ep) match = h;
        }
        if (!match) {
          internal::NodeInfo node;
          node.address = cp.host;
          node.port = cp.port;
          match = std::make_shared<Host>(executor, std::move(node), options.connections_per_host);
          if (!hosts.empty()) StartHost(match);
        }
        fresh.push_back(std::move(match));
      }
    }
  }
  hosts = std::move(fresh);
  RebuildRing();
  last_refresh = Clock::now();
  co_return absl::OkStatus();
}

asio::awaitable<absl::Status> Session::Core::RefreshKeyspaces() {
  if (!control) co_return absl::UnavailableError("no control connection");
  std::shared_ptr<Connection> conn = control;
  CO_ASSIGN_OR_RETURN(Result rows, co_await QueryOn(*conn, internal::kSelectKeyspaces, options.request_timeout));
  CO_ASSIGN_OR_RETURN(replication, internal::ReplicationFromRows(rows));
  replica_maps.clear();
  co_return absl::OkStatus();
}

void Session::Core::RebuildRing() {
  replica_maps.clear();
  ring.reset();
  ring_hosts.clear();
  std::vector<internal::RingNode> nodes;
  for (const auto& h : hosts) {
    if (h->removed || h->info.tokens.empty()) continue;
    nodes.push_back(internal::RingNode{h->info.datacenter, h->info.rack, h->info.tokens});
    ring_hosts.push_back(h.get());
  }
  if (!nodes.empty()) ring = std::make_unique<internal::TokenRing>(std::move(nodes));
}

void Session::Core::Replicas(std::string_view keyspace, int64_t token, std::vector<Host*>* out) {
  out->clear();
  if (!ring || keyspace.empty()) return;
  auto it = replica_maps.find(keyspace);
  if (it == replica_maps.end()) {
    std::optional<internal::ReplicaMap> map;
    if (auto r = replication.find(std::string(keyspace)); r != replication.end()) {
      absl::StatusOr<internal::ReplicaMap> built = internal::ReplicaMap::Build(*ring, r->second);
      if (built.ok()) map = *std::move(built);
    }
    it = replica_maps.emplace(std::string(keyspace), std::move(map)).first;
  }
  if (!it->second) return;
  for (int i : it->second->ReplicasOf(token)) out->push_back(ring_hosts[static_cast<size_t>(i)]);
}

void Session::Core::StartHost(const std::shared_ptr<Host>& host) {
  if (host->loop_running || closed) return;
  host->loop_running = true;
  asio::co_spawn(executor, HostLoop(shared_from_this(), host), asio::detached);
}

// Keeps a node's pool full: opens missing connections, backing off after
// failures. Ends when the session closes or the node leaves.
asio::awaitable<void> Session::Core::HostLoop(std::shared_ptr<Core> self, std::shared_ptr<Host> host) {
  (void)self;  // keeps the core alive
  while (!closed && !host->removed) {
    const int slot = host->FreeSlot();
    const auto now = Clock::now();
    if (slot < 0 || now < host->next_attempt) {
      const auto until = slot < 0 ? now + kControlTick : std::min(host->next_attempt, now + kControlTick);
      host->wake.expires_at(until);
      co_await host->wake.async_wait(kTuple);
      continue;
    }
    co_await OpenPoolConnection(*host, slot);
    NotifyPool();
  }
  host->loop_running = false;
}

asio::awaitable<void> Session::Core::OpenPoolConnection(Host& host, int slot) {
  internal::ConnectionOptions co = ConnectionOptionsFor(host.info.address, host.info.port, false);
  if (host.open_connections() == 0) host.sharding.reset();  // read again from the node (it may have restarted)
  const int nr_shards = host.sharding ? host.sharding->nr_shards : 0;
  bool via_shard_port = false;
  if (nr_shards > 0 && !host.shard_port_failed) {
    // ScyllaDB: reach the slot's shard through the shard-aware port, which
    // picks the shard from the client's port.
    const std::optional<uint16_t> port = tls ? host.sharding->shard_aware_port_ssl : host.sharding->shard_aware_port;
    if (port) {
      thread_local std::minstd_rand rng{std::random_device{}()};
      co.port = *port;
      co.local_port = internal::ScyllaLocalPortFor(slot % nr_shards, nr_shards,
                                                   static_cast<uint16_t>(49152 + rng() % 16000));
      via_shard_port = true;
    }
  }
  auto opened = co_await Connection::Open(executor, std::move(co));
  if (closed || host.removed) {
    if (opened.ok()) (*opened)->Close(absl::UnavailableError("CQL session closed"));
    co_return;
  }
  if (!opened.ok()) {
    // A shard-aware port that cannot be reached (a firewall) is not tried
    // again; the regular port still reaches some shard.
    if (via_shard_port && opened.status().message().find("in use") == std::string_view::npos) {
      host.shard_port_failed = true;
    }
    ++host.failures;
    ++host.counters.connect_failures;
    host.last_error = opened.status();
    host.next_attempt = Clock::now() + Backoff(options, host.failures);
    co_return;
  }
  std::shared_ptr<Connection> conn = *std::move(opened);
  if (!host.sharding) {
    host.sharding = internal::ParseScyllaSharding(conn->supported());
    if (host.sharding && static_cast<int>(host.connections.size()) < host.sharding->nr_shards) {
      host.connections.resize(static_cast<size_t>(host.sharding->nr_shards));
    }
  }
  int at = slot;
  if (host.sharding) {
    // Put the connection in the slot of the shard it landed on, if that is free.
    const std::optional<internal::ScyllaSharding> landed = internal::ParseScyllaSharding(conn->supported());
    if (landed) {
      for (size_t i = static_cast<size_t>(landed->shard); i < host.connections.size();
           i += static_cast<size_t>(host.sharding->nr_shards)) {
        if (!host.connections[i] || !host.connections[i]->is_open()) {
          at = static_cast<int>(i);
          break;
        }
      }
    }
  }
  if (!prepared_cache.empty()) {
    std::vector<std::shared_ptr<PreparedMetadata>> statements;
    for (const auto& [text, md] : prepared_cache) statements.push_back(md);
    PrepareInBackground(conn, std::move(statements));
  }
  host.connections[static_cast<size_t>(at)] = std::move(conn);
  host.failures = 0;
  host.next_attempt = {};
  host.last_error = absl::OkStatus();
  ++host.counters.connects;
  if (supported.empty()) supported = host.connections[static_cast<size_t>(at)]->supported();
}

asio::awaitable<void> Session::Core::WaitForPool(Clock::time_point until) {
  asio::steady_timer timer(executor, until);
  pool_waiters.push_back(&timer);
  co_await timer.async_wait(kTuple);
  pool_waiters.erase(std::find(pool_waiters.begin(), pool_waiters.end(), &timer));
}

void Session::Core::NotifyPool() {
  for (asio::steady_timer* t : pool_waiters) t->cancel();
}

Host* Session::Core::FindHost(const std::string& address, uint16_t port) const {
  for (const auto& h : hosts) {
    if (!h->removed && h->info.address == address && h->info.port == port) return h.get();
  }
  return nullptr;
}

// Runs on the executor from the control connection's reader: only flags and
// timer cancellations here, the control loop does the work.
void Session::Core::OnEvent(const internal::EventMessage& event) {
  if (event.type == "STATUS_CHANGE") {
    Host* h = FindHost(event.address, static_cast<uint16_t>(event.port));
    if (h != nullptr && event.change == "UP") {
      // Reconnect now rather than at the end of the backoff.
      h->failures = 0;
      h->next_attempt = {};
      h->wake.cancel();
    }
    // DOWN is not acted on: the node's own connections are the better witness
    // (a lost connection, an unanswered heartbeat, a stall).
    if (h == nullptr) topology_dirty = true;
  } else if (event.type == "TOPOLOGY_CHANGE") {
    topology_dirty = true;
  } else if (event.type == "SCHEMA_CHANGE" && event.target == "KEYSPACE") {
    keyspaces_dirty = true;
  }
  if (topology_dirty || keyspaces_dirty) control_wake.cancel();
}

// Keeps a control connection open and the metadata current.
asio::awaitable<void> Session::Core::ControlLoop(std::shared_ptr<Core> self) {
  (void)self;
  while (!closed) {
    if (!control || !control->is_open()) {
      control.reset();
      absl::Status s = co_await OpenControl();
      if (closed) break;
      if (!s.ok()) {
        ++control_failures;
        control_wake.expires_after(Backoff(options, control_failures));
        co_await control_wake.async_wait(kTuple);
        continue;
      }
    }
    control_wake.expires_after(kControlTick);
    co_await control_wake.async_wait(kTuple);
    if (closed) break;
    const bool periodic = Clock::now() - last_refresh >= kMetadataRefresh;
    if (!topology_dirty && !keyspaces_dirty && !periodic) continue;
    if (!periodic) {
      control_wake.expires_after(kEventDebounce);  // one refresh for a burst of events
      co_await control_wake.async_wait(kTuple);
      if (closed) break;
    }
    absl::Status s = absl::OkStatus();
    if (topology_dirty || periodic) {
      topology_dirty = false;
      s = co_await RefreshTopology();
    }
    if (s.ok() && (keyspaces_dirty || periodic)) {
      keyspaces_dirty = false;
      s = co_await RefreshKeyspaces();
    }
    if (!s.ok() && control) control->Close(s);  // reopened, elsewhere if need be, on the next turn
  }
  if (control) control->Close(absl::UnavailableError("CQL session closed"));
}

std::shared_ptr<Connection> Session::Core::AnyConnection() const {
  if (control && control->usable()) return control;
  for (const auto& h : hosts) {
    if (auto c = h->Acquire(std::nullopt)) return c;
  }
  return nullptr;
}

asio::awaitable<absl::Status> Session::Core::WaitForSchemaAgreement(std::shared_ptr<Connection> witness) {
  const auto deadline = Clock::now() + options.schema_agreement_timeout;
  std::string last = "no node answered";
  while (!closed) {
    std::shared_ptr<Connection> conn = witness && witness->usable() ? witness : AnyConnection();
    if (conn) {
      absl::StatusOr<Result> local = co_await QueryOn(*conn, internal::kSelectLocalSchema, Remaining(deadline));
      absl::StatusOr<Result> peers = absl::UnavailableError("not read");
      if (local.ok()) peers = co_await QueryOn(*conn, internal::kSelectPeersSchema, Remaining(deadline));
      if (local.ok() && peers.ok() && local->row_count() == 1) {
        std::map<std::string, std::vector<std::string>> versions;
        if (absl::StatusOr<Uuid> v = local->row(0).GetUuid(0); v.ok()) versions[v->ToString()].push_back("local");
        const auto now = Clock::now();
        for (size_t i = 0; i < peers->row_count(); ++i) {
          const Row row = peers->row(i);
          absl::StatusOr<Uuid> id = row.GetUuid(0);
          absl::StatusOr<Uuid> v = row.GetUuid(1);
          if (!v.ok()) continue;
          // Peers this session failed to reach do not count (a node still
          // being connected to does).
          bool down = false;
          for (const auto& h : hosts) {
            if (id.ok() && h->info.host_id && *h->info.host_id == *id) {
              down = h->failures > 0 && !h->Healthy(now);
            }
          }
          if (!down) versions[v->ToString()].push_back(id.ok() ? id->ToString() : "?");
        }
        if (versions.size() <= 1) co_return absl::OkStatus();
        std::vector<std::string> parts;
        for (const auto& [version, who] : versions) {
          parts.push_back(absl::StrCat(version, " (", absl::StrJoin(who, ", "), ")"));
        }
        last = absl::StrJoin(parts, "; ");
      } else {
        last = std::string((local.ok() ? peers : local).status().message());
      }
    }
    if (Clock::now() >= deadline) break;
    asio::steady_timer pause(executor, std::min(kAgreementPoll, Remaining(deadline)));
    co_await pause.async_wait(kTuple);
  }
  co_return absl::DeadlineExceededError(absl::StrCat("no schema agreement after ",
                                                     options.schema_agreement_timeout.count(), " ms: ", last));
}

std::optional<int64_t> Session::Core::TokenOf(const PreparedMetadata& md, const std::vector<Value>& values) const {
  if (!options.token_aware || md.pk_indexes.empty() || !ring) return std::nullopt;
  absl::StatusOr<std::string> key = internal::RoutingKey(md.pk_indexes, md.bind_columns, values);
  if (!key.ok()) return std::nullopt;
  return internal::Murmur3Token(*key);
}

void Session::Core::Count(Host& host, const Route& route, const std::vector<Host*>& replicas) {
  internal::HostCounters& c = host.counters;
  ++c.requests;
  const bool is_replica = std::find(replicas.begin(), replicas.end(), &host) != replicas.end();
  if (replicas.empty()) {
    ++c.unrouted;
  } else if (is_replica) {
    ++c.replica;
  } else {
    ++c.non_replica;
  }
  if (route.lwt && !replicas.empty()) {
    if (replicas.front() == &host) {
      ++c.lwt_primary;
    } else if (is_replica) {
      ++c.lwt_replica;
    } else {
      ++c.lwt_non_replica;
    }
  }
}

asio::awaitable<absl::StatusOr<Result>> Session::Core::Run(
    const Route& route, milliseconds timeout, absl::FunctionRef<absl::Status(std::string*)> encode,
    const std::vector<std::shared_ptr<PreparedMetadata>>& prepared) {
  if (closed) co_return absl::UnavailableError("CQL session is closed");
  const auto deadline = Clock::now() + timeout;
  std::vector<Host*> replicas;
  if (route.token) Replicas(route.keyspace.empty() ? std::string_view(options.keyspace) : route.keyspace,
                            *route.token, &replicas);
  std::vector<Host*> plan;
  // The plan holds raw pointers: its hosts are kept alive while it runs.
  std::vector<std::shared_ptr<Host>> keep;
  std::vector<std::string> skipped;
  absl::Status last;
  for (int round = 0; round < 2 && last.ok(); ++round) {
    if (round == 1) {
      // No node had a usable connection: wait (bounded) for a reconnection
      // that is due before the deadline, then try the plan once more.
      const auto now = Clock::now();
      bool due = false;
      for (const auto& h : hosts) {
        if (h->removed) continue;
        due = due || h->next_attempt <= deadline;
        h->wake.cancel();
      }
      if (!due || closed) break;
      co_await WaitForPool(std::min(deadline, now + options.connect_timeout + milliseconds(100)));
      skipped.clear();
    }
    keep = hosts;
    const auto now = Clock::now();
    for (const auto& h : hosts) h->ProbeQuiet(now);
    internal::MakeQueryPlan(hosts, local_dc, replicas, route.lwt, rotation++, now, &plan);
    for (Host* host : plan) {
      if (closed) co_return absl::UnavailableError("CQL session is closed");
      if (Remaining(deadline).count() == 0) {
        co_return last.ok() ? absl::DeadlineExceededError(absl::StrCat("CQL request timed out after ",
                                                                       timeout.count(), " ms"))
                            : last;
      }
      std::optional<int> shard;
      if (host->sharding && route.token) {
        shard = internal::ScyllaShardOf(*route.token, host->sharding->nr_shards, host->sharding->ignore_msb);
      }
      std::shared_ptr<Connection> conn = host->Acquire(shard);
      if (!conn) {
        host->wake.cancel();  // its pool loop reconnects now if its backoff allows
        skipped.push_back(absl::StrCat(host->endpoint, ": ",
                                       host->last_error.ok() ? "no usable connection" : host->last_error.message()));
        continue;
      }
      Count(*host, route, replicas);
      const auto started = Clock::now();
      absl::StatusOr<Result> result = co_await SendWithReprepare(conn, deadline, encode, prepared);
      host->counters.AddLatency(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started));
      if (result.ok()) {
        if (route.served != nullptr) *route.served = conn;
        co_return result;
      }
      ++host->counters.errors;
      const bool idempotent = route.idempotent && !route.conditional;
      // A conditional statement is sent once: a refusal may come after its
      // proposal was accepted, and a second round would then find its own
      // write and answer "not applied".
      if (!route.conditional && RetryableRefusal(result.status(), idempotent)) {  // safe to send elsewhere
        last = result.status();
        continue;
      }
      // Other server answers, timeouts and errors of this side (a value that
      // does not fit its column) are the caller's.
      if (ServerErrorOf(result.status()) || result.status().code() != absl::StatusCode::kUnavailable) {
        co_return result;
      }
      last = result.status();
      // The connection was lost with the request in flight: it may have been applied.
      if (!idempotent) {
        co_return absl::Status(result.status().code(),
                               absl::StrCat(result.status().message(), " (the statement may have been applied)"));
      }
      if (Clock::now() >= deadline) co_return result;
    }
  }
  if (!last.ok()) co_return last;
  co_return absl::UnavailableError(absl::StrCat("no node could take the request: ", absl::StrJoin(skipped, "; ")));
}

asio::awaitable<absl::Status> Session::Core::Reprepare(Connection& connection, PreparedMetadata& metadata,
                                                       Clock::time_point deadline) {
  if (Remaining(deadline).count() == 0) co_return absl::DeadlineExceededError("CQL request timed out re-preparing");
  std::string frame;
  CO_RETURN_IF_ERROR(internal::EncodePrepare(metadata.query, &frame));
  CO_ASSIGN_OR_RETURN(internal::Frame response, co_await connection.Send(frame, Remaining(deadline)));
  CO_ASSIGN_OR_RETURN(Result result, internal::DecodeResultResponse(std::move(response)));
  if (result.kind() != ResultKind::kPrepared || !result.prepared()) {
    co_return absl::InternalError("PREPARE did not return a Prepared result");
  }
  // Update the shared metadata in place: every handle sees the new id/types.
  PreparedMetadata& fresh = *result.prepared();
  metadata.id = std::move(fresh.id);
  metadata.keyspace = std::move(fresh.keyspace);
  metadata.pk_indexes = std::move(fresh.pk_indexes);
  metadata.bind_columns = std::move(fresh.bind_columns);
  metadata.result_metadata = std::move(fresh.result_metadata);
  co_return absl::OkStatus();
}

void Session::Core::PrepareInBackground(std::shared_ptr<Connection> connection,
                                        std::vector<std::shared_ptr<PreparedMetadata>> statements) {
  if (closed || statements.empty() || !connection) return;
  asio::co_spawn(executor, PrepareAll(shared_from_this(), std::move(connection), std::move(statements)),
                 asio::detached);
}

asio::awaitable<void> Session::Core::PrepareAll(std::shared_ptr<Core> self, std::shared_ptr<Connection> connection,
                                                std::vector<std::shared_ptr<PreparedMetadata>> statements) {
  (void)self;
  for (const auto& md : statements) {
    if (closed || !connection->is_open()) break;
    std::string frame;
    if (!internal::EncodePrepare(md->query, &frame).ok()) continue;
    absl::StatusOr<internal::Frame> answer = co_await connection->Send(frame, options.request_timeout);
    (void)answer;  // the id is the same on every node (a digest of the text and keyspace)
  }
}

asio::awaitable<absl::StatusOr<Result>> Session::Core::SendWithReprepare(
    std::shared_ptr<Connection> connection, Clock::time_point deadline,
    absl::FunctionRef<absl::Status(std::string*)> encode, const std::vector<std::shared_ptr<PreparedMetadata>>& prepared) {
  // UNPREPARED (§9, 0x2500): this node does not know a statement (another
  // node prepared it, or it restarted). It names one id per answer: prepare
  // that one again from its text and replay, at most once per statement.
  for (size_t replays = 0;; ++replays) {
    std::string frame;
    CO_RETURN_IF_ERROR(encode(&frame));
    if (replays > 0 && Remaining(deadline).count() == 0) co_return absl::DeadlineExceededError("CQL request timed out");
    CO_ASSIGN_OR_RETURN(internal::Frame response, co_await connection->Send(frame, Remaining(deadline)));
    absl::StatusOr<Result> result = internal::DecodeResultResponse(std::move(response));
    if (result.ok() || prepared.empty() || replays >= prepared.size()) co_return result;
    std::optional<ServerError> error = ServerErrorOf(result.status());
    if (!error || error->code != ErrorCode::kUnprepared) co_return result;
    bool matched = false;
    for (const auto& md : prepared) {
      if (md->id == error->unprepared_id) {
        matched = true;
        CO_RETURN_IF_ERROR(co_await Reprepare(*connection, *md, deadline));
      }
    }
    if (!matched) {  // an id we never had: prepare them all
      for (const auto& md : prepared) CO_RETURN_IF_ERROR(co_await Reprepare(*connection, *md, deadline));
    }
  }
}

// After a successful request: a USE changes the keyspace of new connections;
// a schema change waits for agreement (a timeout is not the statement's error).
asio::awaitable<absl::StatusOr<Result>> Session::Core::AfterResult(absl::StatusOr<Result> result,
                                                                    std::shared_ptr<Connection> served,
                                                                    bool schema_statement) {
  if (!result.ok()) co_return result;
  if (result->kind() == ResultKind::kSetKeyspace) options.keyspace = result->keyspace();
  if (result->kind() == ResultKind::kSchemaChange || schema_statement) {
    absl::Status agreed = co_await WaitForSchemaAgreement(std::move(served));
    (void)agreed;  // the change is applied; callers that need agreement ask WaitForSchemaAgreement()
  }
  co_return result;
}

// ---------------------------------------------------------------------------

const QueryOptions& Session::DefaultQueryOptions() {
  static const auto* const kDefaults = new QueryOptions();
  return *kDefaults;
}

Session::Session(std::shared_ptr<Core> core) : core_(std::move(core)) {}

Session::~Session() { core_->Shutdown(); }

asio::awaitable<absl::StatusOr<std::unique_ptr<Session>>> Session::Connect(asio::any_io_executor executor,
                                                                            SessionOptions options) {
  if (options.contact_points.empty()) co_return absl::InvalidArgumentError("no CQL contact points configured");
  auto core = std::make_shared<Core>(std::move(executor), std::move(options));
  absl::Status started = co_await core->Start();
  if (!started.ok()) {
    core->Shutdown();
    co_return started;
  }
  co_return std::unique_ptr<Session>(new Session(std::move(core)));
}

asio::awaitable<absl::StatusOr<Result>> Session::Query(std::string cql, std::vector<Value> values,
                                                       const QueryOptions& options) {
  std::shared_ptr<Core> core = core_;
  const internal::StatementTraits traits = internal::ClassifyStatement(cql);
  internal::QueryParameters params;
  params.consistency = options.consistency.value_or(core->options.default_consistency);
  params.values = &values;
  params.page_size = options.page_size;
  params.paging_state = options.paging_state;
  params.serial_consistency = options.serial_consistency;
  params.default_timestamp = options.default_timestamp;
  Route route;
  route.conditional = traits.conditional;
  route.lwt = traits.conditional || IsSerial(params.consistency);
  route.idempotent = options.idempotent.value_or(traits.select);
  std::shared_ptr<Connection> served;
  route.served = &served;
  absl::StatusOr<Result> result = co_await core->Run(
      route, options.timeout.value_or(core->options.request_timeout),
      [&](std::string* out) { return internal::EncodeQuery(cql, params, out); }, NoPrepared());
  co_return co_await core->AfterResult(std::move(result), std::move(served), traits.schema);
}

asio::awaitable<absl::StatusOr<PreparedStatement>> Session::Prepare(std::string cql) {
  std::shared_ptr<Core> core = core_;
  if (auto it = core->prepared_cache.find(cql); it != core->prepared_cache.end()) {
    co_return PreparedStatement(it->second);
  }
  Route route;
  route.idempotent = true;  // preparing twice is harmless
  absl::StatusOr<Result> result = co_await core->Run(
      route, core->options.request_timeout, [&](std::string* out) { return internal::EncodePrepare(cql, out); },
      NoPrepared());
  if (!result.ok()) co_return result.status();
  if (result->kind() != ResultKind::kPrepared || !result->prepared()) {
    co_return absl::InternalError("PREPARE did not return a Prepared result");
  }
  std::shared_ptr<PreparedMetadata> metadata = result->prepared();
  const internal::StatementTraits traits = internal::ClassifyStatement(cql);
  metadata->conditional = traits.conditional;
  metadata->select = traits.select;
  metadata->query = cql;
  // A concurrent Prepare of the same text may have won; keep the first.
  auto [it, inserted] = core->prepared_cache.emplace(std::move(cql), metadata);
  if (inserted) {
    // The other nodes learn it now rather than at its first use there.
    for (const auto& h : core->hosts) {
      for (const auto& c : h->connections) {
        if (c && c->usable()) core->PrepareInBackground(c, {metadata});
      }
    }
  }
  co_return PreparedStatement(it->second);
}

asio::awaitable<absl::StatusOr<Result>> Session::Execute(const PreparedStatement& statement,
                                                         std::vector<Value> values, const QueryOptions& options) {
  if (!statement.valid()) co_return absl::InvalidArgumentError("Execute() with an empty PreparedStatement");
  std::shared_ptr<Core> core = core_;
  const std::shared_ptr<PreparedMetadata> metadata = statement.metadata();
  const Consistency consistency = options.consistency.value_or(core->options.default_consistency);
  auto encode = [&](std::string* out) {
    internal::QueryParameters params;
    params.consistency = consistency;
    params.values = &values;
    params.bind_columns = &metadata->bind_columns;
    params.page_size = options.page_size;
    params.paging_state = options.paging_state;
    params.serial_consistency = options.serial_consistency;
    params.default_timestamp = options.default_timestamp;
    return internal::EncodeExecute(metadata->id, params, out);
  };
  Route route;
  route.keyspace = metadata->keyspace;
  if (route.keyspace.empty() && !metadata->bind_columns.empty()) route.keyspace = metadata->bind_columns[0].keyspace;
  route.token = core->TokenOf(*metadata, values);
  route.conditional = metadata->conditional;
  route.lwt = metadata->conditional || IsSerial(consistency);
  route.idempotent = options.idempotent.value_or(metadata->select);
  const std::vector<std::shared_ptr<PreparedMetadata>> prepared{metadata};
  std::shared_ptr<Connection> served;
  route.served = &served;
  absl::StatusOr<Result> result =
      co_await core->Run(route, options.timeout.value_or(core->options.request_timeout), encode, prepared);
  co_return co_await core->AfterResult(std::move(result), std::move(served), false);
}

asio::awaitable<absl::StatusOr<Result>> Session::ExecuteBatch(const Batch& batch, const QueryOptions& options) {
  std::shared_ptr<Core> core = core_;
  std::vector<std::shared_ptr<PreparedMetadata>> prepared;
  Route route;
  route.idempotent = options.idempotent.value_or(false);
  for (const auto& s : batch.statements()) {
    if (s.prepared.valid()) {
      const auto& md = s.prepared.metadata();
      if (std::find(prepared.begin(), prepared.end(), md) == prepared.end()) prepared.push_back(md);
      route.conditional = route.conditional || md->conditional;
      if (!route.token) {
        route.token = core->TokenOf(*md, s.values);
        route.keyspace = md->keyspace;
        if (route.keyspace.empty() && !md->bind_columns.empty()) route.keyspace = md->bind_columns[0].keyspace;
      }
    } else {
      route.conditional = route.conditional || internal::ClassifyStatement(s.query).conditional;
    }
  }
  route.lwt = route.conditional;
  const Consistency consistency = options.consistency.value_or(core->options.default_consistency);
  auto encode = [&](std::string* out) {
    return internal::EncodeBatch(batch, consistency, options.serial_consistency, options.default_timestamp, out);
  };
  co_return co_await core->Run(route, options.timeout.value_or(core->options.request_timeout), encode, prepared);
}

asio::awaitable<absl::Status> Session::WaitForSchemaAgreement() {
  std::shared_ptr<Core> core = core_;
  co_return co_await core->WaitForSchemaAgreement(nullptr);
}

const std::multimap<std::string, std::string>& Session::supported() const { return core_->supported; }

bool Session::IsScylla() const {
  for (const auto& [key, value] : core_->supported) {
    if (key.rfind("SCYLLA_", 0) == 0) return true;
  }
  return false;
}

const std::string& Session::keyspace() const { return core_->options.keyspace; }

const std::string& Session::local_datacenter() const { return core_->local_dc; }

int Session::open_connections() const {
  int n = 0;
  for (const auto& h : core_->hosts) n += h->removed ? 0 : h->open_connections();
  return n;
}

std::vector<HostInfo> Session::Hosts() const {
  std::vector<HostInfo> out;
  const auto now = Clock::now();
  for (const auto& h : core_->hosts) {
    if (!h->removed) out.push_back(h->Snapshot(now));
  }
  return out;
}

asio::awaitable<void> Session::Close() {
  core_->Shutdown();
  co_return;
}

}  // namespace cql
