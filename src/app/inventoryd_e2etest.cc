// Runs the real inventoryd binary against the test Cassandra and Redis.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/test_env.h"
#include "common/test_http.h"
#include "common/test_process.h"
#include "cql_fault_proxy.h"
#include "testing_health.h"
#include "inventory/v1/inventory.grpc.pb.h"

namespace inventory {
namespace {

using testing::ChildProcess;
using testing::CqlFaultProxy;
using testing::HttpGet;
using ::testing::HasSubstr;
using namespace std::chrono_literals;
constexpr auto kServing = grpc::health::v1::HealthCheckResponse::SERVING;
constexpr auto kNotServing = grpc::health::v1::HealthCheckResponse::NOT_SERVING;
// How long the shared dev Cassandra may take to answer again: on a loaded
// machine it stalls for seconds, and then the instance is rightly not ready.
constexpr std::chrono::seconds kDatabaseSlack(30);

std::string UniqueName(const char* prefix) {
  return absl::StrCat(prefix, std::random_device{}() % 100000000);
}

std::string LogPath(const char* name) {
  return absl::StrCat(::testing::TempDir(), "/", name, "-", getpid(), ".log");
}

class InventorydTest : public ::testing::Test {
 protected:
  std::vector<std::string> BaseArgs() {
    grpc_port_ = testing::FreePort();
    http_port_ = testing::FreePort();
    return {"--grpc-port", std::to_string(grpc_port_), "--http-port", std::to_string(http_port_),
            "--scylla-hosts", absl::StrCat(testing::CqlHost(), ":", testing::CqlPort()),
            "--redis-addr", absl::StrCat(testing::RedisHost(), ":", testing::RedisPort()),
            "--scylla-keyspace", keyspace_, "--listen-address", "127.0.0.1"};
  }

  // Waits until `service` reports `want` (or the server exits).
  testing::HealthStatus WaitForHealth(const std::string& service, testing::HealthStatus want,
                                      std::chrono::seconds timeout) {
    return testing::WaitForHealth(absl::StrCat("127.0.0.1:", grpc_port_), timeout, &process_, service, want);
  }

  // Polls GET `path` every 200 ms until it answers `status`; the last answer
  // (status 0 when nothing answered).
  testing::HttpAnswer WaitForHttp(const std::string& path, int status, std::chrono::seconds timeout) {
    testing::HttpAnswer last;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      std::optional<testing::HttpAnswer> answer = HttpGet(http_port_, path);
      last = answer.value_or(testing::HttpAnswer{});
      if (last.status == status) break;
      std::this_thread::sleep_for(200ms);
    }
    return last;
  }

  std::string keyspace_ = UniqueName("e2e_");
  int grpc_port_ = 0;
  int http_port_ = 0;
  ChildProcess process_;
};

TEST_F(InventorydTest, ServesHealthAndStopsCleanlyOnSigterm) {
  ASSERT_TRUE(process_.Start(INVENTORYD_PATH, BaseArgs(), LogPath("sigterm")));
  ASSERT_EQ(WaitForHealth("", grpc::health::v1::HealthCheckResponse::SERVING, 90s),
            grpc::health::v1::HealthCheckResponse::SERVING)
      << process_.Log();
  EXPECT_EQ(WaitForHealth("inventory.v1.InventoryService", grpc::health::v1::HealthCheckResponse::SERVING, 5s),
            grpc::health::v1::HealthCheckResponse::SERVING);

  // The service is registered on the port: a call reaches it and is answered.
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port_), grpc::InsecureChannelCredentials());
  auto stub = inventory::v1::InventoryService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 5s);
  inventory::v1::GetSeatMapResponse resp;
  grpc::Status status = stub->GetSeatMap(&ctx, inventory::v1::GetSeatMapRequest(), &resp);
  EXPECT_NE(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();

  process_.Signal(SIGTERM);
  auto exit_status = process_.Wait(30s);
  ASSERT_TRUE(exit_status.has_value()) << "inventoryd did not stop within 30 s of SIGTERM\n" << process_.Log();
  EXPECT_TRUE(WIFEXITED(*exit_status)) << process_.Log();
  EXPECT_EQ(WEXITSTATUS(*exit_status), 0) << process_.Log();
  const std::string log = process_.Log();
  EXPECT_NE(log.find("backend=database state=connected kind=cassandra"), std::string::npos) << log;
  EXPECT_NE(log.find("backend=redis state=connected"), std::string::npos) << log;
  EXPECT_NE(log.find("signal=SIGTERM"), std::string::npos) << log;
  EXPECT_NE(log.find("shutdown=done"), std::string::npos) << log;
}

