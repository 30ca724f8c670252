#include "service/snapshot_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <thread>

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
using domain::SeatStatus;

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A store whose only working call is LoadSnapshot: it takes 20 ms and counts.
// The trip has two seats (1A, 1B) on two segments.
class SlowStore final : public storage::testing::UnimplementedStore {
 public:
  int loads = 0;
  bool fail = false;
  std::vector<std::string> events;  // "load" when a load reads, for ordering checks

  asio::awaitable<absl::StatusOr<std::shared_ptr<domain::TripSnapshot>>> LoadSnapshot(
      storage::TripRef trip) override {
    ++loads;
    events.push_back("load");
    asio::steady_timer t(co_await asio::this_coro::executor, 20ms);
    co_await t.async_wait(asio::use_awaitable);
    if (fail) co_return absl::UnavailableError("database down");
    auto s = std::make_shared<domain::TripSnapshot>();
    s->trip.trip_id = trip.trip_id;
    s->trip.seats = {{"1A", "1A", 1, 1, "", "", 0, false, false, false},
                     {"1B", "1B", 1, 2, "", "", 0, false, false, false}};
    s->states.assign(2, std::vector<domain::SegmentState>(2));
    s->IndexSeats();
    s->loaded_at_ms = WallMs();
    co_return std::shared_ptr<domain::TripSnapshot>(std::move(s));
  }
};

// A change feed that answers positions and records what is followed.
class FakeFeed final : public cache::ChangeFeed {
 public:
  std::vector<std::string>* events = nullptr;
  bool down = false;
  std::map<std::string, cache::FeedPosition> followed;

  asio::awaitable<absl::StatusOr<cache::FeedPosition>> Position(cache::TripKey trip) override {
    (void)trip;
    if (events != nullptr) events->push_back("position");
    if (down) co_return absl::UnavailableError("redis down");
    co_return cache::FeedPosition{"5-0", 5};
  }
  void Follow(const cache::TripKey& trip, cache::FeedPosition from) override { followed[trip.trip_id] = from; }
  void Unfollow(const cache::TripKey& trip) override { followed.erase(trip.trip_id); }
  void Start(cache::FeedSink*) override {}
  asio::awaitable<void> Stop() override { co_return; }
};

class SnapshotCacheTest : public ::testing::Test {
 protected:
  SnapshotCache Make(std::chrono::milliseconds ttl, bool enabled, cache::ChangeFeed* feed = nullptr) {
    return SnapshotCache(store_, feed, SnapshotCacheOptions{ttl, enabled, 30000ms}, WallMs, stats_);
  }
  // Runs `n` concurrent Get()s of one trip and returns how many succeeded.
  int Storm(SnapshotCache& cache, int n) {
    int ok = 0;
    for (int i = 0; i < n; ++i) {
      asio::co_spawn(
          io_,
          [&]() -> asio::awaitable<void> {
            storage::TripRef trip{"org", "trip"};
            absl::StatusOr<SnapshotCache::SnapshotPtr> s = co_await cache.Get(std::move(trip));
            if (s.ok() && (*s)->trip.trip_id == "trip") ++ok;
          },
          asio::detached);
    }
    io_.restart();
    io_.run();
    return ok;
  }

  asio::io_context io_;
  SlowStore store_;
  ServiceStats stats_;
};

SeatChange HeldBy(const std::string& seat, const std::string& hold, const std::string& user) {
  return SeatChange{seat, {0, 1}, SeatChange::Kind::kHeld, hold, user, WallMs() + 60000, ""};
}

TEST_F(SnapshotCacheTest, AStormCostsOneLoad) {
  SnapshotCache cache = Make(5000ms, true);
  EXPECT_EQ(Storm(cache, 1000), 1000);
  EXPECT_EQ(store_.loads, 1);
  EXPECT_EQ(cache.stats().loads, 1u);
  EXPECT_EQ(Storm(cache, 100), 100);  // warm: hits, no load
  EXPECT_EQ(store_.loads, 1);
  EXPECT_EQ(cache.stats().hits, 100u);
}

TEST_F(SnapshotCacheTest, InvalidateForcesOneReload) {
  SnapshotCache cache = Make(5000ms, true);
  Storm(cache, 10);
  cache.Invalidate({"org", "trip"});
  EXPECT_EQ(Storm(cache, 10), 10);
  EXPECT_EQ(store_.loads, 2);
}

