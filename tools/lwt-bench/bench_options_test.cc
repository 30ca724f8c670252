#include "bench_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace inventory::lwt_bench {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<ParsedBenchOptions> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "inventory-lwt-bench");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  return ParseBenchOptions(static_cast<int>(argv.size()), argv.data());
}

TEST(BenchOptionsTest, Defaults) {
  auto parsed = Parse({});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const BenchOptions& o = parsed->options;
  EXPECT_EQ(o.hosts, std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(o.port, 9042);
  EXPECT_EQ(o.keyspace, "inventory_lwt_bench");
  EXPECT_EQ(o.requests, 20000);
  EXPECT_EQ(o.in_flight, 64);
  EXPECT_EQ(o.segments, 3);
  EXPECT_EQ(o.connections, 1);
  EXPECT_EQ(o.timeout_ms, 5000);
  EXPECT_FALSE(o.keep);
  EXPECT_EQ(o.json_path, "");
  EXPECT_TRUE(parsed->help_text.empty());
}

TEST(BenchOptionsTest, EveryFlag) {
  auto parsed = Parse({"--hosts", "10.0.0.1, 10.0.0.2", "--port", "19042", "--keyspace", "bench_2", "--requests",
                       "300", "--in-flight", "8", "--segments", "5", "--connections", "2", "--timeout-ms", "900",
                       "--keep", "--json", "/tmp/b.json"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const BenchOptions& o = parsed->options;
  EXPECT_EQ(o.hosts, (std::vector<std::string>{"10.0.0.1", "10.0.0.2"}));
  EXPECT_EQ(o.port, 19042);
  EXPECT_EQ(o.keyspace, "bench_2");
  EXPECT_EQ(o.requests, 300);
  EXPECT_EQ(o.in_flight, 8);
  EXPECT_EQ(o.segments, 5);
  EXPECT_EQ(o.connections, 2);
  EXPECT_EQ(o.timeout_ms, 900);
  EXPECT_TRUE(o.keep);
  EXPECT_EQ(o.json_path, "/tmp/b.json");
}

TEST(BenchOptionsTest, HelpNamesTheFlagsAndExitStatus) {
  auto parsed = Parse({"--help"});
  ASSERT_TRUE(parsed.ok());
  for (const char* flag : {"--hosts", "--port", "--keyspace", "--requests", "--in-flight", "--segments", "--json",
                           "--keep", "Exit status"}) {
    EXPECT_THAT(parsed->help_text, HasSubstr(flag));
  }
}

TEST(BenchOptionsTest, RejectsBadValuesNamingTheFlag) {
  struct Case {
    std::vector<std::string> args;
    std::string flag;
  };
  const std::vector<Case> cases = {
      {{"--requests", "0"}, "--requests"},
      {{"--requests", "many"}, "--requests"},
      {{"--in-flight", "0"}, "--in-flight"},
      {{"--in-flight", "40000"}, "--in-flight"},
      {{"--segments", "0"}, "--segments"},
      {{"--segments", "65"}, "--segments"},
      {{"--port", "0"}, "--port"},
      {{"--port", "70000"}, "--port"},
      {{"--hosts", ""}, "--hosts"},
      {{"--hosts", "a,,b"}, "--hosts"},
      {{"--keyspace", "bad-name"}, "--keyspace"},
      {{"--keyspace", "x; DROP KEYSPACE y"}, "--keyspace"},
      {{"--keyspace", "1abc"}, "--keyspace"},
      {{"--connections", "0"}, "--connections"},
      {{"--timeout-ms", "0"}, "--timeout-ms"},
      {{"--bogus"}, "--bogus"},
  };
  for (const Case& c : cases) {
    auto parsed = Parse(c.args);
    ASSERT_FALSE(parsed.ok()) << c.args[0] << " " << (c.args.size() > 1 ? c.args[1] : "");
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(parsed.status().message()), HasSubstr(c.flag)) << parsed.status();
  }
}

TEST(BenchOptionsTest, KeyspaceNames) {
  EXPECT_TRUE(IsKeyspaceName("inventory_lwt_bench"));
  EXPECT_TRUE(IsKeyspaceName("B2"));
  EXPECT_FALSE(IsKeyspaceName(""));
  EXPECT_FALSE(IsKeyspaceName("_x"));
  EXPECT_FALSE(IsKeyspaceName("a.b"));
  EXPECT_FALSE(IsKeyspaceName(std::string(49, 'a')));
  EXPECT_TRUE(IsKeyspaceName(std::string(48, 'a')));
}

}  // namespace
}  // namespace inventory::lwt_bench
