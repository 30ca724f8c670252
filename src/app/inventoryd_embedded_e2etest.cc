// inventoryd with the embedded store: serving with no database server and
// no Redis (their addresses point nowhere), and what it acknowledged still
// there after it is SIGKILLed and started again on the same file.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/test_env.h"
#include "common/test_http.h"
#include "common/test_process.h"
#include "inventory/v1/inventory.grpc.pb.h"

namespace inventory {
namespace {

namespace v1 = ::inventory::v1;
using namespace std::chrono_literals;

constexpr char kOrg[] = "org-embedded";

class EmbeddedServer {
 public:
  explicit EmbeddedServer(std::string path) : path_(std::move(path)) {}
  ~EmbeddedServer() { Stop(SIGTERM); }

  ::testing::AssertionResult Start() {
    port_ = testing::FreePort();
    http_port_ = testing::FreePort();
    // The database and Redis addresses lead nowhere: the embedded store needs neither.
    std::vector<std::string> args = {"--store", "embedded", "--embedded-path", path_, "--grpc-port",
                                     std::to_string(port_), "--http-port", std::to_string(http_port_),
                                     "--listen-address", "127.0.0.1", "--scylla-hosts", "127.0.0.1:1",
                                     "--redis-addr", "127.0.0.1:1", "--shutdown-grace-seconds", "1"};
    if (!process_.Start(INVENTORYD_PATH, args,
                        absl::StrCat(::testing::TempDir(), "/inventory-embedded-", getpid(), "-", ++starts_, ".log"))) {
      return ::testing::AssertionFailure() << "inventoryd did not start";
    }
    stub_ = v1::InventoryService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials()));
    for (int i = 0; i < 100; ++i) {
      std::optional<testing::HttpAnswer> ready = testing::HttpGet(http_port_, "/health/ready");
      if (ready.has_value() && ready->status == 200) return ::testing::AssertionSuccess();
      std::this_thread::sleep_for(100ms);
    }
    return ::testing::AssertionFailure() << "not ready" << process_.Log();
  }
  void Stop(int signal) {
    process_.Signal(signal);
    process_.Wait(30s);
  }
  v1::InventoryService::Stub& stub() { return *stub_; }
  int http_port() const { return http_port_; }
  std::string Log() { return process_.Log(); }

 private:
  std::string path_;
  int port_ = 0;
  int http_port_ = 0;
  int starts_ = 0;
  testing::ChildProcess process_;
  std::unique_ptr<v1::InventoryService::Stub> stub_;
};

std::map<std::string, v1::SeatStatus> SeatMap(v1::InventoryService::Stub& stub, const std::string& trip) {
  v1::GetSeatMapRequest req;
  req.set_trip_id(trip);
  req.set_organization_id(kOrg);
  v1::GetSeatMapResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 10s);
  grpc::Status st = stub.GetSeatMap(&ctx, req, &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
  std::map<std::string, v1::SeatStatus> out;
  for (const v1::SeatRow& row : resp.rows()) {
    for (const v1::SeatCell& c : row.seats()) out[c.seat_id()] = c.status();
  }
  return out;
}

v1::HoldSeatsResponse Hold(v1::InventoryService::Stub& stub, const std::string& trip, const std::string& user,
                           const std::string& seat) {
  v1::HoldSeatsRequest req;
  req.set_trip_id(trip);
  req.set_organization_id(kOrg);
  req.set_user_id(user);
  req.add_seat_ids(seat);
  v1::HoldSeatsResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 10s);
  grpc::Status st = stub.HoldSeats(&ctx, req, &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
  return resp;
}

TEST(InventorydEmbeddedE2eTest, ServesWithoutServersAndKeepsWhatItAcknowledgedThroughAKill) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/embedded-", getpid(), "-", std::random_device{}(),
                                        ".db");
  EmbeddedServer server(path);
  ASSERT_TRUE(server.Start());
  const std::string trip = "bus-0800";
  {
    v1::InitializeTripInventoryRequest req;
    req.set_trip_id(trip);
    req.set_organization_id(kOrg);
    for (int s = 0; s < 2; ++s) {
      v1::SegmentDefinition* seg = req.add_segments();
      seg->set_segment_index(s);
      seg->set_from_station_id(std::string(1, static_cast<char>('A' + s)));
      seg->set_to_station_id(std::string(1, static_cast<char>('B' + s)));
    }
    for (int i = 1; i <= 3; ++i) {
      v1::SeatDefinition* seat = req.mutable_seat_config()->add_seats();
      seat->set_seat_id(absl::StrCat("S", i));
      seat->set_row(1);
      seat->set_column(i);
    }
    v1::InitializeTripInventoryResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    grpc::Status st = server.stub().InitializeTripInventory(&ctx, req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message() << server.Log();
  }
  v1::HoldSeatsResponse held = Hold(server.stub(), trip, "u1", "S1");
  ASSERT_TRUE(held.success()) << held.failure_reason();
  v1::HoldSeatsResponse to_book = Hold(server.stub(), trip, "u2", "S2");
  ASSERT_TRUE(to_book.success());
  {
    v1::ConfirmBookingRequest req;
    req.set_hold_id(to_book.hold_id());
    req.set_order_id("order-1");
    req.set_user_id("u2");
    req.set_organization_id(kOrg);
    v1::PassengerSeat* p = req.add_passengers();
    p->set_seat_id("S2");
    p->set_passenger_nid("1234567890");
    p->set_passenger_name("Passenger");
    v1::ConfirmBookingResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    ASSERT_TRUE(server.stub().ConfirmBooking(&ctx, req, &resp).ok());
    ASSERT_TRUE(resp.success()) << resp.failure_reason();
  }
  std::optional<testing::HttpAnswer> health = testing::HttpGet(server.http_port(), "/health");
  ASSERT_TRUE(health.has_value());
  EXPECT_NE(health->body.find(R"("store":"embedded")"), std::string::npos) << health->body;
  EXPECT_NE(health->body.find(R"("redis":"unused")"), std::string::npos) << health->body;

  // Killed without a chance to flush anything, then started on the same file.
  server.Stop(SIGKILL);
  ASSERT_TRUE(server.Start());
  std::map<std::string, v1::SeatStatus> map = SeatMap(server.stub(), trip);
  EXPECT_EQ(map["S1"], v1::SEAT_STATUS_HELD);
  EXPECT_EQ(map["S2"], v1::SEAT_STATUS_BOOKED);
  EXPECT_EQ(map["S3"], v1::SEAT_STATUS_AVAILABLE);
  EXPECT_FALSE(Hold(server.stub(), trip, "u3", "S1").success());
  EXPECT_TRUE(Hold(server.stub(), trip, "u3", "S3").success());
}

}  // namespace
}  // namespace inventory