TEST_F(InventorydTest, AnswersLiveAndReady) {
  ASSERT_TRUE(process_.Start(INVENTORYD_PATH, BaseArgs(), LogPath("ready")));
  ASSERT_EQ(WaitForHealth("", kServing, 90s), kServing) << process_.Log();

  std::optional<testing::HttpAnswer> live = HttpGet(http_port_, "/health/live");
  ASSERT_TRUE(live.has_value());
  EXPECT_EQ(live->status, 200);
  EXPECT_EQ(live->body, "{\"status\":\"live\"}\n");
  const testing::HttpAnswer ready = WaitForHttp("/health/ready", 200, kDatabaseSlack);
  EXPECT_EQ(ready.status, 200) << ready.body;
  // Cassandra and Redis up, the clock on this machine: nothing degraded.
  EXPECT_THAT(ready.body, HasSubstr(R"({"status":"ready","degraded":[],"database":{"nodes_connected":1,)"));
  // The old /health is unchanged.
  std::optional<testing::HttpAnswer> health = HttpGet(http_port_, "/health");
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->status, 200);
  EXPECT_THAT(health->body, HasSubstr(R"({"status":"serving",)"));
  EXPECT_NE(process_.Log().find("health=ready degraded=none"), std::string::npos) << process_.Log();
}

// The database behind a fault proxy: stalled (every query answered 15 s
// late, heartbeats on time, so the connection stays open), then cut off. Each time
// readiness and the gRPC health status go down, and come back with it.
TEST_F(InventorydTest, ReadinessAndGrpcHealthFollowTheDatabase) {
  CqlFaultProxy proxy(testing::CqlHost(), testing::CqlPort(), /*seed=*/1);
  ASSERT_NE(proxy.port(), 0);
  std::vector<std::string> args = BaseArgs();
  args.push_back("--scylla-hosts");
  args.push_back(absl::StrCat("127.0.0.1:", proxy.port()));
  ASSERT_TRUE(process_.Start(INVENTORYD_PATH, args, LogPath("follow")));
  ASSERT_EQ(WaitForHealth("", kServing, 90s), kServing) << process_.Log();
  ASSERT_EQ(WaitForHttp("/health/ready", 200, kDatabaseSlack).status, 200) << process_.Log();

  // Stalled: the probe goes unanswered; within the 6 s window plus a probe
  // interval and its timeout the instance is no longer ready.
  CqlFaultProxy::FaultOptions stall;
  stall.delay = 1;
  stall.delay_min_ms = stall.delay_max_ms = 15000;
  proxy.SetFaults(stall);
  testing::HttpAnswer answer = WaitForHttp("/health/ready", 503, 20s);
  ASSERT_EQ(answer.status, 503) << answer.body << process_.Log();
  EXPECT_THAT(answer.body, HasSubstr(R"("status":"not_ready","degraded":["database")"));
  EXPECT_THAT(answer.body, HasSubstr(R"("nodes_connected":1,)")) << "still connected: the probe's age decided";
  EXPECT_EQ(WaitForHealth("", kNotServing, 10s), kNotServing);
  EXPECT_EQ(WaitForHealth("inventory.v1.InventoryService", kNotServing, 10s), kNotServing);
  // Alive all the while.
  std::optional<testing::HttpAnswer> live = HttpGet(http_port_, "/health/live");
  ASSERT_TRUE(live.has_value());
  EXPECT_EQ(live->status, 200);

  const CqlFaultProxy::FaultOptions none;
  proxy.SetFaults(none);
  EXPECT_EQ(WaitForHttp("/health/ready", 200, kDatabaseSlack).status, 200) << process_.Log();
  EXPECT_EQ(WaitForHealth("", kServing, 10s), kServing);
  EXPECT_EQ(WaitForHealth("inventory.v1.InventoryService", kServing, 10s), kServing);

  // Cut off: no node connected.
  proxy.Cut();
  answer = WaitForHttp("/health/ready", 503, 20s);
  ASSERT_EQ(answer.status, 503) << answer.body << process_.Log();
  EXPECT_THAT(answer.body, HasSubstr(R"("nodes_connected":0,)"));
  EXPECT_EQ(WaitForHealth("inventory.v1.InventoryService", kNotServing, 10s), kNotServing);

  proxy.Restore();
  EXPECT_EQ(WaitForHttp("/health/ready", 200, 60s).status, 200) << process_.Log();
  EXPECT_EQ(WaitForHealth("inventory.v1.InventoryService", kServing, 10s), kServing);
  const std::string log = process_.Log();
  EXPECT_NE(log.find("health=not_ready degraded=database"), std::string::npos) << log;

  process_.Signal(SIGTERM);
  auto exit_status = process_.Wait(30s);
  ASSERT_TRUE(exit_status.has_value()) << process_.Log();
  EXPECT_EQ(WEXITSTATUS(*exit_status), 0) << process_.Log();
}

TEST_F(InventorydTest, StopsCleanlyOnSigint) {
  ASSERT_TRUE(process_.Start(INVENTORYD_PATH, BaseArgs(), LogPath("sigint")));
  ASSERT_EQ(WaitForHealth("", grpc::health::v1::HealthCheckResponse::SERVING, 90s),
            grpc::health::v1::HealthCheckResponse::SERVING)
      << process_.Log();
  process_.Signal(SIGINT);
  auto exit_status = process_.Wait(30s);
  ASSERT_TRUE(exit_status.has_value()) << process_.Log();
  EXPECT_EQ(WEXITSTATUS(*exit_status), 0) << process_.Log();
}

