#include "service/seat_map_watch.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "storage/testing/unimplemented_store.h"

namespace inventory::service {
namespace {

using namespace std::chrono_literals;
using domain::SeatChange;

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A trip of four seats (S1..S4) on two segments, loaded as it is now.
class MemoryStore final : public storage::testing::UnimplementedStore {
 public:
  int loads = 0;
  asio::awaitable<absl::StatusOr<std::shared_ptr<domain::TripSnapshot>>> LoadSnapshot(
      storage::TripRef trip) override {
    ++loads;
    auto s = std::make_shared<domain::TripSnapshot>();
    s->trip.trip_id = trip.trip_id;
    for (int i = 1; i <= 4; ++i) {
      const std::string id = "S" + std::to_string(i);
      s->trip.seats.push_back({id, id, 1, i, "", "standard", 0, false, false, false});
    }
    s->stations = {"A", "B", "C"};
    s->states.assign(4, std::vector<domain::SegmentState>(2));
    s->IndexSeats();
    s->loaded_at_ms = WallMs();
    co_return s;
  }
};

// A watcher that never writes: events pile up unless `drain`.
class FakeWatcher final : public SeatMapWatcher {
 public:
  std::vector<v1::SeatMapEvent> events;  // everything sent or replaced, in order
  size_t waiting = 0;
  int replaced = 0;
  bool gone = false;
  bool drain = true;
  absl::Status ended;

  size_t Send(std::shared_ptr<const std::string> event) override {
    if (gone) return 0;
    Record(*event);
    waiting = drain ? 1 : waiting + 1;
    return waiting;
  }
  void Replace(std::shared_ptr<const std::string> event) override {
    Record(*event);
    ++replaced;
    waiting = 1;
  }
  void End(const absl::Status& status) override { ended = status; }

  // The seat's status as the events tell it.
  v1::SeatStatus StatusOf(const std::string& seat) const {
    v1::SeatStatus status = v1::SEAT_STATUS_UNSPECIFIED;
    for (const v1::SeatMapEvent& e : events) {
      for (const v1::SeatRow& row : e.full_map().rows()) {
        for (const v1::SeatCell& c : row.seats()) {
          if (c.seat_id() == seat) status = c.status();
        }
      }
      for (const v1::SeatStatusChange& c : e.changes().seats()) {
        if (c.seat_id() == seat) status = c.status();
      }
    }
    return status;
  }

 private:
  void Record(const std::string& bytes) {
    v1::SeatMapEvent e;
    ASSERT_TRUE(e.ParseFromString(bytes));
    events.push_back(std::move(e));
  }
};

class SeatMapWatchTest : public ::testing::Test {
 protected:
  SeatMapWatchTest()
      : clock_(WallMs, 0, 60000),
        cache_(store_, nullptr, SnapshotCacheOptions{}, WallMs, stats_),
        watch_(cache_, clock_, Options()) {
    const int64_t now = WallMs();
    clock_.Record(now, now, now);  // no skew: expiry is decided
    cache_.set_listener([this](const storage::TripRef& trip, const std::vector<SeatChange>* changes) {
      watch_.OnSnapshotChanged(trip, changes);
    });
  }
  static SeatMapWatchOptions Options() {
    SeatMapWatchOptions o;
    o.max_behind = 3;
    o.heartbeat = 60s;
    o.refresh = 60s;
    return o;
  }
  void RunIo(std::function<asio::awaitable<void>()> body) {
    asio::co_spawn(io_, std::move(body), asio::detached);
    io_.restart();
    io_.run();
  }
  // Starts a watcher of `range` on the trip.
  std::shared_ptr<FakeWatcher> Watch(domain::SegmentRange range) {
    auto w = std::make_shared<FakeWatcher>();
    RunIo([&]() -> asio::awaitable<void> {
      absl::StatusOr<SnapshotCache::SnapshotPtr> snap = co_await cache_.Get(trip_);
      EXPECT_TRUE(snap.ok());
      EXPECT_TRUE(watch_.Add(trip_, range, *snap, w).ok());
    });
    return w;
  }
  static SeatChange Held(const std::string& seat, domain::SegmentRange range, const std::string& hold,
                         int64_t expires_at_ms) {
    SeatChange c;
    c.seat_id = seat;
    c.range = range;
    c.kind = SeatChange::Kind::kHeld;
    c.owner_id = hold;
    c.user_id = "u";
    c.expires_at_ms = expires_at_ms;
    return c;
  }
  static SeatChange Freed(const std::string& seat, domain::SegmentRange range, const std::string& hold) {
    SeatChange c;
    c.seat_id = seat;
    c.range = range;
    c.kind = SeatChange::Kind::kFreed;
    c.owner_id = hold;
    return c;
  }

