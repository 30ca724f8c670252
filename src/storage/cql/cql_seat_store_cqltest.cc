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
    CqlStoreOptions store_options = Options();
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

  // The store's options; a test fixture may change the clocks or pages.
  virtual CqlStoreOptions Options() {
    CqlStoreOptions o;
    o.now = [this] { return NowMs() + clock_offset_ms_; };
    o.reclaim_now = [this] { return reclaim_allowed_ ? NowMs() + clock_offset_ms_ - reclaim_grace_ms_ : 0; };
    return o;
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
  int64_t clock_offset_ms_ = 0;
  int64_t reclaim_grace_ms_ = 0;
  bool reclaim_allowed_ = true;
};

Intent HoldIntent(const std::string& user, const std::string& hold, int64_t expires_at_ms) {
  Intent i;
  i.kind = domain::IntentKind::kHold;
  i.organization_id = "org";
  i.user_id = user;
  i.trip_id = "t1";
  i.hold_id = hold;
  i.seat_ids = {"s1"};
  i.range = {0, 0};
  i.expires_at_ms = expires_at_ms;
  i.created_at_ms = NowMs();
  return i;
}

TEST_F(CqlSeatStoreTest, OverlappingHoldsConflictDisjointOnesDoNot) {
  const StoreCounters before = store_->counters();
  const int64_t later = NowMs() + 60000;
  auto a = Hold("s1", {0, 1}, "h-a", later);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->applied);
  auto b = Hold("s1", {1, 2}, "h-b", later);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_FALSE(b->applied);
  EXPECT_EQ(b->blocking, SeatStatus::kHeld);
  EXPECT_EQ(b->holder_hold_id, "h-a");
  EXPECT_EQ(b->holder_user_id, "user-h-a");
  auto c = Hold("s1", {2, 2}, "h-c", later);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->applied);
  // One LWT per hold attempt; the refused one settles by one SERIAL read.
  const StoreCounters& sent = store_->counters();
  EXPECT_EQ(sent.Of(DbOp::kLwt, DbTable::kSeatSegments) - before.Of(DbOp::kLwt, DbTable::kSeatSegments), 3u);
  EXPECT_EQ(sent.Of(DbOp::kSerialRead) - before.Of(DbOp::kSerialRead), 1u);
  EXPECT_EQ(sent.Total() - before.Total(), 4u);
}

