// inventoryd against the secure Cassandra node (label secure): TLS verified
// against the test CA and PasswordAuthenticator, the password read from a
// file. Environment as lib/cql/test/secure_cqltest.cc; skipped without it.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/test_env.h"
#include "common/test_process.h"
#include "inventory/v1/inventory.grpc.pb.h"
#include "testing_health.h"

namespace inventory {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

class SecureInventorydTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Env("INVENTORY_TEST_SECURE_CQL_PORT").empty() || Env("INVENTORY_TEST_TLS_DIR").empty()) {
      GTEST_SKIP() << "no secure node (INVENTORY_TEST_SECURE_CQL_HOST/PORT, INVENTORY_TEST_TLS_DIR)";
    }
  }

  std::vector<std::string> Args(const std::string& password) {
    grpc_port_ = testing::FreePort();
    const std::string password_file = absl::StrCat(::testing::TempDir(), "/db-password-", getpid());
    std::ofstream(password_file) << password << "\n";
    return {"--grpc-port", std::to_string(grpc_port_), "--http-port", std::to_string(testing::FreePort()),
            "--scylla-hosts",
            absl::StrCat(Env("INVENTORY_TEST_SECURE_CQL_HOST"), ":", Env("INVENTORY_TEST_SECURE_CQL_PORT")),
            "--scylla-username", Env("INVENTORY_TEST_SECURE_USER"), "--scylla-password-file", password_file,
            "--scylla-tls", "on", "--scylla-tls-ca-file", Env("INVENTORY_TEST_TLS_DIR") + "/ca.pem",
            "--redis-addr", absl::StrCat(testing::RedisHost(), ":", testing::RedisPort()),
            "--scylla-keyspace", absl::StrCat("secure_", std::random_device{}() % 100000000),
            "--listen-address", "127.0.0.1"};
  }

  int grpc_port_ = 0;
  ChildProcess process_;
};

TEST_F(SecureInventorydTest, ServesOverTlsWithThePasswordFromAFile) {
  const std::string log = absl::StrCat(::testing::TempDir(), "/secure-inventoryd-", getpid(), ".log");
  ASSERT_TRUE(process_.Start(INVENTORYD_PATH, Args(Env("INVENTORY_TEST_SECURE_PASSWORD")), log));
  ASSERT_EQ(testing::WaitForHealth(absl::StrCat("127.0.0.1:", grpc_port_), 120s, &process_, "",
                                   grpc::health::v1::HealthCheckResponse::SERVING),
            grpc::health::v1::HealthCheckResponse::SERVING)
      << process_.Log();
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port_), grpc::InsecureChannelCredentials());
  auto stub = inventory::v1::InventoryService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 10s);
  inventory::v1::GetSeatMapRequest request;
  request.set_organization_id("org-secure");
  request.set_trip_id("no-such-trip");
  inventory::v1::GetSeatMapResponse response;
  grpc::Status status = stub->GetSeatMap(&ctx, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  EXPECT_NE(process_.Log().find("tls=true"), std::string::npos) << process_.Log();
  process_.Signal(SIGTERM);
  EXPECT_TRUE(process_.Wait(30s).has_value());
}

TEST_F(SecureInventorydTest, AWrongPasswordStopsTheStartWithTheReason) {
  const std::string log = absl::StrCat(::testing::TempDir(), "/secure-inventoryd-bad-", getpid(), ".log");
  ASSERT_TRUE(process_.Start(INVENTORYD_PATH, Args("wrong-password"), log));
  auto exit_status = process_.Wait(60s);
  ASSERT_TRUE(exit_status.has_value()) << "inventoryd kept running with a wrong password\n" << process_.Log();
  EXPECT_TRUE(WIFEXITED(*exit_status) && WEXITSTATUS(*exit_status) != 0) << process_.Log();
  EXPECT_NE(process_.Log().find("authentication"), std::string::npos) << process_.Log();
}

}  // namespace
}  // namespace inventory
