// WatchSeatMap against two real inventoryd instances sharing one keyspace
// and one Redis (reached through a proxy the test can cut): a thousand
// watchers spread over both instances and over whole and partial journeys
// follow holds, releases, confirms, cancels, blocks and expiries made on
// either instance; each change must reach every watcher, with the delivery
// latency printed, and every watcher's map must end equal to GetSeatMap.
// With Redis cut, watchers of the other instance get full maps from the
// database instead.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/test_env.h"
#include "common/test_process.h"
#include "common/test_tcp_proxy.h"
#include "inventory/v1/inventory.grpc.pb.h"

namespace inventory {
namespace {

namespace v1 = ::inventory::v1;
using namespace std::chrono_literals;

constexpr char kOrg[] = "org-watch";
constexpr int kSeats = 40;
// Expired holds are reclaimed this long after their expiry.
constexpr int64_t kToleranceMs = 200;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Seat(int i) { return absl::StrCat("S", i); }

class Instance {
 public:
  Instance(const std::string& keyspace, int redis_port, const std::string& name)
      : port_(testing::FreePort()), http_port_(testing::FreePort()) {
    std::vector<std::string> args = {
        "--grpc-port", std::to_string(port_), "--http-port", std::to_string(http_port_), "--scylla-hosts",
        absl::StrCat(testing::CqlHost(), ":", testing::CqlPort()), "--redis-addr",
        absl::StrCat("127.0.0.1:", redis_port), "--scylla-keyspace", keyspace, "--listen-address", "127.0.0.1",
        "--max-holds-per-user", "100", "--hold-ttl-min", "1", "--clock-skew-tolerance-ms",
        std::to_string(kToleranceMs), "--watch-refresh-ms", "1000", "--watch-heartbeat-ms", "1000",
        "--shutdown-grace-seconds", "1"};
    started_ = process_.Start(INVENTORYD_PATH, args,
                              absl::StrCat(::testing::TempDir(), "/inventory-", name, "-", getpid(), ".log"));
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials());
    stub_ = v1::InventoryService::NewStub(channel_);
  }
  ~Instance() {
    process_.Signal(SIGTERM);
    process_.Wait(30s);
  }
  bool started() const { return started_; }
  v1::InventoryService::Stub& stub() { return *stub_; }
  std::string Log() { return process_.Log(); }

  // Waits until the instance answers (the trip may not exist yet).
  ::testing::AssertionResult WaitServing() {
    if (!started_) return ::testing::AssertionFailure() << "inventoryd did not start";
    for (int i = 0; i < 300; ++i) {
      v1::GetSeatMapRequest req;
      req.set_trip_id("none");
      req.set_organization_id(kOrg);
      v1::GetSeatMapResponse resp;
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + 5s);
      grpc::Status st = stub_->GetSeatMap(&ctx, req, &resp);
      if (st.error_code() == grpc::StatusCode::NOT_FOUND) return ::testing::AssertionSuccess();
      std::this_thread::sleep_for(200ms);
    }
    return ::testing::AssertionFailure() << "inventoryd does not answer" << process_.Log();
  }

 private:
  int port_;
  int http_port_;
  testing::ChildProcess process_;
  bool started_ = false;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::InventoryService::Stub> stub_;
};

struct Journey {
  std::string from;
  std::string to;
};

// A seat's status in a copy of the map: status and hold expiry (ms).
struct Cell {
  v1::SeatStatus status = v1::SEAT_STATUS_UNSPECIFIED;
  int64_t expires_at_ms = 0;
};

// One WatchSeatMap stream, read as fast as it comes; keeps its copy of the
// map and when each seat took each status.
class Watcher final : public grpc::ClientReadReactor<v1::SeatMapEvent> {
 public:
  struct Seen {
    v1::SeatStatus status;
    int64_t at_ms;
    int64_t expires_at_ms;
  };

