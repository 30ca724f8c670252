#include "hot_seat_scenario.h"

#include <gtest/gtest.h>

#include <set>

namespace inventory::load {
namespace {

TEST(HotSeatScenarioTest, SeatIdsAreTheFourByFourLayout) {
  const std::vector<std::string> ids = HotSeatScenario::SeatIds();
  ASSERT_EQ(ids.size(), 16u);
  EXPECT_EQ(ids.front(), "1A");
  EXPECT_EQ(ids[5], "2B");
  EXPECT_EQ(ids.back(), "4D");
}

TEST(HotSeatScenarioTest, TripIdsAreUniqueLooking) {
  EXPECT_EQ(HotSeatScenario::MakeTripId(1700000000123, 0xabcdef), "hot-1700000000123-abcdef");
  EXPECT_EQ(HotSeatScenario::MakeTripId(5, 0xff123456), "hot-5-123456");
  EXPECT_EQ(HotSeatScenario::MakeTripId(5, 1), "hot-5-000001");
}

TEST(HotSeatScenarioTest, TripRequestHasThreeSegmentsAndSixteenSeats) {
  const auto req = HotSeatScenario::TripRequest("t1", "org1", 1'000'000);
  EXPECT_EQ(req.trip_id(), "t1");
  EXPECT_EQ(req.organization_id(), "org1");
  EXPECT_EQ(req.vehicle_type(), "bus");
  EXPECT_FALSE(req.vehicle_id().empty());
  ASSERT_EQ(req.segments_size(), 3);
  const char* stops[] = {"A", "B", "C", "D"};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(req.segments(i).segment_index(), i);
    EXPECT_EQ(req.segments(i).from_station_id(), stops[i]);
    EXPECT_EQ(req.segments(i).to_station_id(), stops[i + 1]);
    EXPECT_LT(req.segments(i).departure_time(), req.segments(i).arrival_time());
    if (i > 0) {
      EXPECT_LE(req.segments(i - 1).arrival_time(), req.segments(i).departure_time());
    }
  }
  EXPECT_GT(req.segments(0).departure_time(), 1'000'000);
  EXPECT_EQ(req.seat_config().total_seats(), 16);
  ASSERT_EQ(req.seat_config().seats_size(), 16);
  std::set<std::string> ids;
  for (const auto& seat : req.seat_config().seats()) {
    ids.insert(seat.seat_id());
    EXPECT_EQ(seat.seat_class(), "economy");
    EXPECT_EQ(seat.price_paisa(), 50000);
    EXPECT_GE(seat.row(), 1);
    EXPECT_LE(seat.row(), 4);
    EXPECT_GE(seat.column(), 1);
    EXPECT_LE(seat.column(), 4);
  }
  EXPECT_EQ(ids.size(), 16u);
  EXPECT_EQ(req.seat_config().seats(0).seat_id(), "1A");
  EXPECT_EQ(req.seat_config().seats(0).seat_type(), "window");
  EXPECT_EQ(req.seat_config().seats(1).seat_type(), "aisle");
}

TEST(HotSeatScenarioTest, HoldRequestIsWholeTripOneSeatOwnUser) {
  const auto req = HotSeatScenario::HoldRequest("t1", "org1", "1A", 17);
  EXPECT_EQ(req.trip_id(), "t1");
  EXPECT_EQ(req.organization_id(), "org1");
  EXPECT_TRUE(req.from_station_id().empty());
  EXPECT_TRUE(req.to_station_id().empty());
  ASSERT_EQ(req.seat_ids_size(), 1);
  EXPECT_EQ(req.seat_ids(0), "1A");
  EXPECT_EQ(req.user_id(), "user-t1-17");
  EXPECT_EQ(req.session_id(), "session-t1-17");
  EXPECT_EQ(req.hold_duration_seconds(), 600);
  EXPECT_NE(HotSeatScenario::HoldRequest("t1", "org1", "1A", 18).user_id(), req.user_id());
  // Another run (another trip) never reuses a user: its earlier holds would
  // count against the per-user limit.
  EXPECT_NE(HotSeatScenario::HoldRequest("t2", "org1", "1A", 17).user_id(), req.user_id());
}

TEST(HotSeatScenarioTest, CheckWantsExactlyOneSuccessAndNothingElseOdd) {
  ScenarioOptions options;
  HotSeatScenario scenario(nullptr, options);
  OutcomeTally t;
  for (int i = 0; i < 10; ++i) t.Add({OutcomeKind::kContention, grpc::StatusCode::OK, ""});
  EXPECT_EQ(scenario.Check(t, 10).size(), 1u);  // no winner
  t.Add({OutcomeKind::kSuccess, grpc::StatusCode::OK, ""});
  t.Add({OutcomeKind::kNotAvailable, grpc::StatusCode::OK, ""});
  EXPECT_TRUE(scenario.Check(t, 12).empty());
  t.Add({OutcomeKind::kSuccess, grpc::StatusCode::OK, ""});
  ASSERT_EQ(scenario.Check(t, 13).size(), 1u);  // double sale
  EXPECT_NE(scenario.Check(t, 13)[0].find("got 2"), std::string::npos);

  OutcomeTally u;
  u.Add({OutcomeKind::kSuccess, grpc::StatusCode::OK, ""});
  u.Add({OutcomeKind::kError, grpc::StatusCode::UNAVAILABLE, ""});
  u.Add({OutcomeKind::kOtherRefusal, grpc::StatusCode::OK, ""});
  EXPECT_EQ(scenario.Check(u, 3).size(), 2u);
}

TEST(HotSeatScenarioTest, PrepareRefusesASeatOutsideTheLayout) {
  ScenarioOptions options;
  options.seat_id = "9Z";
  HotSeatScenario scenario(nullptr, options);  // never reaches the stub
  const grpc::Status status = scenario.Prepare();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("9Z"), std::string::npos);
}

}  // namespace
}  // namespace inventory::load
