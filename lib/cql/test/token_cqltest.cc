// Murmur3Token(RoutingKey(...)) against the tokens a real Cassandra computes
// (label: cql). See cql_test_env.h. Keys are random; the seed is printed on
// failure.
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cql_test_env.h"
#include "token_ring.h"

namespace cql::testing {
namespace {

using internal::Murmur3Token;
using internal::ReplicaMap;
using internal::RoutingKey;
using internal::RingNode;
using internal::TokenRing;

class TokenTest : public CqlTest {
 protected:
  void SetUp() override {
    CqlTest::SetUp();
    seed_ = std::random_device()();
    rng_.seed(seed_);
  }

  std::string RandomBytes(size_t min_len, size_t max_len) {
    std::string s(std::uniform_int_distribution<size_t>(min_len, max_len)(rng_), '\0');
    for (char& c : s) c = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng_));
    return s;
  }

  // Valid UTF-8 mixing ASCII with 2-, 3- and 4-byte sequences.
  std::string RandomText(size_t max_chars) {
    static constexpr const char* kPieces[] = {"a", "Z", "0", " ", "-", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x8E\xAB"};
    std::string s;
    const size_t n = std::uniform_int_distribution<size_t>(0, max_chars)(rng_);
    for (size_t i = 0; i < n; ++i) s += kPieces[std::uniform_int_distribution<size_t>(0, 7)(rng_)];
    return s;
  }

  // Inserts each row of `rows` (values bound to `insert`), then reads
  // token(...) back through `select` (the key columns bound in the same order
  // as `key_of(row)`) and compares with the token computed client-side from
  // both statements' pk_indexes. Returns the server tokens.
  std::vector<int64_t> CheckTokens(const std::string& insert_cql, const std::string& select_cql,
                                   const std::vector<std::vector<Value>>& rows,
                                   const std::function<std::vector<Value>(const std::vector<Value>&)>& key_of) {
    std::vector<int64_t> tokens;
    auto insert = Sync(session_->Prepare(insert_cql));
    EXPECT_TRUE(insert.ok()) << insert.status();
    auto select = Sync(session_->Prepare(select_cql));
    EXPECT_TRUE(select.ok()) << select.status();
    if (!insert.ok() || !select.ok()) return tokens;
    for (const std::vector<Value>& row : rows) {
      auto insert_key = RoutingKey(insert->pk_indexes(), insert->bind_columns(), row);
      EXPECT_TRUE(insert_key.ok()) << insert_key.status();
      auto inserted = Sync(session_->Execute(*insert, row));
      EXPECT_TRUE(inserted.ok()) << inserted.status();
      const std::vector<Value> key = key_of(row);
      auto select_key = RoutingKey(select->pk_indexes(), select->bind_columns(), key);
      EXPECT_TRUE(select_key.ok()) << select_key.status();
      auto r = Sync(session_->Execute(*select, key));
      EXPECT_TRUE(r.ok()) << r.status();
      if (!insert_key.ok() || !select_key.ok() || !r.ok()) return tokens;
      EXPECT_EQ(*insert_key, *select_key);
      EXPECT_EQ(r->row_count(), 1u);
      if (r->row_count() != 1) return tokens;
      auto token = r->row(0).GetBigint(0);
      EXPECT_TRUE(token.ok()) << token.status();
      if (!token.ok()) return tokens;
      EXPECT_EQ(Murmur3Token(*insert_key), *token) << "seed " << seed_ << " key " << row[0].DebugString();
      tokens.push_back(*token);
    }
    return tokens;
  }

  uint32_t seed_ = 0;
  std::mt19937 rng_;
};

TEST_F(TokenTest, BlobKeysMatchServerTokens) {
  MustQuery("CREATE TABLE " + Table("blobs") + " (k blob PRIMARY KEY, v int)");
  std::vector<std::vector<Value>> rows;
  // Cassandra rejects an empty single-column partition key, hence length >= 1.
  for (int i = 0; i < 400; ++i) rows.push_back({Value(i), Value::Blob(RandomBytes(1, 40))});
  const auto tokens = CheckTokens("INSERT INTO " + Table("blobs") + " (v, k) VALUES (?, ?)",
                                  "SELECT token(k) FROM " + Table("blobs") + " WHERE k = ?", rows,
                                  [](const std::vector<Value>& row) { return std::vector<Value>{row[1]}; });
  EXPECT_EQ(tokens.size(), rows.size());
}

TEST_F(TokenTest, TextKeysMatchServerTokens) {
  MustQuery("CREATE TABLE " + Table("texts") + " (k text PRIMARY KEY, v int)");
  std::vector<std::vector<Value>> rows;
  for (int i = 0; i < 200; ++i) {
    std::string text = RandomText(20);
    if (text.empty()) text = "x";
    rows.push_back({Value(std::move(text)), Value(i)});
  }
  const auto tokens = CheckTokens("INSERT INTO " + Table("texts") + " (k, v) VALUES (?, ?)",
                                  "SELECT token(k) FROM " + Table("texts") + " WHERE k = ?", rows,
                                  [](const std::vector<Value>& row) { return std::vector<Value>{row[0]}; });
  EXPECT_EQ(tokens.size(), rows.size());
}

TEST_F(TokenTest, CompositeKeysMatchServerTokens) {
  MustQuery("CREATE TABLE " + Table("composite") + " (a text, b int, c uuid, v int, PRIMARY KEY ((a, b, c)))");
  std::vector<std::vector<Value>> rows;
  for (int i = 0; i < 300; ++i) {
    const int32_t b = static_cast<int32_t>(rng_());
    // Bound in reverse key order: pk_indexes are then {2, 1, 0}.
    rows.push_back({Value(Uuid::Random()), Value(b), Value(RandomText(12)), Value(i)});
  }
  const auto tokens = CheckTokens(
      "INSERT INTO " + Table("composite") + " (c, b, a, v) VALUES (?, ?, ?, ?)",
      "SELECT token(a, b, c) FROM " + Table("composite") + " WHERE b = ? AND a = ? AND c = ?", rows,
      [](const std::vector<Value>& row) { return std::vector<Value>{row[1], row[2], row[0]}; });
  EXPECT_EQ(tokens.size(), rows.size());
}

// On the one-node test cluster every token belongs to the local node, whose
// tokens come from system.local and the keyspace's replication from
// system_schema.keyspaces.
TEST_F(TokenTest, OneNodeRingOwnsEveryToken) {
  auto local = Sync(session_->Query("SELECT data_center, rack, tokens FROM system.local"));
  ASSERT_TRUE(local.ok()) << local.status();
  ASSERT_EQ(local->row_count(), 1u);
  RingNode node;
  node.datacenter = local->row(0).GetString("data_center").value();
  node.rack = local->row(0).GetString("rack").value();
  auto tokens = local->row(0).GetSet("tokens");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  ASSERT_FALSE(tokens->empty());
  for (const Value& t : *tokens) {
    auto token = TokenRing::ParseToken(t.text());
    ASSERT_TRUE(token.ok()) << token.status();
    node.tokens.push_back(*token);
  }
  std::vector<RingNode> nodes{node};
  const TokenRing ring(std::move(nodes));

  std::vector<Value> ks{Value(keyspace_)};
  auto schema = Sync(session_->Query("SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?",
                                     std::move(ks)));
  ASSERT_TRUE(schema.ok()) << schema.status();
  ASSERT_EQ(schema->row_count(), 1u);
  auto entries = schema->row(0).GetMap(0);
  ASSERT_TRUE(entries.ok()) << entries.status();
  std::map<std::string, std::string> replication;
  for (const auto& [k, v] : *entries) replication[k.text()] = v.text();
  auto replicas = ReplicaMap::Build(ring, replication);
  ASSERT_TRUE(replicas.ok()) << replicas.status();

  std::map<std::string, std::string> nts{{"class", "NetworkTopologyStrategy"}, {node.datacenter, "3"}};
  auto nts_replicas = ReplicaMap::Build(ring, nts);
  ASSERT_TRUE(nts_replicas.ok()) << nts_replicas.status();

  MustQuery("CREATE TABLE " + Table("owned") + " (k blob PRIMARY KEY)");
  std::vector<std::vector<Value>> rows;
  for (int i = 0; i < 50; ++i) rows.push_back({Value::Blob(RandomBytes(1, 16))});
  const auto server_tokens = CheckTokens("INSERT INTO " + Table("owned") + " (k) VALUES (?)",
                                         "SELECT token(k) FROM " + Table("owned") + " WHERE k = ?", rows,
                                         [](const std::vector<Value>& row) { return row; });
  ASSERT_EQ(server_tokens.size(), rows.size());
  for (int64_t token : server_tokens) {
    EXPECT_EQ(ring.OwnerOf(token), 0);
    EXPECT_EQ(replicas->ReplicasOf(token), std::vector<int>{0});
    EXPECT_EQ(nts_replicas->ReplicasOf(token), std::vector<int>{0});
  }
}

}  // namespace
}  // namespace cql::testing
