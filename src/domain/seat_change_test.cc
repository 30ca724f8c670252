#include "domain/seat_change.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace inventory::domain {
namespace {

using Kind = SeatChange::Kind;

SeatChange Held(const std::string& hold, SegmentRange r = {0, 2}, const std::string& user = "u1") {
  return {"1A", r, Kind::kHeld, hold, user, 5000, ""};
}
SeatChange Booked(const std::string& booking, const std::string& hold, SegmentRange r = {0, 2}) {
  return {"1A", r, Kind::kBooked, booking, "u1", 0, hold};
}
SeatChange Freed(const std::string& owner, SegmentRange r = {0, 2}, const std::string& previous = "") {
  return {"1A", r, Kind::kFreed, owner, "", 0, previous};
}

std::vector<SegmentState> Apply(const std::vector<SeatChange>& changes, size_t segments = 3) {
  std::vector<SegmentState> seat(segments);
  EndedOwners ended;
  for (const SeatChange& c : changes) ApplySeatChange(seat, c, ended);
  return seat;
}

TEST(SeatChangeTest, InOrderLifeOfAHoldAndItsBooking) {
  auto seat = Apply({Held("h1")});
  for (const SegmentState& s : seat) {
    EXPECT_EQ(s.status, SeatStatus::kHeld);
    EXPECT_EQ(s.hold_id, "h1");
    EXPECT_EQ(s.user_id, "u1");
    EXPECT_EQ(s.expires_at_ms, 5000);
  }
  seat = Apply({Held("h1"), Booked("bk-h1", "h1")});
  for (const SegmentState& s : seat) {
    EXPECT_EQ(s.status, SeatStatus::kBooked);
    EXPECT_EQ(s.booking_id, "bk-h1");
  }
  seat = Apply({Held("h1"), Booked("bk-h1", "h1"), Freed("bk-h1")});
  for (const SegmentState& s : seat) EXPECT_EQ(s, SegmentState{});
}

TEST(SeatChangeTest, AHoldAnnouncedAfterItsReleaseIsIgnored) {
  // Published late: the release (on another instance) overtook the hold.
  auto seat = Apply({Freed("h1"), Held("h1")});
  for (const SegmentState& s : seat) EXPECT_EQ(s.status, SeatStatus::kAvailable);
  // ...also when the next holder came in between.
  seat = Apply({Freed("h1"), Held("h2"), Held("h1")});
  for (const SegmentState& s : seat) EXPECT_EQ(s.hold_id, "h2");
}

TEST(SeatChangeTest, ALateReleaseOfAnEarlierOwnerLeavesTheNewOwner) {
  auto seat = Apply({Held("h1"), Held("h2"), Freed("h1")});
  for (const SegmentState& s : seat) EXPECT_EQ(s.hold_id, "h2");
  seat = Apply({Held("h1"), Booked("bk-h1", "h1"), Freed("h1")});
  for (const SegmentState& s : seat) EXPECT_EQ(s.booking_id, "bk-h1");
}

TEST(SeatChangeTest, ABookingEndsItsHoldSoALateHoldAnnouncementIsIgnored) {
  auto seat = Apply({Booked("bk-h1", "h1"), Held("h1")});
  for (const SegmentState& s : seat) EXPECT_EQ(s.status, SeatStatus::kBooked);
  // A cancelled booking's late announcement is ignored too.
  seat = Apply({Freed("bk-h1"), Booked("bk-h1", "h1")});
  for (const SegmentState& s : seat) EXPECT_EQ(s.status, SeatStatus::kAvailable);
}

TEST(SeatChangeTest, EveryOrderOfOneOwnersLifeEndsFree) {
  // Whatever order hold / booking / cancel of one owner arrive in, the copy
  // never ends up showing it as taken once its end has been seen.
  std::vector<SeatChange> life = {Held("h1"), Booked("bk-h1", "h1"), Freed("bk-h1", {0, 2}, "h1")};
  std::vector<int> order = {0, 1, 2};
  do {
    std::vector<SeatChange> delivered;
    for (int i : order) delivered.push_back(life[static_cast<size_t>(i)]);
    for (const SegmentState& s : Apply(delivered)) {
      EXPECT_EQ(s.status, SeatStatus::kAvailable) << order[0] << order[1] << order[2];
    }
  } while (std::next_permutation(order.begin(), order.end()));
  std::vector<SeatChange> released = {Held("h1"), Freed("h1")};
  std::reverse(released.begin(), released.end());
  for (const SegmentState& s : Apply(released)) EXPECT_EQ(s.status, SeatStatus::kAvailable);
}

TEST(SeatChangeTest, OnlyTheRangeIsTouchedAndOtherOwnersAreKept) {
  auto seat = Apply({Held("h1", {0, 0}), Held("h2", {1, 2}, "u2"), Freed("h1", {0, 2})});
  EXPECT_EQ(seat[0].status, SeatStatus::kAvailable);
  EXPECT_EQ(seat[1].hold_id, "h2");
  EXPECT_EQ(seat[2].hold_id, "h2");
  // A range past the seat's segments is clipped, never out of bounds.
  seat = Apply({Held("h3", {1, 9})}, 3);
  EXPECT_EQ(seat[0].status, SeatStatus::kAvailable);
  EXPECT_EQ(seat[2].hold_id, "h3");
}

TEST(SeatChangeTest, BlocksAndUnblocks) {
  auto seat = Apply({{"1A", {0, 2}, Kind::kBlocked, "", "", 0, ""}});
  for (const SegmentState& s : seat) EXPECT_EQ(s.status, SeatStatus::kBlocked);
  seat = Apply({{"1A", {0, 2}, Kind::kBlocked, "", "", 0, ""}, {"1A", {0, 2}, Kind::kUnblocked, "", "", 0, ""}});
  for (const SegmentState& s : seat) EXPECT_EQ(s.status, SeatStatus::kAvailable);
  // Unblocking never frees a held seat.
  seat = Apply({Held("h1"), {"1A", {0, 2}, Kind::kUnblocked, "", "", 0, ""}});
  for (const SegmentState& s : seat) EXPECT_EQ(s.hold_id, "h1");
}

TEST(SeatChangeTest, ReportsWhetherAnythingChanged) {
  std::vector<SegmentState> seat(3);
  EndedOwners ended;
  EXPECT_TRUE(ApplySeatChange(seat, Held("h1"), ended));
  EXPECT_FALSE(ApplySeatChange(seat, Held("h1"), ended));  // said twice
  EXPECT_FALSE(ApplySeatChange(seat, Freed("h9"), ended));
  EXPECT_TRUE(ApplySeatChange(seat, Freed("h1"), ended));
  EXPECT_FALSE(ApplySeatChange(seat, Freed("h1"), ended));
}

TEST(SeatChangeTest, EndedOwnersIsBounded) {
  EndedOwners ended(3);
  for (const char* id : {"a", "b", "c", "d"}) ended.Add(id);
  EXPECT_EQ(ended.size(), 3u);
  EXPECT_FALSE(ended.Contains("a"));
  EXPECT_TRUE(ended.Contains("d"));
  ended.Add("d");
  EXPECT_EQ(ended.size(), 3u);
  ended.Add("");
  EXPECT_FALSE(ended.Contains(""));
}

}  // namespace
}  // namespace inventory::domain
