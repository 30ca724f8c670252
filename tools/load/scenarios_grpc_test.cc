// The spread, seatmap and funnel scenarios with the runner over real gRPC,
// against an in-process model of the service (bound to a free loopback
// port): trips, seat maps over journeys, holds, confirms and releases kept
// in memory. This tests the tool's client side — the request shapes, the
// funnel's chain of asynchronous calls, each step's deadline, and the
// classification — not the service, which inventory_load_e2etest exercises.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "funnel_scenario.h"
#include "load_runner.h"
#include "loopback_server_testing.h"
#include "seat_map_scenario.h"
#include "spread_scenario.h"

namespace inventory::load {
namespace {

using namespace std::chrono_literals;
namespace v1 = inventory::v1;

class ModelService final : public v1::InventoryService::CallbackService {
 public:
  // Knobs, set before the server starts.
  grpc::Status confirm_status = grpc::Status::OK;
  std::chrono::milliseconds hold_delay{0};

  grpc::ServerUnaryReactor* InitializeTripInventory(grpc::CallbackServerContext* ctx,
                                                    const v1::InitializeTripInventoryRequest* req,
                                                    v1::InitializeTripInventoryResponse* resp) override {
    {
      std::lock_guard lock(mu_);
      Trip& trip = trips_[req->trip_id()];
      trip.definition = *req;
      trip.segments = req->segments_size();
      for (const v1::SeatDefinition& s : req->seat_config().seats()) {
        trip.cells[s.seat_id()] = std::vector<std::string>(static_cast<size_t>(trip.segments));
      }
    }
    resp->set_success(true);
    return Answer(ctx, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* GetSeatMap(grpc::CallbackServerContext* ctx, const v1::GetSeatMapRequest* req,
                                       v1::GetSeatMapResponse* resp) override {
    std::lock_guard lock(mu_);
    NoteDeadline(ctx);
    ++seat_maps_;
    auto it = trips_.find(req->trip_id());
    if (it == trips_.end()) return Answer(ctx, grpc::Status(grpc::StatusCode::NOT_FOUND, "no such trip"));
    const Trip& trip = it->second;
    auto [first, last] = Range(trip, req->from_station_id(), req->to_station_id());
    std::map<int, v1::SeatRow*> rows;
    for (const v1::SeatDefinition& s : trip.definition.seat_config().seats()) {
      v1::SeatRow*& row = rows[s.row()];
      if (row == nullptr) {
        row = resp->add_rows();
        row->set_row_number(s.row());
      }
      v1::SeatCell* cell = row->add_seats();
      cell->set_seat_id(s.seat_id());
      cell->set_column(s.column());
      cell->set_status(FreeOver(trip, s.seat_id(), first, last) ? v1::SEAT_STATUS_AVAILABLE : v1::SEAT_STATUS_HELD);
    }
    return Answer(ctx, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* HoldSeats(grpc::CallbackServerContext* ctx, const v1::HoldSeatsRequest* req,
                                      v1::HoldSeatsResponse* resp) override {
    if (hold_delay.count() > 0) std::this_thread::sleep_for(hold_delay);
    std::lock_guard lock(mu_);
    NoteDeadline(ctx);
    EXPECT_TRUE(users_.insert(req->user_id()).second) << "user reused: " << req->user_id();
    EXPECT_EQ(req->seat_ids_size(), 1);
    auto it = trips_.find(req->trip_id());
    if (it == trips_.end()) return Answer(ctx, grpc::Status(grpc::StatusCode::NOT_FOUND, "no such trip"));
    Trip& trip = it->second;
    auto [first, last] = Range(trip, req->from_station_id(), req->to_station_id());
    const std::string& seat = req->seat_ids(0);
    if (!FreeOver(trip, seat, first, last)) {
      resp->set_failure_reason("some seats not available");
      resp->set_reason(v1::FAILURE_REASON_NOT_AVAILABLE);
      resp->add_failed_seat_ids(seat);
      return Answer(ctx, grpc::Status::OK);
    }
    const std::string hold_id = "hold-" + std::to_string(++next_hold_);
    for (int s = first; s <= last; ++s) trip.cells[seat][static_cast<size_t>(s)] = hold_id;
    holds_[hold_id] = Hold{req->trip_id(), seat, req->user_id(), first, last};
    resp->set_success(true);
    resp->set_hold_id(hold_id);
    resp->add_held_seat_ids(seat);
    return Answer(ctx, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ConfirmBooking(grpc::CallbackServerContext* ctx, const v1::ConfirmBookingRequest* req,
                                           v1::ConfirmBookingResponse* resp) override {
    std::lock_guard lock(mu_);
    NoteDeadline(ctx);
    if (!confirm_status.ok()) return Answer(ctx, confirm_status);
    auto it = holds_.find(req->hold_id());
    if (it == holds_.end() || it->second.user != req->user_id()) {
      return Answer(ctx, grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "hold not found"));
    }
    EXPECT_FALSE(req->order_id().empty());
    if (req->passengers_size() != 1 || req->passengers(0).seat_id() != it->second.seat) {
      resp->set_reason(v1::FAILURE_REASON_PASSENGER_MISMATCH);
      resp->set_failure_reason("passenger count does not match seat count");
      return Answer(ctx, grpc::Status::OK);
    }
    ++confirmed_;
    resp->set_success(true);
    resp->set_booking_id("b-" + req->hold_id());
    return Answer(ctx, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ReleaseSeats(grpc::CallbackServerContext* ctx, const v1::ReleaseSeatsRequest* req,
                                         v1::ReleaseSeatsResponse* resp) override {
    std::lock_guard lock(mu_);
    NoteDeadline(ctx);
    auto it = holds_.find(req->hold_id());
    if (it == holds_.end() || it->second.user != req->user_id()) {
      resp->set_reason(v1::FAILURE_REASON_HOLD_NOT_FOUND);
      return Answer(ctx, grpc::Status::OK);
    }
    const Hold& h = it->second;
    Trip& trip = trips_[h.trip];
    for (int s = h.first; s <= h.last; ++s) trip.cells[h.seat][static_cast<size_t>(s)].clear();
    holds_.erase(it);
    ++released_;
    resp->set_success(true);
    resp->set_released_count(1);
    return Answer(ctx, grpc::Status::OK);
  }

  size_t trips() const {
    std::lock_guard lock(mu_);
    return trips_.size();
  }
  const v1::InitializeTripInventoryRequest trip(const std::string& id) const {
    std::lock_guard lock(mu_);
    auto it = trips_.find(id);
    return it == trips_.end() ? v1::InitializeTripInventoryRequest() : it->second.definition;
  }
  int holds_made() const {
    std::lock_guard lock(mu_);
    return static_cast<int>(users_.size());
  }
  int seat_maps() const {
    std::lock_guard lock(mu_);
    return seat_maps_;
  }
  int confirmed() const {
    std::lock_guard lock(mu_);
    return confirmed_;
  }
  int released() const {
    std::lock_guard lock(mu_);
    return released_;
  }
  bool every_call_had_a_deadline() const {
    std::lock_guard lock(mu_);
    return calls_without_deadline_ == 0;
  }

 private:
  struct Trip {
    v1::InitializeTripInventoryRequest definition;
    int segments = 0;
    std::map<std::string, std::vector<std::string>> cells;  // seat -> hold id per segment ("" free)
  };
  struct Hold {
    std::string trip, seat, user;
    int first = 0, last = 0;
  };

  static grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* ctx, const grpc::Status& status) {
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(status);
    return reactor;
  }

  // REQUIRES: mu_ held.
  void NoteDeadline(grpc::CallbackServerContext* ctx) {
    if (ctx->deadline() > std::chrono::system_clock::now() + 1h) ++calls_without_deadline_;
  }

  static std::pair<int, int> Range(const Trip& trip, const std::string& from, const std::string& to) {
    int first = 0;
    int last = trip.segments - 1;
    for (int i = 0; i < trip.segments; ++i) {
      if (trip.definition.segments(i).from_station_id() == from) first = i;
      if (trip.definition.segments(i).to_station_id() == to) last = i;
    }
    return {first, last};
  }

  static bool FreeOver(const Trip& trip, const std::string& seat, int first, int last) {
    auto it = trip.cells.find(seat);
    if (it == trip.cells.end()) return false;
    for (int s = first; s <= last; ++s) {
      if (!it->second[static_cast<size_t>(s)].empty()) return false;
    }
    return true;
  }

  mutable std::mutex mu_;
  std::map<std::string, Trip> trips_;
  std::map<std::string, Hold> holds_;
  std::set<std::string> users_;
  int next_hold_ = 0;
  int seat_maps_ = 0;
  int confirmed_ = 0;
  int released_ = 0;
  int calls_without_deadline_ = 0;
};

class ScenariosGrpcTest : public ::testing::Test {
 protected:
  void StartServer() {
    server_ = std::make_unique<testing::LoopbackServer>(service_);
    ASSERT_TRUE(server_->ok());
    stub_ = server_->stub();
  }

  static LoadRunner::Snapshot Run(Scenario& scenario, int workers, int64_t requests,
                                  std::chrono::milliseconds timeout) {
    RunOptions run;
    run.workers = workers;
    run.requests = requests;
    run.pause = 0ms;
    run.timeout = timeout;
    LoadRunner runner(scenario, run);
    runner.Start();
    EXPECT_TRUE(runner.Wait(120s));
    return runner.TakeSnapshot();
  }

  static std::string DetailOf(const Scenario& scenario, const std::string& key) {
    for (const auto& [k, v] : scenario.Details()) {
      if (k == key) return v;
    }
    return "(absent)";
  }

  ModelService service_;
  std::unique_ptr<testing::LoopbackServer> server_;
  v1::InventoryService::Stub* stub_ = nullptr;
};

TEST_F(ScenariosGrpcTest, SpreadHoldsADistinctSeatPerRequestOverTwoTrips) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  ScenarioOptions options;
  options.requests = 1500;
  SpreadScenario scenario(stub_, options);
  ASSERT_TRUE(scenario.Prepare().ok());
  ASSERT_EQ(scenario.trip_ids().size(), 2u);
  EXPECT_EQ(service_.trips(), 2u);
  EXPECT_EQ(service_.trip(scenario.trip_ids()[1]).seat_config().seats_size(), 1000);
  const LoadRunner::Snapshot s = Run(scenario, 20, 1500, 5s);
  EXPECT_EQ(s.completed, 1500);
  EXPECT_EQ(s.tally.success(), 1500u);
  EXPECT_EQ(service_.holds_made(), 1500);
  EXPECT_TRUE(scenario.Check(s.tally, s.completed).empty());
  EXPECT_EQ(DetailOf(scenario, "trips"), "2");
}

TEST_F(ScenariosGrpcTest, SeatMapPreparesHoldsAndReadsSixtySeats) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  SeatMapScenario scenario(stub_, ScenarioOptions());
  ASSERT_TRUE(scenario.Prepare().ok());
  EXPECT_EQ(service_.holds_made(), SeatMapScenario::kHeldSeats);
  EXPECT_EQ(service_.trip(scenario.trip_id()).segments_size(), 5);
  const LoadRunner::Snapshot s = Run(scenario, 10, 200, 5s);
  EXPECT_EQ(s.completed, 200);
  EXPECT_EQ(s.tally.success(), 200u);
  EXPECT_EQ(service_.seat_maps(), 200);
  EXPECT_TRUE(scenario.Check(s.tally, s.completed).empty());
}

TEST_F(ScenariosGrpcTest, FunnelFlowsChainMapHoldAndConfirmOrRelease) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  ScenarioOptions options;
  options.requests = 300;
  FunnelScenario scenario(stub_, options);
  ASSERT_TRUE(scenario.Prepare().ok());
  EXPECT_EQ(scenario.trip_ids().size(), 4u);
  EXPECT_EQ(service_.trips(), 4u);
  const LoadRunner::Snapshot s = Run(scenario, 16, 300, 5s);
  EXPECT_EQ(s.completed, 300);
  EXPECT_EQ(s.tally.errors(), 0u) << (s.tally.error_details().empty() ? "" : s.tally.error_details().begin()->first);
  EXPECT_EQ(s.tally.other_refusal(), 0u);
  EXPECT_EQ(service_.seat_maps(), 300);  // every flow starts with a map
  // Every completed flow made exactly one confirm or one release.
  EXPECT_EQ(static_cast<uint64_t>(service_.confirmed() + service_.released()), s.tally.success());
  EXPECT_GT(service_.confirmed(), service_.released());
  EXPECT_GE(2 * s.tally.success(), 300u);
  EXPECT_TRUE(scenario.Check(s.tally, s.completed).empty());
  EXPECT_TRUE(service_.every_call_had_a_deadline());
  EXPECT_EQ(DetailOf(scenario, "confirmed"), std::to_string(service_.confirmed()));
  EXPECT_EQ(DetailOf(scenario, "released"), std::to_string(service_.released()));
}

TEST_F(ScenariosGrpcTest, FunnelCountsAFullTripAsRefusalsNotErrors) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  ScenarioOptions options;
  options.requests = 4;  // 4 trips of 40 seats, then 1000 flows: most find them sold out
  FunnelScenario scenario(stub_, options);
  ASSERT_TRUE(scenario.Prepare().ok());
  const LoadRunner::Snapshot s = Run(scenario, 8, 1000, 5s);
  EXPECT_EQ(s.completed, 1000);
  EXPECT_EQ(s.tally.errors(), 0u);
  EXPECT_GT(s.tally.not_available(), 0u);
  EXPECT_NE(DetailOf(scenario, "no_free_seat"), "0");
  ASSERT_FALSE(scenario.Check(s.tally, s.completed).empty());
  EXPECT_NE(scenario.Check(s.tally, s.completed).back().find("at least 50 %"), std::string::npos);
}

TEST_F(ScenariosGrpcTest, FunnelErrorsNameTheStep) {
  service_.confirm_status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "database down");
  ASSERT_NO_FATAL_FAILURE(StartServer());
  ScenarioOptions options;
  options.requests = 20;
  FunnelScenario scenario(stub_, options);
  ASSERT_TRUE(scenario.Prepare().ok());
  const LoadRunner::Snapshot s = Run(scenario, 4, 20, 5s);
  EXPECT_EQ(s.completed, 20);
  EXPECT_EQ(s.tally.success(), static_cast<uint64_t>(service_.released()));
  ASSERT_GT(s.tally.errors(), 0u);
  EXPECT_EQ(s.tally.errors_by_code().at(grpc::StatusCode::UNAVAILABLE), s.tally.errors());
  const auto& details = s.tally.error_details().at("UNAVAILABLE");
  EXPECT_EQ(details.count("ConfirmBooking: database down"), 1u);
  EXPECT_FALSE(scenario.Check(s.tally, s.completed).empty());
}

TEST_F(ScenariosGrpcTest, FunnelLaterStepsHaveTheirOwnDeadline) {
  service_.hold_delay = 300ms;
  ASSERT_NO_FATAL_FAILURE(StartServer());
  ScenarioOptions options;
  options.requests = 4;
  options.timeout = 50ms;  // the hold step's deadline
  FunnelScenario scenario(stub_, options);
  ASSERT_TRUE(scenario.Prepare().ok());
  const LoadRunner::Snapshot s = Run(scenario, 2, 4, 5s);  // generous for the map step
  EXPECT_EQ(s.completed, 4);
  EXPECT_EQ(s.tally.errors(), 4u);
  EXPECT_EQ(s.tally.errors_by_code().at(grpc::StatusCode::DEADLINE_EXCEEDED), 4u);
  const auto& details = s.tally.error_details().at("DEADLINE_EXCEEDED");
  ASSERT_EQ(details.size(), 1u);
  EXPECT_EQ(details.begin()->first.rfind("HoldSeats: ", 0), 0u) << details.begin()->first;
}

}  // namespace
}  // namespace inventory::load
