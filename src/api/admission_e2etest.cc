// Admission control end to end: a real inventoryd, with tiny limits, against
// the test Cassandra (through a proxy the test can stall) and Redis.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <future>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/test_env.h"
#include "common/test_http.h"
#include "common/test_process.h"
#include "common/test_tcp_proxy.h"
#include "inventory/v1/inventory.grpc.pb.h"

namespace inventory {
namespace {

namespace v1 = ::inventory::v1;
using namespace std::chrono_literals;

constexpr char kOrg[] = "org-admission";

// One inventoryd whose database is reached through `proxy`, with `extra`
// arguments; serves a trip of `seats` seats (1..seats, one row) on one segment.
class Server {
 public:
  Server(const std::vector<std::string>& extra, const std::string& name)
      : proxy_(testing::CqlHost(), testing::CqlPort()), port_(testing::FreePort()), http_port_(testing::FreePort()) {
    std::vector<std::string> args = {
        "--grpc-port", std::to_string(port_), "--http-port", std::to_string(http_port_), "--scylla-hosts",
        absl::StrCat("127.0.0.1:", proxy_.port()), "--redis-addr",
        absl::StrCat(testing::RedisHost(), ":", testing::RedisPort()), "--scylla-keyspace",
        absl::StrCat("inv_adm_", std::random_device{}() % 100000000), "--listen-address", "127.0.0.1",
        "--max-holds-per-user", "100", "--shutdown-grace-seconds", "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    started_ = process_.Start(INVENTORYD_PATH, args,
                              absl::StrCat(::testing::TempDir(), "/inventory-", name, "-", getpid(), ".log"));
    stub_ = v1::InventoryService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials()));
  }
  ~Server() {
    proxy_.Resume();
    process_.Signal(SIGTERM);
    process_.Wait(30s);
  }

  // Loads trip `trip` once the server answers.
  ::testing::AssertionResult LoadTrip(const std::string& trip, int seats) {
    if (!started_) return ::testing::AssertionFailure() << "inventoryd did not start";
    v1::InitializeTripInventoryRequest req;
    req.set_trip_id(trip);
    req.set_organization_id(kOrg);
    v1::SegmentDefinition* s = req.add_segments();
    s->set_segment_index(0);
    s->set_from_station_id("A");
    s->set_to_station_id("B");
    for (int i = 1; i <= seats; ++i) {
      v1::SeatDefinition* seat = req.mutable_seat_config()->add_seats();
      seat->set_seat_id(Seat(i));
      seat->set_row(1);
      seat->set_column(i);
    }
    grpc::Status st;
    for (int i = 0; i < 450; ++i) {
      v1::InitializeTripInventoryResponse resp;
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + 10s);
      st = stub_->InitializeTripInventory(&ctx, req, &resp);
      if (st.ok()) return ::testing::AssertionSuccess();
      std::this_thread::sleep_for(200ms);
    }
    return ::testing::AssertionFailure() << st.error_message() << process_.Log();
  }

  static std::string Seat(int i) { return absl::StrCat("S", i); }
  // Redis is shared across runs: its taken-seat markers must not meet another run's trip.
  static std::string UniqueTrip(const std::string& name) { return absl::StrCat(name, "-", std::random_device{}()); }

  struct Answer {
    grpc::Status status;
    v1::HoldSeatsResponse response;
    std::string retry_after;  // the trailing metadata, if sent
  };
  Answer Hold(const std::string& trip, const std::string& user, const std::string& seat,
              std::chrono::milliseconds deadline = 30s) {
    v1::HoldSeatsRequest req;
    req.set_trip_id(trip);
    req.set_organization_id(kOrg);
    req.set_user_id(user);
    req.add_seat_ids(seat);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + deadline);
    Answer a;
    a.status = stub_->HoldSeats(&ctx, req, &a.response);
    auto hint = ctx.GetServerTrailingMetadata().find("retry-after-ms");
    if (hint != ctx.GetServerTrailingMetadata().end()) a.retry_after = std::string(hint->second.data(), hint->second.size());
    return a;
  }

  // The value of the metrics line starting with `series` (-1: none).
  double Metric(const std::string& series) {
    std::optional<testing::HttpAnswer> page = testing::HttpGet(http_port_, "/metrics");
    if (!page.has_value()) return -1;
    size_t at = page->body.find(series + " ");
    double value = -1;
    if (at != std::string::npos) {
      size_t end = page->body.find('\n', at);
      (void)absl::SimpleAtod(page->body.substr(at + series.size() + 1, end - at - series.size() - 1), &value);
    }
    return value;
  }

  testing::TcpProxy& proxy() { return proxy_; }
  v1::InventoryService::Stub& stub() { return *stub_; }
  std::string Log() { return process_.Log(); }

 private:
  testing::TcpProxy proxy_;
  int port_;
  int http_port_;
  testing::ChildProcess process_;
  bool started_ = false;
  std::unique_ptr<v1::InventoryService::Stub> stub_;
};

