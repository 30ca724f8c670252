#include "storage/cql/schema.h"

#include <gtest/gtest.h>

namespace inventory::storage {
namespace {

TEST(SchemaTest, SimpleStrategyKeyspace) {
  auto stmt = KeyspaceStatement({"inv", "SimpleStrategy:1", false});
  ASSERT_TRUE(stmt.ok()) << stmt.status();
  EXPECT_EQ(*stmt,
            "CREATE KEYSPACE IF NOT EXISTS inv WITH replication = {'class': 'SimpleStrategy', "
            "'replication_factor': 1}");
}

TEST(SchemaTest, NetworkTopologyKeyspaceOnScyllaDisablesTablets) {
  auto stmt = KeyspaceStatement({"inv", "NetworkTopologyStrategy:dc1=3,dc-2=2", true});
  ASSERT_TRUE(stmt.ok()) << stmt.status();
  EXPECT_EQ(*stmt,
            "CREATE KEYSPACE IF NOT EXISTS inv WITH replication = {'class': 'NetworkTopologyStrategy', "
            "'dc1': 3, 'dc-2': 2} AND tablets = {'enabled': false}");
}

TEST(SchemaTest, BadOptionsAreRefused) {
  EXPECT_FALSE(KeyspaceStatement({"inv; DROP", "SimpleStrategy:1", false}).ok());
  EXPECT_FALSE(KeyspaceStatement({"", "SimpleStrategy:1", false}).ok());
  EXPECT_FALSE(KeyspaceStatement({"inv", "SimpleStrategy:0", false}).ok());
  EXPECT_FALSE(KeyspaceStatement({"inv", "SimpleStrategy:x", false}).ok());
  EXPECT_FALSE(KeyspaceStatement({"inv", "NetworkTopologyStrategy:", false}).ok());
  EXPECT_FALSE(KeyspaceStatement({"inv", "NetworkTopologyStrategy:dc1", false}).ok());
  EXPECT_FALSE(KeyspaceStatement({"inv", "NetworkTopologyStrategy:d'c=1", false}).ok());
  EXPECT_FALSE(KeyspaceStatement({"inv", "LocalStrategy:1", false}).ok());
}

TEST(SchemaTest, MigrationsAreNumberedWithoutGapsAndIdempotent) {
  int expected = 1;
  for (const Migration& m : Migrations()) {
    EXPECT_EQ(m.version, expected++);
    EXPECT_FALSE(m.description.empty());
    for (const std::string& stmt : m.statements) {
      EXPECT_NE(stmt.find("IF NOT EXISTS"), std::string::npos) << stmt;
      EXPECT_NE(stmt.find("{ks}."), std::string::npos) << stmt;
    }
  }
  EXPECT_EQ(WithKeyspace("SELECT * FROM {ks}.t", "k1"), "SELECT * FROM k1.t");
}

}  // namespace
}  // namespace inventory::storage

namespace inventory::storage {
namespace {

TEST(SchemaTest, TablesGetAnIdOfTheirNameSoConcurrentCreatesAgree) {
  const std::string plain = WithTableId("CREATE TABLE IF NOT EXISTS inv.trips (id text PRIMARY KEY)", "inv");
  EXPECT_TRUE(plain.starts_with("CREATE TABLE IF NOT EXISTS inv.trips (id text PRIMARY KEY) WITH id = ")) << plain;
  // The same name gives the same id, another name or keyspace another one.
  EXPECT_EQ(plain, WithTableId("CREATE TABLE IF NOT EXISTS inv.trips (id text PRIMARY KEY)", "inv"));
  const std::string other = WithTableId("CREATE TABLE IF NOT EXISTS inv.seats (id text PRIMARY KEY)", "inv");
  const std::string other_ks = WithTableId("CREATE TABLE IF NOT EXISTS inv2.trips (id text PRIMARY KEY)", "inv2");
  const std::string id = plain.substr(plain.rfind(' ') + 1);
  EXPECT_EQ(id.size(), 36u);
  EXPECT_EQ(id[14], '5');  // a version 5 (name-based) UUID
  EXPECT_EQ(other.find(id), std::string::npos);
  EXPECT_EQ(other_ks.find(id), std::string::npos);
  // Statements with options get "AND id"; other statements are untouched.
  const std::string with = WithTableId("CREATE TABLE IF NOT EXISTS inv.i (k int PRIMARY KEY) WITH gc_grace_seconds = 1",
                                       "inv");
  EXPECT_NE(with.find("WITH gc_grace_seconds = 1 AND id = "), std::string::npos) << with;
  EXPECT_EQ(WithTableId("CREATE KEYSPACE IF NOT EXISTS inv", "inv"), "CREATE KEYSPACE IF NOT EXISTS inv");
  for (const Migration& m : Migrations()) {
    for (const std::string& stmt : m.statements) {
      const std::string text = WithTableId(WithKeyspace(stmt, "inv"), "inv");
      if (stmt.find("CREATE TABLE") != std::string::npos) {
        EXPECT_NE(text.find(" id = "), std::string::npos) << text;
      }
    }
  }
}

}  // namespace
}  // namespace inventory::storage
