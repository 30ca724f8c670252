// inventory.v1.InventoryService end to end: the real inventoryd against the
// test Cassandra and Redis, through gRPC. One server per suite; every test
// makes its own trip, so tests do not see each other's seats.
#include <gtest/gtest.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/test_env.h"
#include "common/test_http.h"
#include "common/test_process.h"
#include "common/test_tcp_proxy.h"
#include "cql/session.h"
#include "storage/cql/cql_seat_store.h"
#include "storage/embedded/sqlite_seat_store.h"

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>
#include "testing_health.h"
#include "inventory/v1/inventory.grpc.pb.h"

namespace inventory {
namespace {

namespace v1 = ::inventory::v1;
using namespace std::chrono_literals;

constexpr char kOrg[] = "org-e2e";
// Changes made behind the service's back (as by another instance) show in
// its seat maps once this has passed.
constexpr std::chrono::milliseconds kSeatMapTtl{2000};
// The clock skew the server tolerates: expired holds are reclaimed this long
// after their expiry.
constexpr std::chrono::milliseconds kSkewTolerance{300};
// The repairer takes an operation for abandoned at this age.
constexpr std::chrono::milliseconds kRepairMinAge{2000};

// The store the suite runs against: the embedded one with
// INVENTORY_TEST_STORE=embedded (ctest's inventory_e2etest_embedded), else
// Cassandra and Redis. One source, both backends.
bool Embedded() {
  const char* store = std::getenv("INVENTORY_TEST_STORE");
  return store != nullptr && std::string(store) == "embedded";
}

class InventoryE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    process_ = new testing::ChildProcess();
    port_ = testing::FreePort();
    http_port_ = testing::FreePort();
    std::vector<std::string> args = {"--grpc-port", std::to_string(port_), "--http-port", std::to_string(http_port_),
                                     "--listen-address", "127.0.0.1", "--hold-ttl-min", "1", "--seatmap-cache-ttl-ms",
                                     std::to_string(kSeatMapTtl.count()), "--clock-skew-tolerance-ms",
                                     std::to_string(kSkewTolerance.count()), "--repair-min-age-ms",
                                     std::to_string(kRepairMinAge.count()), "--repair-interval-ms", "200"};
    if (Embedded()) {
      // The database file: what the tests' direct store opens too.
      keyspace_ = absl::StrCat(::testing::TempDir(), "/inventory-e2e-", getpid(), "-", std::random_device{}(), ".db");
      args.insert(args.end(), {"--store", "embedded", "--embedded-path", keyspace_});
    } else {
      keyspace_ = absl::StrCat("inv_e2e_", std::random_device{}() % 100000000);
      args.insert(args.end(), {"--scylla-hosts", absl::StrCat(testing::CqlHost(), ":", testing::CqlPort()),
                               "--redis-addr", absl::StrCat(testing::RedisHost(), ":", testing::RedisPort()),
                               "--scylla-keyspace", keyspace_});
    }
    const std::string log = absl::StrCat(::testing::TempDir(), "/inventory-e2e-", getpid(), ".log");
    ASSERT_TRUE(process_->Start(INVENTORYD_PATH, args, log));
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials());
    const bool serving = testing::WaitForHealth(absl::StrCat("127.0.0.1:", port_), 90s, process_) ==
                         grpc::health::v1::HealthCheckResponse::SERVING;
    ASSERT_TRUE(serving) << process_->Log();
    stub_ = v1::InventoryService::NewStub(channel).release();
  }

  static void TearDownTestSuite() {
    delete stub_;
    stub_ = nullptr;
    process_->Signal(SIGTERM);
    process_->Wait(30s);
    delete process_;
  }

  // A trip A-B-C-D (3 segments), seats 1A..3D (row r, column c), economy;
  // row 1 is business.
  std::string NewTrip(int rows = 3, int columns = 4, int segments = 3) {
    const std::string trip = absl::StrCat("trip-", std::random_device{}(), "-", counter_++);
    v1::InitializeTripInventoryRequest req;
    req.set_trip_id(trip);
    req.set_organization_id(kOrg);
    req.set_vehicle_id("bus-1");
    req.set_vehicle_type("bus");
    for (int i = 0; i < segments; ++i) {
      v1::SegmentDefinition* s = req.add_segments();
      s->set_segment_index(i);
      s->set_from_station_id(Station(i));
      s->set_to_station_id(Station(i + 1));
      s->set_departure_time(1000 + i * 100);
      s->set_arrival_time(1050 + i * 100);
    }
    for (int r = 1; r <= rows; ++r) {
      for (int c = 1; c <= columns; ++c) {
        v1::SeatDefinition* s = req.mutable_seat_config()->add_seats();
        s->set_seat_id(SeatId(r, c));
        s->set_seat_number(SeatId(r, c));
        s->set_row(r);
        s->set_column(c);
        s->set_seat_type(c == 1 || c == columns ? "window" : "aisle");
        s->set_seat_class(r == 1 ? "business" : "economy");
        s->set_price_paisa(r == 1 ? 90000 : 50000 + c * 100);
      }
    }
    v1::InitializeTripInventoryResponse resp;
    grpc::Status st = Call(&v1::InventoryService::Stub::InitializeTripInventory, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    EXPECT_TRUE(resp.success());
    return trip;
  }

  static std::string Station(int i) { return std::string(1, static_cast<char>('A' + i)); }
  static std::string SeatId(int r, int c) { return absl::StrCat(r, std::string(1, static_cast<char>('A' + c - 1))); }

  template <typename Method, typename Req, typename Resp>
  static grpc::Status Call(Method method, const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 30s);
    return (stub_->*method)(&ctx, req, resp);
  }

  static v1::HoldSeatsRequest HoldReq(const std::string& trip, const std::string& user, std::vector<std::string> seats,
                                      const std::string& from = "", const std::string& to = "", int duration = 0) {
    v1::HoldSeatsRequest req;
    req.set_trip_id(trip);
    req.set_organization_id(kOrg);
    req.set_user_id(user);
    req.set_session_id("session-" + user);
    req.set_from_station_id(from);
    req.set_to_station_id(to);
    req.set_hold_duration_seconds(duration);
    for (const std::string& s : seats) req.add_seat_ids(s);
    return req;
  }

  static grpc::Status Hold(const v1::HoldSeatsRequest& req, v1::HoldSeatsResponse* resp) {
    return Call(&v1::InventoryService::Stub::HoldSeats, req, resp);
  }

  static grpc::Status Release(const std::string& hold_id, const std::string& user, v1::ReleaseSeatsResponse* resp) {
    v1::ReleaseSeatsRequest req;
    req.set_hold_id(hold_id);
    req.set_user_id(user);
    req.set_organization_id(kOrg);
    return Call(&v1::InventoryService::Stub::ReleaseSeats, req, resp);
  }

  static v1::ConfirmBookingRequest ConfirmReq(const std::string& hold, const std::string& user,
                                              const std::vector<std::string>& seats, const std::string& order) {
    v1::ConfirmBookingRequest req;
    req.set_hold_id(hold);
    req.set_user_id(user);
    req.set_organization_id(kOrg);
    req.set_order_id(order);
    for (const std::string& s : seats) {
      v1::PassengerSeat* p = req.add_passengers();
      p->set_seat_id(s);
      p->set_passenger_name("Passenger " + s);
      p->set_passenger_nid("NID-" + s);
    }
    return req;
  }

  static v1::SeatStatus StatusOf(const v1::GetSeatMapResponse& map, const std::string& seat) {
    for (const v1::SeatRow& row : map.rows()) {
      for (const v1::SeatCell& cell : row.seats()) {
        if (cell.seat_id() == seat) return cell.status();
      }
    }
    return v1::SEAT_STATUS_UNSPECIFIED;
  }

  static v1::GetSeatMapResponse SeatMap(const std::string& trip, const std::string& from = "",
                                        const std::string& to = "") {
    v1::GetSeatMapRequest req;
    req.set_trip_id(trip);
    req.set_organization_id(kOrg);
    req.set_from_station_id(from);
    req.set_to_station_id(to);
    v1::GetSeatMapResponse resp;
    grpc::Status st = Call(&v1::InventoryService::Stub::GetSeatMap, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  }

  static inline testing::ChildProcess* process_ = nullptr;
  static inline v1::InventoryService::Stub* stub_ = nullptr;
  static inline int port_ = 0;
  static inline int http_port_ = 0;
  static inline std::string keyspace_;
  static inline std::atomic<int> counter_{0};
};

