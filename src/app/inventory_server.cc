#include "app/inventory_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include <algorithm>
#include <chrono>
#include <future>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/unix_time.h"
#include "cql/session.h"
#include "redis/client.h"
#include "app/health_monitor.h"
#include "app/metrics_page.h"
#include "cache/redis/redis_change_feed.h"
#include "cache/redis/redis_edge_guard.h"
#include "service/clock_guard.h"
#include "health/readiness.h"
#include "http/http_server.h"
#include "metrics/exposition.h"
#include "service/inventory.h"
#include "storage/cql/cql_seat_store.h"
#include "storage/cql/schema.h"
#include "storage/embedded/sqlite_seat_store.h"

namespace inventory {
namespace {

constexpr char kServiceName[] = "inventory.v1.InventoryService";

// Runs `fn` (returning an awaitable) on the io_context and waits for it.
template <typename Fn>
auto RunOn(asio::io_context& io, Fn&& fn) {
  return asio::co_spawn(io, std::forward<Fn>(fn), asio::use_future).get();
}

// Runs the plain function `fn` on the io_context and waits for its result.
template <typename Fn>
auto RunSync(asio::io_context& io, Fn&& fn) {
  std::packaged_task<decltype(fn())()> task(std::forward<Fn>(fn));
  auto result = task.get_future();
  asio::post(io, [&task] { task(); });
  return result.get();
}

// Contact points as IP literals: names are resolved here, once, at start-up.
cql::Consistency ConsistencyByName(const std::string& name) {
  if (name == "ANY") return cql::Consistency::kAny;
  if (name == "ONE") return cql::Consistency::kOne;
  if (name == "TWO") return cql::Consistency::kTwo;
  if (name == "THREE") return cql::Consistency::kThree;
  if (name == "ALL") return cql::Consistency::kAll;
  if (name == "LOCAL_QUORUM") return cql::Consistency::kLocalQuorum;
  if (name == "EACH_QUORUM") return cql::Consistency::kEachQuorum;
  if (name == "LOCAL_ONE") return cql::Consistency::kLocalOne;
  return cql::Consistency::kQuorum;
}

}  // namespace

InventoryServer::InventoryServer(Config config) : config_(std::move(config)) {}

InventoryServer::~InventoryServer() { Shutdown(); }

absl::Status InventoryServer::Start() {
  work_ = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(io_.get_executor());
  io_thread_ = std::thread([this] { io_.run(); });
  if (config_.store == "embedded") {
    if (absl::Status s = OpenEmbeddedStore(); !s.ok()) return s;
  } else {
    if (absl::Status s = ConnectDatabase(); !s.ok()) return s;
    ConnectRedis();
  }
  if (absl::Status s = StartService(); !s.ok()) return s;
  if (absl::Status s = StartGrpc(); !s.ok()) return s;
  StartHealth();
  // Last: /health answering means the gRPC port is open too.
  return StartHttp();
}

absl::Status InventoryServer::StartHttp() {
  http_ = std::make_unique<http::HttpServer>(io_.get_executor());
  // Read on the io thread, which owns everything counted.
  auto sources = [this] {
    MetricsSources out;
    out.requests = &request_metrics_;
    out.inventory = inventory_.get();
    out.database = cql_store_ != nullptr ? &cql_store_->counters() : nullptr;
    out.admission = admission_.get();
    out.embedded = embedded_store_ != nullptr;
    if (embedded_store_ != nullptr) out.embedded_commits = embedded_store_->commits();
    if (redis_ != nullptr) {
      out.redis = redis_->stats();
      out.redis_connected = redis_->connected();
    }
    if (db_ != nullptr) {
      out.database_connections = db_->open_connections();
      out.database_nodes = db_->Hosts();
      out.database_local_dc = db_->local_datacenter();
    }
    return out;
  };
  http_->Handle("/metrics", [sources] {
    return http::Response{200, std::string(metrics::Exposition::kContentType), RenderMetrics(sources())};
  });
  http_->Handle("/health", [sources] {
    return http::Response{200, "application/json", RenderHealth(sources())};
  });
  // Answering at all is the proof of liveness: the handler ran on the io loop.
  http_->Handle("/health/live", [] { return http::Response{200, "application/json", "{\"status\":\"live\"}\n"}; });
  HealthMonitor* monitor = health_.get();
  http_->Handle("/health/ready", [monitor] {
    const health::HealthInputs in = monitor->Inputs();
    const health::Readiness r = health::Assess(in, monitor->rules());
    return http::Response{r.ready ? 200 : 503, "application/json", health::ReadinessJson(r, in)};
  });
  absl::Status listening = RunSync(io_, [&] {
    absl::Status s = http_->Listen(config_.listen_address, config_.http_port);
    if (s.ok()) http_->Start();
    return s;
  });
  if (!listening.ok()) return listening;
  http_port_ = http_->port();
  spdlog::info("listener=http address={}:{} paths=/health,/health/live,/health/ready,/metrics",
               config_.listen_address, http_port_);
  return absl::OkStatus();
}

void InventoryServer::StopHttp() {
  if (http_ == nullptr) return;
  RunSync(io_, [this] { http_->Stop(); });
}

absl::Status InventoryServer::ConnectDatabase() {
  cql::SessionOptions options;
  options.contact_points = config_.db_hosts;
  options.port = config_.db_port;
  options.local_datacenter = config_.db_local_dc;
  options.token_aware = config_.db_token_aware;
  options.heartbeat_interval = config_.db_heartbeat;
  options.heartbeat_timeout = config_.db_heartbeat;
  options.tls.enabled = config_.db_tls;
  options.tls.ca_file = config_.db_tls_ca_file;
  options.tls.cert_file = config_.db_tls_cert_file;
  options.tls.key_file = config_.db_tls_key_file;
  options.tls.verify_hostname = config_.db_tls_verify_hostname;
  options.username = config_.db_username;
  options.password = config_.db_password;
  options.connect_timeout = config_.db_connect_timeout;
  options.request_timeout = config_.db_request_timeout;
  options.connections_per_host = config_.db_connections_per_host;
  options.default_consistency = ConsistencyByName(config_.db_consistency);

  auto session = RunOn(io_, [&]() { return cql::Session::Connect(io_.get_executor(), options); });
  if (!session.ok()) {
    return absl::UnavailableError(absl::StrCat("database ", absl::StrJoin(config_.db_hosts, ","), ": ",
                                               std::string(session.status().message())));
  }
  db_ = std::move(*session);
  const bool scylla = db_->IsScylla();
  std::vector<std::string> nodes;
  for (const cql::HostInfo& h : db_->Hosts()) nodes.push_back(h.endpoint);
  spdlog::info("backend=database state=connected kind={} nodes={} local_dc={} token_aware={} tls={}",
               scylla ? "scylladb" : "cassandra", absl::StrJoin(nodes, ","), db_->local_datacenter(),
               config_.db_token_aware, config_.db_tls);

  storage::SchemaOptions schema{config_.db_keyspace, config_.db_replication, scylla};
  auto applied = RunOn(io_, [&]() { return storage::ApplyMigrations(*db_, schema); });
  if (!applied.ok()) {
    return absl::Status(applied.status().code(), absl::StrCat("schema migration: ", std::string(applied.status().message())));
  }
  spdlog::info("backend=database keyspace={} migrations_applied={} schema_version={}", config_.db_keyspace, *applied,
               storage::Migrations().back().version);
  return absl::OkStatus();
}

absl::Status InventoryServer::OpenEmbeddedStore() {
  storage::SqliteStoreOptions options;
  options.path = config_.embedded_path;
  // Intents by window as the CQL store keeps them (see StartService).
  options.intent_window_ms = std::max<int64_t>(1000, config_.repair_min_age.count() / 2);
  // The clocks are set once the service's clock exists: through pointers.
  options.now = [this] { return clock_->Now(); };
  options.reclaim_now = [this] { return clock_->ReclaimNow(); };
  absl::StatusOr<std::unique_ptr<storage::SqliteSeatStore>> store = storage::SqliteSeatStore::Open(options);
  if (!store.ok()) return store.status();
  embedded_store_ = store->get();
  store_ = std::move(*store);
  spdlog::info("backend=database state=open kind=embedded path={} (one process; no Redis)", config_.embedded_path);
  return absl::OkStatus();
}

void InventoryServer::ConnectRedis() {
  redis::ClientOptions options;
  options.host = config_.redis.host == "localhost" ? "127.0.0.1" : config_.redis.host;
  options.port = config_.redis.port;
  options.username = config_.redis_username;
  options.password = config_.redis_password;
  options.db = config_.redis_db;
  options.command_timeout = config_.redis_timeout;
  redis_ = std::make_unique<redis::Client>(io_.get_executor(), options);
  // The feed's reads block for a while on the server: its own connection,
  // with a timeout past the block time.
  redis::ClientOptions feed_options = options;
  feed_options.command_timeout = std::max(options.command_timeout, std::chrono::milliseconds(250)) +
                                 std::chrono::milliseconds(500);
  feed_redis_ = std::make_unique<redis::Client>(io_.get_executor(), feed_options);
  absl::Status pong = RunOn(io_, [&]() { return redis_->Ping(); });
  if (pong.ok()) {
    spdlog::info("backend=redis state=connected addr={}:{}", options.host, options.port);
  } else {
    // Redis only accelerates: the service runs without it and reconnects later.
    spdlog::warn("backend=redis state=unavailable addr={}:{} error=\"{}\" (pre-locks and caches skipped until it answers)",
                 options.host, options.port, std::string(pong.message()));
  }
}

absl::Status InventoryServer::StartService() {
  // The clock every part uses (unix ms), and how far it may decide expiry.
  // A measurement older than three check intervals no longer counts.
  constexpr int64_t kClockCheckMs = 10000;
  clock_ = std::make_unique<service::ClockGuard>(UnixNowMs, config_.clock_skew_tolerance.count(), 3 * kClockCheckMs);
  service::ClockGuard* clock = clock_.get();

  if (store_ == nullptr) {
    storage::CqlStoreOptions store_options;
    store_options.keyspace = config_.db_keyspace;
    store_options.consistency = ConsistencyByName(config_.db_consistency);
    store_options.serial_consistency =
        config_.db_serial_consistency == "LOCAL_SERIAL" ? cql::Consistency::kLocalSerial : cql::Consistency::kSerial;
    // Intents are read by window once min_age old: half of it keeps the
    // repair of an abandoned operation within min_age * 1.5 + interval.
    store_options.intent_window_ms = std::max<int64_t>(1000, config_.repair_min_age.count() / 2);
    store_options.now = [clock] { return clock->Now(); };
    store_options.reclaim_now = [clock] { return clock->ReclaimNow(); };
    auto cql_store = std::make_unique<storage::CqlSeatStore>(*db_, store_options);
    absl::Status prepared = RunOn(io_, [&]() { return cql_store->Prepare(); });
    if (!prepared.ok()) return prepared;
    cql_store_ = cql_store.get();
    store_ = std::move(cql_store);
  }
  service::InventoryOptions options;
  options.hold_ttl_default = config_.hold_ttl_default;
  options.hold_ttl_min = config_.hold_ttl_min;
  options.hold_ttl_max = config_.hold_ttl_max;
  options.max_holds_per_user = config_.max_holds_per_user;
  options.seatmap_cache_ttl = config_.seatmap_cache_ttl;
  options.seatmap_trust = config_.seatmap_trust;
  options.edge_short_circuit = config_.edge_short_circuit;
  options.seatmap_cache = config_.seatmap_cache;
  options.seatmap_cache_bytes = static_cast<uint64_t>(config_.seatmap_cache_bytes);
  options.seatmap_not_found_ttl = config_.seatmap_not_found_ttl;
  options.watch.heartbeat = config_.watch_heartbeat;
  options.watch.refresh = config_.watch_refresh;
  options.watch.max_behind = static_cast<size_t>(config_.watch_max_behind);
  options.watch.max_watchers = static_cast<size_t>(config_.watch_max_watchers);
  options.clock_check_interval = std::chrono::milliseconds(kClockCheckMs);
  options.repair.min_age = config_.repair_min_age;
  options.repair.interval = config_.repair_interval;
  if (config_.prelock && redis_ != nullptr) {
    cache::RedisEdgeGuardOptions edge_options;
    edge_options.marker_lifetime = config_.marker_ttl;
    edge_ = std::make_unique<cache::RedisEdgeGuard>(*redis_, "inv", [clock] { return clock->Now(); }, edge_options);
    cache::RedisChangeFeedOptions feed_options;
    feed_options.position_client = redis_.get();  // positions do not wait behind a blocking read
    feed_ = std::make_unique<cache::RedisChangeFeed>(io_.get_executor(), *feed_redis_, "inv", feed_options);
  }
  inventory_ = std::make_unique<service::Inventory>(*store_, edge_.get(), feed_.get(), *clock_, options);
  service::AdmissionOptions admission;
  admission.enabled = config_.admission_control;
  admission.max_in_flight = {config_.admission_reads_in_flight, config_.admission_holds_in_flight,
                             config_.admission_lifecycle_in_flight};
  admission.max_queue = {config_.admission_queue, config_.admission_queue, config_.admission_queue};
  admission.queue_budget = config_.admission_queue_budget;
  admission.max_io_backlog = config_.admission_io_backlog;
  admission.adaptive = config_.admission_adaptive;
  admission_ = std::make_unique<service::Admission>(io_.get_executor(), admission);
  inventory_->set_admission(admission_.get());
  RunOn(io_, [&]() { return inventory_->Start(); });
  service_ = std::make_unique<api::InventoryService>(*inventory_, request_metrics_, admission_.get(),
                                                     io_.get_executor());
  return absl::OkStatus();
}

absl::Status InventoryServer::StartGrpc() {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  const std::string address = absl::StrCat(config_.listen_address, ":", config_.grpc_port);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &grpc_port_);
  builder.RegisterService(service_.get());
  grpc_ = builder.BuildAndStart();
  if (grpc_ == nullptr || grpc_port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for gRPC on ", address));
  }
  // NOT_SERVING until the health monitor's first assessment says otherwise.
  grpc::HealthCheckServiceInterface* health = grpc_->GetHealthCheckService();
  health->SetServingStatus("", false);
  health->SetServingStatus(kServiceName, false);
  spdlog::info("listener=grpc address={}:{} service={} reflection=on", config_.listen_address, grpc_port_,
               kServiceName);
  return absl::OkStatus();
}

