// SeatStore in an embedded SQLite database: the single-machine backend.
//
// One process is the only writer of the file, and every method is one SQLite
// transaction (BEGIN IMMEDIATE ... COMMIT), so each call is atomic and
// isolated by construction: a hold over a seat's segments, a step of a
// hold's life naming the states it leaves, a hold's start with its limit
// count. Nothing is ever "unknown": a call that returns was committed (or
// rolled back) before it returned. The journal is a write-ahead log and,
// with `durable` (the default), every commit is on disk before the call
// returns (synchronous=FULL): a hold or booking that was acknowledged
// survives the process being killed and the machine losing power.
//
// The semantics are the CQL backend's (storage/cql/cql_seat_store.h): the
// same reclaim rule for expired holds (reclaimable once `reclaim_now()` has
// passed the expiry; 0 means nothing is), the same answers; where the CQL
// backend refuses on the caller's belief without reading, this one always
// reads (a refusal's `SeatClaim::read` is always filled).
//
// Threading: the database is used by one worker thread of the store's own;
// each method hops there and back to the caller's executor, so the caller's
// io thread never waits on a disk write. Methods may be called from any
// executor; calls are served in the order they arrive.
#pragma once

#include <asio/thread_pool.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "storage/seat_store.h"

struct sqlite3;

namespace inventory::storage {

struct SqliteStoreOptions {
  // The database file (its folder must exist); ":memory:" for tests.
  std::string path;
  // Every commit synced to disk before the call returns (synchronous=FULL);
  // off: synced by the write-ahead log's checkpoints only (a process crash
  // loses nothing, a power loss may lose the last commits).
  bool durable = true;
  int64_t intent_window_ms = 10000;
  // The clock (unix ms); default the system clock.
  std::function<int64_t()> now;
  // The clock that decides whether an expired hold may be reclaimed;
  // default `now`.
  std::function<int64_t()> reclaim_now;
};

class SqliteSeatStore final : public SeatStore {
 public:
  // Opens (creating if needed) the database and its schema.
  static absl::StatusOr<std::unique_ptr<SqliteSeatStore>> Open(SqliteStoreOptions options);
  ~SqliteSeatStore() override;

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

  // Transactions committed (each call that writes is one).
  uint64_t commits() const { return commits_.load(); }

  class Tx;  // a transaction on the worker thread (sqlite_seat_store.cc)

 private:
  SqliteSeatStore(SqliteStoreOptions options, sqlite3* db);
  // Runs `body(Tx&)` in one transaction on the worker thread (committed if
  // it returns OK, else rolled back) and resumes the caller on its
  // executor. Not a coroutine: `body` is moved to the worker before the
  // caller suspends (callers' closures capture references and scalars).
  template <typename T, typename Body>
  asio::awaitable<absl::StatusOr<T>> Transact(Body body);
  int64_t Now() const { return options_.now(); }

  SqliteStoreOptions options_;
  sqlite3* db_;
  asio::thread_pool worker_{1};
  std::atomic<uint64_t> commits_{0};
};

}  // namespace inventory::storage
