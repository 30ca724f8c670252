// The CQL the LWT benchmark sends: its keyspace, a copy of the service's
// seat_segments table (src/storage/cql/schema.cc), the unconditional rows it
// starts from, and the seat-hold statement exactly as CqlSeatStore prepares
// it ("hold_if_available" in src/storage/cql/cql_seat_store.cc): one UPDATE
// per segment of a seat, all in one conditional batch on the seat's
// partition (organization_id, trip_id, seat_id).
//
// Pure text and values; thread-safe. `keyspace` must be a plain identifier
// (see IsKeyspaceName): it is spliced into the text, never bound.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cql/value.h"

namespace inventory::lwt_bench {

// The partition every benchmark row lives under, apart from its seat.
inline constexpr const char* kOrganizationId = "lwt-bench";
inline constexpr const char* kTripId = "lwt-bench-trip";
// Hold length written into expires_at, as the service's default.
inline constexpr int64_t kHoldMillis = 600'000;

// CREATE KEYSPACE (no IF NOT EXISTS: an existing keyspace is an error, so
// the tool never writes into, or drops, someone else's). SimpleStrategy,
// RF 1; on ScyllaDB with tablets off, as the service does (LWT and tablets
// do not mix on several releases).
std::string CreateKeyspaceStatement(const std::string& keyspace, bool scylla);

// CREATE TABLE <keyspace>.seat_segments with the service's columns and key.
std::string CreateTableStatement(const std::string& keyspace);

// DROP KEYSPACE IF EXISTS <keyspace>.
std::string DropKeyspaceStatement(const std::string& keyspace);

// One available (seat, segment) row; binds organization_id, trip_id,
// seat_id, segment_index.
std::string InsertStatement(const std::string& keyspace);

// The service's hold: binds hold_id, user_id, expires_at, updated_at,
// organization_id, trip_id, seat_id, segment_index.
std::string HoldStatement(const std::string& keyspace);

// "seat-0000042" for index 42 (seven digits; wider indexes as they come).
std::string SeatId(int64_t index);

// Bound values of InsertStatement for seat `index`, segment `segment`.
std::vector<cql::Value> InsertValues(int64_t index, int32_t segment);

// Bound values of HoldStatement: seat `index` held on `segment` by hold
// "h-<index>" of user "u-<index>", written at `now_ms`, expiring
// kHoldMillis later.
std::vector<cql::Value> HoldValues(int64_t index, int32_t segment, int64_t now_ms);

}  // namespace inventory::lwt_bench
