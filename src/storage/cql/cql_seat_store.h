// SeatStore over CQL (Cassandra / ScyllaDB), with lightweight transactions.
//
// Every seat write is one conditional batch over the seat's own partition
// (seat_segments, key (organization_id, trip_id, seat_id)), so a hold over a
// segment range is atomic across its segments and different seats never
// contend on one Paxos instance. The condition is the check: the first
// attempt phrases it from the caller's belief, and when it is not applied a
// SERIAL read of the partition tells whether the seat is truly taken or the
// belief was stale (then it retries with conditions naming what it read, e.g.
// the expired hold it reclaims). A CAS write timeout, or a client-side
// timeout, is resolved by the same SERIAL read: never reported blind.
//
// Threading: all methods run on the cql::Session's executor (single thread
// or strand); `Prepare()` must have succeeded before any other call.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cql/consistency.h"
#include "cql/prepared_statement.h"
#include "storage/seat_store.h"

namespace cql {
class Batch;
class Session;
class Result;
class Value;
}  // namespace cql

namespace inventory::storage {

struct CqlStoreOptions {
  std::string keyspace = "inventory";
  cql::Consistency consistency = cql::Consistency::kQuorum;
  cql::Consistency serial_consistency = cql::Consistency::kSerial;
  // Rows written per unlogged batch when a trip is loaded.
  int load_batch_rows = 100;
  // Load requests in flight at once when a trip is loaded.
  int load_parallelism = 16;
};

// What one database request is: a plain read, a read at SERIAL consistency,
// a plain write (or unconditional batch), or a lightweight transaction.
enum class DbOp : uint8_t { kRead = 0, kSerialRead = 1, kWrite = 2, kLwt = 3 };
inline constexpr int kDbOpCount = 4;
// The table a request touches (the waitlist's two tables count as one).
enum class DbTable : uint8_t { kTrips = 0, kTripSeats = 1, kSeatSegments = 2, kUserLedger = 3, kWaitlist = 4 };
inline constexpr int kDbTableCount = 5;

std::string_view DbOpName(DbOp op);        // "read", "serial_read", "write", "lwt"
std::string_view DbTableName(DbTable table);  // the table's name

// Exact counts of database requests sent, by kind and table; read by the
// metrics endpoint. Requests are counted when sent, answered or not.
struct StoreCounters {
  std::array<std::array<uint64_t, kDbTableCount>, kDbOpCount> sent{};

  void Add(DbOp op, DbTable table) { ++sent[static_cast<size_t>(op)][static_cast<size_t>(table)]; }
  uint64_t Of(DbOp op, DbTable table) const { return sent[static_cast<size_t>(op)][static_cast<size_t>(table)]; }
  // Over every table.
  uint64_t Of(DbOp op) const;
  uint64_t Total() const;
};

class CqlSeatStore final : public SeatStore {
 public:
  // `session` must outlive the store.
  CqlSeatStore(cql::Session& session, CqlStoreOptions options);
  ~CqlSeatStore() override;

  // Prepares every statement. Call once after migrations.
  asio::awaitable<absl::Status> Prepare();

  const StoreCounters& counters() const { return counters_; }

  asio::awaitable<absl::StatusOr<CreateTripOutcome>> CreateTrip(const domain::TripDefinition& trip) override;
  asio::awaitable<absl::StatusOr<std::shared_ptr<domain::TripSnapshot>>> LoadSnapshot(TripRef trip) override;
  asio::awaitable<absl::StatusOr<SeatClaim>> HoldSeat(TripRef trip, std::string seat_id, domain::SegmentRange range,
                                                      std::string hold_id, std::string user_id, int64_t expires_at_ms,
                                                      std::vector<domain::SegmentState> believed) override;
  asio::awaitable<absl::StatusOr<bool>> ReleaseSeat(TripRef trip, std::string seat_id, domain::SegmentRange range,
                                                    std::string hold_id) override;
  asio::awaitable<absl::StatusOr<bool>> BookSeat(TripRef trip, std::string seat_id, domain::SegmentRange range,
                                                 std::string hold_id, std::string booking_id) override;
  asio::awaitable<absl::StatusOr<bool>> UnbookSeat(TripRef trip, std::string seat_id, domain::SegmentRange range,
                                                   std::string booking_id) override;
  asio::awaitable<absl::StatusOr<bool>> SetBlocked(TripRef trip, std::string seat_id, int segment_count, bool blocked,
                                                   std::string reason) override;
  asio::awaitable<absl::StatusOr<LimitOutcome>> RecordHoldWithinLimit(HoldRecord hold, int max_live) override;
  asio::awaitable<absl::StatusOr<std::optional<HoldRecord>>> GetHold(std::string organization_id, std::string user_id,
                                                                     std::string hold_id) override;
  asio::awaitable<absl::Status> FinishHold(HoldRecord hold, HoldRecord::State state,
                                           std::string booking_id) override;
  asio::awaitable<absl::StatusOr<BookingRecord>> CreateBooking(BookingRecord booking) override;
  asio::awaitable<absl::StatusOr<std::optional<BookingRecord>>> GetBooking(std::string organization_id,
                                                                           std::string user_id,
                                                                           std::string booking_id) override;
  asio::awaitable<absl::Status> SetBookingState(BookingRecord booking, BookingRecord::State state) override;
  asio::awaitable<absl::StatusOr<WaitlistEntry>> JoinWaitlist(WaitlistEntry entry) override;
  asio::awaitable<absl::StatusOr<std::vector<WaitlistEntry>>> UserWaitlist(std::string user_id,
                                                                          std::string organization_id) override;

 private:
  struct Statements;

  // One seat partition's segments as read at SERIAL consistency.
  asio::awaitable<absl::StatusOr<std::vector<std::optional<domain::SegmentState>>>> ReadSeatSerial(
      const TripRef& trip, const std::string& seat_id, int segment_count);
  asio::awaitable<absl::StatusOr<cql::Result>> Run(const cql::PreparedStatement& statement,
                                                   std::vector<cql::Value> values, DbOp op, DbTable table);
  // Deletes a hold's record and live marker (best effort, errors ignored).
  asio::awaitable<void> Withdraw(HoldRecord hold);
  // Executes a batch as one request of kind `op` (kWrite, or kLwt for a
  // conditional batch). REQUIRES: `batch` outlives the call.
  asio::awaitable<absl::StatusOr<cql::Result>> RunBatch(const cql::Batch& batch, DbOp op, DbTable table);
  // One conditional batch of `statement` over the segments of `range` of a
  // seat, each row bound by `row(segment)`. Returns whether it applied, or
  // nullopt when the outcome is unknown (CAS or client timeout).
  asio::awaitable<absl::StatusOr<std::optional<bool>>> SeatBatch(
      const cql::PreparedStatement& statement, domain::SegmentRange range,
      std::function<std::vector<cql::Value>(int)> row);
  asio::awaitable<absl::StatusOr<int>> Position(const WaitlistEntry& entry);

  cql::Session& session_;
  CqlStoreOptions options_;
  std::unique_ptr<Statements> st_;
  StoreCounters counters_;
};

}  // namespace inventory::storage