void ExpectInvalid(const grpc::Status& st, const std::string& field) {
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
  EXPECT_NE(st.error_message().find(field), std::string::npos) << st.error_message();
}

// --- Outcome table: malformed requests ---

TEST_F(InventoryE2eTest, MalformedHoldRequestsNameTheField) {
  const std::string trip = NewTrip();
  v1::HoldSeatsResponse resp;
  v1::HoldSeatsRequest req = HoldReq(trip, "u1", {"2A"});
  req.clear_trip_id();
  ExpectInvalid(Hold(req, &resp), "trip_id");
  req = HoldReq(trip, "u1", {"2A"});
  req.clear_user_id();
  ExpectInvalid(Hold(req, &resp), "user_id");
  req = HoldReq(trip, "u1", {"2A"});
  req.clear_organization_id();
  ExpectInvalid(Hold(req, &resp), "organization_id");
  ExpectInvalid(Hold(HoldReq(trip, "u1", {"2A"}, "X", "C"), &resp), "from_station_id");
  ExpectInvalid(Hold(HoldReq(trip, "u1", {"2A"}, "A", "Z"), &resp), "to_station_id");
  ExpectInvalid(Hold(HoldReq(trip, "u1", {"2A"}, "C", "B"), &resp), "station_id");
  ExpectInvalid(Hold(HoldReq(trip, "u1", {"2A"}, "B", "B"), &resp), "station_id");
  ExpectInvalid(Hold(HoldReq(trip, "u1", {}), &resp), "seat_ids");
  ExpectInvalid(Hold(HoldReq(trip, "u1", {"2A", "2A"}), &resp), "seat_ids");
  ExpectInvalid(Hold(HoldReq(trip, "u1", {""}), &resp), "seat_ids");
  ExpectInvalid(Hold(HoldReq(trip, "u1", {"9Z"}), &resp), "seat_ids");
  ExpectInvalid(Hold(HoldReq(trip, "u1", {"2A"}, "", "", -5), &resp), "hold_duration_seconds");
  ExpectInvalid(Hold(HoldReq(trip, "u1", {"2A"}, "", "", 100000), &resp), "hold_duration_seconds");
  std::vector<std::string> many;
  for (int c = 1; c <= 4; ++c) {
    for (int r = 1; r <= 3; ++r) many.push_back(SeatId(r, c));
  }
  ExpectInvalid(Hold(HoldReq(trip, "u1", many), &resp), "seat_ids");

  v1::CheckAvailabilityRequest check;
  check.set_trip_id(trip);
  check.set_organization_id(kOrg);
  check.set_passengers(100000);
  v1::CheckAvailabilityResponse avail;
  ExpectInvalid(Call(&v1::InventoryService::Stub::CheckAvailability, check, &avail), "passengers");
}

TEST_F(InventoryE2eTest, MalformedTripDefinitionsAreRefused) {
  v1::InitializeTripInventoryRequest req;
  req.set_trip_id("bad-trip");
  req.set_organization_id(kOrg);
  v1::SegmentDefinition* s = req.add_segments();
  s->set_segment_index(0);
  s->set_from_station_id("A");
  s->set_to_station_id("B");
  s = req.add_segments();
  s->set_segment_index(1);
  s->set_from_station_id("X");  // does not continue from B
  s->set_to_station_id("C");
  v1::SeatDefinition* seat = req.mutable_seat_config()->add_seats();
  seat->set_seat_id("1A");
  seat->set_row(1);
  seat->set_column(1);
  v1::InitializeTripInventoryResponse resp;
  ExpectInvalid(Call(&v1::InventoryService::Stub::InitializeTripInventory, req, &resp), "segments[1].from_station_id");
  req.mutable_segments(1)->set_from_station_id("B");
  req.mutable_segments(1)->set_segment_index(2);
  ExpectInvalid(Call(&v1::InventoryService::Stub::InitializeTripInventory, req, &resp), "segment_index");
  req.mutable_segments(1)->set_segment_index(1);
  *req.mutable_seat_config()->add_seats() = *seat;
  ExpectInvalid(Call(&v1::InventoryService::Stub::InitializeTripInventory, req, &resp), "duplicate");
  req.mutable_seat_config()->mutable_seats()->RemoveLast();
  req.mutable_seat_config()->mutable_seats(0)->set_row(0);
  ExpectInvalid(Call(&v1::InventoryService::Stub::InitializeTripInventory, req, &resp), "row");
}

// --- Outcome table: unknown trip ---

TEST_F(InventoryE2eTest, UnknownTripIsNotFound) {
  v1::HoldSeatsResponse resp;
  EXPECT_EQ(Hold(HoldReq("no-such-trip", "u1", {"1A"}), &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::GetSeatMapRequest map;
  map.set_trip_id("no-such-trip");
  map.set_organization_id(kOrg);
  v1::GetSeatMapResponse map_resp;
  EXPECT_EQ(Call(&v1::InventoryService::Stub::GetSeatMap, map, &map_resp).error_code(), grpc::StatusCode::NOT_FOUND);

  // A storm on an unknown trip id: one database read, the others answered
  // from memory within SEATMAP_NOT_FOUND_TTL_MS (2 s by default).
  map.set_trip_id(absl::StrCat("no-such-trip-", std::chrono::steady_clock::now().time_since_epoch().count()));
  auto value = [](const std::string& series) {
    std::optional<testing::HttpAnswer> page = testing::HttpGet(http_port_, "/metrics");
    return page.has_value() ? testing::MetricValue(page->body, series) : -1.0;
  };
  const double loads = value("inventory_seatmap_cache_loads_total");
  const double remembered = value("inventory_seatmap_cache_not_found_total");
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Call(&v1::InventoryService::Stub::GetSeatMap, map, &map_resp).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  EXPECT_EQ(value("inventory_seatmap_cache_loads_total") - loads, 1);
  EXPECT_EQ(value("inventory_seatmap_cache_not_found_total") - remembered, 4);
}

// --- Outcome table: contention ---

TEST_F(InventoryE2eTest, ConcurrentRequestsForOneSeatGiveOneWinnerAndTheOthersHearItIsTaken) {
  const std::string trip = NewTrip();
  constexpr int kClients = 24;
  std::vector<v1::HoldSeatsResponse> responses(kClients);
  std::vector<grpc::Status> statuses(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] { statuses[i] = Hold(HoldReq(trip, absl::StrCat("racer-", i), {"2B"}), &responses[i]); });
  }
  for (std::thread& t : threads) t.join();
  int wins = 0, contention = 0, taken = 0;
  for (int i = 0; i < kClients; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << statuses[i].error_message();
    if (responses[i].success()) {
      ++wins;
      continue;
    }
    ASSERT_EQ(responses[i].failed_seat_ids_size(), 1);
    EXPECT_EQ(responses[i].failed_seat_ids(0), "2B");
    if (responses[i].reason() == v1::FAILURE_REASON_CONTENTION) {
      ++contention;
      EXPECT_EQ(responses[i].failure_reason().rfind("seat query contention - please retry", 0), 0u);
    } else {
      ++taken;
      EXPECT_EQ(responses[i].reason(), v1::FAILURE_REASON_NOT_AVAILABLE);
      EXPECT_EQ(responses[i].failure_reason(), "some seats not available");
    }
  }
  // The others waited for the request in flight and heard its outcome: the
  // seat is known taken, so "not available" — never "please retry".
  EXPECT_EQ(wins, 1);
  EXPECT_EQ(contention, 0);
  EXPECT_EQ(taken, kClients - 1);
}

