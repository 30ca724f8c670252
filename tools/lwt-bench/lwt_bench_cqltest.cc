// Runs inventory-lwt-bench against the test Cassandra (label cql; the server
// is INVENTORY_TEST_CQL_HOST:INVENTORY_TEST_CQL_PORT, default 127.0.0.1:9042;
// an unreachable server fails these tests, as in lib/cql's cqltests), and
// reads the database afterwards with lib/cql.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <random>

#include <asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/test_env.h"
#include "common/test_process.h"
#include "cql/session.h"
#include "cql_test_env.h"

namespace inventory {
namespace {

using ::testing::HasSubstr;
using cql::testing::RunSync;
using testing::ChildProcess;
using namespace std::chrono_literals;

std::string TempPath(const std::string& name) {
  return absl::StrCat(::testing::TempDir(), "/", name, "-", getpid());
}

class LwtBenchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keyspace_ = absl::StrCat("lwt_bench_test_", std::random_device{}() % 100000000);
    auto session = RunSync(io_, cql::Session::Connect(io_.get_executor(), cql::testing::TestOptions()));
    ASSERT_TRUE(session.ok()) << "Cassandra at " << testing::CqlHost() << ":" << testing::CqlPort()
                              << " is unreachable (set INVENTORY_TEST_CQL_HOST/PORT): " << session.status();
    session_ = std::move(session).value();
  }

  void TearDown() override {
    if (!session_) return;
    auto dropped = RunSync(io_, session_->Query("DROP KEYSPACE IF EXISTS " + keyspace_));
    EXPECT_TRUE(dropped.ok()) << dropped.status();
    RunSync(io_, session_->Close());
    session_.reset();
  }

  bool KeyspaceExists() {
    std::vector<cql::Value> values{cql::Value(keyspace_)};
    auto r = RunSync(io_, session_->Query("SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?",
                                          std::move(values)));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() && r->row_count() == 1;
  }

  // Runs the tool; returns its wait status and puts its output in `log`.
  std::optional<int> RunBench(const std::vector<std::string>& extra, std::string* log) {
    std::vector<std::string> args = {"--hosts", testing::CqlHost(), "--port", std::to_string(testing::CqlPort()),
                                     "--keyspace", keyspace_};
    args.insert(args.end(), extra.begin(), extra.end());
    ChildProcess bench;
    if (!bench.Start(INVENTORY_LWT_BENCH_PATH, args, TempPath("lwt-bench.log"))) return std::nullopt;
    const auto status = bench.Wait(300s);
    *log = bench.Log();
    return status;
  }

  asio::io_context io_;
  std::unique_ptr<cql::Session> session_;
  std::string keyspace_;
};

TEST_F(LwtBenchTest, ThreeHundredConditionalBatchesAllApplyAndTheKeyspaceIsDropped) {
  ASSERT_NE(session_, nullptr);
  const std::string json_path = TempPath("lwt-bench.json");
  std::string log;
  const auto status =
      RunBench({"--requests", "300", "--in-flight", "32", "--segments", "3", "--json", json_path}, &log);
  ASSERT_TRUE(status.has_value()) << "inventory-lwt-bench still running after 300 s\n" << log;
  ASSERT_TRUE(WIFEXITED(*status)) << log;
  ASSERT_EQ(WEXITSTATUS(*status), 0) << log;
  EXPECT_THAT(log, HasSubstr("result: PASS"));
  EXPECT_THAT(log, HasSubstr("LWT/s"));

  std::ifstream in(json_path);
  ASSERT_TRUE(in) << "no JSON summary at " << json_path;
  const nlohmann::json summary = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(summary.is_discarded());
  EXPECT_EQ(summary["requests"], 300);
  EXPECT_EQ(summary["completed"], 300);
  EXPECT_EQ(summary["applied"], 300);
  EXPECT_EQ(summary["not_applied"], 0);
  EXPECT_EQ(summary["errors"], 0);
  EXPECT_EQ(summary["rows_loaded"], 900);
  EXPECT_EQ(summary["segments"], 3);
  EXPECT_EQ(summary["latency_ms"]["count"], 300);
  EXPECT_GT(summary["lwt_per_second"].get<double>(), 0.0);
  EXPECT_LE(summary["latency_ms"]["p50"].get<double>(), summary["latency_ms"]["p99"].get<double>());
  EXPECT_LE(summary["latency_ms"]["p99_9"].get<double>(), summary["latency_ms"]["max"].get<double>());
  EXPECT_EQ(summary["pass"], true);
  EXPECT_FALSE(KeyspaceExists());
}

TEST_F(LwtBenchTest, KeepLeavesEverySeatHeldAndAnExistingKeyspaceIsRefused) {
  ASSERT_NE(session_, nullptr);
  std::string log;
  auto status = RunBench({"--requests", "50", "--in-flight", "8", "--segments", "2", "--keep"}, &log);
  ASSERT_TRUE(status.has_value()) << log;
  ASSERT_EQ(WEXITSTATUS(*status), 0) << log;
  ASSERT_TRUE(KeyspaceExists());

  auto rows = RunSync(io_, session_->Query("SELECT seat_id, segment_index, status, hold_id FROM " + keyspace_ +
                                           ".seat_segments"));
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(rows->row_count(), 100u);
  for (size_t i = 0; i < rows->row_count(); ++i) {
    const cql::Row row = rows->row(i);
    EXPECT_EQ(*row.GetString("status"), "held");
    const std::string seat = *row.GetString("seat_id");
    EXPECT_EQ(*row.GetString("hold_id"), "h-" + std::to_string(std::stoi(seat.substr(5))));
  }

  // A second run never reuses (nor drops) the keyspace it finds.
  status = RunBench({"--requests", "10"}, &log);
  ASSERT_TRUE(status.has_value()) << log;
  EXPECT_EQ(WEXITSTATUS(*status), 2) << log;
  EXPECT_THAT(log, HasSubstr("already exists"));
  EXPECT_TRUE(KeyspaceExists());
}

TEST(LwtBenchNoServerTest, UnreachableDatabaseIsExitTwo) {
  ChildProcess bench;
  ASSERT_TRUE(bench.Start(INVENTORY_LWT_BENCH_PATH,
                          {"--hosts", "127.0.0.1", "--port", std::to_string(testing::FreePort()), "--requests", "10"},
                          TempPath("lwt-bench-unreachable.log")));
  const auto status = bench.Wait(60s);
  ASSERT_TRUE(status.has_value()) << bench.Log();
  EXPECT_EQ(WEXITSTATUS(*status), 2) << bench.Log();
  EXPECT_THAT(bench.Log(), HasSubstr("cannot connect"));
}

}  // namespace
}  // namespace inventory
