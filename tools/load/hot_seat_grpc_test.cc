// The hot-seat scenario and the runner over real gRPC, against a scripted
// in-process InventoryService (bound to a free loopback port). This tests the
// tool's client side (callback API, deadlines, classification), not the
// service: the real service is exercised by inventory_load_e2etest.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "hot_seat_scenario.h"
#include "load_runner.h"
#include "loopback_server_testing.h"

namespace inventory::load {
namespace {

using namespace std::chrono_literals;
namespace v1 = inventory::v1;

// First hold of a seat wins; a hold while another is "mid-flight" (every
// third request here) is contention; the rest are not available. Optionally
// answers InitializeTripInventory with an error, or HoldSeats too slowly.
class ScriptedService final : public v1::InventoryService::CallbackService {
 public:
  grpc::Status init_status = grpc::Status::OK;
  std::chrono::milliseconds hold_delay{0};

  grpc::ServerUnaryReactor* InitializeTripInventory(grpc::CallbackServerContext* ctx,
                                                    const v1::InitializeTripInventoryRequest* req,
                                                    v1::InitializeTripInventoryResponse* resp) override {
    {
      std::lock_guard lock(mu_);
      trip_ = *req;
    }
    resp->set_success(true);
    resp->set_segments_created(req->segments_size());
    resp->set_seats_created(req->seat_config().seats_size());
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(init_status);
    return reactor;
  }

  grpc::ServerUnaryReactor* HoldSeats(grpc::CallbackServerContext* ctx, const v1::HoldSeatsRequest* req,
                                      v1::HoldSeatsResponse* resp) override {
    if (hold_delay.count() > 0) std::this_thread::sleep_for(hold_delay);
    {
      std::lock_guard lock(mu_);
      EXPECT_TRUE(users_.insert(req->user_id()).second) << "user reused: " << req->user_id();
      EXPECT_EQ(req->trip_id(), trip_.trip_id());
      EXPECT_EQ(req->organization_id(), trip_.organization_id());
      const int n = ++holds_;
      if (winner_.empty()) {
        winner_ = req->user_id();
        resp->set_success(true);
        resp->set_hold_id("hold-1");
        resp->add_held_seat_ids(req->seat_ids(0));
      } else if (n % 3 == 0) {
        resp->set_failure_reason("seat query contention - please retry");
        resp->set_reason(v1::FAILURE_REASON_CONTENTION);
        resp->add_failed_seat_ids(req->seat_ids(0));
      } else {
        resp->set_failure_reason("some seats not available");
        resp->set_reason(v1::FAILURE_REASON_NOT_AVAILABLE);
        resp->add_failed_seat_ids(req->seat_ids(0));
      }
    }
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  v1::InitializeTripInventoryRequest trip() const {
    std::lock_guard lock(mu_);
    return trip_;
  }

 private:
  mutable std::mutex mu_;
  v1::InitializeTripInventoryRequest trip_;
  std::set<std::string> users_;
  std::string winner_;
  int holds_ = 0;
};

class HotSeatGrpcTest : public ::testing::Test {
 protected:
  void StartServer() {
    server_ = std::make_unique<testing::LoopbackServer>(service_);
    ASSERT_TRUE(server_->ok());
    stub_ = server_->stub();
  }

  ScriptedService service_;
  std::unique_ptr<testing::LoopbackServer> server_;
  v1::InventoryService::Stub* stub_ = nullptr;
};

TEST_F(HotSeatGrpcTest, OneWinnerAndEveryAnswerClassified) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  ScenarioOptions options;
  options.organization_id = "org-x";
  options.seat_id = "2B";
  HotSeatScenario scenario(stub_, options);
  ASSERT_TRUE(scenario.Prepare().ok());
  EXPECT_EQ(service_.trip().trip_id(), scenario.trip_id());
  EXPECT_EQ(service_.trip().organization_id(), "org-x");
  EXPECT_EQ(service_.trip().seat_config().seats_size(), 16);

  RunOptions run;
  run.workers = 20;
  run.requests = 300;
  run.pause = 1ms;
  LoadRunner runner(scenario, run);
  runner.Start();
  ASSERT_TRUE(runner.Wait(60s));
  const LoadRunner::Snapshot s = runner.TakeSnapshot();
  EXPECT_EQ(s.completed, 300);
  EXPECT_EQ(s.tally.success(), 1u);
  EXPECT_EQ(s.tally.contention(), 100u);  // holds 3, 6, ..., 300
  EXPECT_EQ(s.tally.not_available(), 199u);
  EXPECT_EQ(s.tally.errors(), 0u);
  EXPECT_EQ(s.latency.count(), 300u);
  EXPECT_TRUE(scenario.Check(s.tally, s.completed).empty());
}

TEST_F(HotSeatGrpcTest, SlowAnswersAreDeadlineErrors) {
  service_.hold_delay = 300ms;
  ASSERT_NO_FATAL_FAILURE(StartServer());
  ScenarioOptions options;
  HotSeatScenario scenario(stub_, options);
  ASSERT_TRUE(scenario.Prepare().ok());
  RunOptions run;
  run.workers = 2;
  run.requests = 4;
  run.pause = 0ms;
  run.timeout = 50ms;
  LoadRunner runner(scenario, run);
  runner.Start();
  ASSERT_TRUE(runner.Wait(60s));
  const LoadRunner::Snapshot s = runner.TakeSnapshot();
  EXPECT_EQ(s.completed, 4);
  EXPECT_EQ(s.tally.errors(), 4u);
  EXPECT_EQ(s.tally.errors_by_code().at(grpc::StatusCode::DEADLINE_EXCEEDED), 4u);
  EXPECT_FALSE(scenario.Check(s.tally, s.completed).empty());
}

TEST_F(HotSeatGrpcTest, SetUpErrorIsReportedWithItsCode) {
  service_.init_status = grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "");
  ASSERT_NO_FATAL_FAILURE(StartServer());
  HotSeatScenario scenario(stub_, ScenarioOptions());
  const grpc::Status status = scenario.Prepare();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_NE(status.error_message().find("InitializeTripInventory"), std::string::npos);
  EXPECT_NE(status.error_message().find("UNIMPLEMENTED"), std::string::npos);
}

}  // namespace
}  // namespace inventory::load
