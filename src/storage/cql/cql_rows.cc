#include "storage/cql/cql_rows.h"

#include <chrono>

namespace inventory::storage::rows {

std::string Str(const cql::Row& row, std::string_view column) {
  if (row.IsNull(column)) return "";
  absl::StatusOr<std::string> v = row.GetString(column);
  return v.ok() ? *v : "";
}

int64_t TimeMs(const cql::Row& row, std::string_view column) {
  if (row.IsNull(column)) return 0;
  absl::StatusOr<cql::Timestamp> v = row.GetTimestamp(column);
  return v.ok() ? v->time_since_epoch().count() : 0;
}

int32_t Int(const cql::Row& row, std::string_view column) {
  if (row.IsNull(column)) return 0;
  absl::StatusOr<int32_t> v = row.GetInt(column);
  return v.ok() ? *v : 0;
}

std::vector<std::string> Strings(const cql::Row& row, std::string_view column) {
  std::vector<std::string> out;
  if (row.IsNull(column)) return out;
  absl::StatusOr<std::vector<cql::Value>> v = row.GetList(column);
  if (!v.ok()) return out;
  for (const cql::Value& e : *v) out.push_back(e.text());
  return out;
}

std::vector<int64_t> Bigints(const cql::Row& row, std::string_view column) {
  std::vector<int64_t> out;
  if (row.IsNull(column)) return out;
  absl::StatusOr<std::vector<cql::Value>> v = row.GetList(column);
  if (!v.ok()) return out;
  for (const cql::Value& e : *v) out.push_back(e.bigint_value());
  return out;
}

cql::Value Ms(int64_t unix_ms) { return cql::Value::TimestampMillis(unix_ms); }

cql::Value TextList(const std::vector<std::string>& items) {
  std::vector<cql::Value> values;
  values.reserve(items.size());
  for (const std::string& s : items) values.emplace_back(s);
  return cql::Value::List(std::move(values));
}

domain::SegmentState SegmentStateOf(const cql::Row& row) {
  domain::SegmentState s;
  s.status = domain::StatusFromName(Str(row, "status"));
  s.hold_id = Str(row, "hold_id");
  s.booking_id = Str(row, "booking_id");
  s.expires_at_ms = TimeMs(row, "expires_at");
  s.user_id = Str(row, "user_id");
  return s;
}

HoldRecord HoldFromRow(const cql::Row& row, std::string organization_id, std::string user_id) {
  HoldRecord h;
  h.hold_id = Str(row, "hold_id");
  h.organization_id = std::move(organization_id);
  h.user_id = std::move(user_id);
  h.trip_id = Str(row, "trip_id");
  h.session_id = Str(row, "session_id");
  h.request_key = Str(row, "request_key");
  h.seat_ids = Strings(row, "seat_ids");
  h.range = domain::SegmentRange{Int(row, "first_segment"), Int(row, "last_segment")};
  h.created_at_ms = TimeMs(row, "created_at");
  h.expires_at_ms = TimeMs(row, "expires_at");
  // A state this code does not know reads as the most restrictive: ended.
  h.state = domain::HoldStateFromName(Str(row, "state")).value_or(domain::HoldState::kAbandoned);
  h.order_id = Str(row, "order_id");
  h.booking_id = Str(row, "booking_id");
  return h;
}

BookingRecord BookingFromRow(const cql::Row& row, std::string organization_id, std::string user_id) {
  BookingRecord b;
  b.organization_id = std::move(organization_id);
  b.user_id = std::move(user_id);
  b.booking_id = Str(row, "booking_id");
  b.hold_id = Str(row, "hold_id");
  b.order_id = Str(row, "order_id");
  b.trip_id = Str(row, "trip_id");
  b.seat_ids = Strings(row, "seat_ids");
  b.seat_numbers = Strings(row, "seat_numbers");
  b.ticket_ids = Strings(row, "ticket_ids");
  std::vector<std::string> nids = Strings(row, "passenger_nids");
  std::vector<std::string> names = Strings(row, "passenger_names");
  for (size_t i = 0; i < b.seat_ids.size() && i < nids.size() && i < names.size(); ++i) {
    b.passengers.push_back({b.seat_ids[i], nids[i], names[i]});
  }
  b.range = domain::SegmentRange{Int(row, "first_segment"), Int(row, "last_segment")};
  b.created_at_ms = TimeMs(row, "created_at");
  b.state = domain::BookingStateFromName(Str(row, "state")).value_or(domain::BookingState::kCancelled);
  return b;
}

Intent IntentFromRow(const cql::Row& row) {
  Intent i;
  i.kind = domain::IntentKindFromName(Str(row, "kind")).value_or(domain::IntentKind::kHold);
  i.organization_id = Str(row, "organization_id");
  i.user_id = Str(row, "user_id");
  i.trip_id = Str(row, "trip_id");
  i.hold_id = Str(row, "hold_id");
  i.booking_id = Str(row, "booking_id");
  i.seat_ids = Strings(row, "seat_ids");
  i.range = domain::SegmentRange{Int(row, "first_segment"), Int(row, "last_segment")};
  i.expires_at_ms = TimeMs(row, "expires_at");
  i.created_at_ms = TimeMs(row, "created_at");
  i.key.id = Str(row, "intent_id");
  return i;
}

}  // namespace inventory::storage::rows
