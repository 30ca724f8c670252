// Murmur3Token against tokens from a real Cassandra, RoutingKey encodings, and
// replica placement on hand-made and random rings (label: unit).
#include "token_ring.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace cql::internal {
namespace {

std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// Keys of 1..33 bytes, byte i of the key of length L being (37*i + 11*L + 0x5b) & 0xff (so every tail length and
// bytes >= 0x80 occur), and the tokens Cassandra 5.0.8 returned for them: INSERT INTO t (k) VALUES (0x...) then
// SELECT token(k) FROM t WHERE k = 0x... on a blob-keyed table. An independent Python model of Cassandra's
// MurmurHash.hash3_x64_128 gives the same values. The empty key (Cassandra rejects it as a partition key) hashes to
// 0: every MurmurHash3 step maps zero state and zero length to zero.
struct Vector {
  const char* hex;
  int64_t token;
};
constexpr Vector kServerVectors[] = {
    {"", 0},
    {"66", -7907455435422653521LL},
    {"7196", 7704525462665661356LL},
    {"7ca1c6", -5919003292830312565LL},
    {"87acd1f6", -1183217690524683409LL},
    {"92b7dc0126", 1973872366472614659LL},
    {"9dc2e70c3156", -3479719301617491961LL},
    {"a8cdf2173c6186", -5669395548349609954LL},
    {"b3d8fd22476c91b6", -396711248671505587LL},
    {"bee3082d52779cc1e6", 5358597783046640911LL},
    {"c9ee13385d82a7ccf116", 577686373868895467LL},
    {"d4f91e43688db2d7fc2146", 1934478358353153229LL},
    {"df04294e7398bde2072c5176", -6751068047992060911LL},
    {"ea0f34597ea3c8ed12375c81a6", -1806583594040015905LL},
    {"f51a3f6489aed3f81d42678cb1d6", -6494365207859714975LL},
    {"00254a6f94b9de03284d7297bce106", -5696698613622375332LL},
    {"0b30557a9fc4e90e33587da2c7ec1136", -2694165948723695365LL},
    {"163b6085aacff4193e6388add2f71c4166", -7323314815098944025LL},
    {"21466b90b5daff24496e93b8dd02274c7196", -5332627507522935964LL},
    {"2c51769bc0e50a2f54799ec3e80d32577ca1c6", 3799912760411856471LL},
    {"375c81a6cbf0153a5f84a9cef3183d6287acd1f6", 4024064033053029735LL},
    {"42678cb1d6fb20456a8fb4d9fe23486d92b7dc0126", -2207240882200662249LL},
    {"4d7297bce1062b50759abfe4092e53789dc2e70c3156", 3127436462193746929LL},
    {"587da2c7ec11365b80a5caef14395e83a8cdf2173c6186", -3671740021845323048LL},
    {"6388add2f71c41668bb0d5fa1f44698eb3d8fd22476c91b6", -6992289166173231827LL},
    {"6e93b8dd02274c7196bbe0052a4f7499bee3082d52779cc1e6", 4172197388127957213LL},
    {"799ec3e80d32577ca1c6eb10355a7fa4c9ee13385d82a7ccf116", -839409274424519198LL},
    {"84a9cef3183d6287acd1f61b40658aafd4f91e43688db2d7fc2146", 6624206814485978406LL},
    {"8fb4d9fe23486d92b7dc01264b7095badf04294e7398bde2072c5176", -4243003379092768106LL},
    {"9abfe4092e53789dc2e70c31567ba0c5ea0f34597ea3c8ed12375c81a6", -3601993025320736253LL},
    {"a5caef14395e83a8cdf2173c6186abd0f51a3f6489aed3f81d42678cb1d6", -431326771768795637LL},
    {"b0d5fa1f44698eb3d8fd22476c91b6db00254a6f94b9de03284d7297bce106", 8304875421299942991LL},
    {"bbe0052a4f7499bee3082d52779cc1e60b30557a9fc4e90e33587da2c7ec1136", -8472252364198457788LL},
    {"c6eb10355a7fa4c9ee13385d82a7ccf1163b6085aacff4193e6388add2f71c4166", -1766819141317162794LL},
};

TEST(Murmur3TokenTest, MatchesCassandra) {
  for (const Vector& v : kServerVectors) {
    const std::string key = Unhex(v.hex);
    EXPECT_EQ(key.size() * 2, std::string_view(v.hex).size());
    EXPECT_EQ(Murmur3Token(key), v.token) << "key 0x" << v.hex << " (" << key.size() << " bytes)";
  }
}

// --- RoutingKey -------------------------------------------------------------

ColumnSpec Col(std::string name, TypeId type) {
  return ColumnSpec{"ks", "t", std::move(name), DataType{type, "", {}, {}}};
}

TEST(RoutingKeyTest, SingleColumnIsTheBareValue) {
  auto text = RoutingKey({0}, {Col("k", TypeId::kVarchar)}, {Value("abc")});
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "abc");

