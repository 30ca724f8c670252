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
