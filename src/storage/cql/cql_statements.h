// Every CQL statement the store runs, prepared once per session.
//
// The texts are the schema's contract with the code: conditions of seat
// writes (`IF status = ...`) and of ledger steps (`IF state = ...`) are here,
// next to each other, so that what each conditional write checks can be read
// in one place.
#pragma once

#include <asio/awaitable.hpp>

#include <string>

#include "absl/status/status.h"
#include "cql/prepared_statement.h"

namespace cql {
class Session;
}

namespace inventory::storage {

struct CqlStatements {
  // Trips.
  cql::PreparedStatement insert_trip, select_trip, mark_ready, insert_layout, insert_segment_if_absent,
      select_layout, select_segments_in, select_seat;
  // Seat writes, each conditional on what the seat row must hold.
  cql::PreparedStatement hold_if_available, hold_if_held_by, release, book, unbook, block_if_available,
      block_if_held_by, unblock;
  // The user's ledger.
  cql::PreparedStatement insert_live, select_live, select_entry, delete_entry, insert_hold_if_absent, ledger_step,
      hold_step_confirming, insert_booking_if_absent;
  // Intents and the repair progress.
  cql::PreparedStatement insert_intent, delete_intent, select_intents, select_progress, update_progress;
  // Waitlist.
  cql::PreparedStatement wl_user_insert, wl_insert, wl_queue, wl_user_all, wl_user_org;
  // The database's clock.
  cql::PreparedStatement select_now;

  // Prepares every statement against `keyspace`. REQUIRES: migrations applied.
  asio::awaitable<absl::Status> Prepare(cql::Session& session, const std::string& keyspace);
};

}  // namespace inventory::storage