TEST_F(CqlSeatStoreTest, ATripsFirstRowsAreConditionalWritesOneASeat) {
  // The set-up created 2 seats: one conditional batch each, plus the trip.
  EXPECT_EQ(store_->counters().Of(DbOp::kLwt, DbTable::kSeatSegments), 2u);
  EXPECT_EQ(store_->counters().Of(DbOp::kLwt, DbTable::kTrips), 1u);
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

TEST_F(CqlSeatStoreTest, AnExpiredHoldIsReclaimedOnlyAfterTheGraceAndNeverWhileReclaimingIsRefused) {
  reclaim_grace_ms_ = 1000;
  ASSERT_TRUE(Hold("s1", {0, 0}, "recent", NowMs() - 300)->applied);  // expired 0.3 s ago: within the grace
  auto early = Hold("s1", {0, 0}, "early", NowMs() + 60000);
  ASSERT_TRUE(early.ok());
  EXPECT_FALSE(early->applied);
  EXPECT_EQ(early->holder_hold_id, "recent");
  EXPECT_GE(store_->counters().reclaims_deferred, 1u);
  ASSERT_TRUE(Hold("s2", {0, 0}, "long-gone", NowMs() - 5000)->applied);
  auto later = Hold("s2", {0, 0}, "later", NowMs() + 60000);
  ASSERT_TRUE(later.ok());
  EXPECT_TRUE(later->applied);
  // The clock's skew unknown or too large: nothing is reclaimed, nor blocked.
  reclaim_allowed_ = false;
  ASSERT_TRUE(Hold("s1", {2, 2}, "very-old", NowMs() - 600000)->applied);
  auto refused = Hold("s1", {2, 2}, "thief", NowMs() + 60000);
  ASSERT_TRUE(refused.ok());
  EXPECT_FALSE(refused->applied);
  auto blocked = Run([&] { return store_->SetBlocked(ref_, "s1", 3, true, "maintenance"); });
  ASSERT_TRUE(blocked.ok());
  EXPECT_FALSE(*blocked);
}

// An expired hold whose middle segment another hold reclaimed: its release
// frees the segments it still holds and settles (no endless retry).
TEST_F(CqlSeatStoreTest, AReleaseFreesWhatItStillHoldsWhenAnotherTookPartOfItsJourney) {
  ASSERT_TRUE(Hold("s1", {0, 2}, "lapsed", NowMs() - 5000)->applied);
  ASSERT_TRUE(Hold("s1", {1, 1}, "middle", NowMs() + 60000)->applied);  // reclaims B->C only
  auto released = Run([&] { return store_->ReleaseSeat(ref_, "s1", {0, 2}, "lapsed"); });
  ASSERT_TRUE(released.ok()) << released.status();
  EXPECT_TRUE(*released);
  std::vector<domain::SegmentState> seat = Seat("s1");
  EXPECT_EQ(seat[0].status, SeatStatus::kAvailable);
  EXPECT_EQ(seat[1].status, SeatStatus::kHeld);
  EXPECT_EQ(seat[1].hold_id, "middle");
  EXPECT_EQ(seat[2].status, SeatStatus::kAvailable);
  auto again = Run([&] { return store_->ReleaseSeat(ref_, "s1", {0, 2}, "lapsed"); });
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(*again);  // nothing of it left
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
  const int64_t later = NowMs() + 60000;
  auto begin = [&](const std::string& id, int64_t expires) {
    Intent i = HoldIntent("u", id, expires);
    return Run([&] { return store_->BeginHold(i, 2); });
  };
  auto first = begin("h1", NowMs() - 1);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, LimitOutcome::kRecorded);
  EXPECT_EQ(*begin("h2", later), LimitOutcome::kRecorded);
  EXPECT_EQ(*begin("h3", later), LimitOutcome::kRecorded);  // h1 has expired: it does not count
  EXPECT_EQ(*begin("h4", later), LimitOutcome::kLimitReached);
  // The refused one's marker is the caller's to remove; h2 ends too.
  ASSERT_TRUE(Run([&] { return store_->EndLive("org", "u", "h4"); }).ok());
  ASSERT_TRUE(Run([&] { return store_->EndLive("org", "u", "h2"); }).ok());
  EXPECT_EQ(*begin("h5", later), LimitOutcome::kRecorded);
  // Nothing conditional on the user's partition to count.
  EXPECT_EQ(store_->counters().Of(DbOp::kLwt, DbTable::kUserLedger), 0u);
}

TEST_F(CqlSeatStoreTest, RacingHoldsOfOneUserNeverExceedTheLimit) {
  for (int round = 0; round < 5; ++round) {
    const std::string user = "racer-" + std::to_string(round);
    constexpr int kRacers = 8;
    std::vector<Intent> intents;
    for (int i = 0; i < kRacers; ++i) intents.push_back(HoldIntent(user, user + "-h" + std::to_string(i), NowMs() + 60000));
    auto outcomes = Run([&]() -> asio::awaitable<std::vector<absl::StatusOr<LimitOutcome>>> {
      std::vector<asio::awaitable<absl::StatusOr<LimitOutcome>>> racing;
      for (Intent& i : intents) racing.push_back(store_->BeginHold(i, 2));
      co_return co_await Gather(std::move(racing));
    });
    int recorded = 0;
    for (int i = 0; i < kRacers; ++i) {
      ASSERT_TRUE(outcomes[static_cast<size_t>(i)].ok()) << outcomes[static_cast<size_t>(i)].status();
      if (*outcomes[static_cast<size_t>(i)] == LimitOutcome::kRecorded) {
        ++recorded;
      } else {
        const std::string id = user + "-h" + std::to_string(i);
        ASSERT_TRUE(Run([&] { return store_->EndLive("org", user, id); }).ok());
      }
    }
    EXPECT_LE(recorded, 2) << "round " << round;
    // The refused ones' markers are gone: exactly what the limit leaves is left.
    int more = 0;
    for (int i = 0; i < 3; ++i) {
      Intent later = HoldIntent(user, user + "-later" + std::to_string(i), NowMs() + 60000);
      if (*Run([&] { return store_->BeginHold(later, 2); }) == LimitOutcome::kRecorded) ++more;
    }
    EXPECT_EQ(recorded + more, 2) << "round " << round;
  }
}

