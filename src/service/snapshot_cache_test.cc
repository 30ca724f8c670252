#include "service/snapshot_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
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

// A store whose only working call is LoadSnapshot: it takes 20 ms (or the
// trip's own delay) and counts. A trip has two seats (1A, 1B), or its own
// number, on two segments; trips in `unknown` are NOT_FOUND.
class SlowStore final : public storage::testing::UnimplementedStore {
 public:
  int loads = 0;
  bool fail = false;
  std::vector<std::string> events;  // "load" when a load reads, for ordering checks
  std::set<std::string> unknown;
  std::map<std::string, int> loads_of;
  std::map<std::string, int> seats_of;
  std::map<std::string, std::chrono::milliseconds> delay_of;

  asio::awaitable<absl::StatusOr<std::shared_ptr<domain::TripSnapshot>>> LoadSnapshot(
      storage::TripRef trip) override {
    ++loads;
    ++loads_of[trip.trip_id];
    events.push_back("load");
    // Named first: GCC 12 keeps a temporary of a full expression holding a
    // co_await on the stack, where it is gone after the resumption.
    const auto delay = delay_of.find(trip.trip_id);
    const std::chrono::milliseconds wait = delay != delay_of.end() ? delay->second : 20ms;
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer t(executor, wait);
    co_await t.async_wait(asio::use_awaitable);
    if (fail) co_return absl::UnavailableError("database down");
    if (unknown.count(trip.trip_id) != 0) co_return absl::NotFoundError("trip '" + trip.trip_id + "' not found");
    const auto seats = seats_of.find(trip.trip_id);
    co_return Snapshot(trip.trip_id, seats != seats_of.end() ? seats->second : 2);
  }

 private:
  static std::shared_ptr<domain::TripSnapshot> Snapshot(const std::string& trip_id, int n) {
    auto s = std::make_shared<domain::TripSnapshot>();
    s->trip.trip_id = trip_id;
    for (int i = 0; i < n; ++i) {
      const std::string id = i < 2 ? std::string(i == 0 ? "1A" : "1B") : "seat-number-" + std::to_string(i);
      s->trip.seats.push_back({id, id, 1 + i / 2, 1 + i % 2, "", "", 0, false, false, false});
    }
    s->states.assign(s->trip.seats.size(), std::vector<domain::SegmentState>(2));
    s->IndexSeats();
    s->loaded_at_ms = WallMs();
    return s;
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
  // A cache of `max_bytes` remembering unknown trips for `not_found_ttl`.
  SnapshotCache Bounded(uint64_t max_bytes, std::chrono::milliseconds not_found_ttl = 0ms,
                        cache::ChangeFeed* feed = nullptr, std::chrono::milliseconds ttl = 5000ms) {
    return SnapshotCache(store_, feed, SnapshotCacheOptions{ttl, true, 30000ms, max_bytes, not_found_ttl}, WallMs,
                         stats_);
  }
  // One Get of `trip_id`, run to its end.
  absl::StatusOr<SnapshotCache::SnapshotPtr> GetOne(SnapshotCache& cache, const std::string& trip_id) {
    absl::StatusOr<SnapshotCache::SnapshotPtr> out = absl::UnknownError("not run");
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          storage::TripRef trip{"org", trip_id};
          out = co_await cache.Get(std::move(trip));
        },
        asio::detached);
    io_.restart();
    io_.run();
    return out;
  }
  // What one cached trip of `seats` seats counts against the budget.
  uint64_t EntryBytes(int seats) {
    SlowStore store;
    store.seats_of["t"] = seats;
    ServiceStats stats;
    SnapshotCache cache(store, nullptr, SnapshotCacheOptions{}, WallMs, stats);
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          storage::TripRef trip{"org", "t"};
          co_await cache.Get(std::move(trip));
        },
        asio::detached);
    io_.restart();
    io_.run();
    return cache.stats().bytes;
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

