#include "lwt_statements.h"

#include <gtest/gtest.h>

#include <chrono>

namespace inventory::lwt_bench {
namespace {

TEST(LwtStatementsTest, KeyspaceIsSimpleStrategyRfOneAndNeverIfNotExists) {
  EXPECT_EQ(CreateKeyspaceStatement("ks1", false),
            "CREATE KEYSPACE ks1 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
  EXPECT_EQ(CreateKeyspaceStatement("ks1", true),
            "CREATE KEYSPACE ks1 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"
            " AND tablets = {'enabled': false}");
  EXPECT_EQ(DropKeyspaceStatement("ks1"), "DROP KEYSPACE IF EXISTS ks1");
}

TEST(LwtStatementsTest, TableHasTheServiceColumnsAndKey) {
  const std::string table = CreateTableStatement("ks1");
  EXPECT_EQ(table.rfind("CREATE TABLE ks1.seat_segments (", 0), 0u) << table;
  for (const char* column : {"organization_id text", "trip_id text", "seat_id text", "segment_index int",
                             "status text", "hold_id text", "user_id text", "booking_id text", "expires_at timestamp",
                             "block_reason text", "updated_at timestamp"}) {
    EXPECT_NE(table.find(column), std::string::npos) << column;
  }
  EXPECT_NE(table.find("PRIMARY KEY ((organization_id, trip_id, seat_id), segment_index)"), std::string::npos);
}

TEST(LwtStatementsTest, HoldIsTheServicesHoldIfAvailable) {
  // The text CqlSeatStore prepares as hold_if_available, with {ks} = ks1.
  EXPECT_EQ(HoldStatement("ks1"),
            "UPDATE ks1.seat_segments SET status = 'held', hold_id = ?, user_id = ?, booking_id = null, "
            "expires_at = ?, updated_at = ? "
            "WHERE organization_id = ? AND trip_id = ? AND seat_id = ? AND segment_index = ? "
            "IF status = 'available'");
  EXPECT_EQ(InsertStatement("ks1"),
            "INSERT INTO ks1.seat_segments (organization_id, trip_id, seat_id, segment_index, status) "
            "VALUES (?, ?, ?, ?, 'available')");
}

TEST(LwtStatementsTest, ValuesBindInStatementOrder) {
  EXPECT_EQ(SeatId(42), "seat-0000042");
  EXPECT_EQ(SeatId(12345678), "seat-12345678");
  EXPECT_EQ(InsertValues(7, 2),
            (std::vector<cql::Value>{cql::Value(kOrganizationId), cql::Value(kTripId), cql::Value("seat-0000007"),
                                     cql::Value(int32_t{2})}));
  const int64_t now = 1'700'000'000'000;
  EXPECT_EQ(HoldValues(7, 1, now),
            (std::vector<cql::Value>{cql::Value("h-7"), cql::Value("u-7"), cql::Value::TimestampMillis(now + 600'000),
                                     cql::Value::TimestampMillis(now), cql::Value(kOrganizationId),
                                     cql::Value(kTripId), cql::Value("seat-0000007"), cql::Value(int32_t{1})}));
}

}  // namespace
}  // namespace inventory::lwt_bench