TEST_F(CqlSeatStoreTest, AHoldsRecordIsWrittenOnceByWhicheverComesFirst) {
  HoldRecord h = HoldOf("u", "h1", "s1", NowMs() + 60000);
  h.request_key = "k";
  auto made = Run([&] { return store_->CreateHoldRecord(h); });
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_TRUE(made->applied);
  // The repairer's fence comes too late: the record it finds is active.
  HoldRecord fence = h;
  fence.state = domain::HoldState::kAbandoned;
  auto fenced = Run([&] { return store_->CreateHoldRecord(fence); });
  ASSERT_TRUE(fenced.ok());
  EXPECT_FALSE(fenced->applied);
  ASSERT_TRUE(fenced->hold.has_value());
  EXPECT_EQ(fenced->hold->state, domain::HoldState::kActive);
  // ...and the other way round.
  HoldRecord h2 = HoldOf("u", "h2", "s1", NowMs() + 60000);
  HoldRecord fence2 = h2;
  fence2.state = domain::HoldState::kAbandoned;
  ASSERT_TRUE(Run([&] { return store_->CreateHoldRecord(fence2); })->applied);
  auto late = Run([&] { return store_->CreateHoldRecord(h2); });
  ASSERT_TRUE(late.ok());
  EXPECT_FALSE(late->applied);
  EXPECT_EQ(late->hold->state, domain::HoldState::kAbandoned);
}

TEST_F(CqlSeatStoreTest, LedgerStepsApplyOnlyFromTheStateTheyName) {
  HoldRecord h = HoldOf("u", "h1", "s1", NowMs() + 60000);
  ASSERT_TRUE(Run([&] { return store_->CreateHoldRecord(h); })->applied);
  // Confirm begins: active → confirming, with a pending booking.
  BookingRecord b;
  b.booking_id = "bk-h1";
  b.hold_id = "h1";
  b.order_id = "o1";
  b.organization_id = "org";
  b.user_id = "u";
  b.trip_id = "t1";
  b.seat_ids = {"s1"};
  b.range = {0, 0};
  LedgerStep confirm;
  confirm.organization_id = "org";
  confirm.user_id = "u";
  confirm.hold_id = "h1";
  confirm.hold_from = domain::HoldState::kActive;
  confirm.hold_to = domain::HoldState::kConfirming;
  confirm.order_id = "o1";
  confirm.booking_id = "bk-h1";
  confirm.booking_to = domain::BookingState::kPending;
  confirm.new_booking = b;
  auto began = Run([&] { return store_->Step(confirm); });
  ASSERT_TRUE(began.ok()) << began.status();
  EXPECT_TRUE(began->applied);
  // A release racing it names `active`: it does not apply, and says why.
  LedgerStep release;
  release.organization_id = "org";
  release.user_id = "u";
  release.hold_id = "h1";
  release.hold_from = domain::HoldState::kActive;
  release.hold_to = domain::HoldState::kReleasing;
  auto lost = Run([&] { return store_->Step(release); });
  ASSERT_TRUE(lost.ok());
  EXPECT_FALSE(lost->applied);
  ASSERT_TRUE(lost->hold.has_value());
  EXPECT_EQ(lost->hold->state, domain::HoldState::kConfirming);
  EXPECT_EQ(lost->hold->order_id, "o1");
  // A second confirm for another order loses the same way.
  LedgerStep other = confirm;
  other.order_id = "o2";
  other.new_booking->order_id = "o2";
  auto other_lost = Run([&] { return store_->Step(other); });
  ASSERT_TRUE(other_lost.ok());
  EXPECT_FALSE(other_lost->applied);
  ASSERT_TRUE(other_lost->booking.has_value());
  EXPECT_EQ(other_lost->booking->order_id, "o1");
  // The same confirm again is "in place" (a retry finds its own step).
  auto retried = Run([&] { return store_->Step(confirm); });
  ASSERT_TRUE(retried.ok());
  EXPECT_TRUE(retried->applied);
  // Commit, then the booking may be cancelled.
  LedgerStep commit;
  commit.organization_id = "org";
  commit.user_id = "u";
  commit.hold_id = "h1";
  commit.booking_id = "bk-h1";
  commit.hold_from = domain::HoldState::kConfirming;
  commit.hold_to = domain::HoldState::kConfirmed;
  commit.booking_from = domain::BookingState::kPending;
  commit.booking_to = domain::BookingState::kConfirmed;
  commit.end_live = true;
  ASSERT_TRUE(Run([&] { return store_->Step(commit); })->applied);
  auto booking = Run([&] { return store_->GetBooking("org", "u", "bk-h1"); });
  ASSERT_TRUE(booking.ok() && booking->has_value());
  EXPECT_EQ((*booking)->state, domain::BookingState::kConfirmed);
  // A step the lifecycle does not allow is refused before anything is sent.
  LedgerStep backwards = commit;
  backwards.hold_from = domain::HoldState::kConfirmed;
  backwards.hold_to = domain::HoldState::kActive;
  EXPECT_EQ(Run([&] { return store_->Step(backwards); }).status().code(), absl::StatusCode::kInternal);
}

