// Reading the store's rows and writing its values: lenient accessors (a null
// or mistyped cell reads as empty), and the records built from rows.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cql/result.h"
#include "cql/value.h"
#include "domain/seat_status.h"
#include "storage/seat_store.h"

namespace inventory::storage::rows {

std::string Str(const cql::Row& row, std::string_view column);
int64_t TimeMs(const cql::Row& row, std::string_view column);  // 0 for null
int32_t Int(const cql::Row& row, std::string_view column);     // 0 for null
std::vector<std::string> Strings(const cql::Row& row, std::string_view column);
std::vector<int64_t> Bigints(const cql::Row& row, std::string_view column);

cql::Value Ms(int64_t unix_ms);
cql::Value TextList(const std::vector<std::string>& items);

// A seat_segments row.
domain::SegmentState SegmentStateOf(const cql::Row& row);
// user_ledger rows of kind hold / booking.
HoldRecord HoldFromRow(const cql::Row& row, std::string organization_id, std::string user_id);
BookingRecord BookingFromRow(const cql::Row& row, std::string organization_id, std::string user_id);
// An intents row (key.window and key.shard are the caller's).
Intent IntentFromRow(const cql::Row& row);

}  // namespace inventory::storage::rows
