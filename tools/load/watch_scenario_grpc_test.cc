// The watch scenario with the runner over real gRPC, against a scripted
// in-process service on two loopback ports sharing one model: a trip's seat
// statuses, changed by holds, confirms, releases and cancels, and
// WatchSeatMap streams that get the full map, a heartbeat, and every change
// as it is made. Knobs make one stream get BEHIND full maps instead of some
// changes, one get wrong statuses, or the watch be refused. This tests the
// tool's client side (the read reactors, the copies, the matching of
// changes to events, the final comparison), not the service.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "load_runner.h"
#include "loopback_server_testing.h"
#include "watch_scenario.h"

namespace inventory::load {
namespace {

using namespace std::chrono_literals;
namespace v1 = inventory::v1;

// One WatchSeatMap call on the service side: events queued and written one
// at a time.
class Stream final : public grpc::ServerWriteReactor<v1::SeatMapEvent> {
 public:
  explicit Stream(std::function<void(Stream*)> on_done) : on_done_(std::move(on_done)) {}

  void Send(v1::SeatMapEvent event) {
    std::lock_guard lock(mu_);
    if (finished_) return;
    queue_.push_back(std::move(event));
    if (queue_.size() == 1) StartWrite(&queue_.front());
  }

  void End(const grpc::Status& status) {
    std::lock_guard lock(mu_);
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mu_);
    queue_.pop_front();
    if (!ok) return;
    if (!queue_.empty() && !finished_) StartWrite(&queue_.front());
  }

  void OnCancel() override { End(grpc::Status::CANCELLED); }

  void OnDone() override {
    on_done_(this);
    delete this;
  }

 private:
  std::function<void(Stream*)> on_done_;
  std::mutex mu_;
  std::deque<v1::SeatMapEvent> queue_;
  bool finished_ = false;
};

// The trip, the holds and bookings, and the open streams, shared by the
// services of both ports.
struct Model {
  std::mutex mu;
  std::string trip_id;
  std::vector<std::string> seat_ids;
  std::map<std::string, v1::SeatStatus> status;
  std::map<std::string, std::string> hold_seat;     // hold id -> seat
  std::map<std::string, std::string> booking_seat;  // booking id -> seat
  int next_id = 0;
  int64_t version = 0;
  std::vector<Stream*> streams;  // in the order they were opened
  std::set<std::string> users;

  // Knobs, set before the load.
  bool refuse_watch = false;
  int behind_every = 0;     // stream 0 gets every n-th change as a BEHIND full map
  bool corrupt_stream_1 = false;  // the second stream opened is told every change is BLOCKED
  int shed_every = 0;  // every n-th hold is turned away (RESOURCE_EXHAUSTED)
  int holds = 0;
  int changes = 0;

  v1::SeatMapEvent FullMap(v1::FullMapReason reason) const {
    v1::SeatMapEvent event;
    event.set_version(version);
    event.set_full_map_reason(reason);
    v1::SeatRow* row = event.mutable_full_map()->add_rows();
    row->set_row_number(1);
    for (const std::string& seat : seat_ids) {
      v1::SeatCell* cell = row->add_seats();
      cell->set_seat_id(seat);
      cell->set_status(status.at(seat));
    }
    return event;
  }

  // REQUIRES: mu held.
  void Change(const std::string& seat, v1::SeatStatus to) {
    status[seat] = to;
    ++version;
    ++changes;
    for (size_t i = 0; i < streams.size(); ++i) {
      if (i == 0 && behind_every > 0 && changes % behind_every == 0) {
        streams[i]->Send(FullMap(v1::FULL_MAP_REASON_BEHIND));
        continue;
      }
      v1::SeatMapEvent event;
      event.set_version(version);
      v1::SeatStatusChange* change = event.mutable_changes()->add_seats();
      change->set_seat_id(seat);
      change->set_status(i == 1 && corrupt_stream_1 ? v1::SEAT_STATUS_BLOCKED : to);
      streams[i]->Send(std::move(event));
    }
  }
};

class ScriptedService final : public v1::InventoryService::CallbackService {
 public:
  explicit ScriptedService(Model& model) : model_(model) {}