  asio::io_context io_;
  MemoryStore store_;
  ServiceStats stats_;
  ClockGuard clock_;
  SnapshotCache cache_;
  SeatMapWatch watch_;
  storage::TripRef trip_{"org", "trip"};
};

TEST_F(SeatMapWatchTest, AWatcherGetsTheFullMapThenEachChangeWithTheNextVersion) {
  std::shared_ptr<FakeWatcher> w = Watch({0, 1});
  ASSERT_EQ(w->events.size(), 1u);
  EXPECT_EQ(w->events[0].full_map_reason(), v1::FULL_MAP_REASON_START);
  EXPECT_EQ(w->events[0].full_map().rows(0).seats_size(), 4);
  const int64_t start = w->events[0].version();

  const int64_t expiry = WallMs() + 600000;
  cache_.Apply(trip_, {Held("S2", {0, 1}, "h1", expiry)}, true);
  ASSERT_EQ(w->events.size(), 2u);
  ASSERT_EQ(w->events[1].changes().seats_size(), 1);
  const v1::SeatStatusChange& c = w->events[1].changes().seats(0);
  EXPECT_EQ(c.seat_id(), "S2");
  EXPECT_EQ(c.status(), v1::SEAT_STATUS_HELD);
  EXPECT_EQ(c.hold_expires_at_ms(), expiry);
  EXPECT_EQ(c.hold_expires_at(), expiry / 1000);
  EXPECT_EQ(w->events[1].version(), start + 1);

  cache_.Apply(trip_, {Freed("S2", {0, 1}, "h1")}, true);
  ASSERT_EQ(w->events.size(), 3u);
  EXPECT_EQ(w->events[2].changes().seats(0).status(), v1::SEAT_STATUS_AVAILABLE);
  EXPECT_EQ(w->events[2].version(), start + 2);
  // A change that changes no status (the same hold again) sends nothing.
  cache_.Apply(trip_, {Freed("S2", {0, 1}, "h1")}, true);
  EXPECT_EQ(w->events.size(), 3u);
}

TEST_F(SeatMapWatchTest, AChangeOutsideTheJourneyIsNotSentToItsWatchers) {
  std::shared_ptr<FakeWatcher> first_leg = Watch({0, 0});
  std::shared_ptr<FakeWatcher> second_leg = Watch({1, 1});
  cache_.Apply(trip_, {Held("S1", {1, 1}, "h1", WallMs() + 600000)}, true);
  EXPECT_EQ(first_leg->events.size(), 1u);
  ASSERT_EQ(second_leg->events.size(), 2u);
  EXPECT_EQ(second_leg->StatusOf("S1"), v1::SEAT_STATUS_HELD);
  EXPECT_EQ(watch_.stats().topics, 2u);
}

TEST_F(SeatMapWatchTest, AReaderTooFarBehindGetsTheFullMapInsteadOfItsQueue) {
  std::shared_ptr<FakeWatcher> slow = Watch({0, 1});
  std::shared_ptr<FakeWatcher> fast = Watch({0, 1});
  slow->drain = false;
  slow->waiting = 0;
  const int64_t expiry = WallMs() + 600000;
  for (int i = 1; i <= 4; ++i) {
    cache_.Apply(trip_, {Held("S" + std::to_string(i), {0, 1}, "h" + std::to_string(i), expiry)}, true);
  }
  // Three waiting is the limit: the fourth change replaced the queue.
  EXPECT_EQ(slow->replaced, 1);
  EXPECT_EQ(slow->waiting, 1u);
  const v1::SeatMapEvent& last = slow->events.back();
  EXPECT_EQ(last.full_map_reason(), v1::FULL_MAP_REASON_BEHIND);
  EXPECT_EQ(last.version(), fast->events.back().version());
  for (int i = 1; i <= 4; ++i) EXPECT_EQ(slow->StatusOf("S" + std::to_string(i)), v1::SEAT_STATUS_HELD);
  EXPECT_EQ(fast->replaced, 0);
  EXPECT_EQ(watch_.stats().full_maps_behind, 1u);
}

TEST_F(SeatMapWatchTest, AWatcherWhoseStreamEndedIsForgotten) {
  std::shared_ptr<FakeWatcher> w = Watch({0, 1});
  std::shared_ptr<FakeWatcher> other = Watch({0, 1});
  EXPECT_EQ(watch_.stats().watchers, 2u);
  w->gone = true;
  cache_.Apply(trip_, {Held("S1", {0, 1}, "h1", WallMs() + 600000)}, true);
  EXPECT_EQ(watch_.stats().watchers, 1u);
  watch_.Remove(other.get());
  EXPECT_EQ(watch_.stats().watchers, 0u);
  EXPECT_EQ(watch_.stats().topics, 0u);
  watch_.Remove(other.get());  // harmless
}

TEST_F(SeatMapWatchTest, PastTheLimitOrOnceStoppingAWatchIsRefusedAndGetsNothing) {
  SeatMapWatchOptions o = Options();
  o.max_watchers = 1;
  SeatMapWatch limited(cache_, clock_, o);
  absl::StatusOr<SnapshotCache::SnapshotPtr> snap;
  RunIo([&]() -> asio::awaitable<void> { snap = co_await cache_.Get(trip_); });
  ASSERT_TRUE(snap.ok());
  auto first = std::make_shared<FakeWatcher>();
  auto second = std::make_shared<FakeWatcher>();
  EXPECT_TRUE(limited.Add(trip_, {0, 1}, *snap, first).ok());
  const absl::Status refused = limited.Add(trip_, {0, 1}, *snap, second);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused;
  EXPECT_TRUE(second->events.empty());
  EXPECT_EQ(limited.stats().refused, 1u);
  limited.Stop();
  EXPECT_EQ(first->ended.code(), absl::StatusCode::kUnavailable);
  auto late = std::make_shared<FakeWatcher>();
  EXPECT_EQ(limited.Add(trip_, {0, 1}, *snap, late).code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(late->events.empty());
  EXPECT_EQ(limited.stats().watchers, 0u);
}

TEST_F(SeatMapWatchTest, AnExpiryIsAnnouncedWhenItIsDue) {
  std::shared_ptr<FakeWatcher> w = Watch({0, 1});
  const int64_t expiry = WallMs() + 150;
  cache_.Apply(trip_, {Held("S3", {0, 1}, "h1", expiry)}, true);
  ASSERT_EQ(w->StatusOf("S3"), v1::SEAT_STATUS_HELD);
  int64_t announced = 0;
  RunIo([&]() -> asio::awaitable<void> {
    asio::co_spawn(co_await asio::this_coro::executor, watch_.Run(), asio::detached);
    asio::steady_timer t(co_await asio::this_coro::executor);
    while (w->StatusOf("S3") != v1::SEAT_STATUS_AVAILABLE && WallMs() < expiry + 5000) {
      t.expires_after(5ms);
      co_await t.async_wait(asio::use_awaitable);
    }
    announced = WallMs();
    watch_.Stop();
  });
  EXPECT_EQ(w->StatusOf("S3"), v1::SEAT_STATUS_AVAILABLE);
  EXPECT_GE(announced, expiry);
  EXPECT_LT(announced - expiry, 1000) << "announced late";
  EXPECT_EQ(w->ended.code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace inventory::service
