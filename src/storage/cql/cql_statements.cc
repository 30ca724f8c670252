#include "storage/cql/cql_statements.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cql/session.h"
#include "storage/cql/schema.h"

namespace inventory::storage {

asio::awaitable<absl::Status> CqlStatements::Prepare(cql::Session& session, const std::string& keyspace) {
  const std::string seg_where = " WHERE organization_id = ? AND trip_id = ? AND seat_id = ? AND segment_index = ?";
  const std::string ledger_where = " WHERE organization_id = ? AND user_id = ? AND entry = ?";
  const std::vector<std::pair<cql::PreparedStatement*, std::string>> all = {
      // --- Trips ---
      {&insert_trip,
       "INSERT INTO {ks}.trips (organization_id, trip_id, vehicle_id, vehicle_type, stations, departures, "
       "arrivals, seat_count, definition_hash, ready, created_at) "
       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, false, ?) IF NOT EXISTS"},
      {&select_trip,
       "SELECT vehicle_id, vehicle_type, stations, departures, arrivals, seat_count, definition_hash, ready "
       "FROM {ks}.trips WHERE organization_id = ? AND trip_id = ?"},
      {&mark_ready, "UPDATE {ks}.trips SET ready = true WHERE organization_id = ? AND trip_id = ?"},
      // The layout never changes once written: re-sending writes the same values.
      {&insert_layout,
       "INSERT INTO {ks}.trip_seats (organization_id, trip_id, seat_id, seat_number, row_number, column_number, "
       "seat_type, seat_class, price_paisa, is_accessible, has_power, is_exit_row) "
       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"},
      // A seat's first rows, only where none exist: a conditional write like
      // every other write of the seat, so no clock decides which one wins.
      {&insert_segment_if_absent,
       "INSERT INTO {ks}.seat_segments (organization_id, trip_id, seat_id, segment_index, status) "
       "VALUES (?, ?, ?, ?, 'available') IF NOT EXISTS"},
      {&select_layout,
       "SELECT seat_id, seat_number, row_number, column_number, seat_type, seat_class, price_paisa, "
       "is_accessible, has_power, is_exit_row FROM {ks}.trip_seats WHERE organization_id = ? AND trip_id = ?"},
      {&select_segments_in,
       "SELECT seat_id, segment_index, status, hold_id, user_id, booking_id, expires_at FROM {ks}.seat_segments "
       "WHERE organization_id = ? AND trip_id = ? AND seat_id IN ?"},
      {&select_seat,
       "SELECT segment_index, status, hold_id, user_id, booking_id, expires_at FROM {ks}.seat_segments "
       "WHERE organization_id = ? AND trip_id = ? AND seat_id = ?"},

      // --- Seats ---
      {&hold_if_available,
       "UPDATE {ks}.seat_segments SET status = 'held', hold_id = ?, user_id = ?, booking_id = null, "
       "expires_at = ?, updated_at = ?" + seg_where + " IF status = 'available'"},
      // Reclaims an expired hold: the condition names it and its expiry.
      {&hold_if_held_by,
       "UPDATE {ks}.seat_segments SET status = 'held', hold_id = ?, user_id = ?, booking_id = null, "
       "expires_at = ?, updated_at = ?" + seg_where + " IF status = 'held' AND hold_id = ? AND expires_at = ?"},
      {&release,
       "UPDATE {ks}.seat_segments SET status = 'available', hold_id = null, user_id = null, expires_at = null, "
       "updated_at = ?" + seg_where + " IF status = 'held' AND hold_id = ?"},
      {&book,
       "UPDATE {ks}.seat_segments SET status = 'booked', booking_id = ?, hold_id = null, expires_at = null, "
       "updated_at = ?" + seg_where + " IF status = 'held' AND hold_id = ?"},
      {&unbook,
       "UPDATE {ks}.seat_segments SET status = 'available', booking_id = null, user_id = null, updated_at = ?" +
           seg_where + " IF status = 'booked' AND booking_id = ?"},
      {&block_if_available,
       "UPDATE {ks}.seat_segments SET status = 'blocked', block_reason = ?, hold_id = null, user_id = null, "
       "expires_at = null, updated_at = ?" + seg_where + " IF status = 'available'"},
      {&block_if_held_by,
       "UPDATE {ks}.seat_segments SET status = 'blocked', block_reason = ?, hold_id = null, user_id = null, "
       "expires_at = null, updated_at = ?" + seg_where + " IF status = 'held' AND hold_id = ? AND expires_at = ?"},
      {&unblock,
       "UPDATE {ks}.seat_segments SET status = 'available', block_reason = null, updated_at = ?" + seg_where +
           " IF status = 'blocked'"},

      // --- The user's ledger ---
      {&insert_live,
       "INSERT INTO {ks}.user_ledger (organization_id, user_id, entry, kind, hold_id, expires_at, updated_at) "
       "VALUES (?, ?, ?, 'live', ?, ?, ?) USING TTL ?"},
      {&select_live,
       "SELECT entry, hold_id, expires_at FROM {ks}.user_ledger WHERE organization_id = ? AND user_id = ? "
       "AND entry > 'live#' AND entry < 'live$'"},
      {&select_entry, "SELECT * FROM {ks}.user_ledger" + ledger_where},
      {&delete_entry, "DELETE FROM {ks}.user_ledger" + ledger_where},
      // A hold's record is written once: as active by the request that won
      // its seats, or as abandoned by the repairer; whichever comes first.
      {&insert_hold_if_absent,
       "INSERT INTO {ks}.user_ledger (organization_id, user_id, entry, kind, state, hold_id, trip_id, session_id, "
       "request_key, seat_ids, first_segment, last_segment, created_at, expires_at, updated_at) "
       "VALUES (?, ?, ?, 'hold', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS"},
      // Every later step names the state it leaves.
      {&ledger_step, "UPDATE {ks}.user_ledger SET state = ?, updated_at = ?" + ledger_where + " IF state = ?"},
      {&hold_step_confirming,
       "UPDATE {ks}.user_ledger SET state = ?, order_id = ?, booking_id = ?, updated_at = ?" + ledger_where +
           " IF state = ?"},
      {&insert_booking_if_absent,
       "INSERT INTO {ks}.user_ledger (organization_id, user_id, entry, kind, state, booking_id, hold_id, order_id, "
       "trip_id, seat_ids, seat_numbers, ticket_ids, passenger_nids, passenger_names, first_segment, "
       "last_segment, created_at, updated_at) "
       "VALUES (?, ?, ?, 'booking', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS"},

      // --- Intents ---
      {&insert_intent,
       "INSERT INTO {ks}.intents (time_window, shard, intent_id, kind, organization_id, user_id, trip_id, hold_id, "
       "booking_id, seat_ids, first_segment, last_segment, expires_at, created_at) "
       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"},
      {&delete_intent, "DELETE FROM {ks}.intents WHERE time_window = ? AND shard = ? AND intent_id = ?"},
      {&select_intents,
       "SELECT intent_id, kind, organization_id, user_id, trip_id, hold_id, booking_id, seat_ids, first_segment, "
       "last_segment, expires_at, created_at FROM {ks}.intents WHERE time_window = ? AND shard = ?"},
      {&select_progress, "SELECT repaired_before FROM {ks}.repair_progress WHERE name = 'intents'"},
      {&update_progress,
       "UPDATE {ks}.repair_progress SET repaired_before = ?, updated_at = ? WHERE name = 'intents'"},

      // --- Waitlist ---
      {&wl_user_insert,
       "INSERT INTO {ks}.waitlist_by_user (user_id, organization_id, trip_id, seat_class, entry_id, "
       "requested_seats, status, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?) IF NOT EXISTS"},
      {&wl_insert,
       "INSERT INTO {ks}.waitlist (organization_id, trip_id, seat_class, entry_id, user_id, requested_seats, "
       "status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"},
      {&wl_queue,
       "SELECT entry_id, status FROM {ks}.waitlist WHERE organization_id = ? AND trip_id = ? AND seat_class = ?"},
      {&wl_user_all,
       "SELECT organization_id, trip_id, seat_class, entry_id, requested_seats, status, created_at "
       "FROM {ks}.waitlist_by_user WHERE user_id = ?"},
      {&wl_user_org,
       "SELECT organization_id, trip_id, seat_class, entry_id, requested_seats, status, created_at "
       "FROM {ks}.waitlist_by_user WHERE user_id = ? AND organization_id = ?"},

      // --- Time: now() is a time-based UUID made on the coordinator ---
      {&select_now, "SELECT toUnixTimestamp(now()) AS now_ms FROM system.local"},
  };
  for (const auto& [slot, text] : all) {
    std::string cql = WithKeyspace(text, keyspace);
    absl::StatusOr<cql::PreparedStatement> prepared = co_await session.Prepare(std::move(cql));
    if (!prepared.ok()) {
      co_return absl::Status(prepared.status().code(),
                             absl::StrCat("prepare '", text, "': ", prepared.status().message()));
    }
    *slot = *prepared;
  }
  co_return absl::OkStatus();
}

}  // namespace inventory::storage
