// The checker's direct view of the database (DESIGN.md §6): what the service
// stored, read from Cassandra without going through it.
//
// A TripShape names one trip (organisation, trip id, segment count, seats)
// and how the checker lays it out when it creates it. Db reads that trip's
// seat_segments partitions (one seat, every segment, at SERIAL, so an
// in-progress LWT is completed or rolled back first) and user_ledger
// partitions of one keyspace; it can also write a row directly (the
// self-test's deliberate corruption) and drop the keyspace.
//
// THREADING: a Db owns an io_context it runs on the calling thread for each
// request (cql::testing::RunSync). Not thread-safe: one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <map>
#include <string>
#include <vector>

#include <asio/io_context.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "checker_log.h"
#include "common/test_env.h"
#include "cql/session.h"
#include "cql/value.h"

namespace inventory::checker {

// One trip as the checker sees it.
struct TripShape {
  std::string organization_id;
  std::string trip_id;
  int segments = 0;  // stops StationId(0) … StationId(segments): segments 0 … segments-1
  std::vector<std::string> seat_ids;  // every seat, in layout order
  // Layout used by Cluster::CreateTrip: seat i sits at row i / columns + 1,
  // column i % columns + 1.
  int columns = 4;
  std::string vehicle_id = "bus-checker";
};

// The station id of stop `stop`: "A", "B", … "Z", then "S26", "S27", ….
std::string StationId(int stop);

// The seat id at `index` of a grid with `columns` seats a row: "1A", "1B", …,
// "2A", …. REQUIRES: 0 < columns <= 26.
std::string GridSeatId(int index, int columns);
// Every seat id of a rows × columns grid, row by row.
std::vector<std::string> GridSeatIds(int rows, int columns);

// One (seat, segment) row of seat_segments. `present` is false when the row
// does not exist; text columns that are null read as "", a null expires_at
// as 0.
struct Cell {
  std::string status, hold_id, user_id, booking_id;
  int64_t expires_at_ms = 0;
  bool present = false;
};

// One read of one seat's partition (all segments) at SERIAL.
struct SeatRead {
  std::string seat;
  int64_t r0 = 0, r1 = 0;   // the read happened between these times (NowMs)
  std::vector<Cell> cells;  // by segment, TripShape::segments of them
};

// Reads of every seat: a mid-run snapshot (`index` from 1) or the final read.
// The seat reads of one snapshot are not one atomic read: each has its own
// [r0, r1].
struct Snapshot {
  int index = 0;
  bool final = false;
  std::vector<SeatRead> seats;
};

// One row of user_ledger. Null text reads as "", a null segment as -1, a null
// expires_at as 0.
struct LedgerEntry {
  std::string user, entry, kind, state, hold_id, booking_id, order_id;
  std::vector<std::string> seat_ids;
  int first = 0, last = 0;
  int64_t expires_at_ms = 0;
};

class Db {
 public:
  explicit Db(TripShape trip);
  ~Db();  // closes the session
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Connects to the Cassandra of the tests (INVENTORY_TEST_CQL_HOST/PORT), or
  // to `host`:`port`; `keyspace` names the tables of every later request.
  // REQUIRES: called once, before anything else.
  absl::Status Connect(const std::string& keyspace);
  absl::Status Connect(const std::string& keyspace, const std::string& host, uint16_t port);
  // Several contact points ("host:port" each), e.g. a cluster's nodes.
  absl::Status Connect(const std::string& keyspace, std::vector<std::string> contact_points);

  // Every segment row of `seat` of the trip, at SERIAL (timeout 15 s). Rows
  // with a segment index outside 0 … segments-1 are ignored.
  absl::StatusOr<SeatRead> ReadSeat(const std::string& seat);

  // Every user_ledger row of `user` in the trip's organisation, at QUORUM
  // (timeout 15 s).
  absl::StatusOr<std::vector<LedgerEntry>> ReadLedger(const std::string& user);

  // The final state: every seat of the trip (each read retried up to five
  // times, a second apart), marked final; *read_ms is when the read began.
  absl::StatusOr<Snapshot> ReadFinal(int64_t* read_ms);
  // The ledger of every user, keyed "user|entry".
  absl::StatusOr<std::map<std::string, LedgerEntry>> ReadLedgers(const std::vector<std::string>& users);

  // Runs one statement at QUORUM (timeout 15 s): writes behind the service's
  // back (the self-test's deliberate corruption).
  absl::Status Write(const std::string& text, std::vector<cql::Value> values);

  // DROP KEYSPACE IF EXISTS (timeout 120 s).
  absl::Status DropKeyspace();

  const std::string& keyspace() const { return keyspace_; }
  const TripShape& trip() const { return trip_; }

 private:
  const TripShape trip_;
  asio::io_context io_;
  std::unique_ptr<cql::Session> session_;
  std::string keyspace_;
};

}  // namespace inventory::checker
