#include "service/seat_map_rows.h"

#include <gtest/gtest.h>
#include <google/protobuf/util/message_differencer.h>

#include <memory>
#include <string>

#include "inventory/v1/inventory.pb.h"
#include "service/seat_map_view.h"

namespace inventory::service {
namespace {

constexpr int64_t kNow = 1'800'000'000'000;

// 3 rows of 4 seats (listed out of order), 3 segments, two classes.
std::shared_ptr<domain::TripSnapshot> Trip() {
  auto s = std::make_shared<domain::TripSnapshot>();
  s->trip.vehicle_id = "bus-7";
  s->trip.vehicle_type = "bus";
  for (int i = 11; i >= 0; --i) {
    const std::string id = "S" + std::to_string(i);
    s->trip.seats.push_back({id, id, 1 + i / 4, 1 + i % 4, "seater", i < 4 ? "premium" : "standard", 1000 + i,
                             i == 0, true, false});
  }
  s->stations = {"A", "B", "C", "D"};
  s->states.assign(s->trip.seats.size(), std::vector<domain::SegmentState>(3));
  s->IndexSeats();
  return s;
}

void Hold(domain::TripSnapshot& t, const std::string& seat, int segment, int64_t expires) {
  domain::SegmentState& st = t.states[static_cast<size_t>(t.SeatIndex(seat))][static_cast<size_t>(segment)];
  st.status = domain::SeatStatus::kHeld;
  st.hold_id = "h-" + seat;
  st.expires_at_ms = expires;
  ++t.version;
}

// The answer parses to what BuildSeatMap builds, and says as long valid.
::testing::AssertionResult SameAsBuilt(SeatMapRows& rows, const std::shared_ptr<domain::TripSnapshot>& t,
                                       domain::SegmentRange range, int64_t now) {
  int64_t valid_rows = 0, valid_built = 0;
  std::shared_ptr<const std::string> bytes = rows.Serialize(t, range, now, &valid_rows);
  const v1::GetSeatMapResponse built = BuildSeatMap(*t, range, now, &valid_built);
  v1::GetSeatMapResponse parsed;
  if (!parsed.ParseFromString(*bytes)) return ::testing::AssertionFailure() << "does not parse";
  std::string diff;
  google::protobuf::util::MessageDifferencer d;
  d.ReportDifferencesToString(&diff);
  if (!d.Compare(built, parsed)) return ::testing::AssertionFailure() << diff;
  if (valid_rows != valid_built) return ::testing::AssertionFailure() << valid_rows << " != " << valid_built;
  return ::testing::AssertionSuccess();
}

TEST(SeatMapRowsTest, AnswersWhatBuildSeatMapBuildsAndEncodesOnlyTheRowsThatChanged) {
  std::shared_ptr<domain::TripSnapshot> t = Trip();
  SeatMapRows rows;
  ASSERT_TRUE(SameAsBuilt(rows, t, {0, 2}, kNow));
  EXPECT_EQ(rows.rows_encoded(), 3u);
  EXPECT_GT(rows.EstimatedBytes(), 0u);

  Hold(*t, "S5", 1, kNow + 60'000);  // row 2
  ASSERT_TRUE(SameAsBuilt(rows, t, {0, 2}, kNow));
  EXPECT_EQ(rows.rows_encoded(), 4u);
  EXPECT_EQ(rows.rows_reused(), 2u);

  // Nothing shows differently: nothing encoded.
  ASSERT_TRUE(SameAsBuilt(rows, t, {0, 2}, kNow + 1));
  EXPECT_EQ(rows.rows_encoded(), 4u);

  // The hold expires: its row shows the seat free again.
  ASSERT_TRUE(SameAsBuilt(rows, t, {0, 2}, kNow + 60'000));
  EXPECT_EQ(rows.rows_encoded(), 5u);
}

TEST(SeatMapRowsTest, AnotherJourneyOrAnotherCopyOfTheTripStartsOver) {
  std::shared_ptr<domain::TripSnapshot> t = Trip();
  Hold(*t, "S0", 0, kNow + 60'000);
  SeatMapRows rows;
  ASSERT_TRUE(SameAsBuilt(rows, t, {0, 2}, kNow));
  ASSERT_TRUE(SameAsBuilt(rows, t, {1, 2}, kNow));  // S0 is free from B
  EXPECT_EQ(rows.rows_encoded(), 6u);
  std::shared_ptr<domain::TripSnapshot> reloaded = Trip();
  ASSERT_TRUE(SameAsBuilt(rows, reloaded, {1, 2}, kNow));
  EXPECT_EQ(rows.rows_encoded(), 9u);
}

}  // namespace
}  // namespace inventory::service
