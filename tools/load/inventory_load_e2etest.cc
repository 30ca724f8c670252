// Runs inventory-load's scenarios against the real inventoryd (with the test
// Cassandra and Redis): hot-seat (1000 holds of one seat from 50 workers
// must produce exactly one hold and no errors), and short runs of spread,
// seatmap, funnel and watch checked through their JSON summaries.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <fstream>
#include <random>
#include <regex>
#include <thread>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/test_env.h"
#include "common/test_process.h"
#include "testing_health.h"

namespace inventory {
namespace {

using testing::ChildProcess;
using ::testing::HasSubstr;
using namespace std::chrono_literals;
using grpc::health::v1::HealthCheckResponse;

std::string TempPath(const std::string& name) {
  return absl::StrCat(::testing::TempDir(), "/", name, "-", getpid());
}

class InventoryLoadTest : public ::testing::Test {
 protected:
  void StartInventoryd() {
    grpc_port_ = testing::FreePort();
    const std::vector<std::string> args = {
        "--grpc-port", std::to_string(grpc_port_), "--http-port", std::to_string(testing::FreePort()),
        "--scylla-hosts", absl::StrCat(testing::CqlHost(), ":", testing::CqlPort()),
        "--redis-addr", absl::StrCat(testing::RedisHost(), ":", testing::RedisPort()),
        "--scylla-keyspace", absl::StrCat("load_e2e_", std::random_device{}() % 100000000),
        "--listen-address", "127.0.0.1"};
    ASSERT_TRUE(server_.Start(INVENTORYD_PATH, args, TempPath("inventoryd.log")));
    ASSERT_EQ(WaitForServing(90s), HealthCheckResponse::SERVING) << server_.Log();
  }

  HealthCheckResponse::ServingStatus WaitForServing(std::chrono::seconds timeout) {
    return testing::WaitForHealth(target(), timeout, &server_);
  }

  std::string target() const { return absl::StrCat("127.0.0.1:", grpc_port_); }

  void TearDown() override {
    if (!server_.running()) return;
    server_.Signal(SIGTERM);
    if (!server_.Wait(30s).has_value()) ADD_FAILURE() << "inventoryd did not stop on SIGTERM\n" << server_.Log();
  }

  // Runs inventory-load against the server with `args` plus --json; expects
  // exit 0 and returns the parsed summary (a discarded value on failure).
  nlohmann::json RunLoadExpectingPass(const std::string& name, std::vector<std::string> args) {
    const std::string json_path = TempPath(name + ".json");
    args.insert(args.begin(), {"--target", target()});
    args.insert(args.end(), {"--json", json_path});
    ChildProcess load;
    if (!load.Start(INVENTORY_LOAD_PATH, args, TempPath(name + ".log"))) {
      ADD_FAILURE() << "cannot start inventory-load";
      return nlohmann::json(nlohmann::json::value_t::discarded);
    }
    const auto exit_status = load.Wait(300s);
    if (!exit_status.has_value()) {
      ADD_FAILURE() << "inventory-load still running after 300 s\n" << load.Log();
      return nlohmann::json(nlohmann::json::value_t::discarded);
    }
    const std::string output = load.Log();
    if (!WIFEXITED(*exit_status) || WEXITSTATUS(*exit_status) != 0) {
      ADD_FAILURE() << name << ": inventory-load did not pass\n" << output << "\n--- inventoryd ---\n" << server_.Log();
      return nlohmann::json(nlohmann::json::value_t::discarded);
    }
    EXPECT_THAT(output, HasSubstr("result: PASS"));
    std::ifstream in(json_path);
    if (!in) {
      ADD_FAILURE() << "no JSON summary at " << json_path;
      return nlohmann::json(nlohmann::json::value_t::discarded);
    }
    nlohmann::json summary = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(summary.is_discarded()) << "JSON summary does not parse";
    return summary;
  }

