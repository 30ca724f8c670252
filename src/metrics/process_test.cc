#include "metrics/process.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ctime>
#include <string>
#include <thread>

namespace inventory::metrics {
namespace {

using ::testing::HasSubstr;

// A real /proc/self/stat line, with a comm holding spaces and a ')'.
constexpr std::string_view kSelfStat =
    "4242 (my (odd) prog) S 1 4242 4242 0 -1 4194560 1234 0 0 0 "
    "250 150 0 0 20 0 7 0 5000 123456789 321 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
constexpr std::string_view kSystemStat =
    "cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 1 2 3 4 5 6 7 8 9 10\nintr 1 2 3\nctxt 99\nbtime 1700000000\nprocesses 5\n";

TEST(ProcessTest, ParsesProcFields) {
  absl::StatusOr<ProcessStats> stats = ParseProcessStats(kSelfStat, kSystemStat, 100, 4096);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_DOUBLE_EQ(stats->cpu_seconds, 4.0);                     // (250 + 150) / 100
  EXPECT_DOUBLE_EQ(stats->threads, 7);
  EXPECT_DOUBLE_EQ(stats->start_time_seconds, 1700000050.0);     // btime + 5000 / 100
  EXPECT_DOUBLE_EQ(stats->virtual_memory_bytes, 123456789.0);
  EXPECT_DOUBLE_EQ(stats->resident_memory_bytes, 321.0 * 4096);
}

TEST(ProcessTest, RejectsMalformedInput) {
  EXPECT_FALSE(ParseProcessStats("4242 prog S 1", kSystemStat, 100, 4096).ok());
  EXPECT_FALSE(ParseProcessStats("4242 (prog) S 1 2 3", kSystemStat, 100, 4096).ok());
  EXPECT_FALSE(ParseProcessStats(kSelfStat, "cpu 1 2 3\n", 100, 4096).ok());
  std::string bad(kSelfStat);
  bad.replace(bad.find(" 250 "), 5, " x50 ");
  EXPECT_FALSE(ParseProcessStats(bad, kSystemStat, 100, 4096).ok());
}

TEST(ProcessTest, ReadsThisProcess) {
  std::thread helper([] { std::this_thread::sleep_for(std::chrono::milliseconds(200)); });
  absl::StatusOr<ProcessStats> stats = ReadProcessStats();
  helper.join();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_GT(stats->resident_memory_bytes, 100 * 1024.0);
  EXPECT_GE(stats->virtual_memory_bytes, stats->resident_memory_bytes);
  EXPECT_GE(stats->threads, 2);  // main + helper
  EXPECT_GE(stats->cpu_seconds, 0);
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_LE(stats->start_time_seconds, now + 2);
  EXPECT_GT(stats->start_time_seconds, now - 3600);  // this test started recently
}

TEST(ProcessTest, AddsTheFamiliesToAPage) {
  Exposition page;
  AddProcessMetrics(page);
  const std::string text = page.Text();
  EXPECT_THAT(text, HasSubstr("# TYPE process_cpu_seconds_total counter\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE process_resident_memory_bytes gauge\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE process_virtual_memory_bytes gauge\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE process_start_time_seconds gauge\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE process_threads gauge\n"));
  const size_t pos = text.find("\nprocess_resident_memory_bytes ");
  ASSERT_NE(pos, std::string::npos);
  const double rss = std::stod(text.substr(pos + 31));
  EXPECT_GT(rss, 0);
}

}  // namespace
}  // namespace inventory::metrics