// Holds past the edge beyond the slots and the queue are turned away at once
// with RESOURCE_EXHAUSTED and a hint; nothing of theirs stays behind (their
// seats are free for the next caller at once: the pre-locks went with them);
// holds the edge refuses are answered, never turned away.
TEST(AdmissionE2eTest, HoldsBeyondTheSlotsAreTurnedAwayWithAHintAndLeaveNothingBehind) {
  Server server({"--admission-holds-in-flight", "1", "--admission-queue", "0"}, "admission-shed");
  const std::string trip = Server::UniqueTrip("storm");
  constexpr int kSeats = 40;
  ASSERT_TRUE(server.LoadTrip(trip, kSeats));

  std::vector<std::future<Server::Answer>> storm;
  for (int i = 1; i <= kSeats; ++i) {
    storm.push_back(std::async(std::launch::async, [&server, &trip, i] {
      return server.Hold(trip, absl::StrCat("first-", i), Server::Seat(i));
    }));
  }
  std::vector<int> shed, held;
  for (int i = 1; i <= kSeats; ++i) {
    Server::Answer a = storm[i - 1].get();
    if (a.status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      shed.push_back(i);
      int64_t hint = 0;
      EXPECT_TRUE(absl::SimpleAtoi(a.retry_after, &hint)) << "no retry-after-ms: '" << a.retry_after << "'";
      EXPECT_GT(hint, 0);
    } else {
      ASSERT_TRUE(a.status.ok()) << a.status.error_code() << " " << a.status.error_message();
      EXPECT_TRUE(a.response.success()) << a.response.failure_reason();
      held.push_back(i);
    }
  }
  EXPECT_FALSE(shed.empty()) << "one slot, no queue, " << kSeats << " holds at once: some must be turned away";
  EXPECT_FALSE(held.empty());
  EXPECT_EQ(server.Metric(R"(inventory_admission_shed_total{class="hold",reason="queue_full"})"),
            static_cast<double>(shed.size()));
  // A seat whose hold was turned away is free for the next caller at once.
  for (int i : shed) {
    Server::Answer a = server.Hold(trip, absl::StrCat("second-", i), Server::Seat(i));
    ASSERT_TRUE(a.status.ok()) << a.status.error_message();
    EXPECT_TRUE(a.response.success()) << "seat " << i << ": " << a.response.failure_reason();
  }
  // A storm on taken seats is refused at the edge: answers, never RESOURCE_EXHAUSTED.
  std::vector<std::future<Server::Answer>> refused;
  for (int i = 1; i <= kSeats; ++i) {
    refused.push_back(std::async(std::launch::async, [&server, &trip, i] {
      return server.Hold(trip, absl::StrCat("late-", i), Server::Seat(i));
    }));
  }
  for (auto& f : refused) {
    Server::Answer a = f.get();
    ASSERT_TRUE(a.status.ok()) << a.status.error_code() << " " << a.status.error_message();
    EXPECT_FALSE(a.response.success());
    EXPECT_EQ(a.response.reason(), v1::FAILURE_REASON_NOT_AVAILABLE);
  }
}

// A hold whose deadline passes while it waits for its turn never reaches the
// database: its seat is free afterwards, whereas a hold worked after its
// caller gave up would take the seat for nobody.
TEST(AdmissionE2eTest, AHoldWhoseDeadlinePassesWhileWaitingNeverReachesTheDatabase) {
  const bool admission = std::getenv("INVENTORY_TEST_ADMISSION_OFF") == nullptr;  // off: shows the defect
  Server server({"--admission-control", admission ? "on" : "off", "--admission-holds-in-flight", "1",
                 "--admission-queue-ms", "10000"},
                "admission-deadline");
  const std::string trip = Server::UniqueTrip("deadline");
  ASSERT_TRUE(server.LoadTrip(trip, 2));

  server.proxy().Stall();  // the database stops answering: the first hold keeps its slot
  const auto stalled = std::chrono::steady_clock::now();
  auto since_stall = [stalled] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - stalled).count();
  };
  std::atomic<int64_t> first_answered_ms{-1};
  auto first = std::async(std::launch::async, [&] {
    Server::Answer a = server.Hold(trip, "first", Server::Seat(1));
    first_answered_ms = since_stall();
    return a;
  });
  std::this_thread::sleep_for(300ms);
  Server::Answer late = server.Hold(trip, "impatient", Server::Seat(2), 300ms);
  EXPECT_EQ(late.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
      << late.status.error_code() << " " << late.status.error_message() << late.response.ShortDebugString()
      << " (answered " << since_stall() << " ms after the stall; the first hold "
      << first_answered_ms.load() << " ms after it, -1: not yet)";
  std::this_thread::sleep_for(500ms);
  server.proxy().Resume();
  Server::Answer a = first.get();
  ASSERT_TRUE(a.status.ok()) << a.status.error_message() << server.Log();
  EXPECT_TRUE(a.response.success());

  Server::Answer next = server.Hold(trip, "next", Server::Seat(2));
  ASSERT_TRUE(next.status.ok()) << next.status.error_message();
  EXPECT_TRUE(next.response.success()) << "the impatient caller's hold was worked after its deadline: "
                                       << next.response.failure_reason();
  if (admission) {
    EXPECT_EQ(server.Metric(R"(inventory_admission_deadline_exceeded_total{class="hold"})"), 1.0);
  }
}

