#include "lwt_statements.h"

#include <fmt/format.h>

#include <chrono>

namespace inventory::lwt_bench {

std::string CreateKeyspaceStatement(const std::string& keyspace, bool scylla) {
  std::string text = fmt::format(
      "CREATE KEYSPACE {} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}", keyspace);
  if (scylla) text += " AND tablets = {'enabled': false}";
  return text;
}

std::string CreateTableStatement(const std::string& keyspace) {
  return fmt::format(
      "CREATE TABLE {}.seat_segments ("
      "organization_id text, trip_id text, seat_id text, segment_index int, "
      "status text, hold_id text, user_id text, booking_id text, "
      "expires_at timestamp, block_reason text, updated_at timestamp, "
      "PRIMARY KEY ((organization_id, trip_id, seat_id), segment_index))",
      keyspace);
}

std::string DropKeyspaceStatement(const std::string& keyspace) {
  return fmt::format("DROP KEYSPACE IF EXISTS {}", keyspace);
}

std::string InsertStatement(const std::string& keyspace) {
  return fmt::format(
      "INSERT INTO {}.seat_segments (organization_id, trip_id, seat_id, segment_index, status) "
      "VALUES (?, ?, ?, ?, 'available')",
      keyspace);
}

std::string HoldStatement(const std::string& keyspace) {
  return fmt::format(
      "UPDATE {}.seat_segments SET status = 'held', hold_id = ?, user_id = ?, booking_id = null, "
      "expires_at = ?, updated_at = ? "
      "WHERE organization_id = ? AND trip_id = ? AND seat_id = ? AND segment_index = ? "
      "IF status = 'available'",
      keyspace);
}

std::string SeatId(int64_t index) { return fmt::format("seat-{:07}", index); }

std::vector<cql::Value> InsertValues(int64_t index, int32_t segment) {
  return {cql::Value(kOrganizationId), cql::Value(kTripId), cql::Value(SeatId(index)), cql::Value(segment)};
}

std::vector<cql::Value> HoldValues(int64_t index, int32_t segment, int64_t now_ms) {
  return {cql::Value(fmt::format("h-{}", index)),
          cql::Value(fmt::format("u-{}", index)),
          cql::Value::TimestampMillis(now_ms + kHoldMillis),
          cql::Value::TimestampMillis(now_ms),
          cql::Value(kOrganizationId),
          cql::Value(kTripId),
          cql::Value(SeatId(index)),
          cql::Value(segment)};
}

}  // namespace inventory::lwt_bench
