#include "big_trip_scenario.h"

#include <gtest/gtest.h>

#include <set>

namespace inventory::load {
namespace {

TEST(BigTripScenarioTest, TwoThousandSeatsOverTwentySegments) {
  const TripLayout layout = BigTripScenario::Layout();
  EXPECT_EQ(layout.rows * layout.columns, 2000);
  ASSERT_EQ(layout.stations.size(), 21u);
  EXPECT_EQ(layout.stations.front(), "S00");
  EXPECT_EQ(layout.stations.back(), "S20");
}

TEST(BigTripScenarioTest, EveryHundredthRequestHoldsADistinctCellByItsOwnUser) {
  EXPECT_TRUE(BigTripScenario::IsChange(0));
  EXPECT_FALSE(BigTripScenario::IsChange(1));
  EXPECT_TRUE(BigTripScenario::IsChange(100));
  std::set<std::string> cells, users;
  for (int64_t n = 0; n < 100 * 4500; n += 100) {
    const auto req = BigTripScenario::ChangeRequest("t", "o", n);
    ASSERT_EQ(req.seat_ids_size(), 1);
    EXPECT_TRUE(cells.insert(req.seat_ids(0) + "@" + req.from_station_id()).second) << n;
    EXPECT_TRUE(users.insert(req.user_id()).second);
    EXPECT_EQ(req.trip_id(), "t");
    EXPECT_EQ(req.organization_id(), "o");
  }
  const auto first = BigTripScenario::ChangeRequest("t", "o", 0);
  EXPECT_EQ(first.seat_ids(0), "R01C01");
  EXPECT_EQ(first.from_station_id(), "S00");
  EXPECT_EQ(first.to_station_id(), "S01");
}

}  // namespace
}  // namespace inventory::load