// A load that started before an own change is kept with the change applied
// (the database may have been read before it), as it is with a change heard
// from the feed (replayed from the position taken before the load).
TEST_F(SnapshotCacheTest, ALoadStartedBeforeAnOwnChangeIsKeptWithTheChangeAppliedAsWithAFeedChange) {
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
  SnapshotCache::SnapshotPtr kept = cache.Peek({"org", "trip"}).snapshot;
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(kept->states[0][0].hold_id, "h1");  // the store never saw it: applied to the loaded copy
  EXPECT_EQ(store_.loads, 2);
  // An invalidation during a load: the load is not kept.
  cache.Invalidate({"org", "trip"});
  asio::co_spawn(io_, get(), asio::detached);
  io_.restart();
  io_.poll();
  cache.Invalidate({"org", "trip"});
  io_.run();
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

// A copy older than ttl that the feed keeps honest is served at once while
// one load runs in the background and replaces it: a storm of reads never
// waits for a reload. A copy the feed lost sight of makes its readers wait
// for the load, as before.
TEST_F(SnapshotCacheTest, AStaleCopyTheFeedKeepsHonestIsServedWhileOneReloadRuns) {
  FakeFeed feed;
  SnapshotCache cache = Make(50ms, true, &feed);
  Storm(cache, 1);
  const SnapshotCache::SnapshotPtr first = cache.Peek({"org", "trip"}).snapshot;
  ASSERT_NE(first, nullptr);
  std::this_thread::sleep_for(60ms);  // older than ttl, still trusted
  store_.delay_of["trip"] = 200ms;
  // Readers: when each was answered (ms after the start) and with what.
  auto readers = [&](int n) {
    auto out = std::make_shared<std::vector<std::pair<int64_t, SnapshotCache::SnapshotPtr>>>();
    const int64_t start = WallMs();
    for (int i = 0; i < n; ++i) {
      asio::co_spawn(
          io_,
          [&cache, out, start]() -> asio::awaitable<void> {
            storage::TripRef trip{"org", "trip"};
            absl::StatusOr<SnapshotCache::SnapshotPtr> s = co_await cache.Get(std::move(trip));
            const int64_t at = WallMs() - start;
            out->emplace_back(at, s.ok() ? *s : nullptr);
          },
          asio::detached);
    }
    io_.restart();
    io_.run();
    return *out;
  };
  const int loads_before = store_.loads;
  for (const auto& [at, snapshot] : readers(20)) {
    EXPECT_LT(at, 100) << "a reader waited for the reload";
    EXPECT_EQ(snapshot, first);
  }
  EXPECT_EQ(store_.loads, loads_before + 1);  // one reload, in the background
  EXPECT_EQ(cache.stats().stale_hits, 20u);
  SnapshotCache::Peeked reloaded = cache.Peek({"org", "trip"});
  EXPECT_NE(reloaded.snapshot, first);
  EXPECT_TRUE(reloaded.feed_trusted);
  // The feed lost: the next readers past ttl wait for a fresh load.
  cache.OnFeedLost();
  std::this_thread::sleep_for(60ms);
  for (const auto& [at, snapshot] : readers(5)) {
    EXPECT_GE(at, 150) << "an untrusted stale copy was served";
    EXPECT_NE(snapshot, reloaded.snapshot);
  }
  EXPECT_EQ(store_.loads, loads_before + 2);
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


// --- Memory: the byte budget and unknown trips ---

TEST_F(SnapshotCacheTest, TheEstimateCountsEverySeatAndEveryEntry) {
  const uint64_t two = EntryBytes(2);
  const uint64_t hundred = EntryBytes(100);
  // At least the states (seats x segments) and the seat definitions.
  EXPECT_GE(hundred - two, 98 * (2 * sizeof(domain::SegmentState) + sizeof(domain::SeatDefinition)));
  SnapshotCache cache = Bounded(uint64_t{1} << 30);
  ASSERT_TRUE(GetOne(cache, "a").ok());
  ASSERT_TRUE(GetOne(cache, "b").ok());
  EXPECT_EQ(cache.stats().bytes, 2 * two);
  EXPECT_EQ(cache.stats().snapshots, 2u);
  // A hold's ids (longer than a string keeps inline) count too.
  const SeatChange held{"1A", {0, 1}, SeatChange::Kind::kHeld, std::string(40, 'h'), std::string(40, 'u'),
                        WallMs() + 60000, ""};
  cache.Apply({"org", "a"}, {held}, /*own=*/true);
  EXPECT_GE(cache.stats().bytes, 2 * two + 2 * 2 * 41);
  // Its release brings the ids' memory back but remembers the owner.
  cache.Apply({"org", "a"}, {SeatChange{"1A", {0, 1}, SeatChange::Kind::kFreed, held.owner_id, "", 0, ""}}, true);
  EXPECT_GT(cache.stats().bytes, 2 * two);
  cache.Invalidate({"org", "a"});
  cache.Invalidate({"org", "b"});
  EXPECT_EQ(cache.stats().bytes, 0u);
  EXPECT_EQ(cache.stats().snapshots, 0u);
}

TEST_F(SnapshotCacheTest, PastTheBudgetTheLeastRecentlyUsedGoByBytes) {
  const uint64_t small = EntryBytes(2);
  const uint64_t big = EntryBytes(60);
  ASSERT_GT(big, 2 * small);
  SnapshotCache cache = Bounded(3 * small + small / 2);  // room for three small trips
  for (const char* t : {"t1", "t2", "t3"}) ASSERT_TRUE(GetOne(cache, t).ok());
  EXPECT_EQ(cache.stats().evictions, 0u);
  ASSERT_TRUE(GetOne(cache, "t1").ok());           // a hit: t1 is the most recent
  EXPECT_NE(cache.Peek({"org", "t2"}).snapshot, nullptr);  // a Peek too: t3 is now the least
  ASSERT_TRUE(GetOne(cache, "t4").ok());
  EXPECT_EQ(cache.stats().evictions, 1u);
  EXPECT_EQ(cache.Peek({"org", "t3"}).snapshot, nullptr);
  EXPECT_EQ(cache.stats().snapshots, 3u);
  EXPECT_LE(cache.stats().bytes, 3 * small + small / 2);
  // The others are still there: hits, no load.
  for (const char* t : {"t4", "t1", "t2"}) ASSERT_TRUE(GetOne(cache, t).ok());
  EXPECT_EQ(store_.loads, 4);
  // The evicted trip is loaded again, like one never seen (t4 goes now).
  ASSERT_TRUE(GetOne(cache, "t3").ok());
  EXPECT_EQ(store_.loads_of["t3"], 2);
  EXPECT_EQ(cache.stats().loads, 5u);
  EXPECT_EQ(cache.stats().evictions, 2u);
  EXPECT_EQ(cache.Peek({"org", "t4"}).snapshot, nullptr);

  // By bytes, not by count: a trip bigger than two small ones evicts as many
  // of the least recent as it needs.
  SnapshotCache sized = Bounded(big + small + small / 2);
  store_.seats_of["big"] = 60;
  for (const char* t : {"s1", "s2", "s3"}) ASSERT_TRUE(GetOne(sized, t).ok());
  ASSERT_TRUE(GetOne(sized, "big").ok());
  EXPECT_EQ(sized.stats().evictions, 2u);
  EXPECT_EQ(sized.Peek({"org", "s1"}).snapshot, nullptr);
  EXPECT_EQ(sized.Peek({"org", "s2"}).snapshot, nullptr);
  EXPECT_NE(sized.Peek({"org", "s3"}).snapshot, nullptr);
  EXPECT_NE(sized.Peek({"org", "big"}).snapshot, nullptr);
  // A trip larger than the whole budget is answered but not kept.
  SnapshotCache tiny = Bounded(small);
  absl::StatusOr<SnapshotCache::SnapshotPtr> huge = GetOne(tiny, "big");
  ASSERT_TRUE(huge.ok());
  EXPECT_EQ((*huge)->trip.seats.size(), 60u);
  EXPECT_EQ(tiny.Peek({"org", "big"}).snapshot, nullptr);
  EXPECT_EQ(tiny.stats().bytes, 0u);
}

TEST_F(SnapshotCacheTest, AnEntryWithALoadInFlightIsNotEvicted) {
  const uint64_t small = EntryBytes(2);
  // Room for one trip; copies older than 1 ms are reloaded.
  SnapshotCache cache = Bounded(small + small / 2, 0ms, nullptr, 1ms);
  ASSERT_TRUE(GetOne(cache, "slow").ok());
  SnapshotCache::SnapshotPtr stale = cache.Peek({"org", "slow"}).snapshot;
  std::this_thread::sleep_for(5ms);
  store_.delay_of["slow"] = 200ms;
  int answered = 0;
  bool quick_done = false;
  auto get = [&](std::string trip_id, bool* done) -> asio::awaitable<void> {
    storage::TripRef trip{"org", trip_id};
    absl::StatusOr<SnapshotCache::SnapshotPtr> s = co_await cache.Get(std::move(trip));
    if (s.ok() && (*s)->trip.trip_id == trip_id) ++answered;
    if (done != nullptr) *done = true;
  };
  asio::co_spawn(io_, get("slow", nullptr), asio::detached);  // its reload is in flight
  asio::co_spawn(io_, get("slow", nullptr), asio::detached);  // and waited for
  asio::co_spawn(io_, get("quick", &quick_done), asio::detached);
  io_.restart();
  while (!quick_done) io_.run_one();
  // Over the budget: the slow trip is the least recent but has a load in
  // flight, so the quick one went.
  EXPECT_EQ(cache.stats().evictions, 1u);
  EXPECT_EQ(cache.Peek({"org", "slow"}).snapshot, stale);
  EXPECT_EQ(cache.Peek({"org", "quick"}).snapshot, nullptr);
  io_.run();
  EXPECT_EQ(answered, 3);
  EXPECT_EQ(store_.loads_of["slow"], 2);
  SnapshotCache::SnapshotPtr reloaded = cache.Peek({"org", "slow"}).snapshot;
  ASSERT_NE(reloaded, nullptr);
  EXPECT_NE(reloaded, stale);
  EXPECT_LE(cache.stats().bytes, small + small / 2);
}

TEST_F(SnapshotCacheTest, AnEvictedTripIsUnfollowedAndItsReloadTrustedOnlyOnItsOwn) {
  FakeFeed feed;
  const uint64_t small = EntryBytes(2);
  SnapshotCache cache = Bounded(small + small / 2, 0ms, &feed);  // room for one trip
  ASSERT_TRUE(GetOne(cache, "a").ok());
  SnapshotCache::SnapshotPtr old = cache.Peek({"org", "a"}).snapshot;
  cache.OnGap({"org", "a"});  // the feed lost sight of a's copy
  EXPECT_FALSE(cache.Peek({"org", "a"}).feed_trusted);
  ASSERT_TRUE(GetOne(cache, "b").ok());  // a is evicted
  EXPECT_EQ(feed.followed.count("a"), 0u);
  EXPECT_EQ(feed.followed.count("b"), 1u);
  // What the feed might still deliver of a reaches nothing.
  cache.OnChanges({"org", "a"}, {HeldBy("1A", "h1", "u1")});
  EXPECT_EQ(old->states[0][0].status, SeatStatus::kAvailable);
  EXPECT_EQ(cache.Peek({"org", "a"}).snapshot, nullptr);
  // Loaded again: a new copy, followed from a new position, trusted for
  // what this load earned.
  feed.followed.clear();
  ASSERT_TRUE(GetOne(cache, "a").ok());
  EXPECT_EQ(store_.loads_of["a"], 2);
  EXPECT_EQ(feed.followed.count("a"), 1u);
  SnapshotCache::Peeked again = cache.Peek({"org", "a"});
  EXPECT_NE(again.snapshot, old);
  EXPECT_TRUE(again.feed_trusted);
  // And a copy loaded while the feed was down is not trusted, evicted or not.
  feed.down = true;
  ASSERT_TRUE(GetOne(cache, "b").ok());
  EXPECT_FALSE(cache.Peek({"org", "b"}).feed_trusted);
  EXPECT_EQ(cache.stats().evictions, 3u);
}

TEST_F(SnapshotCacheTest, AnUnknownTripCostsOneLoadPerNotFoundTtl) {
  store_.unknown.insert("trip");
  SnapshotCache cache = Bounded(uint64_t{1} << 30, 100ms);
  EXPECT_EQ(Storm(cache, 50), 0);  // concurrent: one flight
  EXPECT_EQ(store_.loads, 1);
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<SnapshotCache::SnapshotPtr> s = GetOne(cache, "trip");
    EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound);
  }
  EXPECT_EQ(store_.loads, 1);  // later ones within the ttl: from memory
  EXPECT_EQ(cache.stats().not_found_hits, 20u);
  EXPECT_EQ(cache.stats().not_found_trips, 1u);
  EXPECT_GT(cache.stats().bytes, 0u);
  std::this_thread::sleep_for(120ms);
  EXPECT_EQ(GetOne(cache, "trip").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_.loads, 2);
  // Other failures are not remembered.
  store_.fail = true;
  EXPECT_FALSE(GetOne(cache, "other").ok());
  EXPECT_FALSE(GetOne(cache, "other").ok());
  EXPECT_EQ(store_.loads_of["other"], 2);
  // 0: not remembered at all.
  SnapshotCache off = Bounded(uint64_t{1} << 30, 0ms);
  store_.fail = false;
  EXPECT_FALSE(GetOne(off, "trip").ok());
  EXPECT_FALSE(GetOne(off, "trip").ok());
  EXPECT_EQ(store_.loads_of["trip"], 4);
  EXPECT_EQ(off.stats().not_found_trips, 0u);
}

