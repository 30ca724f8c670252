// What every SeatStore promises, as one typed test suite: each backend's
// test instantiates it with a Backend that opens a fresh, empty store with
// the suite's clocks and closes it:
//
//   struct Backend {
//     // On `io`'s thread-free caller; the store must outlive Close().
//     absl::Status Open(asio::io_context& io, std::function<int64_t()> now,
//                       std::function<int64_t()> reclaim_now);
//     storage::SeatStore& store();
//     void Close(asio::io_context& io);
//   };
//
// The suite drives the store from coroutines on an io_context thread, as the
// service does. Test code only.
#pragma once

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/gather.h"
#include "storage/seat_store.h"

namespace inventory::storage::testing {

using domain::SeatStatus;
using domain::SegmentRange;

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A one-seat, one-segment hold record of `user` on trip t1.
inline HoldRecord HoldOf(const std::string& user, const std::string& id, const std::string& seat,
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

inline Intent HoldIntent(const std::string& user, const std::string& hold, int64_t expires_at_ms) {
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

template <typename Backend>
class SeatStoreContract : public ::testing::Test {
 protected:
  template <typename Fn>
  auto Run(Fn&& fn) {
    return asio::co_spawn(io_, std::forward<Fn>(fn), asio::use_future).get();
  }

  void SetUp() override {
    thread_ = std::thread([this] { io_.run(); });
    absl::Status opened = backend_.Open(
        io_, [this] { return NowMs() + clock_offset_ms_; },
        [this] { return reclaim_allowed_ ? NowMs() + clock_offset_ms_ - reclaim_grace_ms_ : 0; });
    ASSERT_TRUE(opened.ok()) << opened;
    opened_ = true;
    store_ = &backend_.store();
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

  void TearDown() override {
    if (opened_) backend_.Close(io_);
    work_.reset();
    thread_.join();
  }

  absl::StatusOr<SeatClaim> Hold(const std::string& seat, SegmentRange range, const std::string& hold,
                                 int64_t expires_at_ms, std::vector<domain::SegmentState> believed = {}) {
    return Run([&] { return store_->HoldSeat(ref_, seat, range, hold, "user-" + hold, expires_at_ms, believed); });
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
  Backend backend_;
  bool opened_ = false;
  SeatStore* store_ = nullptr;
  domain::TripDefinition trip_;
  TripRef ref_{"org", "t1"};
  int64_t clock_offset_ms_ = 0;
  int64_t reclaim_grace_ms_ = 0;
  bool reclaim_allowed_ = true;
};

TYPED_TEST_SUITE_P(SeatStoreContract);

TYPED_TEST_P(SeatStoreContract, OverlappingHoldsConflictDisjointOnesDoNot) {
  const int64_t later = NowMs() + 60000;
  auto a = this->Hold("s1", {0, 1}, "h-a", later);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->applied);
  auto b = this->Hold("s1", {1, 2}, "h-b", later);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_FALSE(b->applied);
  EXPECT_EQ(b->blocking, SeatStatus::kHeld);
  EXPECT_EQ(b->holder_hold_id, "h-a");
  EXPECT_EQ(b->holder_user_id, "user-h-a");
  auto c = this->Hold("s1", {2, 2}, "h-c", later);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->applied);
}

TYPED_TEST_P(SeatStoreContract, AFailedHoldLeavesNoPartialState) {
  const int64_t later = NowMs() + 60000;
  ASSERT_TRUE(this->Hold("s2", {1, 1}, "middle", later)->applied);
  auto whole = this->Hold("s2", {0, 2}, "whole", later);
  ASSERT_TRUE(whole.ok());
  EXPECT_FALSE(whole->applied);
  std::vector<domain::SegmentState> seat = this->Seat("s2");
  EXPECT_EQ(seat[0].status, SeatStatus::kAvailable);
  EXPECT_EQ(seat[1].hold_id, "middle");
  EXPECT_EQ(seat[2].status, SeatStatus::kAvailable);
}

TYPED_TEST_P(SeatStoreContract, AnExpiredHoldIsReclaimedEvenFromAStaleBelief) {
  ASSERT_TRUE(this->Hold("s1", {0, 2}, "old", NowMs() - 1)->applied);  // already expired
  // The caller believes the seat is plainly available (stale): the store
  // reads the truth and reclaims by naming the expired hold.
  std::vector<domain::SegmentState> stale(3);
  auto fresh = this->Hold("s1", {0, 2}, "new", NowMs() + 60000, stale);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_TRUE(fresh->applied);
  for (const domain::SegmentState& s : this->Seat("s1")) EXPECT_EQ(s.hold_id, "new");
}

TYPED_TEST_P(SeatStoreContract, AnExpiredHoldIsReclaimedOnlyAfterTheGraceAndNeverWhileReclaimingIsRefused) {
  this->reclaim_grace_ms_ = 1000;
  ASSERT_TRUE(this->Hold("s1", {0, 0}, "recent", NowMs() - 300)->applied);  // expired 0.3 s ago: within the grace
  auto early = this->Hold("s1", {0, 0}, "early", NowMs() + 60000);
  ASSERT_TRUE(early.ok());
  EXPECT_FALSE(early->applied);
  EXPECT_EQ(early->holder_hold_id, "recent");
  ASSERT_TRUE(this->Hold("s2", {0, 0}, "long-gone", NowMs() - 5000)->applied);
  auto later = this->Hold("s2", {0, 0}, "later", NowMs() + 60000);
  ASSERT_TRUE(later.ok());
  EXPECT_TRUE(later->applied);
  // The clock's skew unknown or too large: nothing is reclaimed, nor blocked.
  this->reclaim_allowed_ = false;
  ASSERT_TRUE(this->Hold("s1", {2, 2}, "very-old", NowMs() - 600000)->applied);
  auto refused = this->Hold("s1", {2, 2}, "thief", NowMs() + 60000);
  ASSERT_TRUE(refused.ok());
  EXPECT_FALSE(refused->applied);
  auto blocked = this->Run([&] { return this->store_->SetBlocked(this->ref_, "s1", 3, true, "maintenance"); });
  ASSERT_TRUE(blocked.ok());
  EXPECT_FALSE(*blocked);
}

// An expired hold whose middle segment another hold reclaimed: its release
// frees the segments it still holds and settles (no endless retry).
TYPED_TEST_P(SeatStoreContract, AReleaseFreesWhatItStillHoldsWhenAnotherTookPartOfItsJourney) {
  ASSERT_TRUE(this->Hold("s1", {0, 2}, "lapsed", NowMs() - 5000)->applied);
  ASSERT_TRUE(this->Hold("s1", {1, 1}, "middle", NowMs() + 60000)->applied);  // reclaims B->C only
  auto released = this->Run([&] { return this->store_->ReleaseSeat(this->ref_, "s1", {0, 2}, "lapsed"); });
  ASSERT_TRUE(released.ok()) << released.status();
  EXPECT_TRUE(*released);
  std::vector<domain::SegmentState> seat = this->Seat("s1");
  EXPECT_EQ(seat[0].status, SeatStatus::kAvailable);
  EXPECT_EQ(seat[1].status, SeatStatus::kHeld);
  EXPECT_EQ(seat[1].hold_id, "middle");
  EXPECT_EQ(seat[2].status, SeatStatus::kAvailable);
  auto again = this->Run([&] { return this->store_->ReleaseSeat(this->ref_, "s1", {0, 2}, "lapsed"); });
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(*again);  // nothing of it left
}

TYPED_TEST_P(SeatStoreContract, OnlyTheOwnerReleasesAndBookingNeedsTheHold) {
  ASSERT_TRUE(this->Hold("s1", {0, 1}, "mine", NowMs() + 60000)->applied);
  auto wrong = this->Run([&] { return this->store_->ReleaseSeat(this->ref_, "s1", {0, 1}, "not-mine"); });
  ASSERT_TRUE(wrong.ok());
  EXPECT_FALSE(*wrong);
  auto bad_book = this->Run([&] { return this->store_->BookSeat(this->ref_, "s1", {0, 1}, "not-mine", "bk-x"); });
  ASSERT_TRUE(bad_book.ok());
  EXPECT_FALSE(*bad_book);
  auto book = this->Run([&] { return this->store_->BookSeat(this->ref_, "s1", {0, 1}, "mine", "bk-mine"); });
  ASSERT_TRUE(book.ok());
  EXPECT_TRUE(*book);
  auto again = this->Run([&] { return this->store_->BookSeat(this->ref_, "s1", {0, 1}, "mine", "bk-mine"); });
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(*again);  // idempotent for the same booking
  auto release = this->Run([&] { return this->store_->ReleaseSeat(this->ref_, "s1", {0, 1}, "mine"); });
  ASSERT_TRUE(release.ok());
  EXPECT_FALSE(*release);  // booked now: a release of the hold frees nothing
  auto unbook = this->Run([&] { return this->store_->UnbookSeat(this->ref_, "s1", {0, 1}, "bk-mine"); });
  ASSERT_TRUE(unbook.ok());
  EXPECT_TRUE(*unbook);
  EXPECT_EQ(this->Seat("s1")[0].status, SeatStatus::kAvailable);
}

TYPED_TEST_P(SeatStoreContract, LiveHoldsPerUserAreLimitedAndExpiredOnesDoNotCount) {
  const int64_t later = NowMs() + 60000;
  auto begin = [&](const std::string& id, int64_t expires) {
    Intent i = HoldIntent("u", id, expires);
    return this->Run([&] { return this->store_->BeginHold(i, 2); });
  };
  auto first = begin("h1", NowMs() - 1);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, LimitOutcome::kRecorded);
  EXPECT_EQ(*begin("h2", later), LimitOutcome::kRecorded);
  EXPECT_EQ(*begin("h3", later), LimitOutcome::kRecorded);  // h1 has expired: it does not count
  EXPECT_EQ(*begin("h4", later), LimitOutcome::kLimitReached);
  // The refused one's marker is the caller's to remove; h2 ends too.
  ASSERT_TRUE(this->Run([&] { return this->store_->EndLive("org", "u", "h4"); }).ok());
  ASSERT_TRUE(this->Run([&] { return this->store_->EndLive("org", "u", "h2"); }).ok());
  EXPECT_EQ(*begin("h5", later), LimitOutcome::kRecorded);
}

TYPED_TEST_P(SeatStoreContract, RacingHoldsOfOneUserNeverExceedTheLimit) {
  for (int round = 0; round < 5; ++round) {
    const std::string user = "racer-" + std::to_string(round);
    constexpr int kRacers = 8;
    std::vector<Intent> intents;
    for (int i = 0; i < kRacers; ++i) {
      intents.push_back(HoldIntent(user, user + "-h" + std::to_string(i), NowMs() + 60000));
    }
    auto outcomes = this->Run([&]() -> asio::awaitable<std::vector<absl::StatusOr<LimitOutcome>>> {
      std::vector<asio::awaitable<absl::StatusOr<LimitOutcome>>> racing;
      for (Intent& i : intents) racing.push_back(this->store_->BeginHold(i, 2));
      co_return co_await Gather(std::move(racing));
    });
    int recorded = 0;
    for (int i = 0; i < kRacers; ++i) {
      ASSERT_TRUE(outcomes[static_cast<size_t>(i)].ok()) << outcomes[static_cast<size_t>(i)].status();
      if (*outcomes[static_cast<size_t>(i)] == LimitOutcome::kRecorded) {
        ++recorded;
      } else {
        const std::string id = user + "-h" + std::to_string(i);
        ASSERT_TRUE(this->Run([&] { return this->store_->EndLive("org", user, id); }).ok());
      }
    }
    EXPECT_LE(recorded, 2) << "round " << round;
    // The refused ones' markers are gone: exactly what the limit leaves is left.
    int more = 0;
    for (int i = 0; i < 3; ++i) {
      Intent later = HoldIntent(user, user + "-later" + std::to_string(i), NowMs() + 60000);
      if (*this->Run([&] { return this->store_->BeginHold(later, 2); }) == LimitOutcome::kRecorded) ++more;
    }
    EXPECT_EQ(recorded + more, 2) << "round " << round;
  }
}

TYPED_TEST_P(SeatStoreContract, AHoldsRecordIsWrittenOnceByWhicheverComesFirst) {
  HoldRecord h = HoldOf("u", "h1", "s1", NowMs() + 60000);
  h.request_key = "k";
  auto made = this->Run([&] { return this->store_->CreateHoldRecord(h); });
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_TRUE(made->applied);
  // The repairer's fence comes too late: the record it finds is active.
  HoldRecord fence = h;
  fence.state = domain::HoldState::kAbandoned;
  auto fenced = this->Run([&] { return this->store_->CreateHoldRecord(fence); });
  ASSERT_TRUE(fenced.ok());
  EXPECT_FALSE(fenced->applied);
  ASSERT_TRUE(fenced->hold.has_value());
  EXPECT_EQ(fenced->hold->state, domain::HoldState::kActive);
  // ...and the other way round.
  HoldRecord h2 = HoldOf("u", "h2", "s1", NowMs() + 60000);
  HoldRecord fence2 = h2;
  fence2.state = domain::HoldState::kAbandoned;
  ASSERT_TRUE(this->Run([&] { return this->store_->CreateHoldRecord(fence2); })->applied);
  auto late = this->Run([&] { return this->store_->CreateHoldRecord(h2); });
  ASSERT_TRUE(late.ok());
  EXPECT_FALSE(late->applied);
  EXPECT_EQ(late->hold->state, domain::HoldState::kAbandoned);
}

TYPED_TEST_P(SeatStoreContract, LedgerStepsApplyOnlyFromTheStateTheyName) {
  HoldRecord h = HoldOf("u", "h1", "s1", NowMs() + 60000);
  ASSERT_TRUE(this->Run([&] { return this->store_->CreateHoldRecord(h); })->applied);
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
  auto began = this->Run([&] { return this->store_->Step(confirm); });
  ASSERT_TRUE(began.ok()) << began.status();
  EXPECT_TRUE(began->applied);
  // A release racing it names `active`: it does not apply, and says why.
  LedgerStep release;
  release.organization_id = "org";
  release.user_id = "u";
  release.hold_id = "h1";
  release.hold_from = domain::HoldState::kActive;
  release.hold_to = domain::HoldState::kReleasing;
  auto lost = this->Run([&] { return this->store_->Step(release); });
  ASSERT_TRUE(lost.ok());
  EXPECT_FALSE(lost->applied);
  ASSERT_TRUE(lost->hold.has_value());
  EXPECT_EQ(lost->hold->state, domain::HoldState::kConfirming);
  EXPECT_EQ(lost->hold->order_id, "o1");
  // A second confirm for another order loses the same way.
  LedgerStep other = confirm;
  other.order_id = "o2";
  other.new_booking->order_id = "o2";
  auto other_lost = this->Run([&] { return this->store_->Step(other); });
  ASSERT_TRUE(other_lost.ok());
  EXPECT_FALSE(other_lost->applied);
  ASSERT_TRUE(other_lost->booking.has_value());
  EXPECT_EQ(other_lost->booking->order_id, "o1");
  // The same confirm again is "in place" (a retry finds its own step).
  auto retried = this->Run([&] { return this->store_->Step(confirm); });
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
  ASSERT_TRUE(this->Run([&] { return this->store_->Step(commit); })->applied);
  auto booking = this->Run([&] { return this->store_->GetBooking("org", "u", "bk-h1"); });
  ASSERT_TRUE(booking.ok() && booking->has_value());
  EXPECT_EQ((*booking)->state, domain::BookingState::kConfirmed);
  // A step the lifecycle does not allow is refused before anything is sent.
  LedgerStep backwards = commit;
  backwards.hold_from = domain::HoldState::kConfirmed;
  backwards.hold_to = domain::HoldState::kActive;
  EXPECT_EQ(this->Run([&] { return this->store_->Step(backwards); }).status().code(), absl::StatusCode::kInternal);
}

TYPED_TEST_P(SeatStoreContract, IntentsAreFoundByWindowAndDroppedIdempotently) {
  Intent a = HoldIntent("u", "ha", NowMs() + 60000);
  Intent b = HoldIntent("v", "hb", NowMs() + 60000);
  ASSERT_TRUE(this->Run([&] { return this->store_->RecordIntent(a); }).ok());
  ASSERT_TRUE(this->Run([&] { return this->store_->BeginHold(b, 2); }).ok());  // a hold's start records its intent
  auto found = this->Run([&] { return this->store_->IntentsIn(a.key.window); });
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
  ASSERT_TRUE(this->Run([&] { return this->store_->DropIntents(keys); }).ok());
  ASSERT_TRUE(this->Run([&] { return this->store_->DropIntents(keys); }).ok());
  auto after = this->Run([&] { return this->store_->IntentsIn(a.key.window); });
  ASSERT_TRUE(after.ok());
  for (const Intent& i : *after) EXPECT_NE(i.hold_id, "ha");
  // The shared progress.
  auto none = this->Run([&] { return this->store_->RepairedBefore(); });
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(this->Run([&] { return this->store_->SetRepairedBefore(42); }).ok());
  EXPECT_EQ(this->Run([&] { return this->store_->RepairedBefore(); })->value_or(0), 42);
}

TYPED_TEST_P(SeatStoreContract, ReloadingTheSameTripNeverResetsSeats) {
  ASSERT_TRUE(this->Hold("s2", {0, 2}, "kept", NowMs() + 60000)->applied);
  auto again = this->Run([&] { return this->store_->CreateTrip(this->trip_); });
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, CreateTripOutcome::kUnchanged);
  EXPECT_EQ(this->Seat("s2")[1].hold_id, "kept");
  domain::TripDefinition changed = this->trip_;
  changed.seats[0].price_paisa = 5;
  auto conflict = this->Run([&] { return this->store_->CreateTrip(changed); });
  ASSERT_TRUE(conflict.ok());
  EXPECT_EQ(*conflict, CreateTripOutcome::kConflict);
  auto missing = this->Run([&] { return this->store_->LoadSnapshot(TripRef{"org", "nope"}); });
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}


TYPED_TEST_P(SeatStoreContract, WaitlistPositionsCountPendingEntriesInJoiningOrder) {
  auto join = [&](const std::string& user, const std::string& seat_class) {
    WaitlistEntry e;
    e.organization_id = "org";
    e.trip_id = "t1";
    e.user_id = user;
    e.seat_class = seat_class;
    e.requested_seats = 2;
    return this->Run([&] { return this->store_->JoinWaitlist(e); });
  };
  auto first = join("w1", "eco");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->position, 1);
  EXPECT_EQ(first->status, "pending");
  EXPECT_FALSE(first->entry_id.empty());
  EXPECT_EQ(join("w2", "eco")->position, 2);
  EXPECT_EQ(join("w3", "business")->position, 1);  // another class, another queue
  // Joining again is the same entry, at the same place.
  auto again = join("w1", "eco");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->entry_id, first->entry_id);
  EXPECT_EQ(again->position, 1);
  auto mine = this->Run([&] { return this->store_->UserWaitlist("w2", ""); });
  ASSERT_TRUE(mine.ok()) << mine.status();
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ((*mine)[0].position, 2);
  EXPECT_EQ((*mine)[0].requested_seats, 2);
  auto elsewhere = this->Run([&] { return this->store_->UserWaitlist("w2", "other-org"); });
  ASSERT_TRUE(elsewhere.ok());
  EXPECT_TRUE(elsewhere->empty());
}

REGISTER_TYPED_TEST_SUITE_P(SeatStoreContract,
                            OverlappingHoldsConflictDisjointOnesDoNot,
                            AFailedHoldLeavesNoPartialState,
                            AnExpiredHoldIsReclaimedEvenFromAStaleBelief,
                            AnExpiredHoldIsReclaimedOnlyAfterTheGraceAndNeverWhileReclaimingIsRefused,
                            AReleaseFreesWhatItStillHoldsWhenAnotherTookPartOfItsJourney,
                            OnlyTheOwnerReleasesAndBookingNeedsTheHold,
                            LiveHoldsPerUserAreLimitedAndExpiredOnesDoNotCount,
                            RacingHoldsOfOneUserNeverExceedTheLimit,
                            AHoldsRecordIsWrittenOnceByWhicheverComesFirst,
                            LedgerStepsApplyOnlyFromTheStateTheyName,
                            IntentsAreFoundByWindowAndDroppedIdempotently,
                            ReloadingTheSameTripNeverResetsSeats,
                            WaitlistPositionsCountPendingEntriesInJoiningOrder);

}  // namespace inventory::storage::testing