  int grpc_port_ = 0;
  ChildProcess server_;
};

TEST_F(InventoryLoadTest, HotSeatHasExactlyOneWinner) {
  ASSERT_NO_FATAL_FAILURE(StartInventoryd());
  const std::string json_path = TempPath("hot-seat.json");
  ChildProcess load;
  ASSERT_TRUE(load.Start(INVENTORY_LOAD_PATH,
                         {"--target", target(), "--scenario", "hot-seat", "--workers", "50", "--requests", "1000",
                          "--pause-ms", "10", "--json", json_path},
                         TempPath("inventory-load.log")));
  const auto exit_status = load.Wait(300s);
  ASSERT_TRUE(exit_status.has_value()) << "inventory-load still running after 300 s\n" << load.Log();
  const std::string output = load.Log();
  ASSERT_TRUE(WIFEXITED(*exit_status)) << output;
  // Exit 2 is a failed set-up (e.g. InitializeTripInventory not OK), 1 a run
  // that broke the expectation; the output says which and why.
  ASSERT_EQ(WEXITSTATUS(*exit_status), 0) << output << "\n--- inventoryd ---\n" << server_.Log();

  // The summary table: 1000 answered, one of them a success, no errors.
  EXPECT_TRUE(std::regex_search(output, std::regex(R"(\n  requests +1000\n)"))) << output;
  EXPECT_TRUE(std::regex_search(output, std::regex(R"(\n  success +1 )"))) << output;
  EXPECT_TRUE(std::regex_search(output, std::regex(R"(\n  errors +0 )"))) << output;
  EXPECT_THAT(output, HasSubstr("result: PASS"));

  std::ifstream in(json_path);
  ASSERT_TRUE(in) << "no JSON summary at " << json_path;
  const nlohmann::json summary = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(summary.is_discarded()) << "JSON summary does not parse";
  EXPECT_EQ(summary["completed"], 1000);
  EXPECT_EQ(summary["outcomes"]["success"], 1);
  EXPECT_EQ(summary["outcomes"]["errors"], 0);
  EXPECT_EQ(summary["outcomes"]["other_refusal"], 0);
  EXPECT_EQ(summary["outcomes"]["contention"].get<int>() + summary["outcomes"]["not_available"].get<int>(), 999);
  EXPECT_EQ(summary["pass"], true);
}

TEST_F(InventoryLoadTest, SpreadHoldsEveryDistinctSeat) {
  ASSERT_NO_FATAL_FAILURE(StartInventoryd());
  const nlohmann::json summary = RunLoadExpectingPass(
      "spread", {"--scenario", "spread", "--workers", "50", "--requests", "300", "--pause-ms", "0"});
  ASSERT_FALSE(summary.is_discarded());
  EXPECT_EQ(summary["scenario"], "spread");
  EXPECT_EQ(summary["completed"], 300);
  EXPECT_EQ(summary["outcomes"]["success"], 300);
  EXPECT_EQ(summary["outcomes"]["errors"], 0);
  EXPECT_EQ(summary["outcomes"]["contention"], 0);
  EXPECT_EQ(summary["outcomes"]["not_available"], 0);
  EXPECT_EQ(summary["details"]["trips"], "1");
  EXPECT_EQ(summary["latency_ms"]["count"], 300);
  EXPECT_EQ(summary["pass"], true);
}

TEST_F(InventoryLoadTest, SeatMapAnswersEveryReadWithSixtySeats) {
  ASSERT_NO_FATAL_FAILURE(StartInventoryd());
  const nlohmann::json summary = RunLoadExpectingPass(
      "seatmap", {"--scenario", "seatmap", "--workers", "20", "--requests", "400", "--pause-ms", "0"});
  ASSERT_FALSE(summary.is_discarded());
  EXPECT_EQ(summary["scenario"], "seatmap");
  EXPECT_EQ(summary["completed"], 400);
  EXPECT_EQ(summary["outcomes"]["success"], 400);
  EXPECT_EQ(summary["outcomes"]["errors"], 0);
  EXPECT_EQ(summary["outcomes"]["other_refusal"], 0);
  EXPECT_EQ(summary["pass"], true);
}

TEST_F(InventoryLoadTest, FunnelCompletesMostFlowsWithoutErrors) {
  ASSERT_NO_FATAL_FAILURE(StartInventoryd());
  const nlohmann::json summary = RunLoadExpectingPass(
      "funnel", {"--scenario", "funnel", "--workers", "20", "--requests", "300", "--pause-ms", "0"});
  ASSERT_FALSE(summary.is_discarded());
  EXPECT_EQ(summary["scenario"], "funnel");
  EXPECT_EQ(summary["completed"], 300);
  EXPECT_EQ(summary["details"]["trips"], "4");
  const nlohmann::json& outcomes = summary["outcomes"];
  EXPECT_EQ(outcomes["errors"], 0);
  EXPECT_EQ(outcomes["other_refusal"], 0);
  const int success = outcomes["success"].get<int>();
  EXPECT_GE(success, 150);
  EXPECT_EQ(success + outcomes["contention"].get<int>() + outcomes["not_available"].get<int>(), 300);
  // Every completed flow ended in exactly one confirm or one release.
  const int confirmed = std::stoi(summary["details"]["confirmed"].get<std::string>());
  const int released = std::stoi(summary["details"]["released"].get<std::string>());
  EXPECT_EQ(confirmed + released, success);
  EXPECT_GT(confirmed, released);
  EXPECT_EQ(summary["pass"], true);
}

TEST_F(InventoryLoadTest, WatchersFollowEveryChangeAndEndEqualToTheMap) {
  ASSERT_NO_FATAL_FAILURE(StartInventoryd());
  const nlohmann::json summary = RunLoadExpectingPass(
      "watch", {"--scenario", "watch", "--watchers", "50", "--seats", "40", "--workers", "8", "--requests", "200",
                "--pause-ms", "0"});
  ASSERT_FALSE(summary.is_discarded());
  EXPECT_EQ(summary["scenario"], "watch");
  EXPECT_EQ(summary["outcomes"]["success"], 200);
  const nlohmann::json& watch = summary["scenario_report"];
  EXPECT_EQ(watch["watchers"], 50);
  EXPECT_EQ(watch["changes"]["answered"], 200);
  EXPECT_EQ(watch["full_maps"]["start"], 50);
  EXPECT_EQ(watch["streams_ended_early"], 0);
  EXPECT_EQ(watch["protocol_errors"], 0);
  // Without a slow reader no change is folded into a full map: each reaches
  // each watcher.
  EXPECT_EQ(watch["full_maps"]["behind"], 0);
  EXPECT_EQ(watch["deliveries"]["timed"], 50 * 200);
  EXPECT_EQ(watch["final_comparison"]["compared"], true);
  EXPECT_EQ(watch["final_comparison"]["mismatched_watchers"], 0);
  EXPECT_EQ(summary["pass"], true);
}

TEST_F(InventoryLoadTest, UnreachableTargetIsASetUpFailure) {
  ChildProcess load;
  ASSERT_TRUE(load.Start(INVENTORY_LOAD_PATH,
                         {"--target", absl::StrCat("127.0.0.1:", testing::FreePort()), "--timeout-ms", "2000"},
                         TempPath("inventory-load-unreachable.log")));
  const auto exit_status = load.Wait(60s);
  ASSERT_TRUE(exit_status.has_value()) << load.Log();
  EXPECT_EQ(WEXITSTATUS(*exit_status), 2) << load.Log();
  EXPECT_THAT(load.Log(), HasSubstr("UNAVAILABLE")) << load.Log();
}

}  // namespace
}  // namespace inventory
