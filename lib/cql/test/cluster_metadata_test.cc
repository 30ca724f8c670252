#include "cluster_metadata.h"

#include <gtest/gtest.h>

namespace cql::internal {
namespace {

TEST(ContactPoint, HostsPortsAndIpv6) {
  auto hp = ParseContactPoint("db1", 9042);
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "db1");
  EXPECT_EQ(hp->port, 9042);
  hp = ParseContactPoint("10.0.0.2:19042", 9042);
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "10.0.0.2");
  EXPECT_EQ(hp->port, 19042);
  hp = ParseContactPoint("[::1]:9043", 9042);
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "::1");
  EXPECT_EQ(hp->port, 9043);
  hp = ParseContactPoint("[fe80::1]", 9042);
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "fe80::1");
  EXPECT_EQ(hp->port, 9042);
  hp = ParseContactPoint("2001:db8::7", 9042);
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "2001:db8::7");
  EXPECT_EQ(hp->port, 9042);
}

TEST(ContactPoint, BadInputIsRefused) {
  for (const char* bad : {"", ":9042", "db:", "db:0", "db:65536", "db:x", "[::1", "[::1]9042", "[]:1"}) {
    EXPECT_FALSE(ParseContactPoint(bad, 9042).ok()) << bad;
  }
}

TEST(ClassifyStatement, ConditionalStatementsAreFoundOutsideLiterals) {
  EXPECT_TRUE(ClassifyStatement("UPDATE t SET a = 1 WHERE k = ? IF a = 0").conditional);
  EXPECT_TRUE(ClassifyStatement("insert into t (k) values (?) if not exists").conditional);
  EXPECT_TRUE(ClassifyStatement("DELETE FROM t WHERE k = ? IF EXISTS").conditional);
  EXPECT_TRUE(ClassifyStatement("  /* c */ UPDATE t SET a = 'x' WHERE k = 1 IF a = 'y'").conditional);
  EXPECT_FALSE(ClassifyStatement("UPDATE t SET a = 'IF' WHERE k = 1").conditional);
  EXPECT_FALSE(ClassifyStatement("UPDATE \"IF\" SET a = 1 WHERE k = 1").conditional);
  EXPECT_FALSE(ClassifyStatement("UPDATE t SET a = $$ IF $$ WHERE k = 1 -- IF\n").conditional);
  EXPECT_FALSE(ClassifyStatement("UPDATE t SET notify = 1 WHERE k = 1").conditional);
  EXPECT_FALSE(ClassifyStatement("CREATE TABLE IF NOT EXISTS t (k int PRIMARY KEY)").conditional);
  EXPECT_FALSE(ClassifyStatement("SELECT * FROM t WHERE k = 1").conditional);
}

TEST(ClassifyStatement, SchemaStatementsAreRecognised) {
  EXPECT_TRUE(ClassifyStatement("CREATE TABLE IF NOT EXISTS t (k int PRIMARY KEY)").schema);
  EXPECT_TRUE(ClassifyStatement("create keyspace k with replication = {}").schema);
  EXPECT_TRUE(ClassifyStatement("ALTER TABLE t ADD v int").schema);
  EXPECT_TRUE(ClassifyStatement("DROP KEYSPACE IF EXISTS k").schema);
  EXPECT_FALSE(ClassifyStatement("SELECT * FROM t").schema);
  EXPECT_FALSE(ClassifyStatement("INSERT INTO t (k) VALUES ('CREATE')").schema);
}

TEST(ClassifyStatement, SelectsAreRecognised) {
  EXPECT_TRUE(ClassifyStatement("select k from t").select);
  EXPECT_TRUE(ClassifyStatement("-- note\nSELECT k FROM t").select);
  EXPECT_FALSE(ClassifyStatement("INSERT INTO t (k) VALUES (1)").select);
  EXPECT_FALSE(ClassifyStatement("").select);
}

}  // namespace
}  // namespace cql::internal
