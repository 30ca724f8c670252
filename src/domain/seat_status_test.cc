#include "domain/seat_status.h"

#include <gtest/gtest.h>

#include <vector>

namespace inventory::domain {
namespace {

constexpr int64_t kNow = 1'000'000;

SegmentState Held(int64_t expires) { return {SeatStatus::kHeld, "h1", "", expires, ""}; }
SegmentState Free() { return {}; }
SegmentState Booked() { return {SeatStatus::kBooked, "", "b1", 0, ""}; }
SegmentState Blocked() { return {SeatStatus::kBlocked, "", "", 0, ""}; }

TEST(SeatStatusTest, ExpiredHoldIsAvailable) {
  EXPECT_EQ(EffectiveStatus(Held(kNow + 1), kNow), SeatStatus::kHeld);
  EXPECT_EQ(EffectiveStatus(Held(kNow), kNow), SeatStatus::kAvailable);
  EXPECT_EQ(EffectiveStatus(Held(kNow - 1), kNow), SeatStatus::kAvailable);
}

TEST(SeatStatusTest, FreeOnlyIfFreeOnEverySegmentOfTheJourney) {
  std::vector<SegmentState> seat = {Booked(), Free(), Free()};
  EXPECT_EQ(StatusOver(seat, {0, 2}, kNow).status, SeatStatus::kBooked);
  EXPECT_EQ(StatusOver(seat, {1, 2}, kNow).status, SeatStatus::kAvailable);
  EXPECT_EQ(StatusOver(seat, {0, 0}, kNow).status, SeatStatus::kBooked);
}

TEST(SeatStatusTest, PrecedenceIsBookedThenBlockedThenHeld) {
  std::vector<SegmentState> seat = {Held(kNow + 5), Blocked(), Booked()};
  EXPECT_EQ(StatusOver(seat, {0, 2}, kNow).status, SeatStatus::kBooked);
  EXPECT_EQ(StatusOver(seat, {0, 1}, kNow).status, SeatStatus::kBlocked);
  auto held = StatusOver(seat, {0, 0}, kNow);
  EXPECT_EQ(held.status, SeatStatus::kHeld);
  EXPECT_EQ(held.hold_expires_at_ms, kNow + 5);
  EXPECT_EQ(StatusOver(seat, {0, 1}, kNow).hold_expires_at_ms, 0);
}

TEST(SeatStatusTest, NamesRoundTrip) {
  for (SeatStatus s : {SeatStatus::kAvailable, SeatStatus::kHeld, SeatStatus::kBooked, SeatStatus::kBlocked}) {
    EXPECT_EQ(StatusFromName(StatusName(s)), s);
  }
  EXPECT_EQ(StatusFromName(""), SeatStatus::kAvailable);
  EXPECT_EQ(StatusFromName("garbage"), SeatStatus::kAvailable);
}

TEST(SeatStatusTest, TakenForUserRefusesOthersHoldsBookingsAndBlocksOnTheJourneyOnly) {
  SegmentState mine = Held(kNow + 1000);
  mine.user_id = "ann";
  SegmentState theirs = Held(kNow + 1000);
  theirs.user_id = "bob";
  SegmentState expired = Held(kNow);
  expired.user_id = "bob";
  std::vector<SegmentState> seat = {theirs, Free(), mine, expired, Booked(), Blocked()};
  EXPECT_TRUE(TakenForUser(seat, {0, 0}, "ann", kNow));
  EXPECT_FALSE(TakenForUser(seat, {0, 0}, "bob", kNow));
  EXPECT_FALSE(TakenForUser(seat, {1, 3}, "ann", kNow));  // own hold and an expired one
  EXPECT_TRUE(TakenForUser(seat, {2, 2}, "bob", kNow));
  EXPECT_TRUE(TakenForUser(seat, {3, 4}, "ann", kNow));
  EXPECT_TRUE(TakenForUser(seat, {5, 5}, "ann", kNow));
  EXPECT_FALSE(TakenForUser(seat, {1, 1}, "", kNow));
}

}  // namespace
}  // namespace inventory::domain