  // The key may be any bound column; an int bound to a bigint column is widened by the codec.
  auto bigint = RoutingKey({1}, {Col("v", TypeId::kVarchar), Col("k", TypeId::kBigint)}, {Value("x"), Value(42)});
  ASSERT_TRUE(bigint.ok()) << bigint.status();
  EXPECT_EQ(*bigint, std::string("\0\0\0\0\0\0\0\x2a", 8));

  auto blob = RoutingKey({0}, {Col("k", TypeId::kBlob)}, {Value::Blob(std::string("\xff\x00", 2))});
  ASSERT_TRUE(blob.ok()) << blob.status();
  EXPECT_EQ(*blob, std::string("\xff\x00", 2));
}

TEST(RoutingKeyTest, CompositeFollowsPkIndexOrder) {
  const Uuid id = *Uuid::Parse("00112233-4455-6677-8899-aabbccddeeff");
  const std::string expected = std::string("\x00\x03" "abc" "\x00", 6) +            // a text
                               std::string("\x00\x04\x00\x00\x01\x02\x00", 7) +     // b int = 258
                               std::string("\x00\x10", 2) + std::string(id.AsStringView()) + std::string(1, '\0');
  auto in_order = RoutingKey({0, 1, 2}, {Col("a", TypeId::kVarchar), Col("b", TypeId::kInt), Col("c", TypeId::kUuid)},
                             {Value("abc"), Value(258), Value(id)});
  ASSERT_TRUE(in_order.ok()) << in_order.status();
  EXPECT_EQ(*in_order, expected);

  // INSERT ... (c, v, a, b) VALUES (?, ?, ?, ?): the server reports pk_indexes {2, 3, 0}.
  auto reordered = RoutingKey(
      {2, 3, 0},
      {Col("c", TypeId::kUuid), Col("v", TypeId::kInt), Col("a", TypeId::kVarchar), Col("b", TypeId::kInt)},
      {Value(id), Value(7), Value("abc"), Value(258)});
  ASSERT_TRUE(reordered.ok()) << reordered.status();
  EXPECT_EQ(*reordered, expected);

  // An empty text component is allowed inside a composite.
  auto empty = RoutingKey({0, 1}, {Col("a", TypeId::kVarchar), Col("b", TypeId::kInt)}, {Value(""), Value(1)});
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(*empty, std::string("\x00\x00\x00\x00\x04\x00\x00\x00\x01\x00", 10));
}