void InventoryServer::StartHealth() {
  // Read on the io thread, which owns every part read.
  auto read_parts = [this] {
    health::HealthInputs in;
    if (db_ != nullptr) {
      for (const cql::HostInfo& h : db_->Hosts()) in.database_nodes_connected += h.open_connections > 0 ? 1 : 0;
    } else {
      in.database_nodes_connected = 1;  // the embedded store's file is open
    }
    in.redis_used = redis_ != nullptr;
    in.redis_connected = redis_ != nullptr && redis_->connected();
    in.clock_reclaim_allowed = clock_->ReclaimAllowed();
    const service::ServiceStats& s = inventory_->stats();
    in.repair_backlog = s.repair_backlog;
    in.repair_oldest_pending_ms = s.repair_oldest_pending_ms;
    return in;
  };
  // Called on the io thread, never inside a gRPC callback: the health
  // service's lock is taken with no lock of ours held, and nothing of gRPC's
  // waits for the io thread while holding it. After grpc::Server::Shutdown()
  // the health service ignores further changes.
  grpc::HealthCheckServiceInterface* grpc_health = grpc_->GetHealthCheckService();
  auto on_change = [grpc_health](bool ready) {
    grpc_health->SetServingStatus("", ready);
    grpc_health->SetServingStatus(kServiceName, ready);
  };
  health::HealthRules rules;
  rules.repair_max_age = health::HealthRules::RepairMaxAge(config_.repair_min_age, config_.repair_interval);
  HealthMonitor::Probe probe;
  if (db_ != nullptr) {
    probe = HealthMonitor::CqlProbe(*db_);
  } else {
    storage::SeatStore* store = store_.get();
    probe = [store]() -> asio::awaitable<absl::Status> { co_return (co_await store->DatabaseNowMs()).status(); };
  }
  health_ = std::make_unique<HealthMonitor>(std::move(probe), rules, std::move(read_parts), std::move(on_change));
  RunOn(io_, [&]() { return health_->Start(); });
}