// --- Outcome table: taken on some segment of the journey ---

TEST_F(InventoryE2eTest, SegmentsDecideAvailability) {
  const std::string trip = NewTrip();
  v1::HoldSeatsResponse first;
  ASSERT_TRUE(Hold(HoldReq(trip, "seg-u1", {"3A"}, "A", "C"), &first).ok());
  ASSERT_TRUE(first.success()) << first.failure_reason();
  // Overlaps B->C: refused.
  v1::HoldSeatsResponse overlap;
  ASSERT_TRUE(Hold(HoldReq(trip, "seg-u2", {"3A"}, "B", "D"), &overlap).ok());
  EXPECT_FALSE(overlap.success());
  EXPECT_EQ(overlap.reason(), v1::FAILURE_REASON_NOT_AVAILABLE);
  EXPECT_EQ(overlap.failure_reason(), "some seats not available");
  ASSERT_EQ(overlap.failed_seat_ids_size(), 1);
  EXPECT_EQ(overlap.failed_seat_ids(0), "3A");
  // C->D is free.
  v1::HoldSeatsResponse after;
  ASSERT_TRUE(Hold(HoldReq(trip, "seg-u3", {"3A"}, "C", "D"), &after).ok());
  EXPECT_TRUE(after.success()) << after.failure_reason();
  // Seat map over the journeys.
  EXPECT_EQ(StatusOf(SeatMap(trip, "A", "B"), "3A"), v1::SEAT_STATUS_HELD);
  EXPECT_EQ(StatusOf(SeatMap(trip), "3A"), v1::SEAT_STATUS_HELD);
  EXPECT_EQ(StatusOf(SeatMap(trip), "3B"), v1::SEAT_STATUS_AVAILABLE);
}

TEST_F(InventoryE2eTest, BookedAndBlockedSeatsAreRefused) {
  const std::string trip = NewTrip();
  v1::HoldSeatsResponse held;
  ASSERT_TRUE(Hold(HoldReq(trip, "bk-u1", {"2C"}, "A", "B"), &held).ok());
  ASSERT_TRUE(held.success());
  v1::ConfirmBookingResponse booked;
  ASSERT_TRUE(Call(&v1::InventoryService::Stub::ConfirmBooking, ConfirmReq(held.hold_id(), "bk-u1", {"2C"}, "order-1"),
                   &booked)
                  .ok());
  ASSERT_TRUE(booked.success());
  v1::HoldSeatsResponse refused;
  ASSERT_TRUE(Hold(HoldReq(trip, "bk-u2", {"2C"}), &refused).ok());
  EXPECT_FALSE(refused.success());
  EXPECT_EQ(refused.failure_reason(), "some seats not available");
  // B->D travellers may take the seat booked only A->B.
  v1::HoldSeatsResponse later;
  ASSERT_TRUE(Hold(HoldReq(trip, "bk-u3", {"2C"}, "B", "D"), &later).ok());
  EXPECT_TRUE(later.success()) << later.failure_reason();
  EXPECT_EQ(StatusOf(SeatMap(trip, "A", "B"), "2C"), v1::SEAT_STATUS_BOOKED);

  v1::UpdateInventoryRequest block;
  block.set_trip_id(trip);
  block.set_organization_id(kOrg);
  v1::SeatUpdate* u = block.add_updates();
  u->set_seat_id("2D");
  u->set_new_status(v1::SEAT_STATUS_BLOCKED);
  u->set_reason("maintenance");
  u = block.add_updates();
  u->set_seat_id("2C");  // held and booked: must be left alone
  u->set_new_status(v1::SEAT_STATUS_BLOCKED);
  v1::UpdateInventoryResponse blocked;
  ASSERT_TRUE(Call(&v1::InventoryService::Stub::UpdateInventory, block, &blocked).ok());
  EXPECT_EQ(blocked.updated_count(), 1);
  ASSERT_EQ(blocked.skipped_seat_ids_size(), 1);
  EXPECT_EQ(blocked.skipped_seat_ids(0), "2C");
  v1::HoldSeatsResponse on_blocked;
  ASSERT_TRUE(Hold(HoldReq(trip, "bk-u4", {"2D"}), &on_blocked).ok());
  EXPECT_FALSE(on_blocked.success());
  EXPECT_EQ(on_blocked.reason(), v1::FAILURE_REASON_NOT_AVAILABLE);
  EXPECT_EQ(StatusOf(SeatMap(trip), "2D"), v1::SEAT_STATUS_BLOCKED);
  // Unblock, then it can be held.
  block.clear_updates();
  u = block.add_updates();
  u->set_seat_id("2D");
  u->set_new_status(v1::SEAT_STATUS_AVAILABLE);
  ASSERT_TRUE(Call(&v1::InventoryService::Stub::UpdateInventory, block, &blocked).ok());
  EXPECT_EQ(blocked.updated_count(), 1);
  ASSERT_TRUE(Hold(HoldReq(trip, "bk-u4", {"2D"}), &on_blocked).ok());
  EXPECT_TRUE(on_blocked.success()) << on_blocked.failure_reason();
}

// --- Outcome table: hold limit ---

TEST_F(InventoryE2eTest, HoldLimitPerUserAndRetriedHoldsDoNotCountTwice) {
  const std::string trip = NewTrip();
  v1::HoldSeatsResponse a, again, b, c;
  ASSERT_TRUE(Hold(HoldReq(trip, "lim-u", {"3A"}), &a).ok());
  ASSERT_TRUE(a.success());
  // The same request again: the first hold back, no second slot taken.
  ASSERT_TRUE(Hold(HoldReq(trip, "lim-u", {"3A"}), &again).ok());
  ASSERT_TRUE(again.success()) << again.failure_reason();
  EXPECT_EQ(again.hold_id(), a.hold_id());
  EXPECT_EQ(again.expires_at(), a.expires_at());
  ASSERT_TRUE(Hold(HoldReq(trip, "lim-u", {"3B"}), &b).ok());
  ASSERT_TRUE(b.success()) << b.failure_reason();
  ASSERT_TRUE(Hold(HoldReq(trip, "lim-u", {"3C"}), &c).ok());
  EXPECT_FALSE(c.success());
  EXPECT_EQ(c.reason(), v1::FAILURE_REASON_HOLD_LIMIT_REACHED);
  EXPECT_EQ(c.failure_reason(), "maximum concurrent holds exceeded");
  // The refused hold left its seat free.
  EXPECT_EQ(StatusOf(SeatMap(trip), "3C"), v1::SEAT_STATUS_AVAILABLE);
  // Releasing one frees a slot.
  v1::ReleaseSeatsResponse released;
  ASSERT_TRUE(Release(a.hold_id(), "lim-u", &released).ok());
  EXPECT_TRUE(released.success());
  EXPECT_EQ(released.released_count(), 1);
  ASSERT_TRUE(Hold(HoldReq(trip, "lim-u", {"3C"}), &c).ok());
  EXPECT_TRUE(c.success()) << c.failure_reason();
}