TEST_F(SnapshotCacheTest, UnknownTripsCountInTheBudgetAndGoFirstWhenLeastRecent) {
  for (int i = 0; i < 30; ++i) store_.unknown.insert("bad" + std::to_string(i));
  const uint64_t small = EntryBytes(2);
  SnapshotCache cache = Bounded(small + small / 2, 60000ms);
  ASSERT_TRUE(GetOne(cache, "good").ok());
  for (int i = 0; i < 30; ++i) EXPECT_FALSE(GetOne(cache, "bad" + std::to_string(i)).ok());
  EXPECT_LE(cache.stats().bytes, small + small / 2);
  EXPECT_GT(cache.stats().evictions, 0u);
  EXPECT_GT(cache.stats().not_found_trips, 0u);
  EXPECT_LT(cache.stats().not_found_trips, 30u);
  EXPECT_EQ(cache.Peek({"org", "good"}).snapshot, nullptr);  // the least recent went first
  // The most recent unknown trip is still remembered; the first one is not.
  EXPECT_FALSE(GetOne(cache, "bad29").ok());
  EXPECT_EQ(store_.loads_of["bad29"], 1);
  EXPECT_FALSE(GetOne(cache, "bad0").ok());
  EXPECT_EQ(store_.loads_of["bad0"], 2);
}