void InventoryServer::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  // First the monitor, so that it cannot set SERVING again.
  if (health_ != nullptr && io_thread_.joinable()) RunSync(io_, [this] { health_->Stop(); });
  if (grpc_ != nullptr) {
    grpc_->GetHealthCheckService()->SetServingStatus(false);
    // Streams last until ended: WatchSeatMap's are ended now (UNAVAILABLE,
    // watch again elsewhere) rather than held open through the grace.
    if (inventory_ != nullptr && io_thread_.joinable()) RunSync(io_, [this] { inventory_->EndWatches(); });
    spdlog::info("shutdown=begin grace_seconds={}", config_.shutdown_grace.count());
    // Stops accepting; in-flight calls get until the deadline, then are cancelled.
    grpc_->Shutdown(std::chrono::system_clock::now() + config_.shutdown_grace);
    grpc_->Wait();
  }
  if (http_ != nullptr && io_thread_.joinable()) StopHttp();
  if (inventory_ != nullptr && io_thread_.joinable()) RunOn(io_, [&]() { return inventory_->Stop(); });
  if (redis_ != nullptr || db_ != nullptr) {
    RunOn(io_, [&]() -> asio::awaitable<void> {
      if (redis_ != nullptr) redis_->Close();
      if (feed_redis_ != nullptr) feed_redis_->Close();
      if (db_ != nullptr) co_await db_->Close();
    });
  }
  work_.reset();
  io_.stop();
  if (io_thread_.joinable()) io_thread_.join();
  http_.reset();
  health_.reset();
  service_.reset();
  inventory_.reset();
  admission_.reset();
  feed_.reset();
  edge_.reset();
  store_.reset();
  clock_.reset();
  feed_redis_.reset();
  redis_.reset();
  db_.reset();
  spdlog::info("shutdown=done");
}

}  // namespace inventory
