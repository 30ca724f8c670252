// ScyllaDB sharding: SUPPORTED parsing, token -> shard against independently
// computed values, shard-aware local ports (label: unit).
#include "scylla_sharding.h"

#include <cstdint>
#include <limits>
#include <map>
#include <string>

#include <gtest/gtest.h>

namespace cql::internal {
namespace {

using Supported = std::multimap<std::string, std::string>;

Supported Complete() {
  return {{"CQL_VERSION", "3.3.1"},
          {"COMPRESSION", "lz4"},
          {"COMPRESSION", "snappy"},
          {"SCYLLA_SHARD", "3"},
          {"SCYLLA_NR_SHARDS", "12"},
          {"SCYLLA_SHARDING_IGNORE_MSB", "12"},
          {"SCYLLA_PARTITIONER", "org.apache.cassandra.dht.Murmur3Partitioner"},
          {"SCYLLA_SHARDING_ALGORITHM", "biased-token-round-robin"},
          {"SCYLLA_SHARD_AWARE_PORT", "19042"},
          {"SCYLLA_SHARD_AWARE_PORT_SSL", "19142"}};
}

TEST(ParseScyllaShardingTest, Complete) {
  auto s = ParseScyllaSharding(Complete());
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->shard, 3);
  EXPECT_EQ(s->nr_shards, 12);
  EXPECT_EQ(s->ignore_msb, 12);
  EXPECT_EQ(s->partitioner, "org.apache.cassandra.dht.Murmur3Partitioner");
  EXPECT_EQ(s->sharding_algorithm, "biased-token-round-robin");
  EXPECT_EQ(s->shard_aware_port, uint16_t{19042});
  EXPECT_EQ(s->shard_aware_port_ssl, uint16_t{19142});
}

TEST(ParseScyllaShardingTest, Partial) {
  // Only the two required keys (older ScyllaDB without the shard-aware port).
  auto s = ParseScyllaSharding({{"SCYLLA_SHARD", "0"}, {"SCYLLA_NR_SHARDS", "1"}});
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->shard, 0);
  EXPECT_EQ(s->nr_shards, 1);
  EXPECT_EQ(s->ignore_msb, 0);
  EXPECT_EQ(s->partitioner, "");
  EXPECT_EQ(s->sharding_algorithm, "");
  EXPECT_FALSE(s->shard_aware_port.has_value());
  EXPECT_FALSE(s->shard_aware_port_ssl.has_value());

  // Malformed ports are dropped, not fatal.
  Supported bad_ports = Complete();
  bad_ports.erase("SCYLLA_SHARD_AWARE_PORT");
  bad_ports.erase("SCYLLA_SHARD_AWARE_PORT_SSL");
  bad_ports.emplace("SCYLLA_SHARD_AWARE_PORT", "70000");
  bad_ports.emplace("SCYLLA_SHARD_AWARE_PORT_SSL", "x");
  s = ParseScyllaSharding(bad_ports);
  ASSERT_TRUE(s.has_value());
  EXPECT_FALSE(s->shard_aware_port.has_value());
  EXPECT_FALSE(s->shard_aware_port_ssl.has_value());
}

TEST(ParseScyllaShardingTest, Rejected) {
  // Cassandra: no SCYLLA_* keys at all.
  EXPECT_FALSE(ParseScyllaSharding({{"CQL_VERSION", "3.4.7"}, {"PROTOCOL_VERSIONS", "4/v4"}}).has_value());
  EXPECT_FALSE(ParseScyllaSharding({}).has_value());

  auto with = [](const std::string& key, const std::string& value) {
    Supported s = Complete();
    s.erase(key);
    s.emplace(key, value);
    return s;
  };
  auto without = [](const std::string& key) {
    Supported s = Complete();
    s.erase(key);
    return s;
  };
  EXPECT_FALSE(ParseScyllaSharding(without("SCYLLA_SHARD")).has_value());
  EXPECT_FALSE(ParseScyllaSharding(without("SCYLLA_NR_SHARDS")).has_value());
  for (const char* bad : {"", "x", "-1", "1.0", " 3", "3 ", "99999999999"}) {
    EXPECT_FALSE(ParseScyllaSharding(with("SCYLLA_SHARD", bad)).has_value()) << bad;
    EXPECT_FALSE(ParseScyllaSharding(with("SCYLLA_NR_SHARDS", bad)).has_value()) << bad;
    EXPECT_FALSE(ParseScyllaSharding(with("SCYLLA_SHARDING_IGNORE_MSB", bad)).has_value()) << bad;
  }
  EXPECT_FALSE(ParseScyllaSharding(with("SCYLLA_NR_SHARDS", "0")).has_value());
  EXPECT_FALSE(ParseScyllaSharding(with("SCYLLA_NR_SHARDS", "3")).has_value());  // shard 3 >= 3
  EXPECT_FALSE(ParseScyllaSharding(with("SCYLLA_SHARDING_IGNORE_MSB", "64")).has_value());
  EXPECT_FALSE(ParseScyllaSharding(with("SCYLLA_SHARDING_ALGORITHM", "token-ranges")).has_value());
  EXPECT_TRUE(ParseScyllaSharding(without("SCYLLA_SHARDING_ALGORITHM")).has_value());
  EXPECT_TRUE(ParseScyllaSharding(without("SCYLLA_SHARDING_IGNORE_MSB")).has_value());
}

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// Expected shards computed independently with Python's unbounded integers from the algorithm's description in
// ScyllaDB's docs/dev/protocol-extensions.md ("subtract the minimum token value ... shift left by ignore_msb,
// keep 64 bits, multiply by nr_shards, keep the high 64 bits"):
//   def shard(t, n, msb): return ((((t + 2**63) << msb) % 2**64) * n) >> 64
// for n in (1, 3, 8, 12) with ignore_msb 0, then the same n with ignore_msb 12.
struct ShardCase {
  int64_t token;
  int msb0[4];
  int msb12[4];
};
constexpr int kNrShards[4] = {1, 3, 8, 12};
constexpr ShardCase kShardCases[] = {
    {kMin, {0, 0, 0, 0}, {0, 0, 0, 0}},
    {-4611686018427387904LL, {0, 0, 2, 3}, {0, 0, 0, 0}},
    {-8070450532247928833LL, {0, 0, 0, 0}, {0, 2, 7, 11}},
    {-6510615555426900570LL, {0, 0, 1, 1}, {0, 1, 2, 4}},
    {-3074457345618258603LL, {0, 0, 2, 3}, {0, 0, 2, 3}},
    {-1, {0, 1, 3, 5}, {0, 2, 7, 11}},
    {0, {0, 1, 4, 6}, {0, 0, 0, 0}},
    {1, {0, 1, 4, 6}, {0, 0, 0, 0}},
    {2251799813685248LL, {0, 1, 4, 6}, {0, 1, 4, 6}},
    {4503599627370495LL, {0, 1, 4, 6}, {0, 2, 7, 11}},
    {81985529216486895LL, {0, 1, 4, 6}, {0, 0, 1, 2}},
    {1234567890123456789LL, {0, 1, 4, 6}, {0, 0, 1, 1}},
    {4611686018427387904LL, {0, 2, 6, 9}, {0, 0, 0, 0}},
    {kMax, {0, 2, 7, 11}, {0, 2, 7, 11}},
};