TEST_F(InventorydTest, RunsWithoutRedis) {
  std::vector<std::string> args = BaseArgs();
  args.push_back("--redis-addr");
  args.push_back(absl::StrCat("127.0.0.1:", testing::FreePort()));
  ASSERT_TRUE(process_.Start(INVENTORYD_PATH, args, LogPath("noredis")));
  ASSERT_EQ(WaitForHealth("", grpc::health::v1::HealthCheckResponse::SERVING, 90s),
            grpc::health::v1::HealthCheckResponse::SERVING)
      << process_.Log();
  EXPECT_NE(process_.Log().find("backend=redis state=unavailable"), std::string::npos) << process_.Log();
  // Still ready (the database decides alone), and it says what is degraded.
  const testing::HttpAnswer ready = WaitForHttp("/health/ready", 200, kDatabaseSlack);
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_THAT(ready.body, HasSubstr(R"("degraded":["redis"])"));

  // Holds go on without Redis (the LWT decides alone), and the log says so.
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port_), grpc::InsecureChannelCredentials());
  auto stub = inventory::v1::InventoryService::NewStub(channel);
  inventory::v1::InitializeTripInventoryRequest init;
  init.set_trip_id("no-redis-trip");
  init.set_organization_id("org");
  inventory::v1::SegmentDefinition* segment = init.add_segments();
  segment->set_segment_index(0);
  segment->set_from_station_id("A");
  segment->set_to_station_id("B");
  inventory::v1::SeatDefinition* seat = init.mutable_seat_config()->add_seats();
  seat->set_seat_id("1A");
  seat->set_row(1);
  seat->set_column(1);
  inventory::v1::InitializeTripInventoryResponse init_resp;
  grpc::ClientContext init_ctx;
  init_ctx.set_deadline(std::chrono::system_clock::now() + 30s);
  ASSERT_TRUE(stub->InitializeTripInventory(&init_ctx, init, &init_resp).ok());
  inventory::v1::HoldSeatsRequest hold;
  hold.set_trip_id("no-redis-trip");
  hold.set_organization_id("org");
  hold.set_user_id("u1");
  hold.add_seat_ids("1A");
  inventory::v1::HoldSeatsResponse held;
  grpc::ClientContext hold_ctx;
  hold_ctx.set_deadline(std::chrono::system_clock::now() + 30s);
  grpc::Status st = stub->HoldSeats(&hold_ctx, hold, &held);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(held.success()) << held.failure_reason();
  hold.set_user_id("u2");
  grpc::ClientContext second_ctx;
  second_ctx.set_deadline(std::chrono::system_clock::now() + 30s);
  ASSERT_TRUE(stub->HoldSeats(&second_ctx, hold, &held).ok());
  EXPECT_FALSE(held.success());
  EXPECT_EQ(held.reason(), inventory::v1::FAILURE_REASON_NOT_AVAILABLE);
  EXPECT_NE(process_.Log().find("edge=skipped"), std::string::npos) << process_.Log();
  process_.Signal(SIGTERM);
  auto exit_status = process_.Wait(30s);
  ASSERT_TRUE(exit_status.has_value()) << process_.Log();
  EXPECT_EQ(WEXITSTATUS(*exit_status), 0) << process_.Log();
}

TEST_F(InventorydTest, UnreachableDatabaseFailsStartupWithAClearMessage) {
  std::vector<std::string> args = BaseArgs();
  args.push_back("--scylla-hosts");
  args.push_back(absl::StrCat("127.0.0.1:", testing::FreePort()));
  args.push_back("--scylla-connect-timeout-ms");
  args.push_back("1000");
  ASSERT_TRUE(process_.Start(INVENTORYD_PATH, args, LogPath("nodb")));
  auto exit_status = process_.Wait(30s);
  ASSERT_TRUE(exit_status.has_value()) << "inventoryd kept running without a database\n" << process_.Log();
  EXPECT_EQ(WEXITSTATUS(*exit_status), 1) << process_.Log();
  EXPECT_NE(process_.Log().find("startup=failed"), std::string::npos) << process_.Log();
  EXPECT_NE(process_.Log().find("database"), std::string::npos) << process_.Log();
}

TEST_F(InventorydTest, HelpAndBadConfiguration) {
  ASSERT_TRUE(process_.Start(INVENTORYD_PATH, {"--help"}, LogPath("help")));
  auto exit_status = process_.Wait(10s);
  ASSERT_TRUE(exit_status.has_value());
  EXPECT_EQ(WEXITSTATUS(*exit_status), 0);
  EXPECT_NE(process_.Log().find("GRPC_PORT"), std::string::npos) << process_.Log();

  ChildProcess bad;
  ASSERT_TRUE(bad.Start(INVENTORYD_PATH, {"--hold-ttl", "1"}, LogPath("bad")));
  exit_status = bad.Wait(10s);
  ASSERT_TRUE(exit_status.has_value());
  EXPECT_EQ(WEXITSTATUS(*exit_status), 2);
  EXPECT_NE(bad.Log().find("hold-ttl"), std::string::npos) << bad.Log();
}

}  // namespace
}  // namespace inventory
