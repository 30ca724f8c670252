#include "domain/trip_snapshot.h"

#include <gtest/gtest.h>

namespace inventory::domain {
namespace {

constexpr int64_t kNow = 5'000'000;

TripSnapshot ThreeSeatsTwoSegments() {
  TripSnapshot s;
  s.trip.segments = {{0, "A", "B", 0, 0}, {1, "B", "C", 0, 0}};
  s.trip.seats = {{"s1", "1A", 1, 1, "window", "economy", 700},
                  {"s2", "1B", 1, 2, "aisle", "economy", 500},
                  {"s3", "2A", 2, 1, "window", "business", 1500}};
  s.stations = s.trip.Stations();
  s.states.assign(3, std::vector<SegmentState>(2));
  return s;
}

TEST(TripSnapshotTest, SeatIndexIsTheSameScannedOrIndexedAndCopiesKeepTheirOwnIndex) {
  TripSnapshot s = ThreeSeatsTwoSegments();
  EXPECT_EQ(s.SeatIndex("s2"), 1);
  EXPECT_EQ(s.SeatIndex("nope"), -1);
  s.IndexSeats();
  EXPECT_EQ(s.SeatIndex("s1"), 0);
  EXPECT_EQ(s.SeatIndex("s3"), 2);
  EXPECT_EQ(s.SeatIndex("nope"), -1);
  EXPECT_EQ(s.SeatIndex(""), -1);
  TripSnapshot copy = s;
  s = ThreeSeatsTwoSegments();  // the original's seats are gone
  EXPECT_EQ(copy.SeatIndex("s3"), 2);
}

TEST(TripSnapshotTest, AllFree) {
  TripSnapshot s = ThreeSeatsTwoSegments();
  Availability a = ComputeAvailability(s, {0, 1}, "", 2, kNow);
  EXPECT_EQ(a.available, 3);
  EXPECT_TRUE(a.is_available);
  EXPECT_EQ(a.cheapest_price_paisa, 1200);
  ASSERT_EQ(a.free_seats.size(), 3u);
  EXPECT_EQ(a.free_seats[0]->seat_id, "s1");
  EXPECT_EQ(a.free_seats[2]->seat_id, "s3");
}

TEST(TripSnapshotTest, SeatBookedOnOneSegmentIsFreeOnTheOther) {
  TripSnapshot s = ThreeSeatsTwoSegments();
  s.states[1][0] = {SeatStatus::kBooked, "", "b", 0, ""};
  EXPECT_EQ(ComputeAvailability(s, {0, 1}, "", 1, kNow).available, 2);
  EXPECT_EQ(ComputeAvailability(s, {1, 1}, "", 1, kNow).available, 3);
  EXPECT_EQ(ComputeAvailability(s, {1, 1}, "", 1, kNow).cheapest_price_paisa, 500);
}

TEST(TripSnapshotTest, ClassFilterPassengersAndExpiredHolds) {
  TripSnapshot s = ThreeSeatsTwoSegments();
  s.states[2][1] = {SeatStatus::kHeld, "h", "", kNow + 1000, ""};
  Availability business = ComputeAvailability(s, {0, 1}, "business", 1, kNow);
  EXPECT_EQ(business.available, 0);
  EXPECT_FALSE(business.is_available);
  EXPECT_EQ(business.cheapest_price_paisa, 0);
  // Once the hold has expired the seat is free again.
  EXPECT_EQ(ComputeAvailability(s, {0, 1}, "business", 1, kNow + 1000).available, 1);
  Availability three = ComputeAvailability(s, {0, 1}, "economy", 3, kNow);
  EXPECT_EQ(three.available, 2);
  EXPECT_FALSE(three.is_available);
  EXPECT_EQ(ComputeAvailability(s, {0, 1}, "economy", 0, kNow).is_available, true);
  EXPECT_EQ(s.SeatIndex("s2"), 1);
  EXPECT_EQ(s.SeatIndex("nope"), -1);
}

TEST(TripSnapshotTest, EstimatedBytesCountStatesDefinitionsIndexAndHeldStrings) {
  TripSnapshot s = ThreeSeatsTwoSegments();
  const size_t base = s.EstimatedBytes();
  EXPECT_GE(base, sizeof(TripSnapshot) + 3 * sizeof(SeatDefinition) + 6 * sizeof(SegmentState));
  s.IndexSeats();
  const size_t indexed = s.EstimatedBytes();
  EXPECT_GT(indexed, base + 3 * sizeof(std::string));
  // Ids too long to be kept inline take their own memory; short ones none.
  s.states[0][1].hold_id = "h";
  EXPECT_EQ(s.EstimatedBytes(), indexed);
  s.states[0][1].hold_id = std::string(100, 'h');
  s.states[0][1].user_id = std::string(50, 'u');
  EXPECT_GE(s.EstimatedBytes(), indexed + 150);
  EXPECT_EQ(s.EstimatedBytes() - indexed, StatesHeapBytes(s.states[0]));
  const size_t held = s.EstimatedBytes();
  s.ended_owners.Add(std::string(100, 'o'));
  EXPECT_GE(s.EstimatedBytes(), held + 2 * 100);
  // Linear in seats x segments.
  TripSnapshot wide = ThreeSeatsTwoSegments();
  wide.states.assign(3, std::vector<SegmentState>(40));
  EXPECT_GE(wide.EstimatedBytes(), base + 3 * 38 * sizeof(SegmentState));
}

}  // namespace
}  // namespace inventory::domain
