// SeatStore over CQL (Cassandra / ScyllaDB), with lightweight transactions.
//
// Every seat write is one conditional batch over the seat's own partition
// (seat_segments, key (organization_id, trip_id, seat_id)), so a hold over a
// segment range is atomic across its segments and different seats never
// contend on one Paxos instance; every write of a seat row is conditional,
// including its first (INSERT ... IF NOT EXISTS), so no client clock decides
// which write wins. Every step of a hold's or booking's life is one
// conditional batch over the user's ledger partition, naming the states it
// leaves.
//
// The condition is the check. A conditional write that does not apply, or
// whose outcome is unknown (a CAS write timeout, a client timeout, a lost
// connection: any error), is followed by a SERIAL read of the partition,
// which completes any Paxos round in flight and so tells the truth: taken,
// ours after all, or free (then a hold retries with conditions naming what
// it read, e.g. the expired hold it reclaims). That step lives in one place
// (WriteSeat for seats, Step for the ledger).
//
// Reclaiming. A hold is reclaimable once `reclaim_now()` has passed its
// expiry; the service passes a clock that lags the real one by the tolerated
// clock skew, and stops at 0 (nothing reclaimable) when this instance's skew
// is not known to be within it. The reclaiming write names the hold and its
// expiry.
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
class Row;
class Value;
}  // namespace cql

namespace inventory::storage {

struct CqlStatements;

struct CqlStoreOptions {
  std::string keyspace = "inventory";
  cql::Consistency consistency = cql::Consistency::kQuorum;
  cql::Consistency serial_consistency = cql::Consistency::kSerial;
  // Seats whose rows are written at once when a trip is loaded.
  int load_parallelism = 16;
  // Rows written per unlogged batch of the trip's layout.
  int load_batch_rows = 100;
  // Rows per page of every multi-row read (every page is followed).
  int32_t page_size = 5000;
  // Intents are kept in windows of this length, each spread over `intent_shards` partitions.
  int64_t intent_window_ms = 10000;
  int intent_shards = 4;
  // The clock (unix ms). Default: the system clock.
  std::function<int64_t()> now;
  // The clock that decides whether a hold has expired for reclaiming (see
  // above). Default: `now`.
  std::function<int64_t()> reclaim_now;
};

// What one database request is: a plain read, a read at SERIAL consistency,
// a plain write (or unconditional batch), or a lightweight transaction.
enum class DbOp : uint8_t { kRead = 0, kSerialRead = 1, kWrite = 2, kLwt = 3 };
inline constexpr int kDbOpCount = 4;
// The table a request touches (the waitlist's two tables count as one; a
// hold's start, one atomic write of its intent and live marker, counts as
// user_ledger).
enum class DbTable : uint8_t {
  kTrips = 0,
  kTripSeats = 1,
  kSeatSegments = 2,
  kUserLedger = 3,
  kWaitlist = 4,
  kIntents = 5,
  kSystem = 6,
  kRepairProgress = 7
};
inline constexpr int kDbTableCount = 8;

std::string_view DbOpName(DbOp op);           // "read", "serial_read", "write", "lwt"
std::string_view DbTableName(DbTable table);  // the table's name

// Exact counts of database requests sent, by kind and table; read by the
// metrics endpoint. Requests are counted when sent, answered or not (every
// page of a read counts).
struct StoreCounters {
  std::array<std::array<uint64_t, kDbTableCount>, kDbOpCount> sent{};
  // Seat writes that left a seat to a hold that had expired but was not yet
  // reclaimable (within the skew tolerance after expiry, or the clock's skew
  // unknown or too large).
  uint64_t reclaims_deferred = 0;

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

  int64_t IntentWindowMs() const override { return options_.intent_window_ms; }
  asio::awaitable<absl::Status> RecordIntent(Intent& intent) override;
  asio::awaitable<absl::Status> DropIntents(std::vector<IntentKey> keys) override;
  asio::awaitable<absl::StatusOr<std::vector<Intent>>> IntentsIn(int64_t window) override;
  asio::awaitable<absl::StatusOr<std::optional<int64_t>>> RepairedBefore() override;
  asio::awaitable<absl::Status> SetRepairedBefore(int64_t window) override;