  Watcher(v1::InventoryService::Stub& stub, const std::string& trip, Journey journey) : journey_(std::move(journey)) {
    request_.set_trip_id(trip);
    request_.set_organization_id(kOrg);
    request_.set_from_station_id(journey_.from);
    request_.set_to_station_id(journey_.to);
    stub.async()->WatchSeatMap(&ctx_, &request_, this);
    StartRead(&event_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;
    const int64_t now = NowMs();
    {
      std::lock_guard lock(mu_);
      ++events_;
      if (event_.version() <= version_ && event_.has_changes()) ++stale_;
      version_ = std::max(version_, event_.version());
      if (event_.has_full_map()) {
        ++full_maps_[event_.full_map_reason()];
        for (const v1::SeatRow& row : event_.full_map().rows()) {
          for (const v1::SeatCell& c : row.seats()) {
            Set(c.seat_id(), {c.status(), c.status() == v1::SEAT_STATUS_HELD ? c.hold_expires_at() * 1000 : 0}, now,
                /*exact_expiry=*/false);
          }
        }
      } else if (event_.has_changes()) {
        for (const v1::SeatStatusChange& c : event_.changes().seats()) {
          Set(c.seat_id(), {c.status(), c.hold_expires_at_ms()}, now, true);
        }
      } else if (event_.has_heartbeat()) {
        ++heartbeats_;
      }
    }
    cv_.notify_all();
    StartRead(&event_);
  }

  void OnDone(const grpc::Status& s) override {
    std::lock_guard lock(mu_);
    done_ = true;
    status_ = s;
    cv_.notify_all();
  }

  void Cancel() { ctx_.TryCancel(); }
  void WaitDone() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, 30s, [this] { return done_; });
  }
  // Waits until the copy has every seat (the first full map).
  bool WaitStarted(std::chrono::milliseconds limit) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [this] { return cells_.size() == static_cast<size_t>(kSeats) || done_; }) &&
           !done_;
  }

  std::map<std::string, Cell> Copy() {
    std::lock_guard lock(mu_);
    return cells_;
  }
  // When the seat first showed `status` at or after `since_ms` (-1: never).
  int64_t FirstSeen(const std::string& seat, v1::SeatStatus status, int64_t since_ms, int64_t* expires = nullptr) {
    std::lock_guard lock(mu_);
    for (const Seen& s : history_[seat]) {
      if (s.status == status && s.at_ms >= since_ms) {
        if (expires != nullptr) *expires = s.expires_at_ms;
        return s.at_ms;
      }
    }
    return -1;
  }
  // When the seat last took `status` (-1: never).
  int64_t LastSeen(const std::string& seat, v1::SeatStatus status, int64_t* expires) {
    std::lock_guard lock(mu_);
    const std::vector<Seen>& h = history_[seat];
    for (auto it = h.rbegin(); it != h.rend(); ++it) {
      if (it->status == status) {
        *expires = it->expires_at_ms;
        return it->at_ms;
      }
    }
    return -1;
  }
  int FullMaps(v1::FullMapReason reason) {
    std::lock_guard lock(mu_);
    return full_maps_[reason];
  }
  int heartbeats() {
    std::lock_guard lock(mu_);
    return heartbeats_;
  }
  int stale() {
    std::lock_guard lock(mu_);
    return stale_;
  }
  bool done() {
    std::lock_guard lock(mu_);
    return done_;
  }
  grpc::Status status() {
    std::lock_guard lock(mu_);
    return status_;
  }
  const Journey& journey() const { return journey_; }

 private:
  // REQUIRES: mu_ held.
  void Set(const std::string& seat, Cell cell, int64_t now, bool exact_expiry) {
    Cell& mine = cells_[seat];
    // A full map gives expiry in seconds: keep the exact one already known.
    if (!exact_expiry && mine.status == cell.status && mine.expires_at_ms / 1000 == cell.expires_at_ms / 1000) return;
    if (mine.status != cell.status) history_[seat].push_back({cell.status, now, cell.expires_at_ms});
    mine = cell;
  }

  Journey journey_;
  grpc::ClientContext ctx_;
  v1::WatchSeatMapRequest request_;
  v1::SeatMapEvent event_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Cell> cells_;
  std::map<std::string, std::vector<Seen>> history_;
  std::map<int, int> full_maps_;
  int64_t version_ = 0;
  int events_ = 0;
  int stale_ = 0;
  int heartbeats_ = 0;
  bool done_ = false;
  grpc::Status status_;
};

