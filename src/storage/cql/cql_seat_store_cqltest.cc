// CqlSeatStore against a real Cassandra: the properties the service relies on.
#include "storage/cql/cql_seat_store.h"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include <chrono>
#include <random>
#include <thread>

#include "common/gather.h"
#include "common/test_env.h"
#include "cql/session.h"
#include "storage/cql/schema.h"

namespace inventory::storage {
namespace {

using domain::SeatStatus;
using domain::SegmentRange;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class CqlSeatStoreTest : public ::testing::Test {
 protected:
  template <typename Fn>
  auto Run(Fn&& fn) {
    return asio::co_spawn(io_, std::forward<Fn>(fn), asio::use_future).get();
  }

  void SetUp() override {
    thread_ = std::thread([this] { io_.run(); });
    cql::SessionOptions options;
    options.contact_points = {testing::CqlHost()};
    options.port = testing::CqlPort();
    options.request_timeout = std::chrono::seconds(30);
    auto session = Run([&] { return cql::Session::Connect(io_.get_executor(), options); });
    ASSERT_TRUE(session.ok()) << session.status();
    session_ = std::move(*session);
    keyspace_ = "store_test_" + std::to_string(std::random_device{}() % 1000000);
    SchemaOptions schema{keyspace_, "SimpleStrategy:1", false};
    auto applied = Run([&] { return ApplyMigrations(*session_, schema); });
    ASSERT_TRUE(applied.ok()) << applied.status();
    CqlStoreOptions store_options;
    store_options.keyspace = keyspace_;
    store_ = std::make_unique<CqlSeatStore>(*session_, store_options);
    absl::Status prepared = Run([&] { return store_->Prepare(); });
    ASSERT_TRUE(prepared.ok()) << prepared;

    trip_.organization_id = "org";
    trip_.trip_id = "t1";
    trip_.vehicle_id = "v";
    trip_.vehicle_type = "bus";
    trip_.segments = {{0, "A", "B", 0, 0}, {1, "B", "C", 0, 0}, {2, "C", "D", 0, 0}};
    trip_.seats = {{"s1", "1A", 1, 1, "window", "eco", 100}, {"s2", "1B", 1, 2, "aisle", "eco", 100}};
    auto created = Run([&] { return store_->CreateTrip(trip_); });
    ASSERT_TRUE(created.ok()) << created.status();
    EXPECT_EQ(*created, CreateTripOutcome::kCreated);
  }

  // A one-seat, one-segment hold record of `user` on trip t1.
  static HoldRecord HoldOf(const std::string& user, const std::string& id, const std::string& seat,
                           int64_t expires_at_ms) {
    HoldRecord h;
    h.hold_id = id;
    h.organization_id = "org";
    h.user_id = user;
    h.trip_id = "t1";
    h.seat_ids = {seat};
    h.range = {0, 0};
    h.created_at_ms = NowMs();
    h.expires_at_ms = expires_at_ms;
    return h;
  }

  void TearDown() override {
    if (session_) {
      (void)Run([&] { return session_->Query("DROP KEYSPACE IF EXISTS " + keyspace_); });
      Run([&]() -> asio::awaitable<int> {
        co_await session_->Close();
        co_return 0;
      });
    }
    work_.reset();
    thread_.join();
  }

  absl::StatusOr<SeatClaim> Hold(const std::string& seat, SegmentRange range, const std::string& hold,
                                 int64_t expires_at_ms, std::vector<domain::SegmentState> believed = {}) {
    return Run([&] {
      return store_->HoldSeat(ref_, seat, range, hold, "user-" + hold, expires_at_ms, believed);
    });
  }

  std::vector<domain::SegmentState> Seat(const std::string& seat) {
    auto snap = Run([&] { return store_->LoadSnapshot(ref_); });
    EXPECT_TRUE(snap.ok()) << snap.status();
    const int i = (*snap)->SeatIndex(seat);
    return (*snap)->states[static_cast<size_t>(i)];
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::thread thread_;
  std::unique_ptr<cql::Session> session_;
  std::unique_ptr<CqlSeatStore> store_;
  std::string keyspace_;
  domain::TripDefinition trip_;
  TripRef ref_{"org", "t1"};
};

TEST_F(CqlSeatStoreTest, OverlappingHoldsConflictDisjointOnesDoNot) {
  const int64_t later = NowMs() + 60000;
  auto a = Hold("s1", {0, 1}, "h-a", later);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->applied);
  auto b = Hold("s1", {1, 2}, "h-b", later);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_FALSE(b->applied);
  EXPECT_EQ(b->blocking, SeatStatus::kHeld);
  EXPECT_EQ(b->holder_hold_id, "h-a");
  auto c = Hold("s1", {2, 2}, "h-c", later);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->applied);
  // One LWT per hold attempt (the refused one settles by a SERIAL read),
  // plus the trip's insert.
  const StoreCounters& sent = store_->counters();
  EXPECT_EQ(sent.Of(DbOp::kLwt), 4u);
  EXPECT_EQ(sent.Of(DbOp::kLwt, DbTable::kSeatSegments), 3u);
  EXPECT_EQ(sent.Of(DbOp::kLwt, DbTable::kTrips), 1u);
  EXPECT_EQ(sent.Of(DbOp::kSerialRead, DbTable::kSeatSegments), 1u);
}

TEST_F(CqlSeatStoreTest, AFailedHoldLeavesNoPartialState) {
  const int64_t later = NowMs() + 60000;
  ASSERT_TRUE(Hold("s2", {1, 1}, "middle", later)->applied);
  auto whole = Hold("s2", {0, 2}, "whole", later);
  ASSERT_TRUE(whole.ok());
  EXPECT_FALSE(whole->applied);
  std::vector<domain::SegmentState> seat = Seat("s2");
  EXPECT_EQ(seat[0].status, SeatStatus::kAvailable);
  EXPECT_EQ(seat[1].hold_id, "middle");
  EXPECT_EQ(seat[2].status, SeatStatus::kAvailable);
}

TEST_F(CqlSeatStoreTest, AnExpiredHoldIsReclaimedEvenFromAStaleBelief) {
  ASSERT_TRUE(Hold("s1", {0, 2}, "old", NowMs() - 1)->applied);  // already expired
  // The caller believes the seat is plainly available (stale): the store
  // reads the truth and reclaims by naming the expired hold.
  std::vector<domain::SegmentState> stale(3);
  auto fresh = Hold("s1", {0, 2}, "new", NowMs() + 60000, stale);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_TRUE(fresh->applied);
  for (const domain::SegmentState& s : Seat("s1")) EXPECT_EQ(s.hold_id, "new");
}

TEST_F(CqlSeatStoreTest, OnlyTheOwnerReleasesAndBookingNeedsTheHold) {
  ASSERT_TRUE(Hold("s1", {0, 1}, "mine", NowMs() + 60000)->applied);
  auto wrong = Run([&] { return store_->ReleaseSeat(ref_, "s1", {0, 1}, "not-mine"); });
  ASSERT_TRUE(wrong.ok());
  EXPECT_FALSE(*wrong);
  auto bad_book = Run([&] { return store_->BookSeat(ref_, "s1", {0, 1}, "not-mine", "bk-x"); });
  ASSERT_TRUE(bad_book.ok());
  EXPECT_FALSE(*bad_book);
  auto book = Run([&] { return store_->BookSeat(ref_, "s1", {0, 1}, "mine", "bk-mine"); });
  ASSERT_TRUE(book.ok());
  EXPECT_TRUE(*book);
  auto again = Run([&] { return store_->BookSeat(ref_, "s1", {0, 1}, "mine", "bk-mine"); });
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(*again);  // idempotent for the same booking
  auto release = Run([&] { return store_->ReleaseSeat(ref_, "s1", {0, 1}, "mine"); });
  ASSERT_TRUE(release.ok());
  EXPECT_FALSE(*release);  // booked now: a release of the hold frees nothing
  auto unbook = Run([&] { return store_->UnbookSeat(ref_, "s1", {0, 1}, "bk-mine"); });
  ASSERT_TRUE(unbook.ok());
  EXPECT_TRUE(*unbook);
  EXPECT_EQ(Seat("s1")[0].status, SeatStatus::kAvailable);
}

TEST_F(CqlSeatStoreTest, LiveHoldsPerUserAreLimitedAndExpiredOnesDoNotCount) {
  auto record = [](const std::string& id, int64_t expires) { return HoldOf("u", id, "s1", expires); };
  const int64_t later = NowMs() + 60000;
  auto first = Run([&] { return store_->RecordHoldWithinLimit(record("h1", NowMs() - 1), 2); });
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, LimitOutcome::kRecorded);
  EXPECT_EQ(*Run([&] { return store_->RecordHoldWithinLimit(record("h2", later), 2); }), LimitOutcome::kRecorded);
  // h1 has expired: it does not count.
  EXPECT_EQ(*Run([&] { return store_->RecordHoldWithinLimit(record("h3", later), 2); }), LimitOutcome::kRecorded);
  EXPECT_EQ(*Run([&] { return store_->RecordHoldWithinLimit(record("h4", later), 2); }), LimitOutcome::kLimitReached);
  auto h2 = Run([&] { return store_->GetHold("org", "u", "h2"); });
  ASSERT_TRUE(h2.ok() && h2->has_value());
  absl::Status finished = Run([&] { return store_->FinishHold(**h2, HoldRecord::State::kReleased, ""); });
  ASSERT_TRUE(finished.ok()) << finished;
  EXPECT_EQ(*Run([&] { return store_->RecordHoldWithinLimit(record("h5", later), 2); }), LimitOutcome::kRecorded);
  auto h4 = Run([&] { return store_->GetHold("org", "u", "h4"); });
  ASSERT_TRUE(h4.ok());
  EXPECT_FALSE(h4->has_value());  // a refused hold leaves no record
  // One LWT-free write and one read per recorded hold; nothing conditional.
  EXPECT_EQ(store_->counters().Of(DbOp::kLwt, DbTable::kUserLedger), 0u);
}