TEST_F(SnapshotCacheTest, ExpiresAfterTtlAndZeroTtlNeverCaches) {
  SnapshotCache short_lived = Make(1ms, true);
  Storm(short_lived, 5);
  std::this_thread::sleep_for(5ms);
  Storm(short_lived, 5);
  EXPECT_EQ(store_.loads, 2);
  SnapshotCache off = Make(0ms, true);
  Storm(off, 1);
  Storm(off, 1);
  EXPECT_EQ(store_.loads, 4);
}

TEST_F(SnapshotCacheTest, FailuresReachEveryWaiterAndAreNotCached) {
  store_.fail = true;
  SnapshotCache cache = Make(5000ms, true);
  EXPECT_EQ(Storm(cache, 50), 0);
  EXPECT_EQ(store_.loads, 1);
  store_.fail = false;
  EXPECT_EQ(Storm(cache, 5), 5);
  EXPECT_EQ(store_.loads, 2);
}

TEST_F(SnapshotCacheTest, DisabledLoadsForEveryRequestAndNeverRefuses) {
  SnapshotCache cache = Make(5000ms, false);
  EXPECT_EQ(Storm(cache, 20), 20);
  EXPECT_EQ(store_.loads, 20);
  EXPECT_EQ(cache.stats().hits, 0u);
  EXPECT_EQ(cache.Peek({"org", "trip"}).snapshot, nullptr);
}

TEST_F(SnapshotCacheTest, PeekNeverLoadsAndTellsFreshness) {
  // A copy's age counts from when its load began (a load takes 20 ms here).
  SnapshotCache cache = Make(60ms, true);
  EXPECT_EQ(cache.Peek({"org", "trip"}).snapshot, nullptr);
  Storm(cache, 1);
  SnapshotCache::Peeked fresh = cache.Peek({"org", "trip"});
  ASSERT_NE(fresh.snapshot, nullptr);
  EXPECT_TRUE(fresh.fresh);
  EXPECT_TRUE(cache.MayRefuse(fresh, 0));
  std::this_thread::sleep_for(70ms);
  SnapshotCache::Peeked stale = cache.Peek({"org", "trip"});
  EXPECT_EQ(stale.snapshot, fresh.snapshot);
  EXPECT_FALSE(stale.fresh);
  EXPECT_FALSE(cache.MayRefuse(stale, 0));  // no feed: only ttl vouches
  EXPECT_EQ(store_.loads, 1);
  EXPECT_EQ(cache.stats().hits + cache.stats().misses, 1u);
}

TEST_F(SnapshotCacheTest, AppliedChangesPatchInPlaceAndMakeTheirSeatsFreshAgain) {
  SnapshotCache cache = Make(20ms, true);
  Storm(cache, 1);
  SnapshotCache::SnapshotPtr before = cache.Peek({"org", "trip"}).snapshot;
  std::this_thread::sleep_for(30ms);
  // One change object: HeldBy stamps the expiry from the clock, and a
  // later millisecond would be a different change.
  const SeatChange held = HeldBy("1A", "h1", "u1");
  cache.Apply({"org", "trip"}, {held}, /*own=*/true);
  SnapshotCache::Peeked after = cache.Peek({"org", "trip"});
  EXPECT_EQ(after.snapshot, before);
  EXPECT_EQ(after.snapshot->version, 1u);
  EXPECT_EQ(after.snapshot->states[0][0].status, SeatStatus::kHeld);
  EXPECT_EQ(after.snapshot->states[0][1].hold_id, "h1");
  EXPECT_FALSE(after.fresh);
  EXPECT_TRUE(cache.MayRefuse(after, 0));   // just learned
  EXPECT_FALSE(cache.MayRefuse(after, 1));  // nothing new about 1B
  // Said twice: nothing changes.
  cache.Apply({"org", "trip"}, {held}, /*own=*/false);
  EXPECT_EQ(after.snapshot->version, 1u);
  // Unknown trips and seats are ignored.
  cache.Apply({"org", "other"}, {HeldBy("1A", "h1", "u1")}, true);
  cache.Apply({"org", "trip"}, {HeldBy("9Z", "h1", "u1")}, true);
  EXPECT_EQ(after.snapshot->version, 1u);
}

TEST_F(SnapshotCacheTest, ASeededSnapshotIsServedWithoutALoad) {
  SnapshotCache cache = Make(5000ms, true);
  auto seeded = std::make_shared<domain::TripSnapshot>();
  seeded->trip.trip_id = "trip";
  seeded->loaded_at_ms = WallMs();
  asio::co_spawn(io_, cache.Seed({"org", "trip"}, seeded), asio::detached);
  io_.run();
  EXPECT_EQ(Storm(cache, 10), 10);
  EXPECT_EQ(store_.loads, 0);
  EXPECT_TRUE(cache.Peek({"org", "trip"}).fresh);

  SnapshotCache off = Make(5000ms, false);
  asio::co_spawn(io_, off.Seed({"org", "trip"}, seeded), asio::detached);
  io_.restart();
  io_.run();
  EXPECT_EQ(off.Peek({"org", "trip"}).snapshot, nullptr);
}