// A hold whose caller cancels it while it waits for its turn stops there:
// the slot it is then given goes unused and its seat stays free.
TEST(AdmissionE2eTest, AHoldCancelledWhileWaitingNeverReachesTheDatabase) {
  Server server({"--admission-holds-in-flight", "1", "--admission-queue-ms", "60000"}, "admission-cancel");
  const std::string trip = Server::UniqueTrip("cancel");
  ASSERT_TRUE(server.LoadTrip(trip, 2));

  server.proxy().Stall();  // the database stops answering: the first hold keeps its slot
  auto first = std::async(std::launch::async, [&] { return server.Hold(trip, "first", Server::Seat(1)); });
  std::this_thread::sleep_for(300ms);
  v1::HoldSeatsRequest req;
  req.set_trip_id(trip);
  req.set_organization_id(kOrg);
  req.set_user_id("cancelling");
  req.add_seat_ids(Server::Seat(2));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 30s);
  auto cancelled = std::async(std::launch::async, [&] {
    v1::HoldSeatsResponse resp;
    return server.stub().HoldSeats(&ctx, req, &resp);
  });
  // It waits in the hold queue now; the first hold's slot frees well
  // within 100 ms, before the queue would count as standing (and turn
  // its waiters away by itself).
  std::this_thread::sleep_for(20ms);
  ctx.TryCancel();
  EXPECT_EQ(cancelled.get().error_code(), grpc::StatusCode::CANCELLED);
  std::this_thread::sleep_for(20ms);  // the server has seen the cancellation
  server.proxy().Resume();
  Server::Answer a = first.get();
  ASSERT_TRUE(a.status.ok()) << a.status.error_message() << server.Log();
  EXPECT_TRUE(a.response.success());

  Server::Answer next = server.Hold(trip, "next", Server::Seat(2));
  ASSERT_TRUE(next.status.ok()) << next.status.error_message();
  EXPECT_TRUE(next.response.success()) << "the cancelled hold was worked once its turn came: "
                                       << next.response.failure_reason();
}

// WatchSeatMap's refusals reach the caller as the stream's status, with no
// event: past the streams' limit RESOURCE_EXHAUSTED, an unknown trip
// NOT_FOUND; a stream within the limit gets its full map.
TEST(AdmissionE2eTest, AWatchPastTheStreamsLimitIsResourceExhausted) {
  Server server({"--watch-max-watchers", "1"}, "admission-watch");
  const std::string trip = Server::UniqueTrip("watch");
  ASSERT_TRUE(server.LoadTrip(trip, 2));
  auto watch = [&](const std::string& trip_id, grpc::ClientContext* ctx) {
    v1::WatchSeatMapRequest req;
    req.set_trip_id(trip_id);
    req.set_organization_id(kOrg);
    ctx->set_deadline(std::chrono::system_clock::now() + 30s);
    return server.stub().WatchSeatMap(ctx, req);
  };
  grpc::ClientContext open_ctx;
  v1::SeatMapEvent event;
  auto open = watch(trip, &open_ctx);
  ASSERT_TRUE(open->Read(&event));
  EXPECT_EQ(event.full_map_reason(), v1::FULL_MAP_REASON_START);
  EXPECT_EQ(event.full_map().rows(0).seats_size(), 2);

  grpc::ClientContext over_ctx;
  auto over = watch(trip, &over_ctx);
  EXPECT_FALSE(over->Read(&event));
  EXPECT_EQ(over->Finish().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);

  open_ctx.TryCancel();
  (void)open->Finish();
  grpc::ClientContext unknown_ctx;
  auto unknown = watch("no-such-trip", &unknown_ctx);
  EXPECT_FALSE(unknown->Read(&event));
  EXPECT_EQ(unknown->Finish().error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace inventory
