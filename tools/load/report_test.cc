#include "report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

namespace inventory::load {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

RunSummary Sample() {
  RunSummary s;
  s.scenario = "hot-seat";
  s.target = "127.0.0.1:9083";
  s.details = {{"trip", "hot-1-abcdef"}, {"seat", "1A"}};
  s.workers = 50;
  s.pause_ms = 10;
  s.requested = 1000;
  s.completed = 1000;
  s.elapsed = std::chrono::milliseconds(12'500);
  s.tally.Add({OutcomeKind::kSuccess, grpc::StatusCode::OK, ""});
  for (int i = 0; i < 300; ++i) s.tally.Add({OutcomeKind::kContention, grpc::StatusCode::OK, "c"});
  for (int i = 0; i < 699; ++i) s.tally.Add({OutcomeKind::kNotAvailable, grpc::StatusCode::OK, "n"});
  LatencyHistogram h;
  for (int i = 1; i <= 1000; ++i) h.RecordMicros(i * 10);  // 0.01 .. 10 ms
  s.latency = LatencySummary::From(h);
  return s;
}

TEST(ReportTest, ThroughputIsCompletedOverElapsed) {
  RunSummary s = Sample();
  EXPECT_DOUBLE_EQ(s.throughput_rps(), 80.0);
  s.elapsed = std::chrono::nanoseconds(0);
  EXPECT_EQ(s.throughput_rps(), 0.0);
}

TEST(ReportTest, LatencySummaryTakesThePercentiles) {
  const LatencySummary l = Sample().latency;
  EXPECT_EQ(l.count, 1000u);
  EXPECT_EQ(l.min_us, 10);
  EXPECT_EQ(l.max_us, 10'000);
  EXPECT_NEAR(static_cast<double>(l.p50_us), 5000, 5000 / 128.0);
  EXPECT_NEAR(static_cast<double>(l.p90_us), 9000, 9000 / 128.0);
  EXPECT_NEAR(static_cast<double>(l.p99_us), 9900, 9900 / 128.0);
  EXPECT_NEAR(static_cast<double>(l.p999_us), 9990, 9990 / 128.0);
}

TEST(ReportTest, TableShowsEveryFigureAndPasses) {
  const std::string table = FormatSummaryTable(Sample());
  EXPECT_THAT(table, HasSubstr("scenario hot-seat against 127.0.0.1:9083"));
  EXPECT_THAT(table, HasSubstr("trip              hot-1-abcdef"));
  EXPECT_THAT(table, HasSubstr("requests                1000\n"));
  EXPECT_THAT(table, HasSubstr("elapsed                12.50 s"));
  EXPECT_THAT(table, HasSubstr("throughput              80.0 req/s"));
  EXPECT_THAT(table, HasSubstr("success                    1     0.1 %"));
  EXPECT_THAT(table, HasSubstr("contention               300    30.0 %"));
  EXPECT_THAT(table, HasSubstr("not available            699    69.9 %"));
  EXPECT_THAT(table, HasSubstr("other refusal              0     0.0 %"));
  EXPECT_THAT(table, HasSubstr("errors                     0     0.0 %"));
  EXPECT_THAT(table, HasSubstr("latency (ms)"));
  EXPECT_THAT(table, HasSubstr("p50"));
  EXPECT_THAT(table, HasSubstr("p99.9"));
  EXPECT_THAT(table, HasSubstr("max                    10.00"));
  EXPECT_THAT(table, HasSubstr("result: PASS\n"));
  EXPECT_THAT(table, Not(HasSubstr("interrupted")));
}

TEST(ReportTest, TableListsErrorsByCodeAndTheReasonsForFailure) {
  RunSummary s = Sample();
  s.tally.Add({OutcomeKind::kError, grpc::StatusCode::UNAVAILABLE, "connection refused"});
  s.tally.Add({OutcomeKind::kOtherRefusal, grpc::StatusCode::OK, "maximum concurrent holds exceeded"});
  s.completed = 400;
  s.interrupted = true;
  s.failures = {"interrupted after 400 of 1000 requests", "1 requests ended in a gRPC error"};
  const std::string table = FormatSummaryTable(s);
  EXPECT_THAT(table, HasSubstr("requests                 400   (of 1000 asked, interrupted)"));
  EXPECT_THAT(table, HasSubstr("    UNAVAILABLE              1\n"));
  EXPECT_THAT(table, HasSubstr("connection refused"));
  EXPECT_THAT(table, HasSubstr("maximum concurrent holds exceeded"));
  EXPECT_THAT(table, HasSubstr("result: FAIL\n  - interrupted after 400 of 1000 requests\n"
                               "  - 1 requests ended in a gRPC error\n"));
}

TEST(ReportTest, JsonCarriesTheSameFigures) {
  RunSummary s = Sample();
  s.tally.Add({OutcomeKind::kError, grpc::StatusCode::DEADLINE_EXCEEDED, "late"});
  const nlohmann::ordered_json j = SummaryToJson(s);
  EXPECT_EQ(j["scenario"], "hot-seat");
  EXPECT_EQ(j["target"], "127.0.0.1:9083");
  EXPECT_EQ(j["details"]["trip"], "hot-1-abcdef");
  EXPECT_EQ(j["workers"], 50);
  EXPECT_EQ(j["requests"], 1000);
  EXPECT_EQ(j["completed"], 1000);
  EXPECT_DOUBLE_EQ(j["elapsed_seconds"].get<double>(), 12.5);
  EXPECT_DOUBLE_EQ(j["throughput_rps"].get<double>(), 80.0);
  EXPECT_EQ(j["outcomes"]["success"], 1);
  EXPECT_EQ(j["outcomes"]["contention"], 300);
  EXPECT_EQ(j["outcomes"]["not_available"], 699);
  EXPECT_EQ(j["outcomes"]["other_refusal"], 0);
  EXPECT_EQ(j["outcomes"]["errors"], 1);
  EXPECT_EQ(j["outcomes"]["errors_by_code"]["DEADLINE_EXCEEDED"], 1);
  EXPECT_EQ(j["outcomes"]["error_messages"]["DEADLINE_EXCEEDED"]["late"], 1);
  EXPECT_DOUBLE_EQ(j["latency_ms"]["max"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(j["latency_ms"]["p50"].get<double>(), s.latency.p50_us / 1000.0);
  EXPECT_DOUBLE_EQ(j["latency_ms"]["p99_9"].get<double>(), s.latency.p999_us / 1000.0);
  EXPECT_EQ(j["pass"], true);
  EXPECT_TRUE(j["failures"].is_array());
  // Round-trips through text.
  EXPECT_EQ(nlohmann::ordered_json::parse(j.dump()), j);
  EXPECT_EQ(j.begin().key(), "scenario");  // fields in reading order
}

TEST(ReportTest, ProgressLine) {
  OutcomeTally t;
  t.Add({OutcomeKind::kSuccess, grpc::StatusCode::OK, ""});
  for (int i = 0; i < 41; ++i) t.Add({OutcomeKind::kNotAvailable, grpc::StatusCode::OK, ""});
  const std::string line = FormatProgressLine({42, 1000, std::chrono::seconds(2), &t});
  EXPECT_EQ(line,
            "  42/1000 (  4%)  2.0 s  21.0 req/s  success 1  contention 0  not available 41  other 0  errors 0");
  EXPECT_THAT(FormatProgressLine({0, 10, std::chrono::nanoseconds(0), &t}),
              HasSubstr(" 0/10 (  0%)  0.0 s  0.0 req/s"));
}

}  // namespace
}  // namespace inventory::load
