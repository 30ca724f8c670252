#include "funnel_scenario.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace inventory::load {
namespace {

namespace v1 = inventory::v1;
using Journey = FunnelScenario::Journey;

// A 10 x 4 map whose seats in `taken` are held, the rest available.
v1::GetSeatMapResponse MapWithTaken(const std::set<std::string>& taken) {
  v1::GetSeatMapResponse map;
  for (int r = 1; r <= 10; ++r) {
    v1::SeatRow* row = map.add_rows();
    row->set_row_number(r);
    for (int c = 1; c <= 4; ++c) {
      v1::SeatCell* cell = row->add_seats();
      cell->set_seat_id(GridSeatId(r, c));
      cell->set_status(taken.count(cell->seat_id()) > 0 ? v1::SEAT_STATUS_HELD : v1::SEAT_STATUS_AVAILABLE);
    }
  }
  return map;
}

TEST(FunnelScenarioTest, TripCountIsAtLeastFourAndGrowsWithRequests) {
  EXPECT_EQ(FunnelScenario::TripCount(1), 4);
  EXPECT_EQ(FunnelScenario::TripCount(400), 4);
  EXPECT_EQ(FunnelScenario::TripCount(401), 5);
  EXPECT_EQ(FunnelScenario::TripCount(1000), 10);
  EXPECT_EQ(FunnelScenario::TripCount(20000), 200);
}

TEST(FunnelScenarioTest, LayoutIsFortySeatsOverThreeSegments) {
  const auto req = GridTripRequest("t", "o", FunnelScenario::Layout(), 0);
  EXPECT_EQ(req.segments_size(), 3);
  EXPECT_EQ(req.seat_config().seats_size(), 40);
}

TEST(FunnelScenarioTest, JourneysAreValidReproducibleAndCoverEveryRange) {
  std::map<std::pair<int, int>, int> seen;
  for (int64_t n = 0; n < 6000; ++n) {
    const Journey j = FunnelScenario::PickJourney(n);
    ASSERT_GE(j.first, 0);
    ASSERT_LE(j.first, j.last);
    ASSERT_LT(j.last, FunnelScenario::kSegments);
    const Journey again = FunnelScenario::PickJourney(n);
    EXPECT_EQ(again.first, j.first);
    EXPECT_EQ(again.last, j.last);
    ++seen[{j.first, j.last}];
  }
  EXPECT_EQ(seen.size(), 6u);  // (0,0) (0,1) (0,2) (1,1) (1,2) (2,2)
  // `first` is uniform: each of 0, 1, 2 about a third of the time.
  const int last_only = seen[std::make_pair(2, 2)];
  const int from_first = seen[std::make_pair(0, 0)] + seen[std::make_pair(0, 1)] + seen[std::make_pair(0, 2)];
  EXPECT_NEAR(last_only, 2000, 200);
  EXPECT_NEAR(from_first, 2000, 200);
}

TEST(FunnelScenarioTest, PickSeatTakesOnlyAvailableSeatsDeterministically) {
  const std::set<std::string> taken = {"R01C01", "R01C02", "R05C03"};
  const v1::GetSeatMapResponse map = MapWithTaken(taken);
  std::set<std::string> picked;
  for (int64_t n = 0; n < 2000; ++n) {
    const std::optional<std::string> seat = FunnelScenario::PickSeat(map, n);
    ASSERT_TRUE(seat.has_value());
    EXPECT_EQ(taken.count(*seat), 0u) << *seat;
    EXPECT_EQ(FunnelScenario::PickSeat(map, n), seat);
    picked.insert(*seat);
  }
  EXPECT_EQ(picked.size(), 37u);  // every free seat gets picked by someone

  std::set<std::string> all;
  for (int r = 1; r <= 10; ++r) {
    for (int c = 1; c <= 4; ++c) all.insert(GridSeatId(r, c));
  }
  EXPECT_FALSE(FunnelScenario::PickSeat(MapWithTaken(all), 5).has_value());
  EXPECT_FALSE(FunnelScenario::PickSeat(v1::GetSeatMapResponse(), 5).has_value());
}

TEST(FunnelScenarioTest, SevenInTenFlowsConfirm) {
  int confirms = 0;
  for (int64_t n = 0; n < 100; ++n) confirms += FunnelScenario::Confirms(n) ? 1 : 0;
  EXPECT_EQ(confirms, 70);
  EXPECT_TRUE(FunnelScenario::Confirms(6));
  EXPECT_FALSE(FunnelScenario::Confirms(7));
}

TEST(FunnelScenarioTest, RequestsOfOneFlowAgreeOnTripUserJourneyAndSeat) {
  const Journey j{1, 2};
  const auto map = FunnelScenario::MapRequest("t1", "org1", j);
  EXPECT_EQ(map.trip_id(), "t1");
  EXPECT_EQ(map.organization_id(), "org1");
  EXPECT_EQ(map.from_station_id(), "B");
  EXPECT_EQ(map.to_station_id(), "D");

  const auto hold = FunnelScenario::HoldRequest("t1", "org1", "funnel-1-aa", 42, j, "R03C02");
  EXPECT_EQ(hold.trip_id(), "t1");
  EXPECT_EQ(hold.organization_id(), "org1");
  EXPECT_EQ(hold.from_station_id(), "B");
  EXPECT_EQ(hold.to_station_id(), "D");
  ASSERT_EQ(hold.seat_ids_size(), 1);
  EXPECT_EQ(hold.seat_ids(0), "R03C02");
  EXPECT_EQ(hold.user_id(), "f-funnel-1-aa-42");
  EXPECT_FALSE(hold.session_id().empty());
  EXPECT_EQ(hold.hold_duration_seconds(), 600);

  const auto confirm = FunnelScenario::ConfirmRequest("org1", "funnel-1-aa", 42, "h-9", "R03C02");
  EXPECT_EQ(confirm.hold_id(), "h-9");
  EXPECT_EQ(confirm.user_id(), hold.user_id());
  EXPECT_EQ(confirm.organization_id(), "org1");
  EXPECT_FALSE(confirm.order_id().empty());
  ASSERT_EQ(confirm.passengers_size(), 1);
  EXPECT_EQ(confirm.passengers(0).seat_id(), "R03C02");
  EXPECT_FALSE(confirm.passengers(0).passenger_name().empty());
  EXPECT_FALSE(confirm.passengers(0).passenger_nid().empty());
  EXPECT_NE(FunnelScenario::ConfirmRequest("org1", "funnel-1-aa", 43, "h-9", "R03C02").order_id(),
            confirm.order_id());

  const auto release = FunnelScenario::ReleaseRequest("org1", "funnel-1-aa", 42, "h-9");
  EXPECT_EQ(release.hold_id(), "h-9");
  EXPECT_EQ(release.user_id(), hold.user_id());
  EXPECT_EQ(release.organization_id(), "org1");

  // Another run never reuses a user.
  EXPECT_NE(FunnelScenario::UserId("funnel-2-bb", 42), hold.user_id());
}

TEST(FunnelScenarioTest, LastStepClassification) {
  v1::ConfirmBookingResponse confirmed;
  confirmed.set_success(true);
  EXPECT_EQ(FunnelScenario::ClassifyConfirm(grpc::Status::OK, confirmed).kind, OutcomeKind::kSuccess);
  v1::ConfirmBookingResponse mismatch;
  mismatch.set_reason(v1::FAILURE_REASON_PASSENGER_MISMATCH);
  mismatch.set_failure_reason("passenger count does not match seat count");
  const Outcome refused = FunnelScenario::ClassifyConfirm(grpc::Status::OK, mismatch);
  EXPECT_EQ(refused.kind, OutcomeKind::kOtherRefusal);
  EXPECT_NE(refused.detail.find("ConfirmBooking"), std::string::npos);
  EXPECT_NE(refused.detail.find("PASSENGER_MISMATCH"), std::string::npos);
  const Outcome expired = FunnelScenario::ClassifyConfirm(
      grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "hold expired"), confirmed);
  EXPECT_EQ(expired.kind, OutcomeKind::kError);
  EXPECT_EQ(expired.code, grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(expired.detail, "ConfirmBooking: hold expired");

  v1::ReleaseSeatsResponse released;
  released.set_success(true);
  EXPECT_EQ(FunnelScenario::ClassifyRelease(grpc::Status::OK, released).kind, OutcomeKind::kSuccess);
  v1::ReleaseSeatsResponse not_found;
  not_found.set_reason(v1::FAILURE_REASON_HOLD_NOT_FOUND);
  EXPECT_EQ(FunnelScenario::ClassifyRelease(grpc::Status::OK, not_found).kind, OutcomeKind::kOtherRefusal);
  EXPECT_EQ(FunnelScenario::ClassifyRelease(grpc::Status(grpc::StatusCode::UNAVAILABLE, "x"), released).kind,
            OutcomeKind::kError);
}

TEST(FunnelScenarioTest, CheckWantsNoErrorsAndHalfTheFlowsCompleted) {
  FunnelScenario scenario(nullptr, ScenarioOptions());
  OutcomeTally t;
  for (int i = 0; i < 5; ++i) t.Add({OutcomeKind::kSuccess, grpc::StatusCode::OK, ""});
  for (int i = 0; i < 3; ++i) t.Add({OutcomeKind::kNotAvailable, grpc::StatusCode::OK, ""});
  for (int i = 0; i < 2; ++i) t.Add({OutcomeKind::kContention, grpc::StatusCode::OK, ""});
  EXPECT_TRUE(scenario.Check(t, 10).empty());  // exactly half completed
  t.Add({OutcomeKind::kNotAvailable, grpc::StatusCode::OK, ""});
  ASSERT_EQ(scenario.Check(t, 11).size(), 1u);
  EXPECT_NE(scenario.Check(t, 11)[0].find("5 of 11"), std::string::npos);

  OutcomeTally u;
  for (int i = 0; i < 10; ++i) u.Add({OutcomeKind::kSuccess, grpc::StatusCode::OK, ""});
  u.Add({OutcomeKind::kError, grpc::StatusCode::UNAVAILABLE, "HoldSeats: down"});
  EXPECT_EQ(scenario.Check(u, 11).size(), 1u);
  u.Add({OutcomeKind::kOtherRefusal, grpc::StatusCode::OK, "ReleaseSeats: FAILURE_REASON_HOLD_NOT_FOUND"});
  EXPECT_EQ(scenario.Check(u, 12).size(), 2u);
}

}  // namespace
}  // namespace inventory::load
