#include "checker_cluster.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/test_env.h"
#include "common/test_process.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "testing_health.h"

#ifndef INVENTORYD_PATH
#error "INVENTORYD_PATH (the inventoryd binary of this tree) must be defined"
#endif

namespace inventory::checker {

using namespace std::chrono_literals;

std::string Cluster::InventorydPath() {
  const char* override_path = std::getenv("INVENTORY_CHECKER_INVENTORYD");
  if (override_path != nullptr && *override_path != '\0') return override_path;
  return INVENTORYD_PATH;
}

Cluster::Cluster(ClusterOptions options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<Cluster>> Cluster::Start(ClusterOptions options) {
  if (options.instances.empty()) return absl::InvalidArgumentError("a cluster needs at least one instance");
  if (options.keyspace.empty()) return absl::InvalidArgumentError("a cluster needs a keyspace");
  if (options.log_dir.empty()) options.log_dir = ::testing::TempDir();
  std::unique_ptr<Cluster> cluster(new Cluster(std::move(options)));

  // Redis of our own, so that it can be frozen, killed and restarted.
  absl::StatusOr<std::unique_ptr<redis::testing::RedisServer>> redis =
      redis::testing::RedisServer::Start(cluster->options_.redis);
  if (!redis.ok()) return redis.status();
  cluster->redis_ = std::move(*redis);

  const int n = static_cast<int>(cluster->options_.instances.size());
  cluster->instances_.resize(static_cast<size_t>(n));
  std::set<int> ports = {cluster->redis_->port()};
  auto free_port = [&ports] {
    int port = testing::FreePort();
    while (!ports.insert(port).second) port = testing::FreePort();
    return port;
  };
  for (int i = 0; i < n; ++i) {
    Instance& instance = cluster->at(i);
    instance.options = cluster->options_.instances[static_cast<size_t>(i)];
    instance.grpc_port = free_port();
    instance.http_port = free_port();
    instance.target = absl::StrCat("127.0.0.1:", instance.grpc_port);
    instance.log_path =
        absl::StrCat(cluster->options_.log_dir, "/", cluster->options_.log_prefix, "-", getpid(), "-inst", i, ".log");
    instance.channel = grpc::CreateChannel(instance.target, grpc::InsecureChannelCredentials());
    instance.stub = v1::InventoryService::NewStub(instance.channel);
  }

  // The first instance creates the schema alone; the others start together.
  auto wait = [&cluster](int from, int to) -> absl::Status {
    for (int j = from; j <= to; ++j) {
      if (!cluster->WaitServing(j, cluster->options_.start_timeout)) {
        return absl::UnavailableError(absl::StrCat("instance ", j, " did not serve; log ", cluster->log_path(j),
                                                   ":\n", cluster->Log(j)));
      }
    }
    return absl::OkStatus();
  };
  for (int i = 0; i < n; ++i) {
    absl::Status spawned = cluster->Spawn(i);
    if (!spawned.ok()) return spawned;
    if (cluster->options_.start_together ? i == n - 1 : (i == 0 || i == n - 1)) {
      absl::Status serving = wait(i == 0 || cluster->options_.start_together ? 0 : 1, i);
      if (!serving.ok()) return serving;
    }
  }
  return cluster;
}

absl::Status Cluster::Spawn(int i) {
  Instance& instance = at(i);
  const std::string cql_host = instance.options.cql_host.empty() ? testing::CqlHost() : instance.options.cql_host;
  const int cql_port = instance.options.cql_port == 0 ? testing::CqlPort() : instance.options.cql_port;
  std::vector<std::string> args = {"--grpc-port",
                                   std::to_string(instance.grpc_port),
                                   "--http-port",
                                   std::to_string(instance.http_port),
                                   "--scylla-hosts",
                                   instance.options.cql_hosts.empty() ? absl::StrCat(cql_host, ":", cql_port)
                                                                      : instance.options.cql_hosts,
                                   "--redis-addr",
                                   absl::StrCat("127.0.0.1:", redis_->port()),
                                   "--scylla-keyspace",
                                   options_.keyspace,
                                   "--listen-address",
                                   "127.0.0.1"};
  args.insert(args.end(), options_.common_args.begin(), options_.common_args.end());
  args.insert(args.end(), instance.options.args.begin(), instance.options.args.end());
  instance.process = std::make_unique<testing::ChildProcess>();
  if (!instance.process->Start(InventorydPath(), args, instance.log_path, instance.options.env)) {
    return absl::InternalError(absl::StrCat("could not fork instance ", i, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

v1::InventoryService::Stub& Cluster::stub(int i) const { return *at(i).stub; }
const std::shared_ptr<grpc::Channel>& Cluster::channel(int i) const { return at(i).channel; }
const std::string& Cluster::target(int i) const { return at(i).target; }
int Cluster::grpc_port(int i) const { return at(i).grpc_port; }
int Cluster::http_port(int i) const { return at(i).http_port; }
const std::string& Cluster::log_path(int i) const { return at(i).log_path; }
std::string Cluster::Log(int i) const { return at(i).process != nullptr ? at(i).process->Log() : std::string(); }
bool Cluster::running(int i) const { return at(i).process != nullptr && at(i).process->running(); }
pid_t Cluster::pid(int i) const { return at(i).process != nullptr ? at(i).process->pid() : -1; }

void Cluster::Signal(int i, int sig) {
  if (at(i).process != nullptr) at(i).process->Signal(sig);
}

void Cluster::Kill(int i) {
  if (at(i).process == nullptr) return;
  at(i).process->Signal(SIGKILL);
  at(i).process->Wait(10s);
}

std::optional<int> Cluster::Stop(int i, std::chrono::milliseconds grace) {
  if (at(i).process == nullptr) return std::nullopt;
  at(i).process->Signal(SIGTERM);
  return at(i).process->Wait(grace);
}

bool Cluster::WaitServing(int i, std::chrono::milliseconds timeout) {
  if (at(i).process == nullptr) return false;
  return testing::WaitForHealth(target(i), timeout, at(i).process.get()) ==
         grpc::health::v1::HealthCheckResponse::SERVING;
}

std::optional<testing::HttpAnswer> Cluster::HttpGet(int i, const std::string& path) const {
  return testing::HttpGet(http_port(i), path);
}

absl::Status Cluster::CreateTrip(const TripShape& trip, int i) const {
  v1::InitializeTripInventoryRequest req;
  req.set_trip_id(trip.trip_id);
  req.set_organization_id(trip.organization_id);
  req.set_vehicle_id(trip.vehicle_id);
  req.set_vehicle_type("bus");
  for (int k = 0; k < trip.segments; ++k) {
    v1::SegmentDefinition* s = req.add_segments();
    s->set_segment_index(k);
    s->set_from_station_id(StationId(k));
    s->set_to_station_id(StationId(k + 1));
    s->set_departure_time(1000 + k * 100);
    s->set_arrival_time(1050 + k * 100);
  }
  for (size_t k = 0; k < trip.seat_ids.size(); ++k) {
    const int index = static_cast<int>(k);
    v1::SeatDefinition* s = req.mutable_seat_config()->add_seats();
    s->set_seat_id(trip.seat_ids[k]);
    s->set_seat_number(trip.seat_ids[k]);
    s->set_row(index / trip.columns + 1);
    s->set_column(index % trip.columns + 1);
    s->set_seat_type("aisle");
    s->set_seat_class("economy");
    s->set_price_paisa(50000);
  }
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 60s);
  v1::InitializeTripInventoryResponse resp;
  grpc::Status st = stub(i).InitializeTripInventory(&ctx, req, &resp);
  if (!st.ok()) return absl::Status(static_cast<absl::StatusCode>(st.error_code()), st.error_message());
  if (!resp.success()) {
    return absl::FailedPreconditionError(absl::StrCat("InitializeTripInventory of ", trip.trip_id, " through instance ",
                                                      i, " answered success=false"));
  }
  return absl::OkStatus();
}

}  // namespace inventory::checker