TEST_F(SnapshotCacheTest, ALoadStartedBeforeAnOwnChangeIsNotKeptButAFeedChangeDoesNotDropIt) {
  SnapshotCache cache = Make(5000ms, true);
  int answered = 0;
  auto get = [&]() -> asio::awaitable<void> {
    storage::TripRef trip{"org", "trip"};
    absl::StatusOr<SnapshotCache::SnapshotPtr> s = co_await cache.Get(std::move(trip));
    if (s.ok()) ++answered;
  };
  Storm(cache, 1);
  cache.Invalidate({"org", "trip"});
  asio::co_spawn(io_, get(), asio::detached);
  io_.restart();
  io_.poll();  // the load is now in flight
  cache.Apply({"org", "trip"}, {HeldBy("1A", "h1", "u1")}, /*own=*/true);
  io_.run();
  EXPECT_EQ(answered, 1);
  EXPECT_EQ(cache.Peek({"org", "trip"}).snapshot, nullptr);
  // A change heard from the feed while loading: the load is kept (the feed
  // replays from the position taken before the load).
  asio::co_spawn(io_, get(), asio::detached);
  io_.restart();
  io_.poll();
  cache.OnChanges({"org", "trip"}, {HeldBy("1A", "h2", "u2")});
  io_.run();
  EXPECT_NE(cache.Peek({"org", "trip"}).snapshot, nullptr);
}

TEST_F(SnapshotCacheTest, TheFeedKeepsACopyTrustedUntilItLosesSight) {
  FakeFeed feed;
  feed.events = &store_.events;
  SnapshotCache cache = Make(60ms, true, &feed);
  Storm(cache, 1);
  // The position is taken before the database is read, then followed.
  ASSERT_EQ(store_.events.size(), 2u);
  EXPECT_EQ(store_.events[0], "position");
  EXPECT_EQ(store_.events[1], "load");
  ASSERT_EQ(feed.followed.count("trip"), 1u);
  EXPECT_EQ(feed.followed["trip"].seq, 5);
  std::this_thread::sleep_for(70ms);
  SnapshotCache::Peeked p = cache.Peek({"org", "trip"});
  EXPECT_FALSE(p.fresh);
  EXPECT_TRUE(p.feed_trusted);
  EXPECT_TRUE(cache.MayRefuse(p, 1));
  // A gap of this trip ends the trust (until the next load).
  cache.OnGap({"org", "trip"});
  EXPECT_FALSE(cache.MayRefuse(cache.Peek({"org", "trip"}), 1));
  Storm(cache, 1);  // reload (ttl passed)
  EXPECT_TRUE(cache.Peek({"org", "trip"}).feed_trusted);
  cache.OnFeedLost();
  EXPECT_FALSE(cache.Peek({"org", "trip"}).feed_trusted);
  // Loaded while the feed does not answer: trusted for ttl only.
  feed.down = true;
  std::this_thread::sleep_for(70ms);
  Storm(cache, 1);
  SnapshotCache::Peeked unfollowed = cache.Peek({"org", "trip"});
  EXPECT_TRUE(unfollowed.fresh);
  EXPECT_FALSE(unfollowed.feed_trusted);
  EXPECT_EQ(stats_.feed_gaps, 1u);
  EXPECT_EQ(stats_.feed_losses, 1u);
}

TEST_F(SnapshotCacheTest, FeedChangesAreAppliedAndCounted) {
  FakeFeed feed;
  SnapshotCache cache = Make(5000ms, true, &feed);
  Storm(cache, 1);
  cache.OnChanges({"org", "trip"}, {HeldBy("1B", "h7", "u7")});
  SnapshotCache::Peeked p = cache.Peek({"org", "trip"});
  EXPECT_EQ(p.snapshot->states[1][0].hold_id, "h7");
  EXPECT_EQ(stats_.feed_changes_applied, 1u);
  // Its release arrives: the seat is free again; a late "held" is ignored.
  cache.OnChanges({"org", "trip"}, {SeatChange{"1B", {0, 1}, SeatChange::Kind::kFreed, "h7", "", 0, ""}});
  cache.OnChanges({"org", "trip"}, {HeldBy("1B", "h7", "u7")});
  EXPECT_EQ(p.snapshot->states[1][0].status, SeatStatus::kAvailable);
}

}  // namespace
}  // namespace inventory::service