TEST(ScyllaShardOfTest, MatchesIndependentComputation) {
  for (const ShardCase& c : kShardCases) {
    for (int i = 0; i < 4; ++i) {
      EXPECT_EQ(ScyllaShardOf(c.token, kNrShards[i], 0), c.msb0[i]) << c.token << " nr_shards " << kNrShards[i];
      EXPECT_EQ(ScyllaShardOf(c.token, kNrShards[i], 12), c.msb12[i]) << c.token << " nr_shards " << kNrShards[i];
    }
  }
}

TEST(ScyllaShardOfTest, PublishedDriverVectors) {
  // The shard_of test values the ScyllaDB drivers share (gocql, scylla-rust-driver): 4 shards, ignore_msb 12.
  EXPECT_EQ(ScyllaShardOf(-9219783007514621794LL, 4, 12), 3);
  EXPECT_EQ(ScyllaShardOf(9222582454147032830LL, 4, 12), 3);
}

TEST(ScyllaShardOfTest, DegenerateShardCounts) {
  EXPECT_EQ(ScyllaShardOf(kMax, 0, 0), 0);
  EXPECT_EQ(ScyllaShardOf(kMax, -5, 12), 0);
  EXPECT_EQ(ScyllaShardOf(kMax, 1, 12), 0);
  // Always within [0, nr_shards).
  for (int64_t t : {kMin, int64_t{-1}, int64_t{0}, kMax}) {
    for (int msb = 0; msb < 64; ++msb) {
      const int shard = ScyllaShardOf(t, 7, msb);
      EXPECT_GE(shard, 0);
      EXPECT_LT(shard, 7);
    }
  }
}

TEST(ScyllaLocalPortForTest, PicksFirstMatchingPortInDynamicRange) {
  // Expected values computed with a Python brute force over [base, 65535] then [49152, base), base wrapped to
  // 49152 + base % 16384, taking the first port p with p % nr_shards == shard.
  EXPECT_EQ(ScyllaLocalPortFor(0, 1, 0), 49152);
  EXPECT_EQ(ScyllaLocalPortFor(0, 1, 50000), 50000);
  EXPECT_EQ(ScyllaLocalPortFor(3, 12, 49152), 49155);
  EXPECT_EQ(ScyllaLocalPortFor(3, 12, 50000), 50007);
  EXPECT_EQ(ScyllaLocalPortFor(11, 12, 65535), 49163);  // wraps past 65535
  EXPECT_EQ(ScyllaLocalPortFor(0, 8, 65535), 49152);
  EXPECT_EQ(ScyllaLocalPortFor(5, 8, 65534), 49157);
  EXPECT_EQ(ScyllaLocalPortFor(2, 3, 1000), 50153);     // base below the range
  EXPECT_EQ(ScyllaLocalPortFor(0, 3, 0), 49152);
  EXPECT_EQ(ScyllaLocalPortFor(7, 8, 12345), 61503);
  EXPECT_EQ(ScyllaLocalPortFor(16383, 16384, 65535), 65535);
  EXPECT_EQ(ScyllaLocalPortFor(5, 20000, 0), 60005);
  EXPECT_EQ(ScyllaLocalPortFor(19999, 20000, 0), 59999);
  // No port of [49152, 65535] is 6000 mod 20000; invalid shards.
  EXPECT_EQ(ScyllaLocalPortFor(6000, 20000, 0), 0);
  EXPECT_EQ(ScyllaLocalPortFor(12, 12, 50000), 0);
  EXPECT_EQ(ScyllaLocalPortFor(-1, 12, 50000), 0);
  EXPECT_EQ(ScyllaLocalPortFor(0, 0, 50000), 0);

  // Exhaustive properties for a few shard counts.
  for (int nr : {1, 3, 8, 12, 64}) {
    for (int shard = 0; shard < nr; ++shard) {
      for (int base = 0; base <= 65535; base += 997) {
        const uint16_t port = ScyllaLocalPortFor(shard, nr, static_cast<uint16_t>(base));
        ASSERT_GE(port, 49152);
        ASSERT_EQ(port % nr, shard);
      }
    }
  }
}

}  // namespace
}  // namespace cql::internal
