// CqlSeatStore against a real Cassandra: the properties the service relies on.
#include "storage/cql/cql_seat_store.h"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include <chrono>
#include <random>
#include <set>
#include <thread>

#include "common/gather.h"
#include "common/test_env.h"
#include "cql/session.h"
#include "storage/cql/schema.h"
#include "storage/testing/seat_store_contract.h"

namespace inventory::storage {
namespace {

using domain::SeatStatus;
using domain::SegmentRange;

using testing::NowMs;

// The contract (storage/testing/seat_store_contract.h) against Cassandra:
// a keyspace of its own per test.
class CqlBackend {
 public:
  int32_t page_size = 5000;  // of every multi-row read
  absl::Status Open(asio::io_context& io, std::function<int64_t()> now, std::function<int64_t()> reclaim_now) {
    auto run = [&io](auto fn) { return asio::co_spawn(io, fn, asio::use_future).get(); };
    cql::SessionOptions options;
    options.contact_points = {inventory::testing::CqlHost()};
    options.port = inventory::testing::CqlPort();
    options.request_timeout = std::chrono::seconds(30);
    auto session = run([&] { return cql::Session::Connect(io.get_executor(), options); });
    if (!session.ok()) return session.status();
    session_ = std::move(*session);
    keyspace_ = "store_contract_" + std::to_string(std::random_device{}() % 1000000);
    SchemaOptions schema{keyspace_, "SimpleStrategy:1", false};
    absl::Status applied = run([&] { return ApplyMigrations(*session_, schema); }).status();
    if (!applied.ok()) return applied;
    CqlStoreOptions o;
    o.keyspace = keyspace_;
    o.now = std::move(now);
    o.reclaim_now = std::move(reclaim_now);
    o.page_size = page_size;
    store_ = std::make_unique<CqlSeatStore>(*session_, o);
    return run([&] { return store_->Prepare(); });
  }
  SeatStore& store() { return *store_; }
  CqlSeatStore& cql() { return *store_; }
  void Close(asio::io_context& io) {
    if (session_ == nullptr) return;
    auto run = [&io](auto fn) { return asio::co_spawn(io, fn, asio::use_future).get(); };
    (void)run([&] { return session_->Query("DROP KEYSPACE IF EXISTS " + keyspace_); });
    run([&]() -> asio::awaitable<int> {
      co_await session_->Close();
      co_return 0;
    });
  }

 private:
  std::unique_ptr<cql::Session> session_;
  std::unique_ptr<CqlSeatStore> store_;
  std::string keyspace_;
};

}  // namespace

namespace testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Cql, SeatStoreContract, ::testing::Types<CqlBackend>);
}  // namespace testing