TEST(RoutingKeyTest, Errors) {
  const std::vector<ColumnSpec> cols{Col("a", TypeId::kVarchar), Col("b", TypeId::kInt)};
  EXPECT_EQ(RoutingKey({}, cols, {Value("a"), Value(1)}).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(RoutingKey({2}, cols, {Value("a"), Value(1)}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RoutingKey({0, 1}, cols, {Value("a")}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RoutingKey({0}, cols, {Value::Null(), Value(1)}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RoutingKey({0, 1}, cols, {Value("a"), Value::Unset()}).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Type mismatch, reported by the codec.
  EXPECT_EQ(RoutingKey({1}, cols, {Value("a"), Value("b")}).status().code(), absl::StatusCode::kInvalidArgument);
  // A composite component longer than its [short] length allows.
  const std::vector<ColumnSpec> blobs{Col("a", TypeId::kBlob), Col("b", TypeId::kBlob)};
  EXPECT_EQ(RoutingKey({0, 1}, blobs, {Value::Blob(std::string(65536, 'x')), Value::Blob("y")}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(RoutingKey({0, 1}, blobs, {Value::Blob(std::string(65535, 'x')), Value::Blob("y")}).ok());
  // A single key has no such limit.
  EXPECT_TRUE(RoutingKey({0}, blobs, {Value::Blob(std::string(70000, 'x')), Value::Null()}).ok());
}

// --- TokenRing --------------------------------------------------------------

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

RingNode Node(std::string dc, std::string rack, std::vector<int64_t> tokens) {
  return RingNode{std::move(dc), std::move(rack), std::move(tokens)};
}

TEST(TokenRingTest, ParseToken) {
  EXPECT_EQ(TokenRing::ParseToken("0").value(), 0);
  EXPECT_EQ(TokenRing::ParseToken("-9223372036854775808").value(), kMin);
  EXPECT_EQ(TokenRing::ParseToken("9223372036854775807").value(), kMax);
  EXPECT_EQ(TokenRing::ParseToken("-4611686018427387904").value(), -4611686018427387904LL);
  for (const char* bad : {"", "-", "+5", " 5", "5 ", "12a", "0x10", "9223372036854775808", "-9223372036854775809"}) {
    EXPECT_EQ(TokenRing::ParseToken(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(TokenRingTest, SortsTokensAndFindsOwners) {
  const TokenRing ring({Node("dc1", "r1", {200, -100}), Node("dc1", "r1", {0}), Node("dc1", "r1", {100, 0})});
  EXPECT_EQ(ring.tokens(), (std::vector<int64_t>{-100, 0, 100, 200}));
  EXPECT_EQ(ring.owners(), (std::vector<int>{0, 1, 2, 0}));  // token 0 of node 2 duplicates node 1's: dropped
  EXPECT_EQ(ring.OwnerOf(-100), 0);  // equal to a ring token: that token's node
  EXPECT_EQ(ring.OwnerOf(-99), 1);
  EXPECT_EQ(ring.OwnerOf(0), 1);
  EXPECT_EQ(ring.OwnerOf(150), 0);
  EXPECT_EQ(ring.OwnerOf(kMin), 0);  // below the first token
  EXPECT_EQ(ring.OwnerOf(201), 0);   // above the last: wraps
  EXPECT_EQ(ring.OwnerOf(kMax), 0);
  EXPECT_EQ(ring.IndexOf(201), 0u);
  EXPECT_EQ(ring.IndexOf(101), 3u);

  const TokenRing empty({Node("dc1", "r1", {})});
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.OwnerOf(0), -1);
}

// --- ReplicaMap -------------------------------------------------------------

std::vector<int> Replicas(const TokenRing& ring, const std::map<std::string, std::string>& replication,
                          int64_t token) {
  auto map = ReplicaMap::Build(ring, replication);
  EXPECT_TRUE(map.ok()) << map.status();
  return map.ok() ? map->ReplicasOf(token) : std::vector<int>{-1};
}

std::map<std::string, std::string> Simple(const std::string& rf) {
  return {{"class", "org.apache.cassandra.locator.SimpleStrategy"}, {"replication_factor", rf}};
}

TEST(ReplicaMapTest, SimpleStrategy) {
  // Ring: -100 n0, 0 n1, 100 n2, 200 n0, 300 n3.
  const TokenRing ring({Node("dc1", "r1", {-100, 200}), Node("dc1", "r1", {0}), Node("dc2", "r9", {100}),
                        Node("dc1", "r2", {300})});
  auto rf3 = ReplicaMap::Build(ring, Simple("3"));
  ASSERT_TRUE(rf3.ok()) << rf3.status();
  EXPECT_EQ(rf3->ReplicasOf(-100), (std::vector<int>{0, 1, 2}));  // exactly a ring token
  EXPECT_EQ(rf3->ReplicasOf(-101), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(rf3->ReplicasOf(kMin), (std::vector<int>{0, 1, 2}));  // below the first token
  EXPECT_EQ(rf3->ReplicasOf(-99), (std::vector<int>{1, 2, 0}));
  EXPECT_EQ(rf3->ReplicasOf(150), (std::vector<int>{0, 3, 1}));   // n0 again after the wrap is skipped
  EXPECT_EQ(rf3->ReplicasOf(250), (std::vector<int>{3, 0, 1}));   // wraps
  EXPECT_EQ(rf3->ReplicasOf(301), (std::vector<int>{0, 1, 2}));   // above the last token
  EXPECT_EQ(rf3->ReplicasOf(kMax), (std::vector<int>{0, 1, 2}));

  EXPECT_EQ(Replicas(ring, Simple("1"), 50), (std::vector<int>{2}));
  EXPECT_EQ(Replicas(ring, Simple("0"), 50), (std::vector<int>{}));
  EXPECT_EQ(Replicas(ring, Simple("10"), 250), (std::vector<int>{3, 0, 1, 2}));  // RF > nodes: every node
  EXPECT_EQ(Replicas(ring, Simple("3/1"), 250), (std::vector<int>{3, 0, 1}));    // transient syntax
  EXPECT_EQ(Replicas(ring, {{"class", "SimpleStrategy"}, {"replication_factor", "2"}}, 250),
            (std::vector<int>{3, 0}));
  EXPECT_EQ(Replicas(ring, {{"class", "org.apache.cassandra.locator.EverywhereStrategy"}}, 50),
            (std::vector<int>{2, 0, 3, 1}));
  EXPECT_EQ(Replicas(ring, {{"class", "org.apache.cassandra.locator.LocalStrategy"}}, 50), (std::vector<int>{}));
}

TEST(ReplicaMapTest, EmptyRingAndEmptyMap) {
  const TokenRing ring;
  EXPECT_EQ(Replicas(ring, Simple("3"), 0), (std::vector<int>{}));
  EXPECT_EQ(Replicas(ring, {{"class", "NetworkTopologyStrategy"}, {"dc1", "3"}}, 0), (std::vector<int>{}));
  EXPECT_TRUE(ReplicaMap().ReplicasOf(0).empty());
}

TEST(ReplicaMapTest, ReplicationErrors) {
  const TokenRing ring({Node("dc1", "r1", {0})});
  using M = std::map<std::string, std::string>;
  for (const M& bad : {M{}, M{{"replication_factor", "1"}}, M{{"class", "FancyStrategy"}, {"replication_factor", "1"}},
                       M{{"class", "SimpleStrategy"}}, Simple(""), Simple("x"), Simple("-1"), Simple("1.5"),
                       Simple("/1"), M{{"class", "NetworkTopologyStrategy"}, {"dc1", "three"}}}) {
    EXPECT_EQ(ReplicaMap::Build(ring, bad).status().code(), absl::StatusCode::kInvalidArgument);
  }
}

// Ring (one token each):  10 n0 dc1/r1, 20 n4 dc2/r1, 30 n1 dc1/r1, 40 n5 dc2/r2, 50 n2 dc1/r2, 60 n3 dc1/r3.
TokenRing TwoDcRing() {
  return TokenRing({Node("dc1", "r1", {10}), Node("dc1", "r1", {30}), Node("dc1", "r2", {50}), Node("dc1", "r3", {60}),
                    Node("dc2", "r1", {20}), Node("dc2", "r2", {40})});
}

std::map<std::string, std::string> Nts(std::map<std::string, std::string> dcs) {
  dcs["class"] = "org.apache.cassandra.locator.NetworkTopologyStrategy";
  return dcs;
}

TEST(ReplicaMapTest, NetworkTopologyPrefersDistinctRacks) {
  const TokenRing ring = TwoDcRing();
  auto map = ReplicaMap::Build(ring, Nts({{"dc1", "3"}, {"dc2", "2"}}));
  ASSERT_TRUE(map.ok()) << map.status();
  // From 10: n0 (dc1 r1), n4 (dc2 r1), n1 skipped (r1 used, 3 racks for RF 3), n5, n2 (r2), n3 (r3).
  EXPECT_EQ(map->ReplicasOf(10), (std::vector<int>{0, 4, 5, 2, 3}));
  EXPECT_EQ(map->ReplicasOf(kMin), (std::vector<int>{0, 4, 5, 2, 3}));
  EXPECT_EQ(map->ReplicasOf(61), (std::vector<int>{0, 4, 5, 2, 3}));  // wraps
  // From 30: n1, n5, n2, n3 complete dc1; dc2 still needs one: wrap past n0 to n4.
  EXPECT_EQ(map->ReplicasOf(25), (std::vector<int>{1, 5, 2, 3, 4}));
  // From 60: n3 (r3), n0 (r1), n4, n1 skipped, n5, n2 (r2).
  EXPECT_EQ(map->ReplicasOf(60), (std::vector<int>{3, 0, 4, 5, 2}));
}

TEST(ReplicaMapTest, NetworkTopologyFillsWithSkippedRackRepeats) {
  const TokenRing ring = TwoDcRing();
  // dc1 RF 4 with 3 racks: one rack repeat; n1 (skipped at 30) fills the fourth place.
  EXPECT_EQ(Replicas(ring, Nts({{"dc1", "4"}}), 10), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(Replicas(ring, Nts({{"dc1", "4"}}), 55), (std::vector<int>{3, 0, 1, 2}));
  // RF larger than the DC: all its nodes; DCs that are absent from the ring or have RF 0 are ignored, as are
  // nodes of unlisted DCs.
  EXPECT_EQ(Replicas(ring, Nts({{"dc1", "9"}, {"dc2", "0"}, {"dc3", "2"}}), 35), (std::vector<int>{2, 3, 0, 1}));
  EXPECT_EQ(Replicas(ring, Nts({{"dc2", "5"}}), 35), (std::vector<int>{5, 4}));
  EXPECT_EQ(Replicas(ring, Nts({{"dc2", "2/1"}}), 0), (std::vector<int>{4, 5}));

  // One DC, racks r1: n0 n1 n2 and r2: n3, in that ring order; RF 3 allows one repeat. The skipped-node rule (take
  // n0, skip n1 and n2, take n3, fill with the first skipped, n1) gives {n0, n1, n3} in walk order.
  const TokenRing lopsided({Node("dc1", "r1", {1}), Node("dc1", "r1", {2}), Node("dc1", "r1", {3}),
                            Node("dc1", "r2", {4})});
  EXPECT_EQ(Replicas(lopsided, Nts({{"dc1", "3"}}), 0), (std::vector<int>{0, 1, 3}));
  EXPECT_EQ(Replicas(lopsided, Nts({{"dc1", "3"}}), 2), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(Replicas(lopsided, Nts({{"dc1", "2"}}), 2), (std::vector<int>{1, 3}));
}

// The placement rule as the brief states it, written naively: per DC, walk the distinct nodes clockwise taking the
// first node of each unused rack; once every rack of the DC is used, take the skipped same-rack nodes in skip order
// and then any node, up to min(RF, nodes in the DC). The result is the chosen nodes in walk order.
std::vector<int> ReferenceNts(const TokenRing& ring, const std::map<std::string, int>& rf, int64_t token) {
  std::vector<int> walk;
  const size_t n = ring.tokens().size();
  for (size_t step = 0, start = ring.IndexOf(token); step < n; ++step) {
    const int node = ring.owners()[(start + step) % n];
    if (std::find(walk.begin(), walk.end(), node) == walk.end()) walk.push_back(node);
  }
  std::set<int> chosen;
  for (const auto& [dc, factor] : rf) {
    std::vector<int> dc_nodes;
    std::set<std::string> racks;
    for (int node : walk) {
      if (ring.nodes()[node].datacenter != dc) continue;
      dc_nodes.push_back(node);
      racks.insert(ring.nodes()[node].rack);
    }
    const size_t want = std::min<size_t>(factor, dc_nodes.size());
    std::vector<int> taken;
    std::vector<int> skipped;
    std::set<std::string> used;
    for (int node : dc_nodes) {
      if (taken.size() == want) break;
      if (used.size() == racks.size()) {
        taken.push_back(node);
      } else if (used.insert(ring.nodes()[node].rack).second) {
        taken.push_back(node);
        if (used.size() == racks.size()) {
          for (size_t i = 0; i < skipped.size() && taken.size() < want; ++i) taken.push_back(skipped[i]);
        }
      } else {
        skipped.push_back(node);
      }
    }
    chosen.insert(taken.begin(), taken.end());
  }
  std::vector<int> out;
  for (int node : walk) {
    if (chosen.count(node)) out.push_back(node);
  }
  return out;
}

TEST(ReplicaMapTest, NetworkTopologyMatchesReferenceOnRandomRings) {
  std::mt19937_64 rng(20240611);
  for (int round = 0; round < 200; ++round) {
    const int num_nodes = 1 + static_cast<int>(rng() % 12);
    const int vnodes = 1 + static_cast<int>(rng() % 4);
    std::vector<RingNode> nodes;
    for (int i = 0; i < num_nodes; ++i) {
      RingNode node = Node("dc" + std::to_string(rng() % 3), "r" + std::to_string(rng() % 4), {});
      for (int v = 0; v < vnodes; ++v) node.tokens.push_back(static_cast<int64_t>(rng() % 2000) - 1000);
      nodes.push_back(std::move(node));
    }
    const TokenRing ring(std::move(nodes));
    std::map<std::string, int> rf{{"dc0", static_cast<int>(rng() % 5)}, {"dc1", static_cast<int>(rng() % 5)}};
    std::map<std::string, std::string> replication{{"class", "NetworkTopologyStrategy"}};
    for (const auto& [dc, factor] : rf) replication[dc] = std::to_string(factor);
    auto map = ReplicaMap::Build(ring, replication);
    ASSERT_TRUE(map.ok()) << map.status();
    for (int64_t token = -1010; token <= 1010; token += 7) {
      ASSERT_EQ(map->ReplicasOf(token), ReferenceNts(ring, rf, token)) << "round " << round << " token " << token;
    }
    // Ring tokens themselves and their neighbours.
    for (int64_t t : ring.tokens()) {
      for (int64_t token : {t - 1, t, t + 1}) {
        ASSERT_EQ(map->ReplicasOf(token), ReferenceNts(ring, rf, token)) << "round " << round << " token " << token;
      }
    }
  }
}

// 100 nodes x 256 vnodes, two DCs of three racks: builds quickly and every replica list is well formed.
TEST(ReplicaMapTest, LargeRing) {
  std::mt19937_64 rng(7);
  std::vector<RingNode> nodes;
  for (int i = 0; i < 100; ++i) {
    RingNode node = Node(i % 2 ? "east" : "west", "rack" + std::to_string(i % 3), {});
    for (int v = 0; v < 256; ++v) node.tokens.push_back(static_cast<int64_t>(rng()));
    nodes.push_back(std::move(node));
  }
  const TokenRing ring(std::move(nodes));
  auto nts = ReplicaMap::Build(ring, Nts({{"east", "3"}, {"west", "3"}}));
  ASSERT_TRUE(nts.ok()) << nts.status();
  auto simple = ReplicaMap::Build(ring, Simple("3"));
  ASSERT_TRUE(simple.ok()) << simple.status();
  for (int i = 0; i < 2000; ++i) {
    const auto token = static_cast<int64_t>(rng());
    const std::vector<int>& replicas = nts->ReplicasOf(token);
    ASSERT_EQ(replicas.size(), 6u);
    EXPECT_EQ(replicas[0], ring.OwnerOf(token));
    std::set<std::pair<std::string, std::string>> racks;
    for (int node : replicas) racks.emplace(ring.nodes()[node].datacenter, ring.nodes()[node].rack);
    EXPECT_EQ(racks.size(), 6u);  // three distinct racks per DC
    const std::vector<int>& simple_replicas = simple->ReplicasOf(token);
    ASSERT_EQ(simple_replicas.size(), 3u);
    EXPECT_EQ(simple_replicas[0], ring.OwnerOf(token));
    EXPECT_EQ(std::set<int>(simple_replicas.begin(), simple_replicas.end()).size(), 3u);
  }
}

}  // namespace
}  // namespace cql::internal
