#include "config/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

namespace inventory {
namespace {

absl::StatusOr<ParsedConfig> Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "inventoryd");
  return ParseConfig(static_cast<int>(args.size()), args.data());
}

class ConfigTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const char* name : {"GRPC_PORT", "SCYLLA_HOSTS", "REDIS_ADDR", "HOLD_TTL_SECONDS", "HTTP_PORT",
                             "SEATMAP_CACHE_BYTES", "SEATMAP_NOT_FOUND_TTL_MS", "STORE", "EMBEDDED_PATH"}) {
      unsetenv(name);
    }
  }
};

TEST_F(ConfigTest, DefaultsMatchTheDesign) {
  auto parsed = Parse({});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const Config& c = parsed->config;
  EXPECT_EQ(c.grpc_port, 9083);
  EXPECT_EQ(c.http_port, 8083);
  EXPECT_EQ(c.db_hosts, std::vector<std::string>{"localhost"});
  EXPECT_EQ(c.redis.host, "localhost");
  EXPECT_EQ(c.redis.port, 6379);
  EXPECT_EQ(c.hold_ttl_default.count(), 600);
  EXPECT_EQ(c.max_holds_per_user, 2);
  EXPECT_EQ(c.seatmap_cache_ttl.count(), 5000);
  EXPECT_EQ(c.seatmap_cache_bytes, 256 * 1024 * 1024);
  EXPECT_EQ(c.seatmap_not_found_ttl.count(), 2000);
  EXPECT_EQ(c.db_keyspace, "inventory");
}

TEST_F(ConfigTest, SeatMapCacheBudgetAndNotFoundTtlAreSetAndBounded) {
  setenv("SEATMAP_CACHE_BYTES", "1048576", 1);
  setenv("SEATMAP_NOT_FOUND_TTL_MS", "0", 1);  // 0: unknown trips are not remembered
  auto parsed = Parse({});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->config.seatmap_cache_bytes, 1048576);
  EXPECT_EQ(parsed->config.seatmap_not_found_ttl.count(), 0);
  parsed = Parse({"--seatmap-cache-bytes", "4096", "--seatmap-not-found-ttl-ms", "500"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->config.seatmap_cache_bytes, 4096);
  EXPECT_EQ(parsed->config.seatmap_not_found_ttl.count(), 500);
  // The caches are always bounded: no 0 for "unbounded".
  for (const char* bytes : {"0", "-1"}) {
    parsed = Parse({"--seatmap-cache-bytes", bytes});
    ASSERT_FALSE(parsed.ok()) << bytes;
    EXPECT_NE(parsed.status().message().find("seatmap-cache-bytes"), std::string::npos) << parsed.status();
  }
  for (const char* ttl : {"-1", "60001"}) {
    parsed = Parse({"--seatmap-not-found-ttl-ms", ttl});
    ASSERT_FALSE(parsed.ok()) << ttl;
    EXPECT_NE(parsed.status().message().find("seatmap-not-found-ttl-ms"), std::string::npos) << parsed.status();
  }
}

TEST_F(ConfigTest, EnvironmentOverridesDefaultAndFlagOverridesEnvironment) {
  setenv("GRPC_PORT", "9999", 1);
  setenv("SCYLLA_HOSTS", "10.0.0.1, 10.0.0.2:9043", 1);
  setenv("REDIS_ADDR", "cache:7000", 1);
  auto parsed = Parse({});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->config.grpc_port, 9999);
  EXPECT_EQ(parsed->config.db_hosts, (std::vector<std::string>{"10.0.0.1", "10.0.0.2:9043"}));
  EXPECT_EQ(parsed->config.redis.host, "cache");
  EXPECT_EQ(parsed->config.redis.port, 7000);

  parsed = Parse({"--prelock", "off"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_FALSE(parsed->config.prelock);
  EXPECT_TRUE(Parse({})->config.prelock);
  EXPECT_TRUE(Parse({})->config.edge_short_circuit);
  EXPECT_TRUE(Parse({})->config.seatmap_cache);
  EXPECT_FALSE(Parse({"--edge-short-circuit", "off"})->config.edge_short_circuit);
  EXPECT_FALSE(Parse({"--seatmap-cache=off"})->config.seatmap_cache);
  EXPECT_FALSE(Parse({"--seatmap-cache", "maybe"}).ok());

  parsed = Parse({"--grpc-port", "9100"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->config.grpc_port, 9100);
}

TEST_F(ConfigTest, HelpListsEveryVariableWithDefaults) {
  auto parsed = Parse({"--help"});
  ASSERT_TRUE(parsed.ok());
  const std::string& help = parsed->help_text;
  for (const char* name : {"GRPC_PORT", "HTTP_PORT", "SCYLLA_HOSTS", "REDIS_ADDR", "SCYLLA_KEYSPACE",
                           "SCYLLA_CONSISTENCY", "HOLD_TTL_SECONDS", "MAX_HOLDS_PER_USER", "REDIS_PASSWORD",
                           "LOG_LEVEL", "SEATMAP_CACHE_TTL_MS", "SEATMAP_CACHE_BYTES", "SEATMAP_NOT_FOUND_TTL_MS"}) {
    EXPECT_NE(help.find(name), std::string::npos) << name;
  }
  EXPECT_NE(help.find("9083"), std::string::npos);
  EXPECT_NE(help.find("600"), std::string::npos);
}

struct BadCase {
  std::vector<const char*> args;
  const char* names;  // the setting the message must name
};

TEST_F(ConfigTest, TheStoreIsCqlUnlessEmbeddedIsAsked) {
  auto parsed = Parse({});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->config.store, "cql");
  setenv("STORE", "embedded", 1);
  setenv("EMBEDDED_PATH", "/data/inventory.db", 1);
  parsed = Parse({});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->config.store, "embedded");
  EXPECT_EQ(parsed->config.embedded_path, "/data/inventory.db");
}

