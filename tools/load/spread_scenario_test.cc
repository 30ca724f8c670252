#include "spread_scenario.h"

#include <gtest/gtest.h>

#include <set>

namespace inventory::load {
namespace {

TEST(SpreadScenarioTest, OneTripPerThousandRequests) {
  EXPECT_EQ(SpreadScenario::TripCount(1), 1);
  EXPECT_EQ(SpreadScenario::TripCount(999), 1);
  EXPECT_EQ(SpreadScenario::TripCount(1000), 1);
  EXPECT_EQ(SpreadScenario::TripCount(1001), 2);
  EXPECT_EQ(SpreadScenario::TripCount(20000), 20);
  EXPECT_EQ(SpreadScenario::TripCount(0), 1);
}

TEST(SpreadScenarioTest, LayoutIsThreeSegmentsOfAThousandSeats) {
  const TripLayout layout = SpreadScenario::Layout();
  EXPECT_EQ(layout.stations, (std::vector<std::string>{"A", "B", "C", "D"}));
  const auto req = GridTripRequest("t", "o", layout, 0);
  EXPECT_EQ(req.segments_size(), 3);
  EXPECT_EQ(req.seat_config().seats_size(), 1000);
  EXPECT_EQ(SpreadScenario::TripId("spread-1-abcdef", 7), "spread-1-abcdef-7");
}

TEST(SpreadScenarioTest, EveryRequestOfATripHoldsItsOwnSeatOverTheWholeTrip) {
  std::set<std::string> seats;
  std::set<std::string> users;
  for (int64_t n = 0; n < 1000; ++n) {
    const auto req = SpreadScenario::HoldRequest("t1", "org1", n);
    ASSERT_EQ(req.seat_ids_size(), 1);
    seats.insert(req.seat_ids(0));
    users.insert(req.user_id());
    EXPECT_TRUE(req.from_station_id().empty());
    EXPECT_TRUE(req.to_station_id().empty());
    EXPECT_EQ(req.hold_duration_seconds(), 600);
    EXPECT_EQ(req.trip_id(), "t1");
    EXPECT_EQ(req.organization_id(), "org1");
  }
  EXPECT_EQ(seats.size(), 1000u);
  EXPECT_EQ(users.size(), 1000u);
  const auto req = SpreadScenario::HoldRequest("t2", "org1", 1027);
  EXPECT_EQ(req.seat_ids(0), "R02C08");  // 1027 mod 1000 = 27: row 2, column 8
  EXPECT_EQ(req.user_id(), "u-t2-1027");
  EXPECT_NE(req.session_id(), SpreadScenario::HoldRequest("t2", "org1", 1028).session_id());
}

TEST(SpreadScenarioTest, CheckWantsEveryHoldToSucceed) {
  SpreadScenario scenario(nullptr, ScenarioOptions());
  OutcomeTally t;
  for (int i = 0; i < 5; ++i) t.Add({OutcomeKind::kSuccess, grpc::StatusCode::OK, ""});
  EXPECT_TRUE(scenario.Check(t, 5).empty());
  t.Add({OutcomeKind::kNotAvailable, grpc::StatusCode::OK, ""});
  t.Add({OutcomeKind::kError, grpc::StatusCode::UNAVAILABLE, "down"});
  const std::vector<std::string> why = scenario.Check(t, 7);
  ASSERT_EQ(why.size(), 3u);  // the summary, the errors, the refusals
  EXPECT_NE(why[0].find("5 of 7"), std::string::npos) << why[0];
  EXPECT_TRUE(scenario.Check(OutcomeTally(), 0).empty());
}

TEST(SpreadScenarioTest, RequestBeyondThePreparedTripsIsAnErrorNotACrash) {
  SpreadScenario scenario(nullptr, ScenarioOptions());  // not prepared: no trips
  grpc::ClientContext context;
  Outcome got;
  scenario.StartCall(3, context, [&got](Outcome o) { got = std::move(o); });
  EXPECT_EQ(got.kind, OutcomeKind::kError);
  EXPECT_EQ(got.code, grpc::StatusCode::OUT_OF_RANGE);
}

}  // namespace
}  // namespace inventory::load