namespace {

// What only the CQL store promises, on the contract's fixture and trip.
class CqlSeatStoreTest : public testing::SeatStoreContract<CqlBackend> {
 protected:
  CqlSeatStore& cql() { return backend_.cql(); }
};

// What the CQL backend sends for it: one LWT per hold attempt, one SERIAL
// read to settle a refusal, nothing conditional to count a user's holds, and
// a reclaim within the grace deferred (and counted).
TEST_F(CqlSeatStoreTest, AHoldAttemptIsOneLwtAndARefusalOneSerialRead) {
  const StoreCounters before = cql().counters();
  const int64_t later = NowMs() + 60000;
  ASSERT_TRUE(Hold("s1", {0, 1}, "h-a", later)->applied);
  ASSERT_FALSE(Hold("s1", {1, 2}, "h-b", later)->applied);
  ASSERT_TRUE(Hold("s1", {2, 2}, "h-c", later)->applied);
  const StoreCounters& sent = cql().counters();
  EXPECT_EQ(sent.Of(DbOp::kLwt, DbTable::kSeatSegments) - before.Of(DbOp::kLwt, DbTable::kSeatSegments), 3u);
  EXPECT_EQ(sent.Of(DbOp::kSerialRead) - before.Of(DbOp::kSerialRead), 1u);
  EXPECT_EQ(sent.Total() - before.Total(), 4u);
  Intent i = testing::HoldIntent("u", "h1", later);
  ASSERT_EQ(*Run([&] { return store_->BeginHold(i, 2); }), LimitOutcome::kRecorded);
  EXPECT_EQ(cql().counters().Of(DbOp::kLwt, DbTable::kUserLedger), 0u);
  reclaim_grace_ms_ = 1000;
  ASSERT_TRUE(Hold("s2", {0, 0}, "recent", NowMs() - 300)->applied);  // expired 0.3 s ago: within the grace
  ASSERT_FALSE(Hold("s2", {0, 0}, "early", NowMs() + 60000)->applied);
  EXPECT_GE(cql().counters().reclaims_deferred, 1u);
}

TEST_F(CqlSeatStoreTest, ATripsFirstRowsAreConditionalWritesOneASeat) {
  // The set-up created 2 seats: one conditional batch each, plus the trip.
  EXPECT_EQ(cql().counters().Of(DbOp::kLwt, DbTable::kSeatSegments), 2u);
  EXPECT_EQ(cql().counters().Of(DbOp::kLwt, DbTable::kTrips), 1u);
}

TEST_F(CqlSeatStoreTest, NoClockCanHideAHoldBehindATripsFirstRows) {
  // This instance's clock runs 10 s ahead while it loads a trip; a hold made
  // right after (with the database's own timestamps) must stay visible.
  clock_offset_ms_ = 10000;  // the store's clocks read it
  domain::TripDefinition ahead = trip_;
  ahead.trip_id = "t-ahead";
  ASSERT_EQ(*Run([&] { return store_->CreateTrip(ahead); }), CreateTripOutcome::kCreated);
  TripRef ref{"org", "t-ahead"};
  auto held = Run([&] { return store_->HoldSeat(ref, "s1", {0, 2}, "h", "u", NowMs() + 60000, {}); });
  ASSERT_TRUE(held.ok() && held->applied);
  // Re-sending the definition (e.g. to finish a load) changes nothing either.
  ASSERT_EQ(*Run([&] { return store_->CreateTrip(ahead); }), CreateTripOutcome::kUnchanged);
  auto snap = Run([&] { return store_->LoadSnapshot(ref); });
  ASSERT_TRUE(snap.ok());
  for (const domain::SegmentState& s : (*snap)->states[static_cast<size_t>((*snap)->SeatIndex("s1"))]) {
    EXPECT_EQ(s.status, SeatStatus::kHeld);
    EXPECT_EQ(s.hold_id, "h");
  }
  // And a second hold of the seat is refused.
  auto second = Run([&] { return store_->HoldSeat(ref, "s1", {0, 0}, "h2", "u2", NowMs() + 60000, {}); });
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->applied);
}

// Reads follow every page: a trip whose rows exceed a page many times over.
class SmallPagesTest : public CqlSeatStoreTest {
 protected:
  SmallPagesTest() { backend_.page_size = 7; }
};

TEST_F(SmallPagesTest, SnapshotsAndWaitlistPositionsFollowEveryPage) {
  domain::TripDefinition big = trip_;
  big.trip_id = "t-big";
  big.segments.clear();
  for (int i = 0; i < 12; ++i) {
    big.segments.push_back({i, std::string(1, static_cast<char>('A' + i)), std::string(1, static_cast<char>('B' + i)), 0, 0});
  }
  big.seats.clear();
  for (int i = 0; i < 30; ++i) {
    big.seats.push_back({"s" + std::to_string(i), std::to_string(i), i / 4 + 1, i % 4 + 1, "aisle", "eco", 100});
  }
  ASSERT_EQ(*Run([&] { return store_->CreateTrip(big); }), CreateTripOutcome::kCreated);
  TripRef ref{"org", "t-big"};
  ASSERT_TRUE(Run([&] { return store_->HoldSeat(ref, "s29", {11, 11}, "last", "u", NowMs() + 60000, {}); })->applied);
  auto snap = Run([&] { return store_->LoadSnapshot(ref); });
  ASSERT_TRUE(snap.ok()) << snap.status();
  ASSERT_EQ((*snap)->trip.seats.size(), 30u);
  int free = 0;
  for (const auto& seat : (*snap)->states) {
    for (const domain::SegmentState& s : seat) free += s.status == SeatStatus::kAvailable ? 1 : 0;
  }
  EXPECT_EQ(free, 30 * 12 - 1);  // every row read: none missing (missing rows read as blocked)
  EXPECT_EQ((*snap)->states[static_cast<size_t>((*snap)->SeatIndex("s29"))][11].hold_id, "last");
  // A waitlist longer than a page: positions keep counting across pages.
  int last_position = 0;
  for (int i = 0; i < 20; ++i) {
    WaitlistEntry e;
    e.organization_id = "org";
    e.trip_id = "t-big";
    e.user_id = "w" + std::to_string(i);
    e.seat_class = "eco";
    e.requested_seats = 1;
    auto joined = Run([&] { return store_->JoinWaitlist(e); });
    ASSERT_TRUE(joined.ok()) << joined.status();
    last_position = joined->position;
  }
  EXPECT_EQ(last_position, 20);
}

}  // namespace
}  // namespace inventory::storage
