// inventoryd with the embedded store: serving with no database server and
// no Redis (their addresses point nowhere), and what it acknowledged still
// there after it is SIGKILLed and started again on the same file.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
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
#include "storage/embedded/sqlite_seat_store.h"

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

// Loads trip `trip`: `seats` seats S1.. (rows of 4) over A-B-C.
::testing::AssertionResult InitTrip(v1::InventoryService::Stub& stub, const std::string& trip, int seats) {
  v1::InitializeTripInventoryRequest req;
  req.set_trip_id(trip);
  req.set_organization_id(kOrg);
  for (int s = 0; s < 2; ++s) {
    v1::SegmentDefinition* seg = req.add_segments();
    seg->set_segment_index(s);
    seg->set_from_station_id(std::string(1, static_cast<char>('A' + s)));
    seg->set_to_station_id(std::string(1, static_cast<char>('B' + s)));
  }
  for (int i = 1; i <= seats; ++i) {
    v1::SeatDefinition* seat = req.mutable_seat_config()->add_seats();
    seat->set_seat_id(absl::StrCat("S", i));
    seat->set_row((i - 1) / 4 + 1);
    seat->set_column((i - 1) % 4 + 1);
  }
  v1::InitializeTripInventoryResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 10s);
  grpc::Status st = stub.InitializeTripInventory(&ctx, req, &resp);
  if (!st.ok() || !resp.success()) return ::testing::AssertionFailure() << st.error_message();
  return ::testing::AssertionSuccess();
}

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
  ASSERT_TRUE(InitTrip(server.stub(), trip, 3)) << server.Log();
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


// A storm of holds, confirms and releases from 16 clients, the process
// SIGKILLed in the middle of it: every hold, booking and release that was
// answered is in the file afterwards, exactly (read with the store itself
// while no process runs), and a restart serves again within seconds.
TEST(InventorydEmbeddedE2eTest, ASigkillInAStormLosesNothingAcknowledged) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/embedded-storm-", getpid(), "-",
                                        std::random_device{}(), ".db");
  EmbeddedServer server(path);
  ASSERT_TRUE(server.Start());
  const std::string trip = "storm";
  constexpr int kSeats = 60;
  ASSERT_TRUE(InitTrip(server.stub(), trip, kSeats)) << server.Log();
  struct Acked {
    std::string seat;
    std::string hold_id;
    std::string booking_id;  // confirmed
    bool released = false;
  };
  std::mutex mu;
  std::vector<Acked> acked;
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 16; ++c) {
    clients.emplace_back([&, c] {
      std::mt19937 rng(static_cast<unsigned>(c) * 7919u + 1);
      for (int n = 0; !stop.load(); ++n) {
        const std::string user = absl::StrCat("u", c, "-", n);
        const std::string seat = absl::StrCat("S", 1 + rng() % kSeats);
        v1::HoldSeatsRequest hold;
        hold.set_trip_id(trip);
        hold.set_organization_id(kOrg);
        hold.set_user_id(user);
        hold.add_seat_ids(seat);
        v1::HoldSeatsResponse held;
        grpc::ClientContext hctx;
        hctx.set_deadline(std::chrono::system_clock::now() + 2s);
        if (!server.stub().HoldSeats(&hctx, hold, &held).ok()) continue;  // cut by the kill: outcome unknown
        ++answered;
        if (!held.success()) continue;
        Acked a{seat, held.hold_id(), "", false};
        {
          std::lock_guard lock(mu);
          acked.push_back(a);
        }
        const size_t me = [&] {
          std::lock_guard lock(mu);
          return acked.size() - 1;
        }();
        if (rng() % 2 == 0) {
          v1::ConfirmBookingRequest confirm;
          confirm.set_hold_id(held.hold_id());
          confirm.set_order_id(absl::StrCat("order-", user));
          confirm.set_user_id(user);
          confirm.set_organization_id(kOrg);
          v1::PassengerSeat* p = confirm.add_passengers();
          p->set_seat_id(seat);
          p->set_passenger_nid("1234567890");
          p->set_passenger_name("Passenger");
          v1::ConfirmBookingResponse booked;
          grpc::ClientContext cctx;
          cctx.set_deadline(std::chrono::system_clock::now() + 2s);
          if (server.stub().ConfirmBooking(&cctx, confirm, &booked).ok() && booked.success()) {
            std::lock_guard lock(mu);
            acked[me].booking_id = booked.booking_id();
          }
        } else if (rng() % 2 == 0) {
          v1::ReleaseSeatsRequest release;
          release.set_hold_id(held.hold_id());
          release.set_user_id(user);
          release.set_organization_id(kOrg);
          v1::ReleaseSeatsResponse released;
          grpc::ClientContext rctx;
          rctx.set_deadline(std::chrono::system_clock::now() + 2s);
          if (server.stub().ReleaseSeats(&rctx, release, &released).ok() && released.success()) {
            std::lock_guard lock(mu);
            acked[me].released = true;
          }
        }
      }
    });
  }
  std::this_thread::sleep_for(2s);
  server.Stop(SIGKILL);  // in the middle of the storm
  const int answered_at_kill = answered.load();
  stop = true;
  for (std::thread& t : clients) t.join();
  ASSERT_GT(answered_at_kill, 50) << "the storm did not get going";

  // The file, read by the store itself while no process runs.
  {
    storage::SqliteStoreOptions options;
    options.path = path;
    auto store = storage::SqliteSeatStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    asio::io_context io;
    auto loaded = asio::co_spawn(io, (*store)->LoadSnapshot(storage::TripRef{kOrg, trip}), asio::use_future);
    io.run();
    auto snap = loaded.get();
    ASSERT_TRUE(snap.ok()) << snap.status();
    int holds = 0, bookings = 0, releases = 0;
    for (const Acked& a : acked) {
      const auto& cells = (*snap)->states[static_cast<size_t>((*snap)->SeatIndex(a.seat))];
      for (const domain::SegmentState& cell : cells) {
        if (!a.booking_id.empty()) {
          EXPECT_EQ(cell.status, domain::SeatStatus::kBooked) << a.seat << " booked by " << a.booking_id;
          EXPECT_EQ(cell.booking_id, a.booking_id) << a.seat;
        } else if (a.released) {
          EXPECT_FALSE(cell.status == domain::SeatStatus::kHeld && cell.hold_id == a.hold_id)
              << a.seat << " released by " << a.hold_id << " is still held by it";
        } else {
          // Held, or booked by a confirm whose answer the kill cut.
          EXPECT_TRUE(cell.hold_id == a.hold_id || cell.status == domain::SeatStatus::kBooked)
              << a.seat << " held by " << a.hold_id << " is " << domain::StatusName(cell.status) << " "
              << cell.hold_id;
        }
      }
      holds += a.booking_id.empty() && !a.released;
      bookings += !a.booking_id.empty();
      releases += a.released;
    }
    std::printf("[storm] %d calls answered before the SIGKILL: %d holds, %d bookings, %d releases checked\n",
                answered_at_kill, holds, bookings, releases);
  }
  const auto restart = std::chrono::steady_clock::now();
  ASSERT_TRUE(server.Start());
  std::printf("[storm] ready again %lld ms after the restart began\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - restart)
                                         .count()));
  std::map<std::string, v1::SeatStatus> map = SeatMap(server.stub(), trip);
  for (const Acked& a : acked) {
    if (!a.booking_id.empty()) {
      EXPECT_EQ(map[a.seat], v1::SEAT_STATUS_BOOKED) << a.seat;
    }
  }
}

}  // namespace
}  // namespace inventory