  grpc::ServerUnaryReactor* InitializeTripInventory(grpc::CallbackServerContext* ctx,
                                                    const v1::InitializeTripInventoryRequest* req,
                                                    v1::InitializeTripInventoryResponse* resp) override {
    std::lock_guard lock(model_.mu);
    model_.trip_id = req->trip_id();
    for (const v1::SeatDefinition& s : req->seat_config().seats()) {
      model_.seat_ids.push_back(s.seat_id());
      model_.status[s.seat_id()] = v1::SEAT_STATUS_AVAILABLE;
    }
    resp->set_success(true);
    return Answer(ctx, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* GetSeatMap(grpc::CallbackServerContext* ctx, const v1::GetSeatMapRequest* req,
                                       v1::GetSeatMapResponse* resp) override {
    std::lock_guard lock(model_.mu);
    if (req->trip_id() != model_.trip_id) return Answer(ctx, grpc::Status(grpc::StatusCode::NOT_FOUND, "trip"));
    *resp = model_.FullMap(v1::FULL_MAP_REASON_UNSPECIFIED).full_map();
    return Answer(ctx, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* HoldSeats(grpc::CallbackServerContext* ctx, const v1::HoldSeatsRequest* req,
                                      v1::HoldSeatsResponse* resp) override {
    std::lock_guard lock(model_.mu);
    if (model_.shed_every > 0 && ++model_.holds % model_.shed_every == 0) {
      return Answer(ctx, grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "overloaded"));
    }
    EXPECT_TRUE(model_.users.insert(req->user_id()).second) << "user reused: " << req->user_id();
    EXPECT_EQ(req->seat_ids_size(), 1);
    const std::string& seat = req->seat_ids(0);
    if (model_.status[seat] != v1::SEAT_STATUS_AVAILABLE) {
      resp->set_reason(v1::FAILURE_REASON_NOT_AVAILABLE);
      resp->set_failure_reason("some seats not available");
      return Answer(ctx, grpc::Status::OK);
    }
    const std::string hold_id = "h" + std::to_string(++model_.next_id);
    model_.hold_seat[hold_id] = seat;
    model_.Change(seat, v1::SEAT_STATUS_HELD);
    resp->set_success(true);
    resp->set_hold_id(hold_id);
    return Answer(ctx, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ConfirmBooking(grpc::CallbackServerContext* ctx, const v1::ConfirmBookingRequest* req,
                                           v1::ConfirmBookingResponse* resp) override {
    std::lock_guard lock(model_.mu);
    auto it = model_.hold_seat.find(req->hold_id());
    if (it == model_.hold_seat.end()) {
      return Answer(ctx, grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "hold not found"));
    }
    EXPECT_EQ(req->passengers_size(), 1);
    const std::string seat = it->second;
    model_.hold_seat.erase(it);
    const std::string booking_id = "b" + std::to_string(++model_.next_id);
    model_.booking_seat[booking_id] = seat;
    model_.Change(seat, v1::SEAT_STATUS_BOOKED);
    resp->set_success(true);
    resp->set_booking_id(booking_id);
    return Answer(ctx, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ReleaseSeats(grpc::CallbackServerContext* ctx, const v1::ReleaseSeatsRequest* req,
                                         v1::ReleaseSeatsResponse* resp) override {
    std::lock_guard lock(model_.mu);
    auto it = model_.hold_seat.find(req->hold_id());
    if (it == model_.hold_seat.end()) {
      resp->set_reason(v1::FAILURE_REASON_HOLD_NOT_FOUND);
      return Answer(ctx, grpc::Status::OK);
    }
    const std::string seat = it->second;
    model_.hold_seat.erase(it);
    model_.Change(seat, v1::SEAT_STATUS_AVAILABLE);
    resp->set_success(true);
    resp->set_released_count(1);
    return Answer(ctx, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* CancelBooking(grpc::CallbackServerContext* ctx, const v1::CancelBookingRequest* req,
                                          v1::CancelBookingResponse* resp) override {
    std::lock_guard lock(model_.mu);
    auto it = model_.booking_seat.find(req->booking_id());
    if (it == model_.booking_seat.end()) {
      resp->set_failure(v1::FAILURE_REASON_BOOKING_NOT_FOUND);
      return Answer(ctx, grpc::Status::OK);
    }
    const std::string seat = it->second;
    model_.booking_seat.erase(it);
    model_.Change(seat, v1::SEAT_STATUS_AVAILABLE);
    resp->set_success(true);
    resp->set_released_count(1);
    return Answer(ctx, grpc::Status::OK);
  }

  grpc::ServerWriteReactor<v1::SeatMapEvent>* WatchSeatMap(grpc::CallbackServerContext* /*ctx*/,
                                                           const v1::WatchSeatMapRequest* req) override {
    Model& model = model_;
    auto* stream = new Stream([&model](Stream* done) {
      std::lock_guard lock(model.mu);
      std::erase(model.streams, done);
    });
    std::unique_lock lock(model_.mu);
    if (model_.refuse_watch) {
      lock.unlock();
      stream->End(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "no watching here"));
      return stream;
    }
    EXPECT_EQ(req->trip_id(), model_.trip_id);
    stream->Send(model_.FullMap(v1::FULL_MAP_REASON_START));
    v1::SeatMapEvent heartbeat;
    heartbeat.set_version(model_.version);
    heartbeat.mutable_heartbeat();
    stream->Send(std::move(heartbeat));
    model_.streams.push_back(stream);
    return stream;
  }

 private:
  static grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* ctx, const grpc::Status& status) {
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(status);
    return reactor;
  }

  Model& model_;
};

class WatchScenarioGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(first_.ok());
    ASSERT_TRUE(second_.ok());
  }

  ScenarioOptions Options(int watchers) const {
    ScenarioOptions options;
    options.seats = 20;
    options.watchers = watchers;
    options.watch_targets = {first_.address(), second_.address()};
    options.timeout = 500ms;
    return options;
  }

  // Prepares `scenario` and drives `changes` changes, 4 in flight; waits (up
  // to 10 s) until the watchers have received `events` events in all, or
  // every change has reached every watcher when `events` is -1; then the
  // final comparison.
  LoadRunner::Snapshot Run(WatchScenario& scenario, int64_t changes, int64_t events = 0) {
    EXPECT_TRUE(scenario.Prepare().ok());
    RunOptions run;
    run.workers = 4;
    run.requests = changes;
    run.pause = 0ms;
    run.timeout = 5000ms;
    LoadRunner runner(scenario, run);
    runner.Start();
    EXPECT_TRUE(runner.Wait(30s));
    LoadRunner::Snapshot snap = runner.TakeSnapshot();
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    auto waiting = [&] {
      const WatchScenario::Figures f = scenario.TakeFigures();
      return events < 0 ? f.delivery.delivered < f.delivery.expected : f.events_total < events;
    };
    while (waiting() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
    scenario.AfterLoad();
    return snap;
  }

  Model model_;
  ScriptedService first_service_{model_};
  ScriptedService second_service_{model_};
  testing::LoopbackServer first_{first_service_};
  testing::LoopbackServer second_{second_service_};
};

TEST_F(WatchScenarioGrpcTest, EveryWatcherSeesEveryChangeAndEndsEqualToTheMap) {
  WatchScenario scenario(first_.stub(), Options(6));
  const LoadRunner::Snapshot snap = Run(scenario, 80, 6 * 82);
  EXPECT_EQ(snap.tally.success(), 80u);
  EXPECT_TRUE(scenario.Check(snap.tally, snap.completed).empty());

  const WatchScenario::Figures f = scenario.TakeFigures();
  EXPECT_EQ(f.watchers, 6);
  EXPECT_EQ(f.delivery.answered, 80);
  EXPECT_EQ(f.changes_answered[0] + f.changes_answered[1] + f.changes_answered[2] + f.changes_answered[3], 80);
  EXPECT_GT(f.changes_answered[0], 0);  // holds
  EXPECT_GT(f.changes_answered[1] + f.changes_answered[2], 0);  // confirms or releases
  EXPECT_EQ(f.full_maps_start, 6);
  EXPECT_EQ(f.full_maps_behind, 0);
  EXPECT_EQ(f.heartbeats, 6);
  // Each watcher: its full map, its heartbeat, one event per change.
  EXPECT_EQ(f.events_min, 82);
  EXPECT_EQ(f.events_max, 82);
  EXPECT_EQ(f.change_events, 6 * 80);
  EXPECT_EQ(f.delivery.expected, 6 * 80);
  EXPECT_EQ(f.delivery.delivered, 6 * 80);
  EXPECT_EQ(f.ended_early, 0);
  EXPECT_TRUE(f.compared);
  EXPECT_EQ(f.mismatched_watchers, 0);
  // AfterLoad ended the streams: the service sees them go (on its own time).
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  size_t open = 1;
  while (open > 0 && std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(model_.mu);
      open = model_.streams.size();
    }
    if (open > 0) std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(open, 0u);

  const nlohmann::ordered_json report = scenario.ReportJson();
  EXPECT_EQ(report["watchers"], 6);
  EXPECT_EQ(report["watch_targets"].size(), 2u);
  EXPECT_EQ(report["changes"]["answered"], 80);
  EXPECT_EQ(report["full_maps"]["start"], 6);
  EXPECT_EQ(report["delivery_latency_ms"]["count"], 6 * 80);
  EXPECT_EQ(report["final_comparison"]["mismatched_watchers"], 0);
  const std::string text = scenario.ReportText();
  EXPECT_NE(text.find("delivery latency ms"), std::string::npos) << text;
  EXPECT_NE(scenario.ProgressNote().find("events 492"), std::string::npos) << scenario.ProgressNote();
}

TEST_F(WatchScenarioGrpcTest, ASlowReaderReplacedByBehindMapsStillConverges) {
  model_.behind_every = 3;
  WatchScenario scenario(first_.stub(), Options(3));
  const LoadRunner::Snapshot snap = Run(scenario, 30, 3 * 32);
  EXPECT_TRUE(scenario.Check(snap.tally, snap.completed).empty());
  const WatchScenario::Figures f = scenario.TakeFigures();
  EXPECT_EQ(f.full_maps_behind, 10);
  EXPECT_EQ(f.change_events, 3 * 30 - 10);
  EXPECT_EQ(f.mismatched_watchers, 0);
  // A BEHIND map shows the change it replaced: still timed.
  EXPECT_EQ(f.delivery.delivered, 3 * 30);
}

TEST_F(WatchScenarioGrpcTest, ACopyThatDiffersFromTheMapFailsTheRun) {
  model_.corrupt_stream_1 = true;
  WatchScenario scenario(first_.stub(), Options(3));
  const LoadRunner::Snapshot snap = Run(scenario, 20);
  const WatchScenario::Figures f = scenario.TakeFigures();
  EXPECT_EQ(f.mismatched_watchers, 1);
  EXPECT_GT(f.mismatched_seats, 0);
  ASSERT_FALSE(f.mismatch_examples.empty());
  EXPECT_NE(f.mismatch_examples[0].find("shows"), std::string::npos) << f.mismatch_examples[0];
  EXPECT_NE(f.mismatch_examples[0].find("blocked"), std::string::npos) << f.mismatch_examples[0];
  // It kept comparing for the whole settle time (the timeout) before failing.
  EXPECT_GE(f.settle, 400ms);
  const std::vector<std::string> why = scenario.Check(snap.tally, snap.completed);
  ASSERT_EQ(why.size(), 1u);
  EXPECT_NE(why[0].find("1 of 3 watchers' copies differ from GetSeatMap"), std::string::npos) << why[0];
}

TEST_F(WatchScenarioGrpcTest, AChangeTurnedAwayLeavesItsSeatInUse) {
  model_.shed_every = 2;
  ScenarioOptions options = Options(2);
  options.seats = 10;
  WatchScenario scenario(first_.stub(), options);
  const LoadRunner::Snapshot snap = Run(scenario, 60, -1);
  const WatchScenario::Figures f = scenario.TakeFigures();
  EXPECT_GT(f.changes_turned_away, 0);
  EXPECT_EQ(f.changes_failed, 0);
  EXPECT_EQ(f.delivery.answered + f.changes_turned_away, 60);
  EXPECT_EQ(f.mismatched_watchers, 0);
  // The hold after one turned away is timed like any other.
  EXPECT_EQ(f.delivery.delivered, f.delivery.expected);
  // Closed loop: an error is an error (the open loop forgives RESOURCE_EXHAUSTED).
  const std::vector<std::string> why = scenario.Check(snap.tally, snap.completed);
  ASSERT_EQ(why.size(), 1u);
  EXPECT_NE(why[0].find("changes ended in a gRPC error"), std::string::npos) << why[0];
}

TEST_F(WatchScenarioGrpcTest, AStreamEndedByTheServiceFailsTheSetUp) {
  model_.refuse_watch = true;
  WatchScenario scenario(first_.stub(), Options(2));
  const grpc::Status status = scenario.Prepare();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(status.error_message().find("UNIMPLEMENTED"), std::string::npos) << status.error_message();
}

TEST_F(WatchScenarioGrpcTest, NoWatchersOnlyDrivesChanges) {
  WatchScenario scenario(first_.stub(), Options(0));
  const LoadRunner::Snapshot snap = Run(scenario, 10);
  EXPECT_TRUE(scenario.Check(snap.tally, snap.completed).empty());
  EXPECT_EQ(scenario.TakeFigures().delivery.answered, 10);
}

TEST(WatchScenarioTest, LayoutAndTargets) {
  const TripLayout layout = WatchScenario::Layout(200);
  EXPECT_EQ(layout.rows * layout.columns, 200);
  EXPECT_EQ(layout.stations.size(), static_cast<size_t>(WatchScenario::kSegments + 1));
  EXPECT_EQ(WatchScenario::TargetStatus(WatchScenario::Action::kHold), v1::SEAT_STATUS_HELD);
  EXPECT_EQ(WatchScenario::TargetStatus(WatchScenario::Action::kConfirm), v1::SEAT_STATUS_BOOKED);
  EXPECT_EQ(WatchScenario::TargetStatus(WatchScenario::Action::kRelease), v1::SEAT_STATUS_AVAILABLE);
  EXPECT_EQ(WatchScenario::TargetStatus(WatchScenario::Action::kCancel), v1::SEAT_STATUS_AVAILABLE);
}

}  // namespace
}  // namespace inventory::load