TEST_F(ConfigTest, BadValuesAreRefusedNamingTheSetting) {
  const std::vector<BadCase> cases = {
      {{"--grpc-port", "0"}, "grpc-port"},
      {{"--store", "mysql"}, "store"},
      {{"--store", "embedded", "--embedded-path", ""}, "embedded-path"},
      {{"--watch-heartbeat-ms", "50"}, "watch-heartbeat-ms"},
      {{"--watch-max-behind", "0"}, "watch-max-behind"},
      {{"--grpc-port", "70000"}, "grpc-port"},
      {{"--http-port", "9083"}, "http-port"},
      {{"--scylla-hosts", ":9042"}, "scylla-hosts"},
      {{"--scylla-hosts", "h:notaport"}, "scylla-hosts"},
      {{"--redis-addr", "h:0"}, "redis-addr"},
      {{"--scylla-keyspace", "bad-name"}, "scylla-keyspace"},
      {{"--scylla-consistency", "MOST"}, "scylla-consistency"},
      {{"--scylla-serial-consistency", "QUORUM"}, "scylla-serial-consistency"},
      {{"--scylla-replication", "Everywhere:3"}, "scylla-replication"},
      {{"--hold-ttl", "5"}, "hold-ttl"},
      {{"--hold-ttl-max", "100000"}, "hold-ttl-max"},
      {{"--max-holds-per-user", "0"}, "max-holds-per-user"},
      {{"--log-level", "loud"}, "log-level"},
      {{"--redis-timeout-ms", "0"}, "redis-timeout-ms"},
      {{"--no-such-flag"}, "no-such-flag"},
  };
  for (const BadCase& c : cases) {
    auto parsed = Parse(c.args);
    ASSERT_FALSE(parsed.ok()) << c.args[0];
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << c.args[0];
    EXPECT_NE(parsed.status().message().find(c.names), std::string::npos)
        << c.args[0] << ": " << parsed.status().message();
  }
}

TEST_F(ConfigTest, BadEnvironmentValueIsRefused) {
  setenv("HOLD_TTL_SECONDS", "abc", 1);
  auto parsed = Parse({});
  EXPECT_FALSE(parsed.ok());
}

TEST(ParseHostPortTest, HostAloneTakesDefaultPort) {
  auto hp = ParseHostPort("db1", 9042);
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "db1");
  EXPECT_EQ(hp->port, 9042);
  hp = ParseHostPort("db1:19042", 9042);
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->port, 19042);
  EXPECT_FALSE(ParseHostPort("", 1).ok());
  EXPECT_FALSE(ParseHostPort("h:", 1).ok());
  EXPECT_FALSE(ParseHostPort("h:-1", 1).ok());
}

TEST(ParseHostPortTest, Ipv6WithAndWithoutPort) {
  auto hp = ParseHostPort("[::1]:9043", 9042);
  ASSERT_TRUE(hp.ok()) << hp.status();
  EXPECT_EQ(hp->host, "::1");
  EXPECT_EQ(hp->port, 9043);
  hp = ParseHostPort("[2001:db8::7]", 9042);
  ASSERT_TRUE(hp.ok()) << hp.status();
  EXPECT_EQ(hp->host, "2001:db8::7");
  EXPECT_EQ(hp->port, 9042);
  hp = ParseHostPort("2001:db8::7", 9042);  // bare: every colon belongs to the address
  ASSERT_TRUE(hp.ok()) << hp.status();
  EXPECT_EQ(hp->host, "2001:db8::7");
  EXPECT_EQ(hp->port, 9042);
  EXPECT_FALSE(ParseHostPort("[::1", 1).ok());
  EXPECT_FALSE(ParseHostPort("[::1]x", 1).ok());
  EXPECT_FALSE(ParseHostPort("[::1]:", 1).ok());
}

// Every contact point keeps its own port (they reach the session as written).
TEST_F(ConfigTest, EveryDatabaseHostKeepsItsOwnPort) {
  auto parsed = Parse({"--scylla-hosts", "10.0.0.1:9043,[::1]:9044,db3", "--scylla-port", "9045"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->config.db_hosts, (std::vector<std::string>{"10.0.0.1:9043", "[::1]:9044", "db3"}));
  EXPECT_EQ(parsed->config.db_port, 9045);
}

TEST_F(ConfigTest, AdmissionControlSettings) {
  auto defaults = Parse({});
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_TRUE(defaults->config.admission_control);
  EXPECT_EQ(defaults->config.admission_queue_budget.count(), 100);
  auto set = Parse({"--admission-control", "off", "--admission-holds-in-flight", "8", "--admission-queue", "0",
                    "--admission-queue-ms", "250"});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_FALSE(set->config.admission_control);
  EXPECT_EQ(set->config.admission_holds_in_flight, 8);
  EXPECT_EQ(set->config.admission_queue, 0);
  EXPECT_EQ(set->config.admission_queue_budget.count(), 250);
  for (std::vector<const char*> bad : {std::vector<const char*>{"--admission-reads-in-flight", "0"},
                                       std::vector<const char*>{"--admission-queue", "-1"},
                                       std::vector<const char*>{"--admission-queue-ms", "0"}}) {
    auto refused = Parse(bad);
    ASSERT_FALSE(refused.ok()) << bad[0];
    EXPECT_NE(std::string(refused.status().message()).find("admission"), std::string::npos) << refused.status();
  }
}

}  // namespace
}  // namespace inventory
