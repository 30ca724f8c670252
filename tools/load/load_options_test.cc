#include "load_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace inventory::load {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<ParsedLoadOptions> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "inventory-load");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  return ParseLoadOptions(static_cast<int>(argv.size()), argv.data());
}

TEST(LoadOptionsTest, Defaults) {
  auto parsed = Parse({});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const LoadOptions& o = parsed->options;
  EXPECT_EQ(o.target, "127.0.0.1:9083");
  EXPECT_EQ(o.scenario, "hot-seat");
  EXPECT_EQ(o.workers, 50);
  EXPECT_EQ(o.requests, 1000);
  EXPECT_EQ(o.pause_ms, 10);
  EXPECT_EQ(o.seat, "1A");
  EXPECT_EQ(o.org, "load-org");
  EXPECT_EQ(o.timeout_ms, 5000);
  EXPECT_EQ(o.json_path, "");
  EXPECT_TRUE(parsed->help_text.empty());
}

TEST(LoadOptionsTest, EveryFlag) {
  auto parsed = Parse({"--target", "10.0.0.1:1234", "--scenario", "hot-seat", "--workers", "7", "--requests", "70",
                       "--pause-ms", "0", "--seat", "2C", "--org", "acme", "--timeout-ms", "250", "--json",
                       "/tmp/x.json", "--wait-after-prepare"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const LoadOptions& o = parsed->options;
  EXPECT_EQ(o.target, "10.0.0.1:1234");
  EXPECT_EQ(o.workers, 7);
  EXPECT_EQ(o.requests, 70);
  EXPECT_EQ(o.pause_ms, 0);
  EXPECT_EQ(o.seat, "2C");
  EXPECT_EQ(o.org, "acme");
  EXPECT_EQ(o.timeout_ms, 250);
  EXPECT_EQ(o.json_path, "/tmp/x.json");
  EXPECT_TRUE(o.wait_after_prepare);
  EXPECT_FALSE(Parse({})->options.wait_after_prepare);
}

TEST(LoadOptionsTest, WatchFlags) {
  auto parsed = Parse({"--scenario", "watch", "--target", "a:1"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->options.seats, 200);
  EXPECT_EQ(parsed->options.watchers, 100);
  EXPECT_EQ(WatchTargets(parsed->options), std::vector<std::string>{"a:1"});

  parsed = Parse({"--scenario", "watch", "--target", "a:1", "--seats", "30", "--watchers", "0", "--watch-targets",
                  "b:2,c:3"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->options.seats, 30);
  EXPECT_EQ(parsed->options.watchers, 0);
  EXPECT_EQ(WatchTargets(parsed->options), (std::vector<std::string>{"b:2", "c:3"}));

  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {"--seats", "25"}, {"--seats", "0"}, {"--seats", "2010"}, {"--watchers", "-1"},
           {"--watch-targets", "b:2,,c:3"}, {"--watch-targets", "b:2,"}}) {
    auto rejected = Parse(bad);
    ASSERT_FALSE(rejected.ok()) << bad[0] << " " << bad[1];
    EXPECT_THAT(std::string(rejected.status().message()), HasSubstr(bad[0]));
  }
}

TEST(LoadOptionsTest, HelpListsFlagsAndScenarios) {
  auto parsed = Parse({"--help"});
  ASSERT_TRUE(parsed.ok());
  EXPECT_THAT(parsed->help_text, HasSubstr("--workers"));
  EXPECT_THAT(parsed->help_text, HasSubstr("--pause-ms"));
  EXPECT_THAT(parsed->help_text, HasSubstr("hot-seat:"));
  EXPECT_THAT(parsed->help_text, HasSubstr("spread:"));
  EXPECT_THAT(parsed->help_text, HasSubstr("seatmap:"));
  EXPECT_THAT(parsed->help_text, HasSubstr("funnel:"));
  EXPECT_THAT(parsed->help_text, HasSubstr("Exit status"));
}

TEST(LoadOptionsTest, AcceptsEveryRegisteredScenario) {
  for (const char* name : {"hot-seat", "spread", "seatmap", "funnel"}) {
    auto parsed = Parse({"--scenario", name});
    ASSERT_TRUE(parsed.ok()) << name << ": " << parsed.status();
    EXPECT_EQ(parsed->options.scenario, name);
  }
}

TEST(LoadOptionsTest, RejectsBadValuesNamingTheFlag) {
  struct Case {
    std::vector<std::string> args;
    std::string flag;
  };
  const std::vector<Case> cases = {
      {{"--workers", "0"}, "--workers"},
      {{"--workers", "-3"}, "--workers"},
      {{"--requests", "0"}, "--requests"},
      {{"--pause-ms", "-1"}, "--pause-ms"},
      {{"--timeout-ms", "0"}, "--timeout-ms"},
      {{"--seat", ""}, "--seat"},
      {{"--org", ""}, "--org"},
      {{"--target", ""}, "--target"},
      {{"--scenario", "cold-seat"}, "--scenario"},
      {{"--workers", "many"}, "--workers"},
      {{"--bogus"}, "--bogus"},
  };
  for (const Case& c : cases) {
    auto parsed = Parse(c.args);
    ASSERT_FALSE(parsed.ok()) << c.args[0];
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(parsed.status().message()), HasSubstr(c.flag)) << parsed.status();
  }
}

}  // namespace
}  // namespace inventory::load