// --- Outcome table: unknown or foreign holds, expiry, passenger mismatch ---

TEST_F(InventoryE2eTest, ConfirmAndReleaseOfUnknownOrForeignHolds) {
  const std::string trip = NewTrip();
  v1::HoldSeatsResponse held;
  ASSERT_TRUE(Hold(HoldReq(trip, "own-u", {"1A"}), &held).ok());
  ASSERT_TRUE(held.success());
  v1::ConfirmBookingResponse resp;
  grpc::Status st = Call(&v1::InventoryService::Stub::ConfirmBooking, ConfirmReq("no-such-hold", "own-u", {"1A"}, "o"), &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(st.error_message(), "hold not found");
  st = Call(&v1::InventoryService::Stub::ConfirmBooking, ConfirmReq(held.hold_id(), "someone-else", {"1A"}, "o"), &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(st.error_message(), "hold not found");
  v1::ConfirmBookingRequest other_org = ConfirmReq(held.hold_id(), "own-u", {"1A"}, "o");
  other_org.set_organization_id("another-org");
  st = Call(&v1::InventoryService::Stub::ConfirmBooking, other_org, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(st.error_message(), "hold not found");

  v1::ReleaseSeatsResponse released;
  ASSERT_TRUE(Release(held.hold_id(), "someone-else", &released).ok());
  EXPECT_FALSE(released.success());
  EXPECT_EQ(released.reason(), v1::FAILURE_REASON_HOLD_NOT_FOUND);
  EXPECT_EQ(StatusOf(SeatMap(trip), "1A"), v1::SEAT_STATUS_HELD);
}

TEST_F(InventoryE2eTest, ConfirmAfterExpiryAndPassengerMismatch) {
  const std::string trip = NewTrip();
  v1::HoldSeatsResponse two;
  ASSERT_TRUE(Hold(HoldReq(trip, "px-u", {"2A", "2B"}), &two).ok());
  ASSERT_TRUE(two.success()) << two.failure_reason();
  v1::ConfirmBookingResponse resp;
  ASSERT_TRUE(Call(&v1::InventoryService::Stub::ConfirmBooking, ConfirmReq(two.hold_id(), "px-u", {"2A"}, "o1"), &resp).ok());
  EXPECT_FALSE(resp.success());
  EXPECT_EQ(resp.reason(), v1::FAILURE_REASON_PASSENGER_MISMATCH);
  EXPECT_EQ(resp.failure_reason(), "passenger count does not match seat count");

  v1::HoldSeatsResponse brief;
  ASSERT_TRUE(Hold(HoldReq(trip, "exp-u", {"3D"}, "", "", 1), &brief).ok());
  ASSERT_TRUE(brief.success()) << brief.failure_reason();
  std::this_thread::sleep_for(2100ms + kSkewTolerance);
  grpc::Status st =
      Call(&v1::InventoryService::Stub::ConfirmBooking, ConfirmReq(brief.hold_id(), "exp-u", {"3D"}, "o2"), &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(st.error_message(), "hold expired");
  // The expired hold's seat is free for someone else (reclaimed by LWT).
  v1::HoldSeatsResponse next;
  ASSERT_TRUE(Hold(HoldReq(trip, "exp-u2", {"3D"}), &next).ok());
  EXPECT_TRUE(next.success()) << next.failure_reason();
}

// --- Bookings: idempotent confirm, cancel ---

TEST_F(InventoryE2eTest, ConfirmIsIdempotentAndCancelFreesSeats) {
  const std::string trip = NewTrip();
  v1::HoldSeatsResponse held;
  ASSERT_TRUE(Hold(HoldReq(trip, "cf-u", {"3A", "3B"}, "B", "D"), &held).ok());
  ASSERT_TRUE(held.success());
  v1::ConfirmBookingResponse first, second;
  ASSERT_TRUE(Call(&v1::InventoryService::Stub::ConfirmBooking, ConfirmReq(held.hold_id(), "cf-u", {"3B", "3A"}, "ord-9"),
                   &first)
                  .ok());
  ASSERT_TRUE(first.success());
  ASSERT_EQ(first.confirmed_seats_size(), 2);
  EXPECT_FALSE(first.confirmed_seats(0).ticket_id().empty());
  EXPECT_EQ(first.confirmed_seats(0).seat_number(), "3A");
  ASSERT_TRUE(Call(&v1::InventoryService::Stub::ConfirmBooking, ConfirmReq(held.hold_id(), "cf-u", {"3B", "3A"}, "ord-9"),
                   &second)
                  .ok());
  ASSERT_TRUE(second.success());
  EXPECT_EQ(second.booking_id(), first.booking_id());
  EXPECT_EQ(second.confirmed_seats(1).ticket_id(), first.confirmed_seats(1).ticket_id());
  // Another order for the same hold is refused.
  grpc::Status st = Call(&v1::InventoryService::Stub::ConfirmBooking,
                         ConfirmReq(held.hold_id(), "cf-u", {"3B", "3A"}, "ord-other"), &second);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  // Release of a confirmed hold does nothing, and says why.
  v1::ReleaseSeatsResponse released;
  ASSERT_TRUE(Release(held.hold_id(), "cf-u", &released).ok());
  EXPECT_FALSE(released.success());
  EXPECT_EQ(released.reason(), v1::FAILURE_REASON_HOLD_CONFIRMED);
  EXPECT_EQ(StatusOf(SeatMap(trip, "B", "C"), "3A"), v1::SEAT_STATUS_BOOKED);

  v1::CancelBookingRequest cancel;
  cancel.set_booking_id(first.booking_id());
  cancel.set_user_id("cf-u");
  cancel.set_organization_id(kOrg);
  v1::CancelBookingResponse cancelled;
  cancel.set_user_id("not-the-owner");
  ASSERT_TRUE(Call(&v1::InventoryService::Stub::CancelBooking, cancel, &cancelled).ok());
  EXPECT_FALSE(cancelled.success());
  EXPECT_EQ(cancelled.failure(), v1::FAILURE_REASON_BOOKING_NOT_FOUND);
  cancel.set_user_id("cf-u");
  ASSERT_TRUE(Call(&v1::InventoryService::Stub::CancelBooking, cancel, &cancelled).ok());
  EXPECT_TRUE(cancelled.success());
  EXPECT_EQ(cancelled.released_count(), 2);
  ASSERT_TRUE(Call(&v1::InventoryService::Stub::CancelBooking, cancel, &cancelled).ok());
  EXPECT_TRUE(cancelled.success());
  EXPECT_EQ(cancelled.released_count(), 0);
  EXPECT_EQ(StatusOf(SeatMap(trip), "3A"), v1::SEAT_STATUS_AVAILABLE);
  v1::HoldSeatsResponse again;
  ASSERT_TRUE(Hold(HoldReq(trip, "cf-u2", {"3A", "3B"}), &again).ok());
  EXPECT_TRUE(again.success()) << again.failure_reason();
}

TEST_F(InventoryE2eTest, ReleaseTwiceIsHarmless) {
  const std::string trip = NewTrip();
  v1::HoldSeatsResponse held;
  ASSERT_TRUE(Hold(HoldReq(trip, "rel-u", {"2A", "2B"}, "A", "C"), &held).ok());
  ASSERT_TRUE(held.success());
  v1::ReleaseSeatsResponse released;
  ASSERT_TRUE(Release(held.hold_id(), "rel-u", &released).ok());
  EXPECT_TRUE(released.success());
  EXPECT_EQ(released.released_count(), 2);
  ASSERT_TRUE(Release(held.hold_id(), "rel-u", &released).ok());
  EXPECT_TRUE(released.success());
  EXPECT_EQ(released.released_count(), 0);
  EXPECT_EQ(StatusOf(SeatMap(trip), "2A"), v1::SEAT_STATUS_AVAILABLE);
}

// --- Trips: idempotent load, conflicts, size ---

TEST_F(InventoryE2eTest, InitializeIsIdempotentAndRefusesConflicts) {
  v1::InitializeTripInventoryRequest req;
  req.set_trip_id(absl::StrCat("idem-", std::random_device{}()));
  req.set_organization_id(kOrg);
  v1::SegmentDefinition* s = req.add_segments();
  s->set_segment_index(0);
  s->set_from_station_id("A");
  s->set_to_station_id("B");
  v1::SeatDefinition* seat = req.mutable_seat_config()->add_seats();
  seat->set_seat_id("1A");
  seat->set_row(1);
  seat->set_column(1);
  v1::InitializeTripInventoryResponse resp;
  ASSERT_TRUE(Call(&v1::InventoryService::Stub::InitializeTripInventory, req, &resp).ok());
  EXPECT_EQ(resp.seats_created(), 1);
  v1::HoldSeatsResponse held;
  ASSERT_TRUE(Hold(HoldReq(req.trip_id(), "idem-u", {"1A"}), &held).ok());
  ASSERT_TRUE(held.success());
  // The same definition again: success, nothing reset.
  ASSERT_TRUE(Call(&v1::InventoryService::Stub::InitializeTripInventory, req, &resp).ok());
  EXPECT_TRUE(resp.success());
  EXPECT_EQ(StatusOf(SeatMap(req.trip_id()), "1A"), v1::SEAT_STATUS_HELD);
  // A different one: ALREADY_EXISTS.
  req.mutable_seat_config()->mutable_seats(0)->set_price_paisa(1);
  EXPECT_EQ(Call(&v1::InventoryService::Stub::InitializeTripInventory, req, &resp).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(StatusOf(SeatMap(req.trip_id()), "1A"), v1::SEAT_STATUS_HELD);
}

TEST_F(InventoryE2eTest, ThousandSeatsTwentySegmentsLoad) {
  const std::string trip = NewTrip(50, 20, 20);
  v1::GetSeatMapResponse map = SeatMap(trip, "C", "K");
  EXPECT_EQ(map.total_rows(), 50);
  EXPECT_EQ(map.total_columns(), 20);
  int seats = 0;
  for (const v1::SeatRow& row : map.rows()) seats += row.seats_size();
  EXPECT_EQ(seats, 1000);
}

// --- Seat map and availability ---

TEST_F(InventoryE2eTest, SeatMapAndAvailabilityAgree) {
  const std::string trip = NewTrip();
  v1::HoldSeatsResponse held;
  ASSERT_TRUE(Hold(HoldReq(trip, "map-u", {"2A"}), &held).ok());
  ASSERT_TRUE(held.success());
  v1::GetSeatMapResponse map = SeatMap(trip);
  EXPECT_EQ(map.vehicle_id(), "bus-1");
  EXPECT_EQ(map.vehicle_type(), "bus");
  ASSERT_EQ(map.rows_size(), 3);
  EXPECT_EQ(map.rows(0).row_number(), 1);
  ASSERT_EQ(map.rows(1).seats_size(), 4);
  EXPECT_EQ(map.rows(1).seats(0).seat_id(), "2A");
  EXPECT_EQ(map.rows(1).seats(3).column(), 4);
  EXPECT_EQ(map.rows(1).seats(0).status(), v1::SEAT_STATUS_HELD);
  EXPECT_EQ(map.rows(1).seats(0).hold_expires_at(), held.expires_at());
  EXPECT_EQ(map.legend().status_colors().count("available"), 1u);
  EXPECT_EQ(map.legend().class_colors().count("business"), 1u);

  v1::CheckAvailabilityRequest check;
  check.set_trip_id(trip);
  check.set_organization_id(kOrg);
  check.set_passengers(2);
  check.set_seat_class("economy");
  v1::CheckAvailabilityResponse avail;
  ASSERT_TRUE(Call(&v1::InventoryService::Stub::CheckAvailability, check, &avail).ok());
  EXPECT_EQ(avail.available_seats(), 7);
  EXPECT_TRUE(avail.is_available());
  EXPECT_EQ(avail.price_paisa(), 50100 + 50200);  // 3A, then a column-2 seat (2A is held)
  EXPECT_GT(avail.checked_at(), 0);

  v1::BatchCheckRequest batch;
  *batch.add_requests() = check;
  v1::CheckAvailabilityRequest bad = check;
  bad.set_trip_id("no-such-trip");
  *batch.add_requests() = bad;
  v1::BatchCheckResponse answers;
  ASSERT_TRUE(Call(&v1::InventoryService::Stub::BatchCheckAvailability, batch, &answers).ok());
  ASSERT_EQ(answers.results_size(), 2);
  EXPECT_EQ(answers.results(0).available_seats(), 7);
  EXPECT_EQ(answers.errors(0), "");
  EXPECT_NE(answers.errors(1).find("NOT_FOUND"), std::string::npos);
}

// --- Waitlist ---

TEST_F(InventoryE2eTest, WaitlistIsAFifoAndJoiningTwiceReturnsTheSameEntry) {
  const std::string trip = NewTrip();
  auto join = [&](const std::string& user) {
    v1::JoinWaitlistRequest req;
    req.set_trip_id(trip);
    req.set_organization_id(kOrg);
    req.set_user_id(user);
    req.set_seat_class("economy");
    req.set_requested_seats(2);
    v1::JoinWaitlistResponse resp;
    grpc::Status st = Call(&v1::InventoryService::Stub::JoinWaitlist, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  };
  v1::JoinWaitlistResponse a = join("wl-a");
  v1::JoinWaitlistResponse b = join("wl-b");
  v1::JoinWaitlistResponse a2 = join("wl-a");
  EXPECT_EQ(a.position(), 1);
  EXPECT_EQ(b.position(), 2);
  EXPECT_EQ(a2.position(), 1);
  EXPECT_EQ(a2.entry_id(), a.entry_id());
  v1::GetUserWaitlistRequest mine;
  mine.set_user_id("wl-b");
  v1::GetUserWaitlistResponse entries;
  ASSERT_TRUE(Call(&v1::InventoryService::Stub::GetUserWaitlist, mine, &entries).ok());
  bool found = false;
  for (const v1::WaitlistEntry& e : entries.entries()) {
    if (e.trip_id() == trip) {
      found = true;
      EXPECT_EQ(e.position(), 2);
      EXPECT_EQ(e.status(), "pending");
      EXPECT_EQ(e.requested_seats(), 2);
    }
  }
  EXPECT_TRUE(found);
  v1::JoinWaitlistRequest bad;
  bad.set_trip_id(trip);
  bad.set_organization_id(kOrg);
  bad.set_user_id("wl-c");
  bad.set_requested_seats(0);
  v1::JoinWaitlistResponse resp;
  ExpectInvalid(Call(&v1::InventoryService::Stub::JoinWaitlist, bad, &resp), "requested_seats");
}

// --- Operations cut short (an instance died between two steps) ---

// The store, reached directly, as an instance that then died would use it:
// `target` is the keyspace, or the embedded store's file.
class DirectStore {
 public:
  template <typename Fn>
  auto Run(Fn fn) {
    return asio::co_spawn(io_, fn, asio::use_future).get();
  }

  explicit DirectStore(const std::string& target) : work_(asio::make_work_guard(io_)) {
    thread_ = std::thread([this] { io_.run(); });
    if (Embedded()) {
      storage::SqliteStoreOptions options;
      options.path = target;
      options.intent_window_ms = std::max<int64_t>(1000, kRepairMinAge.count() / 2);  // as the server
      auto store = storage::SqliteSeatStore::Open(options);
      EXPECT_TRUE(store.ok()) << store.status();
      if (store.ok()) store_ = std::move(*store);
      return;
    }
    const std::string& keyspace = target;
    cql::SessionOptions options;
    options.contact_points = {testing::CqlHost()};
    options.port = testing::CqlPort();
    auto session = Run([&] { return cql::Session::Connect(io_.get_executor(), options); });
    EXPECT_TRUE(session.ok()) << session.status();
    session_ = std::move(*session);
    storage::CqlStoreOptions store_options;
    store_options.keyspace = keyspace;
    store_options.intent_window_ms = std::max<int64_t>(1000, kRepairMinAge.count() / 2);  // as the server
    auto store = std::make_unique<storage::CqlSeatStore>(*session_, store_options);
    EXPECT_TRUE(Run([&] { return store->Prepare(); }).ok());
    store_ = std::move(store);
  }
  ~DirectStore() {
    store_.reset();
    if (session_ != nullptr) {
      Run([&]() -> asio::awaitable<int> {
        co_await session_->Close();
        co_return 0;
      });
    }
    work_.reset();
    thread_.join();
  }
  storage::SeatStore& store() { return *store_; }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
  std::unique_ptr<cql::Session> session_;
  std::unique_ptr<storage::SeatStore> store_;
};

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What a confirm cut after its first seat leaves: its intent, the hold
// `confirming` with a pending booking, and only the first seat booked.
void SimulateCutConfirm(const std::string& keyspace, const std::string& trip, const std::string& user,
                        const std::string& hold_id, const std::vector<std::string>& seats, const std::string& order) {
  DirectStore db(keyspace);
  storage::Intent intent;
  intent.kind = domain::IntentKind::kConfirm;
  intent.organization_id = kOrg;
  intent.user_id = user;
  intent.trip_id = trip;
  intent.hold_id = hold_id;
  intent.created_at_ms = WallMs();
  ASSERT_TRUE(db.Run([&] { return db.store().RecordIntent(intent); }).ok());
  storage::BookingRecord booking;
  booking.booking_id = "bk-" + hold_id;
  booking.hold_id = hold_id;
  booking.order_id = order;
  booking.organization_id = kOrg;
  booking.user_id = user;
  booking.trip_id = trip;
  booking.seat_ids = seats;
  booking.seat_numbers = seats;
  booking.ticket_ids = {"t1", "t2"};
  booking.range = {0, 2};
  storage::LedgerStep step;
  step.organization_id = kOrg;
  step.user_id = user;
  step.hold_id = hold_id;
  step.hold_from = domain::HoldState::kActive;
  step.hold_to = domain::HoldState::kConfirming;
  step.order_id = order;
  step.booking_id = booking.booking_id;
  step.booking_to = domain::BookingState::kPending;
  step.new_booking = booking;
  auto stepped = db.Run([&] { return db.store().Step(step); });
  ASSERT_TRUE(stepped.ok() && stepped->applied) << stepped.status();
  auto booked = db.Run([&] {
    return db.store().BookSeat(storage::TripRef{kOrg, trip}, seats[0], domain::SegmentRange{0, 2}, hold_id,
                               "bk-" + hold_id);
  });
  ASSERT_TRUE(booked.ok() && *booked) << booked.status();
}

// A refusal over a long journey tells the seat map only what the database
// showed, segment by segment: a hold on C->D this instance had not heard of
// (another instance made it) does not make the seat look taken on A->C.
TEST_F(InventoryE2eTest, ARefusalOverALongerJourneyKeepsTheOtherSegmentsFree) {
  const std::string trip = NewTrip();
  EXPECT_EQ(StatusOf(SeatMap(trip), "3A"), v1::SEAT_STATUS_AVAILABLE);  // the seat map is loaded
  {
    DirectStore db(keyspace_);
    auto held = db.Run([&] {
      return db.store().HoldSeat(storage::TripRef{kOrg, trip}, "3A", domain::SegmentRange{2, 2}, "elsewhere-hold",
                                 "wide-u1", WallMs() + 60000, {});
    });
    ASSERT_TRUE(held.ok() && held->applied) << held.status();
  }
  v1::HoldSeatsResponse wide;
  ASSERT_TRUE(Hold(HoldReq(trip, "wide-u2", {"3A"}, "A", "D"), &wide).ok());
  EXPECT_FALSE(wide.success());
  EXPECT_EQ(wide.reason(), v1::FAILURE_REASON_NOT_AVAILABLE);
  EXPECT_EQ(StatusOf(SeatMap(trip, "C", "D"), "3A"), v1::SEAT_STATUS_HELD);
  EXPECT_EQ(StatusOf(SeatMap(trip, "A", "C"), "3A"), v1::SEAT_STATUS_AVAILABLE);
  v1::HoldSeatsResponse early;
  ASSERT_TRUE(Hold(HoldReq(trip, "wide-u3", {"3A"}, "A", "B"), &early).ok());
  EXPECT_TRUE(early.success()) << early.failure_reason();
}

TEST_F(InventoryE2eTest, ARetriedConfirmFinishesACutShortOneEvenAfterExpiry) {
  const std::string trip = NewTrip();
  v1::HoldSeatsResponse held;
  ASSERT_TRUE(Hold(HoldReq(trip, "cut-u", {"2A", "2B"}, "", "", 2), &held).ok());
  ASSERT_TRUE(held.success());
  SimulateCutConfirm(keyspace_, trip, "cut-u", held.hold_id(), {"2A", "2B"}, "ord-cut");
  std::this_thread::sleep_for(1000ms);
  // Another order may not take the hold a confirm has claimed...
  v1::ConfirmBookingResponse resp;
  grpc::Status st =
      Call(&v1::InventoryService::Stub::ConfirmBooking, ConfirmReq(held.hold_id(), "cut-u", {"2A", "2B"}, "other"), &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(st.error_message(), "hold already confirmed for another order");
  // ...nor may a release undo it: it is becoming a booking.
  v1::ReleaseSeatsResponse released;
  ASSERT_TRUE(Release(held.hold_id(), "cut-u", &released).ok());
  EXPECT_FALSE(released.success());
  EXPECT_EQ(released.reason(), v1::FAILURE_REASON_HOLD_CONFIRMED);
  // The retry of the interrupted order completes it, also once the hold has expired.
  std::this_thread::sleep_for(1500ms);
  st = Call(&v1::InventoryService::Stub::ConfirmBooking, ConfirmReq(held.hold_id(), "cut-u", {"2A", "2B"}, "ord-cut"),
            &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(resp.success());
  EXPECT_EQ(resp.booking_id(), "bk-" + held.hold_id());
  EXPECT_EQ(StatusOf(SeatMap(trip), "2A"), v1::SEAT_STATUS_BOOKED);
  EXPECT_EQ(StatusOf(SeatMap(trip), "2B"), v1::SEAT_STATUS_BOOKED);
}

TEST_F(InventoryE2eTest, TheRepairerFinishesACutShortConfirmNobodyRetries) {
  const std::string trip = NewTrip();
  v1::HoldSeatsResponse held;
  ASSERT_TRUE(Hold(HoldReq(trip, "cut-r", {"3C", "3D"}), &held).ok());
  ASSERT_TRUE(held.success());
  SimulateCutConfirm(keyspace_, trip, "cut-r", held.hold_id(), {"3C", "3D"}, "ord-cut");
  // Within the repairer's bound (window + min age + interval), with nobody
  // calling: the booking is complete.
  const auto deadline = std::chrono::steady_clock::now() + kRepairMinAge * 3 + 5s;
  bool done = false;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(250ms);
    done = StatusOf(SeatMap(trip), "3D") == v1::SEAT_STATUS_BOOKED;
  }
  ASSERT_TRUE(done) << "the cut confirm was not finished";
  const std::optional<testing::HttpAnswer> page = testing::HttpGet(http_port_, "/metrics");
  ASSERT_TRUE(page.has_value());
  EXPECT_GE(testing::MetricValue(page->body, R"(inventory_repairs_total{kind="confirm_committed"})"), 1);
  // And the booking can be cancelled like any other.
  v1::CancelBookingRequest cancel;
  cancel.set_booking_id("bk-" + held.hold_id());
  cancel.set_user_id("cut-r");
  cancel.set_organization_id(kOrg);
  v1::CancelBookingResponse cancelled;
  ASSERT_TRUE(Call(&v1::InventoryService::Stub::CancelBooking, cancel, &cancelled).ok());
  EXPECT_TRUE(cancelled.success());
  EXPECT_EQ(cancelled.released_count(), 2);
  EXPECT_EQ(StatusOf(SeatMap(trip), "3C"), v1::SEAT_STATUS_AVAILABLE);
}

TEST_F(InventoryE2eTest, SeatsOfAHoldThatNeverFinishedAreFreedByTheRepairer) {
  // A hold whose instance died after taking the seat and before writing the
  // record: its intent and the seat row are all there is.
  const std::string trip = NewTrip();
  SeatMap(trip);
  {
    DirectStore db(keyspace_);
    storage::Intent intent;
    intent.kind = domain::IntentKind::kHold;
    intent.organization_id = kOrg;
    intent.user_id = "ghost";
    intent.trip_id = trip;
    intent.hold_id = "ghost-hold";
    intent.seat_ids = {"1A"};
    intent.range = {0, 2};
    intent.expires_at_ms = WallMs() + 3600 * 1000;  // it would otherwise hold the seat for an hour
    intent.created_at_ms = WallMs();
    ASSERT_TRUE(db.Run([&] { return db.store().BeginHold(intent, 2); }).ok());
    auto taken = db.Run([&] {
      return db.store().HoldSeat(storage::TripRef{kOrg, trip}, "1A", domain::SegmentRange{0, 2}, "ghost-hold",
                                 "ghost", intent.expires_at_ms, {});
    });
    ASSERT_TRUE(taken.ok() && taken->applied);
  }
  const auto start = std::chrono::steady_clock::now();
  bool free = false;
  while (!free && std::chrono::steady_clock::now() - start < kRepairMinAge * 3 + 5s) {
    std::this_thread::sleep_for(250ms);
    v1::HoldSeatsResponse h;
    ASSERT_TRUE(Hold(HoldReq(trip, "after-ghost", {"1A"}), &h).ok());
    free = h.success();
  }
  EXPECT_TRUE(free) << "the abandoned hold still owns the seat";
  const std::optional<testing::HttpAnswer> page = testing::HttpGet(http_port_, "/metrics");
  ASSERT_TRUE(page.has_value());
  EXPECT_GE(testing::MetricValue(page->body, R"(inventory_repairs_total{kind="hold_abandoned"})"), 1);
}

// --- Outcome table: the database goes away ---

// --- Metrics: exact counts, so costs per request can be computed ---

TEST_F(InventoryE2eTest, MetricsCountEveryCallAndWhatItCost) {
  if (Embedded()) GTEST_SKIP() << "counts the CQL store's requests; the embedded store counts its commits";
  std::optional<testing::HttpAnswer> health = testing::HttpGet(http_port_, "/health");
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->status, 200);
  EXPECT_NE(health->body.find(R"("status":"serving")"), std::string::npos) << health->body;
  EXPECT_EQ(testing::HttpGet(http_port_, "/nothing-here")->status, 404);

  const std::string trip = NewTrip();
  SeatMap(trip);  // the snapshot is now cached
  std::this_thread::sleep_for(600ms);  // earlier tests' intent drops are flushed
  auto scrape = [] {
    std::optional<testing::HttpAnswer> page = testing::HttpGet(http_port_, "/metrics");
    EXPECT_TRUE(page.has_value() && page->status == 200);
    return page.has_value() ? page->body : std::string();
  };
  const std::string before = scrape();
  auto grew = [&](const std::string& after, const std::string& series) {
    const double a = testing::MetricValue(after, series);
    const double b = std::max(0.0, testing::MetricValue(before, series));
    EXPECT_GE(a, 0) << series << " missing";
    return a - b;
  };

  v1::HoldSeatsResponse won, lost, again;
  ASSERT_TRUE(Hold(HoldReq(trip, "ann", {"2A"}), &won).ok());
  ASSERT_TRUE(won.success());
  // Another user: refused from the cached seat map, no database, no Redis.
  ASSERT_TRUE(Hold(HoldReq(trip, "bob", {"2A"}), &lost).ok());
  EXPECT_FALSE(lost.success());
  EXPECT_EQ(lost.reason(), v1::FAILURE_REASON_NOT_AVAILABLE);
  // The same request again: passes to the database, which gives the hold back.
  ASSERT_TRUE(Hold(HoldReq(trip, "ann", {"2A"}), &again).ok());
  EXPECT_TRUE(again.success());
  EXPECT_EQ(again.hold_id(), won.hold_id());
  v1::HoldSeatsResponse bad;
  EXPECT_EQ(Hold(HoldReq(trip, "", {"2A"}), &bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // The map shows the new hold at once (this instance wrote it into its
  // snapshot); the first read serializes it, the second reuses the bytes.
  EXPECT_EQ(StatusOf(SeatMap(trip), "2A"), v1::SEAT_STATUS_HELD);
  EXPECT_EQ(StatusOf(SeatMap(trip), "2A"), v1::SEAT_STATUS_HELD);

  std::this_thread::sleep_for(600ms);  // the intent drops are flushed in the background
  const std::string after = scrape();
  EXPECT_EQ(grew(after, R"(inventory_seatmap_answers_total{source="built"})"), 1);
  EXPECT_EQ(grew(after, R"(inventory_seatmap_answers_total{source="reused"})"), 1);
  EXPECT_EQ(grew(after, R"(inventory_requests_total{method="GetSeatMap",code="OK",outcome="ok"})"), 2);
  EXPECT_EQ(grew(after, "inventory_seatmap_cache_loads_total"), 0);
  // The caches' memory: the trip's snapshot and its answer are counted.
  EXPECT_GT(testing::MetricValue(after, R"(inventory_seatmap_cache_bytes{part="snapshots"})"), 0);
  EXPECT_GT(testing::MetricValue(after, R"(inventory_seatmap_cache_bytes{part="answers"})"), 0);
  EXPECT_GE(testing::MetricValue(after, R"(inventory_seatmap_cache_entries{kind="snapshots"})"), 1);
  EXPECT_EQ(testing::MetricValue(after, R"(inventory_seatmap_cache_budget_bytes{part="answers"})"), 64 << 20);
  EXPECT_EQ(grew(after, R"(inventory_requests_total{method="HoldSeats",code="OK",outcome="success"})"), 2);
  EXPECT_EQ(
      grew(after, R"(inventory_requests_total{method="HoldSeats",code="OK",outcome="refused",reason="not_available"})"),
      1);
  EXPECT_EQ(grew(after, R"(inventory_requests_total{method="HoldSeats",code="INVALID_ARGUMENT",outcome="error"})"), 1);
  EXPECT_EQ(grew(after, R"(inventory_request_duration_seconds_count{method="HoldSeats"})"), 4);
  EXPECT_EQ(grew(after, R"(inventory_edge_rejections_total{layer="seatmap"})"), 1);
  // The winner: one atomic write of its intent and live marker, one read
  // counting the user's live holds, one seat LWT, the hold record written by
  // a conditional insert, and later the intent dropped (one write, off the
  // answer's path). The retry: the fresh seat map shows the seat held by the
  // same user, so only the hold record is read to give the hold back. The
  // refused user: nothing.
  EXPECT_EQ(grew(after, R"(inventory_db_operations_total{kind="lwt",table="seat_segments"})"), 1);
  EXPECT_EQ(grew(after, R"(inventory_db_operations_total{kind="lwt",table="user_ledger"})"), 1);
  EXPECT_EQ(grew(after, R"(inventory_db_operations_total{kind="write",table="user_ledger"})"), 1);
  EXPECT_EQ(grew(after, R"(inventory_db_operations_total{kind="write",table="intents"})"), 1);
  EXPECT_EQ(grew(after, R"(inventory_db_operations_total{kind="serial_read",table="seat_segments"})"), 0);
  EXPECT_EQ(grew(after, R"(inventory_db_operations_total{kind="read",table="user_ledger"})"), 2);
  EXPECT_EQ(grew(after, R"(inventory_db_operations_total{kind="read",table="seat_segments"})"), 0);
  // Pre-locks: the winner and the retry (the refused one never reached Redis).
  EXPECT_EQ(grew(after, R"(inventory_prelock_total{outcome="acquired"})"), 2);
  EXPECT_GT(testing::MetricValue(after, "process_resident_memory_bytes"), 0);
}

TEST_F(InventoryE2eTest, ASeatMapRequestThatIsNotAProtobufIsInvalid) {
  // GetSeatMap is served as raw bytes: its parsing is the service's own.
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  const std::string garbage = "\xff\xff\xff\xff";  // a field tag with no end
  grpc::Slice slice(garbage.data(), garbage.size());
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 30s);
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, "/inventory.v1.InventoryService/GetSeatMap", grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status st) { done.set_value(std::move(st)); });
  const grpc::Status st = done.get_future().get();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
  EXPECT_NE(st.error_message().find("GetSeatMapRequest"), std::string::npos) << st.error_message();
  // A well-formed request still works on the same server.
  const std::string trip = NewTrip();
  EXPECT_EQ(StatusOf(SeatMap(trip), "2A"), v1::SEAT_STATUS_AVAILABLE);
}

TEST_F(InventoryE2eTest, ACachedSeatMapAnswerIsRebuiltWhenAHoldItShowsExpires) {
  const std::string trip = NewTrip();
  v1::HoldSeatsResponse held;
  ASSERT_TRUE(Hold(HoldReq(trip, "brief", {"3A"}, "", "", 1), &held).ok());
  ASSERT_TRUE(held.success());
  // Served twice from the same serialized answer...
  EXPECT_EQ(StatusOf(SeatMap(trip), "3A"), v1::SEAT_STATUS_HELD);
  EXPECT_EQ(StatusOf(SeatMap(trip), "3A"), v1::SEAT_STATUS_HELD);
  // ...until the hold's expiry: then the seat shows free, within the
  // snapshot's lifetime, with no reload.
  // (Expired means expires_at + the skew tolerance has passed.)
  const int64_t wait_ms = held.expires_at() * 1000 + kSkewTolerance.count() - WallMs() + 50;
  ASSERT_LT(wait_ms, kSeatMapTtl.count() + kSkewTolerance.count()) << "the hold must expire first";
  std::this_thread::sleep_for(std::chrono::milliseconds(std::max<int64_t>(wait_ms, 0)));
  EXPECT_EQ(StatusOf(SeatMap(trip), "3A"), v1::SEAT_STATUS_AVAILABLE);
}

TEST(InventoryBackendDownTest, DatabaseUnreachableIsUnavailableNeverInternal) {
  if (Embedded()) GTEST_SKIP() << "a database server behind a proxy: the CQL store's";
  testing::TcpProxy proxy(testing::CqlHost(), testing::CqlPort());
  testing::ChildProcess server;
  const int port = testing::FreePort();
  ASSERT_TRUE(server.Start(
      INVENTORYD_PATH,
      {"--grpc-port", std::to_string(port), "--http-port", std::to_string(testing::FreePort()), "--scylla-hosts",
       absl::StrCat("127.0.0.1:", proxy.port()), "--redis-addr",
       absl::StrCat(testing::RedisHost(), ":", testing::RedisPort()), "--scylla-keyspace",
       absl::StrCat("inv_down_", std::random_device{}() % 100000000), "--listen-address", "127.0.0.1",
       "--scylla-timeout-ms", "1500", "--seatmap-cache-ttl-ms", "0"},
      absl::StrCat(::testing::TempDir(), "/inventory-down-", getpid(), ".log")));
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  auto stub = v1::InventoryService::NewStub(channel);
  auto call_init = [&](v1::InitializeTripInventoryResponse* resp) {
    v1::InitializeTripInventoryRequest req;
    req.set_trip_id("down-trip");
    req.set_organization_id(kOrg);
    v1::SegmentDefinition* s = req.add_segments();
    s->set_segment_index(0);
    s->set_from_station_id("A");
    s->set_to_station_id("B");
    v1::SeatDefinition* seat = req.mutable_seat_config()->add_seats();
    seat->set_seat_id("1A");
    seat->set_row(1);
    seat->set_column(1);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    return stub->InitializeTripInventory(&ctx, req, resp);
  };
  // Wait until the server answers.
  v1::InitializeTripInventoryResponse init;
  grpc::Status st;
  for (int i = 0; i < 300; ++i) {
    st = call_init(&init);
    if (st.ok()) break;
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_TRUE(st.ok()) << st.error_message() << server.Log();

  proxy.Cut();
  for (int i = 0; i < 3; ++i) {
    v1::HoldSeatsRequest req;
    req.set_trip_id("down-trip");
    req.set_organization_id(kOrg);
    req.set_user_id("u");
    req.add_seat_ids("1A");
    v1::HoldSeatsResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 20s);
    grpc::Status down = stub->HoldSeats(&ctx, req, &resp);
    EXPECT_TRUE(down.error_code() == grpc::StatusCode::UNAVAILABLE ||
                down.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
        << down.error_code() << " " << down.error_message();
    v1::GetSeatMapRequest map_req;
    map_req.set_trip_id("down-trip");
    map_req.set_organization_id(kOrg);
    v1::GetSeatMapResponse map;
    grpc::ClientContext map_ctx;
    map_ctx.set_deadline(std::chrono::system_clock::now() + 20s);
    grpc::Status map_status = stub->GetSeatMap(&map_ctx, map_req, &map);
    EXPECT_TRUE(map_status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                map_status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
        << map_status.error_code() << " " << map_status.error_message();
  }
  // The database comes back: the service recovers without a restart.
  proxy.Restore();
  bool recovered = false;
  for (int i = 0; i < 100 && !recovered; ++i) {
    v1::GetSeatMapRequest map_req;
    map_req.set_trip_id("down-trip");
    map_req.set_organization_id(kOrg);
    v1::GetSeatMapResponse map;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 5s);
    recovered = stub->GetSeatMap(&ctx, map_req, &map).ok();
    if (!recovered) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(recovered) << server.Log();
  server.Signal(SIGTERM);
  server.Wait(30s);
}

}  // namespace
}  // namespace inventory