TEST_F(CqlSeatStoreTest, RacingHoldsOfOneUserNeverExceedTheLimit) {
  for (int round = 0; round < 5; ++round) {
    const std::string user = "racer-" + std::to_string(round);
    constexpr int kRacers = 8;
    auto outcomes = Run([&]() -> asio::awaitable<std::vector<absl::StatusOr<LimitOutcome>>> {
      std::vector<asio::awaitable<absl::StatusOr<LimitOutcome>>> racing;
      for (int i = 0; i < kRacers; ++i) {
        racing.push_back(
            store_->RecordHoldWithinLimit(HoldOf(user, user + "-h" + std::to_string(i), "s1", NowMs() + 60000), 2));
      }
      co_return co_await Gather(std::move(racing));
    });
    int recorded = 0;
    for (int i = 0; i < kRacers; ++i) {
      ASSERT_TRUE(outcomes[static_cast<size_t>(i)].ok()) << outcomes[static_cast<size_t>(i)].status();
      if (*outcomes[static_cast<size_t>(i)] != LimitOutcome::kRecorded) continue;
      ++recorded;
      auto h = Run([&] { return store_->GetHold("org", user, user + "-h" + std::to_string(i)); });
      ASSERT_TRUE(h.ok() && h->has_value()) << "a recorded hold has its record";
    }
    EXPECT_LE(recorded, 2) << "round " << round;
    // Whatever was withdrawn left no live marker behind: the user can still
    // take exactly the holds the limit leaves.
    int more = 0;
    for (int i = 0; i < 3; ++i) {
      const HoldRecord h = HoldOf(user, user + "-later" + std::to_string(i), "s2", NowMs() + 60000);
      if (*Run([&] { return store_->RecordHoldWithinLimit(h, 2); }) == LimitOutcome::kRecorded) ++more;
    }
    EXPECT_EQ(recorded + more, 2) << "round " << round;
  }
}

TEST_F(CqlSeatStoreTest, ReloadingTheSameTripNeverResetsSeats) {
  ASSERT_TRUE(Hold("s2", {0, 2}, "kept", NowMs() + 60000)->applied);
  auto again = Run([&] { return store_->CreateTrip(trip_); });
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, CreateTripOutcome::kUnchanged);
  EXPECT_EQ(Seat("s2")[1].hold_id, "kept");
  domain::TripDefinition changed = trip_;
  changed.seats[0].price_paisa = 5;
  auto conflict = Run([&] { return store_->CreateTrip(changed); });
  ASSERT_TRUE(conflict.ok());
  EXPECT_EQ(*conflict, CreateTripOutcome::kConflict);
  auto missing = Run([&] { return store_->LoadSnapshot(TripRef{"org", "nope"}); });
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace inventory::storage
