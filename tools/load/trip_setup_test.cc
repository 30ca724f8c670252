#include "trip_setup.h"

#include <gtest/gtest.h>

#include <set>

namespace inventory::load {
namespace {

TEST(TripSetupTest, GridSeatIdsAreTwoDigitRowAndColumn) {
  EXPECT_EQ(GridSeatId(1, 1), "R01C01");
  EXPECT_EQ(GridSeatId(12, 7), "R12C07");
  EXPECT_EQ(GridSeatId(50, 20), "R50C20");
  EXPECT_EQ(GridSeatIdAt(0, 20), "R01C01");
  EXPECT_EQ(GridSeatIdAt(19, 20), "R01C20");
  EXPECT_EQ(GridSeatIdAt(20, 20), "R02C01");
  EXPECT_EQ(GridSeatIdAt(999, 20), "R50C20");
  EXPECT_EQ(GridSeatIdAt(5, 4), "R02C02");
}

TEST(TripSetupTest, RunTagsCarryPrefixTimeAndSixHexDigits) {
  EXPECT_EQ(FormatRunTag("spread", 1700000000123, 0xabcdef), "spread-1700000000123-abcdef");
  EXPECT_EQ(FormatRunTag("f", 5, 0xff000001), "f-5-000001");
  EXPECT_EQ(MakeRunTag("x").substr(0, 2), "x-");
}

TEST(TripSetupTest, GridTripRequestHasOneSegmentPerStopPairAndEverySeat) {
  TripLayout layout;
  layout.stations = {"A", "B", "C", "D", "E"};
  layout.rows = 3;
  layout.columns = 5;
  layout.price_paisa = 1234;
  const auto req = GridTripRequest("t1", "org1", layout, 1'000'000);
  EXPECT_EQ(req.trip_id(), "t1");
  EXPECT_EQ(req.organization_id(), "org1");
  EXPECT_FALSE(req.vehicle_id().empty());
  ASSERT_EQ(req.segments_size(), 4);
  for (int i = 0; i < 4; ++i) {
    const auto& seg = req.segments(i);
    EXPECT_EQ(seg.segment_index(), i);
    EXPECT_EQ(seg.from_station_id(), layout.stations[static_cast<size_t>(i)]);
    EXPECT_EQ(seg.to_station_id(), layout.stations[static_cast<size_t>(i) + 1]);
    EXPECT_LT(seg.departure_time(), seg.arrival_time());
    if (i > 0) {
      EXPECT_LE(req.segments(i - 1).arrival_time(), seg.departure_time());
    }
  }
  EXPECT_GT(req.segments(0).departure_time(), 1'000'000);
  EXPECT_EQ(req.seat_config().total_seats(), 15);
  ASSERT_EQ(req.seat_config().seats_size(), 15);
  std::set<std::string> ids;
  std::set<std::pair<int, int>> places;
  for (const auto& seat : req.seat_config().seats()) {
    ids.insert(seat.seat_id());
    places.insert({seat.row(), seat.column()});
    EXPECT_EQ(seat.seat_id(), GridSeatId(seat.row(), seat.column()));
    EXPECT_EQ(seat.price_paisa(), 1234);
    EXPECT_EQ(seat.seat_class(), "economy");
  }
  EXPECT_EQ(ids.size(), 15u);
  EXPECT_EQ(places.size(), 15u);
  EXPECT_EQ(req.seat_config().seats(0).seat_id(), "R01C01");
  EXPECT_EQ(req.seat_config().seats(0).seat_type(), "window");
  EXPECT_EQ(req.seat_config().seats(1).seat_type(), "aisle");
  EXPECT_EQ(req.seat_config().seats(4).seat_type(), "window");
  EXPECT_EQ(req.seat_config().seats(14).seat_id(), "R03C05");
}

}  // namespace
}  // namespace inventory::load