TEST_F(CqlSeatStoreTest, IntentsAreFoundByWindowAndDroppedIdempotently) {
  Intent a = HoldIntent("u", "ha", NowMs() + 60000);
  Intent b = HoldIntent("v", "hb", NowMs() + 60000);
  ASSERT_TRUE(Run([&] { return store_->RecordIntent(a); }).ok());
  ASSERT_TRUE(Run([&] { return store_->BeginHold(b, 2); }).ok());  // a hold's start records its intent
  auto found = Run([&] { return store_->IntentsIn(a.key.window); });
  ASSERT_TRUE(found.ok()) << found.status();
  std::set<std::string> holds;
  for (const Intent& i : *found) holds.insert(i.hold_id);
  EXPECT_TRUE(holds.count("ha"));
  EXPECT_TRUE(holds.count("hb") || b.key.window != a.key.window);
  for (const Intent& i : *found) {
    if (i.hold_id != "ha") continue;
    EXPECT_EQ(i.kind, domain::IntentKind::kHold);
    EXPECT_EQ(i.seat_ids, std::vector<std::string>{"s1"});
    EXPECT_EQ(i.expires_at_ms, a.expires_at_ms);
  }
  std::vector<IntentKey> keys = {a.key, b.key, a.key};
  ASSERT_TRUE(Run([&] { return store_->DropIntents(keys); }).ok());
  ASSERT_TRUE(Run([&] { return store_->DropIntents(keys); }).ok());
  auto after = Run([&] { return store_->IntentsIn(a.key.window); });
  ASSERT_TRUE(after.ok());
  for (const Intent& i : *after) EXPECT_NE(i.hold_id, "ha");
  // The shared progress.
  auto none = Run([&] { return store_->RepairedBefore(); });
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(Run([&] { return store_->SetRepairedBefore(42); }).ok());
  EXPECT_EQ(Run([&] { return store_->RepairedBefore(); })->value_or(0), 42);
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

TEST_F(CqlSeatStoreTest, NoClockCanHideAHoldBehindATripsFirstRows) {
  // This instance's clock runs 10 s ahead while it loads a trip; a hold made
  // right after (with the database's own timestamps) must stay visible.
  clock_offset_ms_ = 10000;
  store_.reset();
  CqlStoreOptions o = Options();
  o.keyspace = keyspace_;
  store_ = std::make_unique<CqlSeatStore>(*session_, o);
  ASSERT_TRUE(Run([&] { return store_->Prepare(); }).ok());
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
  CqlStoreOptions Options() override {
    CqlStoreOptions o = CqlSeatStoreTest::Options();
    o.page_size = 7;
    return o;
  }
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
