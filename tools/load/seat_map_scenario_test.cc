#include "seat_map_scenario.h"

#include <gtest/gtest.h>

#include <set>

namespace inventory::load {
namespace {

namespace v1 = inventory::v1;

v1::GetSeatMapResponse MapWith(int rows, int per_row) {
  v1::GetSeatMapResponse map;
  for (int r = 1; r <= rows; ++r) {
    v1::SeatRow* row = map.add_rows();
    row->set_row_number(r);
    for (int c = 1; c <= per_row; ++c) row->add_seats()->set_seat_id(GridSeatId(r, c));
  }
  return map;
}

TEST(SeatMapScenarioTest, LayoutIsSixtySeatsOverFiveSegments) {
  const auto req = GridTripRequest("t", "o", SeatMapScenario::Layout(), 0);
  EXPECT_EQ(req.segments_size(), 5);
  EXPECT_EQ(req.seat_config().seats_size(), 60);
  EXPECT_EQ(req.seat_config().seats(59).seat_id(), "R15C04");
}

TEST(SeatMapScenarioTest, SetUpHoldsAreDistinctSeatsUsersAndSegments) {
  std::set<std::string> seats, users, from;
  for (int i = 0; i < SeatMapScenario::kHeldSeats; ++i) {
    const auto req = SeatMapScenario::SetUpHold("t1", "org1", i);
    ASSERT_EQ(req.seat_ids_size(), 1);
    seats.insert(req.seat_ids(0));
    users.insert(req.user_id());
    from.insert(req.from_station_id());
    EXPECT_EQ(req.trip_id(), "t1");
    EXPECT_EQ(req.organization_id(), "org1");
    EXPECT_LT(req.from_station_id(), req.to_station_id());  // A..F: one stop apart
    EXPECT_EQ(req.to_station_id()[0], req.from_station_id()[0] + 1);
    EXPECT_GT(req.hold_duration_seconds(), 0);
  }
  EXPECT_EQ(seats.size(), 5u);
  EXPECT_EQ(users.size(), 5u);
  EXPECT_EQ(from.size(), 5u);
  EXPECT_EQ(SeatMapScenario::SetUpHold("t1", "org1", 0).seat_ids(0), "R01C01");
  EXPECT_EQ(SeatMapScenario::SetUpHold("t1", "org1", 4).seat_ids(0), "R13C01");
}

TEST(SeatMapScenarioTest, MapRequestIsTheWholeTrip) {
  const auto req = SeatMapScenario::MapRequest("t1", "org1");
  EXPECT_EQ(req.trip_id(), "t1");
  EXPECT_EQ(req.organization_id(), "org1");
  EXPECT_TRUE(req.from_station_id().empty());
  EXPECT_TRUE(req.to_station_id().empty());
}

TEST(SeatMapScenarioTest, ClassifiesByStatusAndSeatCount) {
  EXPECT_EQ(SeatMapScenario::CountSeats(MapWith(15, 4)), 60);
  EXPECT_EQ(SeatMapScenario::ClassifySeatMap(grpc::Status::OK, MapWith(15, 4), 60).kind, OutcomeKind::kSuccess);
  const Outcome short_map = SeatMapScenario::ClassifySeatMap(grpc::Status::OK, MapWith(14, 4), 60);
  EXPECT_EQ(short_map.kind, OutcomeKind::kOtherRefusal);
  EXPECT_EQ(short_map.detail, "seat map has 56 seats, expected 60");
  const Outcome error =
      SeatMapScenario::ClassifySeatMap(grpc::Status(grpc::StatusCode::NOT_FOUND, "no trip"), MapWith(15, 4), 60);
  EXPECT_EQ(error.kind, OutcomeKind::kError);
  EXPECT_EQ(error.code, grpc::StatusCode::NOT_FOUND);
}

TEST(SeatMapScenarioTest, CheckWantsEveryMapRight) {
  SeatMapScenario scenario(nullptr, ScenarioOptions());
  OutcomeTally t;
  for (int i = 0; i < 3; ++i) t.Add({OutcomeKind::kSuccess, grpc::StatusCode::OK, ""});
  EXPECT_TRUE(scenario.Check(t, 3).empty());
  t.Add({OutcomeKind::kOtherRefusal, grpc::StatusCode::OK, "seat map has 59 seats, expected 60"});
  EXPECT_EQ(scenario.Check(t, 4).size(), 1u);
  t.Add({OutcomeKind::kError, grpc::StatusCode::DEADLINE_EXCEEDED, ""});
  EXPECT_EQ(scenario.Check(t, 5).size(), 2u);
}

}  // namespace
}  // namespace inventory::load