// Two instances on one keyspace, Redis through a proxy, and a trip of
// kSeats seats over A -> B -> C.
class WatchE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_ = std::make_unique<testing::TcpProxy>(testing::RedisHost(), testing::RedisPort());
    const std::string keyspace = absl::StrCat("inv_watch_", std::random_device{}() % 100000000);
    a_ = std::make_unique<Instance>(keyspace, redis_->port(), "watch-a");
    b_ = std::make_unique<Instance>(keyspace, redis_->port(), "watch-b");
    ASSERT_TRUE(a_->WaitServing());
    ASSERT_TRUE(b_->WaitServing());
    trip_ = absl::StrCat("watch-", std::random_device{}());
    v1::InitializeTripInventoryRequest req;
    req.set_trip_id(trip_);
    req.set_organization_id(kOrg);
    const char* stops[] = {"A", "B", "C"};
    for (int s = 0; s < 2; ++s) {
      v1::SegmentDefinition* seg = req.add_segments();
      seg->set_segment_index(s);
      seg->set_from_station_id(stops[s]);
      seg->set_to_station_id(stops[s + 1]);
    }
    for (int i = 1; i <= kSeats; ++i) {
      v1::SeatDefinition* seat = req.mutable_seat_config()->add_seats();
      seat->set_seat_id(Seat(i));
      seat->set_seat_number(absl::StrCat(i));
      seat->set_row((i - 1) / 4 + 1);
      seat->set_column((i - 1) % 4 + 1);
      seat->set_seat_class("standard");
    }
    v1::InitializeTripInventoryResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 30s);
    grpc::Status st = a_->stub().InitializeTripInventory(&ctx, req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    ASSERT_TRUE(resp.success());
  }
  void TearDown() override {
    for (auto& w : watchers_) w->Cancel();
    for (auto& w : watchers_) w->WaitDone();
    watchers_.clear();
  }

  Instance& On(int i) { return i % 2 == 0 ? *a_ : *b_; }

  Watcher& Watch(Instance& instance, Journey journey) {
    watchers_.push_back(std::make_unique<Watcher>(instance.stub(), trip_, std::move(journey)));
    return *watchers_.back();
  }

  v1::HoldSeatsResponse Hold(Instance& in, const std::string& seat, int seconds) {
    v1::HoldSeatsRequest req;
    req.set_trip_id(trip_);
    req.set_organization_id(kOrg);
    req.set_user_id("watch-user");
    req.add_seat_ids(seat);
    req.set_hold_duration_seconds(seconds);
    v1::HoldSeatsResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    grpc::Status st = in.stub().HoldSeats(&ctx, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    EXPECT_TRUE(resp.success()) << seat << " " << resp.failure_reason();
    return resp;
  }
  void Release(Instance& in, const std::string& hold) {
    v1::ReleaseSeatsRequest req;
    req.set_hold_id(hold);
    req.set_user_id("watch-user");
    req.set_organization_id(kOrg);
    v1::ReleaseSeatsResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    grpc::Status st = in.stub().ReleaseSeats(&ctx, req, &resp);
    EXPECT_TRUE(st.ok() && resp.success()) << st.error_message();
  }
  std::string Confirm(Instance& in, const std::string& hold, const std::string& seat) {
    v1::ConfirmBookingRequest req;
    req.set_hold_id(hold);
    req.set_order_id(absl::StrCat("order-", hold));
    req.set_user_id("watch-user");
    req.set_organization_id(kOrg);
    v1::PassengerSeat* p = req.add_passengers();
    p->set_seat_id(seat);
    p->set_passenger_nid("1234567890");
    p->set_passenger_name("Passenger");
    v1::ConfirmBookingResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    grpc::Status st = in.stub().ConfirmBooking(&ctx, req, &resp);
    EXPECT_TRUE(st.ok() && resp.success()) << st.error_message() << " " << resp.failure_reason();
    return resp.booking_id();
  }
  void Cancel(Instance& in, const std::string& booking) {
    v1::CancelBookingRequest req;
    req.set_booking_id(booking);
    req.set_user_id("watch-user");
    req.set_organization_id(kOrg);
    v1::CancelBookingResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    grpc::Status st = in.stub().CancelBooking(&ctx, req, &resp);
    EXPECT_TRUE(st.ok() && resp.success()) << st.error_message();
  }
  void Block(Instance& in, const std::string& seat, bool block) {
    v1::UpdateInventoryRequest req;
    req.set_trip_id(trip_);
    req.set_organization_id(kOrg);
    v1::SeatUpdate* u = req.add_updates();
    u->set_seat_id(seat);
    u->set_new_status(block ? v1::SEAT_STATUS_BLOCKED : v1::SEAT_STATUS_AVAILABLE);
    v1::UpdateInventoryResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    grpc::Status st = in.stub().UpdateInventory(&ctx, req, &resp);
    EXPECT_TRUE(st.ok() && resp.success()) << st.error_message();
  }
  std::map<std::string, Cell> SeatMap(Instance& in, const Journey& j) {
    v1::GetSeatMapRequest req;
    req.set_trip_id(trip_);
    req.set_organization_id(kOrg);
    req.set_from_station_id(j.from);
    req.set_to_station_id(j.to);
    v1::GetSeatMapResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    grpc::Status st = in.stub().GetSeatMap(&ctx, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    std::map<std::string, Cell> out;
    for (const v1::SeatRow& row : resp.rows()) {
      for (const v1::SeatCell& c : row.seats()) {
        out[c.seat_id()] = {c.status(), c.status() == v1::SEAT_STATUS_HELD ? c.hold_expires_at() : 0};
      }
    }
    return out;
  }

  std::unique_ptr<testing::TcpProxy> redis_;
  std::unique_ptr<Instance> a_;
  std::unique_ptr<Instance> b_;
  std::string trip_;
  std::vector<std::unique_ptr<Watcher>> watchers_;
};

// A change expected at every watcher: seat `seat` shows `status` from
// `since_ms` (the request's sending), counted from `made_ms` (its answer,
// or for an expiry the moment the instance may reclaim it).
struct Expected {
  std::string seat;
  v1::SeatStatus status;
  int64_t since_ms;
  int64_t made_ms;
  bool expiry = false;
};

int64_t Percentile(std::vector<int64_t> v, double p) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

TEST_F(WatchE2eTest, AThousandWatchersOnTwoInstancesSeeEveryChangeAndEndEqualToTheSeatMap) {
  constexpr int kWatchers = 1000;
  const Journey whole{"", ""}, first_leg{"A", "B"}, second_leg{"B", "C"};
  for (int i = 0; i < kWatchers; ++i) {
    // Nine in ten watch the whole journey; the rest one leg.
    const Journey& j = i % 10 == 8 ? first_leg : i % 10 == 9 ? second_leg : whole;
    Watch(On(i), j);
  }
  for (auto& w : watchers_) ASSERT_TRUE(w->WaitStarted(30s)) << w->status().error_message();

  // Each seat's life, its steps made on alternating instances.
  std::vector<Expected> expected;
  auto step = [&](const std::string& seat, v1::SeatStatus status, const std::function<void()>& call) {
    const int64_t since = NowMs();
    call();
    expected.push_back({seat, status, since, NowMs()});
  };
  std::vector<std::string> expiring;  // seats whose last hold expires
  const int64_t started = NowMs();
  for (int s = 1; s <= 8; ++s) {
    const std::string seat = Seat(s);
    Instance& one = On(s);
    Instance& other = On(s + 1);
    std::string hold;
    step(seat, v1::SEAT_STATUS_HELD, [&] { hold = Hold(one, seat, 600).hold_id(); });
    step(seat, v1::SEAT_STATUS_AVAILABLE, [&] { Release(other, hold); });
    step(seat, v1::SEAT_STATUS_HELD, [&] { hold = Hold(other, seat, 600).hold_id(); });
    std::string booking;
    step(seat, v1::SEAT_STATUS_BOOKED, [&] { booking = Confirm(one, hold, seat); });
    step(seat, v1::SEAT_STATUS_AVAILABLE, [&] { Cancel(other, booking); });
    step(seat, v1::SEAT_STATUS_BLOCKED, [&] { Block(one, seat, true); });
    step(seat, v1::SEAT_STATUS_AVAILABLE, [&] { Block(other, seat, false); });
    step(seat, v1::SEAT_STATUS_HELD, [&] { Hold(one, seat, 2); });
    expiring.push_back(seat);
  }
  // The short holds expire: the instances announce it by themselves.
  std::this_thread::sleep_for(2s + std::chrono::milliseconds(kToleranceMs) + 1500ms);
  std::printf("changes made in %lld ms\n", static_cast<long long>(NowMs() - started));

  // Every change reached every watcher (sub-journey watchers too: every
  // step covers the whole journey).
  std::vector<int64_t> latency, expiry_latency;
  int missing = 0;
  for (auto& w : watchers_) {
    for (const Expected& e : expected) {
      const int64_t seen = w->FirstSeen(e.seat, e.status, e.since_ms);
      if (seen < 0) {
        if (++missing <= 5) ADD_FAILURE() << "a watcher never saw " << e.seat << " become " << e.status;
        continue;
      }
      latency.push_back(std::max<int64_t>(0, seen - e.made_ms));
    }
    for (const std::string& seat : expiring) {
      // The last hold seen of the seat is the short one.
      int64_t last_expiry = 0;
      const int64_t at = w->LastSeen(seat, v1::SEAT_STATUS_HELD, &last_expiry);
      const int64_t freed = w->FirstSeen(seat, v1::SEAT_STATUS_AVAILABLE, at < 0 ? started : at);
      if (freed < 0 || last_expiry == 0) {
        if (++missing <= 5) ADD_FAILURE() << "a watcher never saw the hold of " << seat << " expire";
        continue;
      }
      expiry_latency.push_back(std::max<int64_t>(0, freed - (last_expiry + kToleranceMs)));
    }
  }
  EXPECT_EQ(missing, 0);
  std::printf("delivery of %zu changes to %d watchers: p50 %lld ms, p99 %lld ms, max %lld ms\n", expected.size(),
              kWatchers, static_cast<long long>(Percentile(latency, 0.5)),
              static_cast<long long>(Percentile(latency, 0.99)), static_cast<long long>(Percentile(latency, 1.0)));
  std::printf("expiries (%zu seats): announced p50 %lld ms, p99 %lld ms, max %lld ms after the instance may reclaim\n",
              expiring.size(), static_cast<long long>(Percentile(expiry_latency, 0.5)),
              static_cast<long long>(Percentile(expiry_latency, 0.99)),
              static_cast<long long>(Percentile(expiry_latency, 1.0)));
  // Within a second, other instance included, while Redis is up.
  EXPECT_LE(Percentile(latency, 0.99), 1000);
  EXPECT_LE(Percentile(expiry_latency, 0.99), 1000);

  // Every copy equals the seat map its instance serves now.
  std::map<std::pair<int, std::string>, std::map<std::string, Cell>> maps;
  int differing = 0, heartbeats = 0, stale = 0;
  for (size_t i = 0; i < watchers_.size(); ++i) {
    Watcher& w = *watchers_[i];
    const auto key = std::make_pair(static_cast<int>(i % 2), w.journey().from + w.journey().to);
    if (!maps.contains(key)) maps[key] = SeatMap(On(static_cast<int>(i)), w.journey());
    std::map<std::string, Cell> copy = w.Copy();
    for (auto& [seat, cell] : copy) cell.expires_at_ms /= 1000;  // the seat map has seconds
    for (auto& [seat, cell] : copy) {
      const Cell& truth = maps[key][seat];
      if (cell.status != truth.status || cell.expires_at_ms != truth.expires_at_ms) {
        if (++differing <= 5) ADD_FAILURE() << "watcher " << i << " has " << seat << " " << cell.status;
        break;
      }
    }
    heartbeats += w.heartbeats();
    stale += w.stale();
    EXPECT_FALSE(w.done()) << w.status().error_message();
  }
  EXPECT_EQ(differing, 0);
  EXPECT_EQ(stale, 0) << "events whose version did not move forward";
  EXPECT_GT(heartbeats, 0);
  std::printf("heartbeats received: %d\n", heartbeats);
}

// With Redis cut the instances cannot hear each other: a watcher of one
// instance gets the other's change in a full map read from the database.
TEST_F(WatchE2eTest, WithRedisDownWatchersGetFullMapsFromTheDatabase) {
  Watcher& on_b = Watch(*b_, {"", ""});
  ASSERT_TRUE(on_b.WaitStarted(30s)) << on_b.status().error_message();
  redis_->Cut();
  std::this_thread::sleep_for(1500ms);  // the instances notice
  const int64_t since = NowMs();
  Hold(*a_, Seat(3), 600);
  const int64_t made = NowMs();
  int64_t seen = -1;
  for (int i = 0; i < 100 && seen < 0; ++i) {
    std::this_thread::sleep_for(100ms);
    seen = on_b.FirstSeen(Seat(3), v1::SEAT_STATUS_HELD, since);
  }
  ASSERT_GE(seen, 0) << "the change made on the other instance never arrived" << b_->Log();
  std::printf("with Redis down, a change on the other instance arrived after %lld ms\n",
              static_cast<long long>(seen - made));
  EXPECT_GT(on_b.FullMaps(v1::FULL_MAP_REASON_REFRESH), 0);
  EXPECT_LE(seen - made, 5000);
  redis_->Restore();
}

}  // namespace
}  // namespace inventory