TEST_F(SnapshotCacheTest, SeedAndInvalidateForgetAnUnknownTripAtOnce) {
  store_.unknown.insert("trip");
  SnapshotCache cache = Bounded(uint64_t{1} << 30, 60000ms);
  EXPECT_EQ(GetOne(cache, "trip").status().code(), absl::StatusCode::kNotFound);
  // This instance initialises the trip: served from the seed at once.
  auto seeded = std::make_shared<domain::TripSnapshot>();
  seeded->trip.trip_id = "trip";
  seeded->loaded_at_ms = WallMs();
  asio::co_spawn(io_, cache.Seed({"org", "trip"}, seeded), asio::detached);
  io_.restart();
  io_.run();
  EXPECT_EQ(cache.stats().not_found_trips, 0u);
  absl::StatusOr<SnapshotCache::SnapshotPtr> s = GetOne(cache, "trip");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s, seeded);
  EXPECT_EQ(store_.loads, 1);
  // Initialised again (the definition already there): invalidated, loaded.
  store_.unknown.insert("again");
  EXPECT_FALSE(GetOne(cache, "again").ok());
  store_.unknown.erase("again");
  cache.Invalidate({"org", "again"});
  EXPECT_TRUE(GetOne(cache, "again").ok());
  EXPECT_EQ(store_.loads_of["again"], 2);
  // A cache that keeps no snapshots (ttl 0) still forgets on a seed.
  SnapshotCache uncached = Bounded(uint64_t{1} << 30, 60000ms, nullptr, 0ms);
  store_.unknown.insert("third");
  EXPECT_FALSE(GetOne(uncached, "third").ok());
  store_.unknown.erase("third");
  asio::co_spawn(io_, uncached.Seed({"org", "third"}, seeded), asio::detached);
  io_.restart();
  io_.run();
  EXPECT_TRUE(GetOne(uncached, "third").ok());
  EXPECT_EQ(store_.loads_of["third"], 2);
}

}  // namespace
}  // namespace inventory::service