  asio::awaitable<absl::StatusOr<LimitOutcome>> BeginHold(Intent& intent, int max_live) override;
  asio::awaitable<absl::Status> EndLive(std::string organization_id, std::string user_id,
                                        std::string hold_id) override;
  asio::awaitable<absl::StatusOr<LedgerResult>> CreateHoldRecord(HoldRecord record) override;
  asio::awaitable<absl::StatusOr<std::optional<HoldRecord>>> GetHold(std::string organization_id, std::string user_id,
                                                                     std::string hold_id, bool serial) override;
  asio::awaitable<absl::StatusOr<std::optional<BookingRecord>>> GetBooking(std::string organization_id,
                                                                           std::string user_id,
                                                                           std::string booking_id) override;
  asio::awaitable<absl::StatusOr<LedgerResult>> Step(LedgerStep step) override;

  asio::awaitable<absl::StatusOr<WaitlistEntry>> JoinWaitlist(WaitlistEntry entry) override;
  asio::awaitable<absl::StatusOr<std::vector<WaitlistEntry>>> UserWaitlist(std::string user_id,
                                                                          std::string organization_id) override;

  asio::awaitable<absl::StatusOr<int64_t>> DatabaseNowMs() override;

 private:
  // One seat partition's segments, indexed by segment; nullopt: no row.
  using SeatRead = std::vector<std::optional<domain::SegmentState>>;
  enum class WriteOutcome { kApplied, kNotApplied, kUnknown };
  struct SeatWrite {
    WriteOutcome outcome = WriteOutcome::kApplied;
    SeatRead read;  // when not kApplied: the seat as read at SERIAL afterwards
  };

  // One request, counted.
  asio::awaitable<absl::StatusOr<cql::Result>> Run(const cql::PreparedStatement& statement,
                                                   std::vector<cql::Value> values, DbOp op, DbTable table);
  // Executes a batch as one request of kind `op`. REQUIRES: `batch` outlives the call.
  asio::awaitable<absl::StatusOr<cql::Result>> RunBatch(const cql::Batch& batch, DbOp op, DbTable table);
  // A read following every page; `each` sees every row (one request per page).
  asio::awaitable<absl::Status> Scan(const cql::PreparedStatement& statement, std::vector<cql::Value> values,
                                     DbOp op, DbTable table, std::function<void(const cql::Row&)> each);
  asio::awaitable<absl::StatusOr<SeatRead>> ReadSeatSerial(const TripRef& trip, const std::string& seat_id,
                                                           int segment_count);
  // The conditional batch `batch` over one seat's partition, then, unless it
  // certainly applied, a SERIAL read of the seat (an error only when that
  // read fails too). REQUIRES: `batch` outlives the call.
  asio::awaitable<absl::StatusOr<SeatWrite>> WriteSeat(const TripRef& trip, const std::string& seat_id,
                                                       int segment_count, const cql::Batch& batch);
  // A conditional write of `statement` on every segment of `range`, each row
  // bound by `row(segment)`.
  asio::awaitable<absl::StatusOr<SeatWrite>> WriteSeatRange(const TripRef& trip, const std::string& seat_id,
                                                            domain::SegmentRange range,
                                                            const cql::PreparedStatement& statement,
                                                            std::function<std::vector<cql::Value>(int)> row);
  // Frees the segments of `range` that `ours` says are still the owner's, by
  // `statement` (conditioned on the owner) bound by `row(segment, now)`. The
  // first write names every segment; after a refusal only those the SERIAL
  // read shows still the owner's. True if this call freed any; an error
  // (`what` not settled) if the owner still has some after every attempt.
  asio::awaitable<absl::StatusOr<bool>> LetGo(const TripRef& trip, const std::string& seat_id,
                                              domain::SegmentRange range, const cql::PreparedStatement& statement,
                                              std::function<std::vector<cql::Value>(int, int64_t)> row,
                                              std::function<bool(const domain::SegmentState&)> ours,
                                              const char* what);
  asio::awaitable<absl::StatusOr<int>> Position(const WaitlistEntry& entry);
  IntentKey KeyFor(const Intent& intent) const;
  std::vector<cql::Value> IntentValues(const Intent& intent) const;
  int64_t Now() const { return options_.now(); }

  cql::Session& session_;
  CqlStoreOptions options_;
  std::unique_ptr<CqlStatements> st_;
  StoreCounters counters_;
};

}  // namespace inventory::storage
