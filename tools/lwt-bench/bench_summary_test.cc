#include "bench_summary.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace inventory::lwt_bench {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

TEST(BenchSummaryTest, NearestRankPercentiles) {
  std::vector<int64_t> v;
  for (int64_t i = 1; i <= 1000; ++i) v.push_back(i);
  EXPECT_EQ(NearestRank(v, 50), 500);
  EXPECT_EQ(NearestRank(v, 99), 990);
  EXPECT_EQ(NearestRank(v, 99.9), 999);
  EXPECT_EQ(NearestRank(v, 100), 1000);
  EXPECT_EQ(NearestRank(v, 0.01), 1);
  EXPECT_EQ(NearestRank({}, 50), 0);
  EXPECT_EQ(NearestRank({7}, 99.9), 7);
}

TEST(BenchSummaryTest, FiguresFromUnsortedMicros) {
  std::vector<int64_t> micros = {3000, 1000, 2000, 10000};
  const LatencyFigures f = LatencyFigures::FromMicros(micros);
  EXPECT_EQ(f.count, 4u);
  EXPECT_DOUBLE_EQ(f.min_ms, 1.0);
  EXPECT_DOUBLE_EQ(f.p50_ms, 2.0);
  EXPECT_DOUBLE_EQ(f.p99_ms, 10.0);
  EXPECT_DOUBLE_EQ(f.max_ms, 10.0);
  EXPECT_DOUBLE_EQ(f.mean_ms, 4.0);
  std::vector<int64_t> none;
  EXPECT_EQ(LatencyFigures::FromMicros(none).count, 0u);
}

BenchSummary Example() {
  BenchSummary s;
  s.hosts = "127.0.0.1:9042";
  s.keyspace = "ks";
  s.segments = 3;
  s.in_flight = 64;
  s.connections = 1;
  s.rows_loaded = 60;
  s.requests = 20;
  s.completed = 20;
  s.applied = 20;
  s.elapsed = 2s;
  std::vector<int64_t> micros = {1500, 2500};
  s.latency = LatencyFigures::FromMicros(micros);
  return s;
}

TEST(BenchSummaryTest, PassOnlyWhenEveryBatchApplied) {
  BenchSummary s = Example();
  EXPECT_TRUE(s.passed());
  EXPECT_DOUBLE_EQ(s.lwt_per_second(), 10.0);
  const std::string text = FormatSummary(s);
  EXPECT_THAT(text, HasSubstr("result: PASS"));
  EXPECT_THAT(text, HasSubstr("LWT/s"));
  EXPECT_THAT(text, HasSubstr("p99.9"));
  s.applied = 19;
  s.not_applied = 1;
  EXPECT_FALSE(s.passed());
  EXPECT_THAT(FormatSummary(s), HasSubstr("result: FAIL (19 of 20"));
  s = Example();
  s.interrupted = true;
  EXPECT_FALSE(s.passed());
}

TEST(BenchSummaryTest, JsonCarriesTheFigures) {
  BenchSummary s = Example();
  s.errors = 1;
  s.error_messages["DEADLINE_EXCEEDED: timeout"] = 1;
  const nlohmann::ordered_json j = SummaryToJson(s);
  EXPECT_EQ(j["requests"], 20);
  EXPECT_EQ(j["applied"], 20);
  EXPECT_EQ(j["errors"], 1);
  EXPECT_EQ(j["error_messages"]["DEADLINE_EXCEEDED: timeout"], 1);
  EXPECT_DOUBLE_EQ(j["lwt_per_second"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(j["seconds"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(j["latency_ms"]["p50"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(j["latency_ms"]["max"].get<double>(), 2.5);
  EXPECT_EQ(j["pass"], true);
}

TEST(BenchSummaryTest, ProgressLines) {
  EXPECT_EQ(FormatHoldProgress(5000, 20000, 2s, 4999, 1, 0),
            " 5000/20000 ( 25%)  2.0 s  2500 LWT/s  applied 4999  not applied 1  errors 0");
  EXPECT_EQ(FormatLoadProgress(300, 900, 1500ms), "loading rows  300/900 ( 33%)  1.5 s");
}

}  // namespace
}  // namespace inventory::lwt_bench
