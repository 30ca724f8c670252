#include "service/snapshot_cache.h"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

namespace inventory::service {
namespace {

using namespace std::chrono_literals;

// A store whose only working call is LoadSnapshot: it takes 20 ms and counts.
class SlowStore final : public storage::SeatStore {
 public:
  int loads = 0;
  bool fail = false;

  asio::awaitable<absl::StatusOr<std::shared_ptr<domain::TripSnapshot>>> LoadSnapshot(
      storage::TripRef trip) override {
    ++loads;
    asio::steady_timer t(co_await asio::this_coro::executor, 20ms);
    co_await t.async_wait(asio::use_awaitable);
    if (fail) co_return absl::UnavailableError("database down");
    auto s = std::make_shared<domain::TripSnapshot>();
    s->trip.trip_id = trip.trip_id;
    s->loaded_at_ms = loads;
    co_return std::shared_ptr<domain::TripSnapshot>(std::move(s));
  }

#define UNUSED_METHOD(Ret, Name, ...) \
  asio::awaitable<Ret> Name(__VA_ARGS__) override { co_return absl::UnimplementedError(#Name); }
  UNUSED_METHOD(absl::StatusOr<storage::CreateTripOutcome>, CreateTrip, const domain::TripDefinition&)
  UNUSED_METHOD(absl::StatusOr<storage::SeatClaim>, HoldSeat, storage::TripRef, std::string, domain::SegmentRange,
                std::string, std::string, int64_t, std::vector<domain::SegmentState>)
  UNUSED_METHOD(absl::StatusOr<bool>, ReleaseSeat, storage::TripRef, std::string, domain::SegmentRange, std::string)
  UNUSED_METHOD(absl::StatusOr<bool>, BookSeat, storage::TripRef, std::string, domain::SegmentRange, std::string,
                std::string)
  UNUSED_METHOD(absl::StatusOr<bool>, UnbookSeat, storage::TripRef, std::string, domain::SegmentRange, std::string)
  UNUSED_METHOD(absl::StatusOr<bool>, SetBlocked, storage::TripRef, std::string, int, bool, std::string)
  UNUSED_METHOD(absl::StatusOr<storage::LimitOutcome>, RecordHoldWithinLimit, storage::HoldRecord, int)
  UNUSED_METHOD(absl::StatusOr<std::optional<storage::HoldRecord>>, GetHold, std::string, std::string, std::string)
  UNUSED_METHOD(absl::Status, FinishHold, storage::HoldRecord, storage::HoldRecord::State, std::string)
  UNUSED_METHOD(absl::StatusOr<storage::BookingRecord>, CreateBooking, storage::BookingRecord)
  UNUSED_METHOD(absl::StatusOr<std::optional<storage::BookingRecord>>, GetBooking, std::string, std::string,
                std::string)
  UNUSED_METHOD(absl::Status, SetBookingState, storage::BookingRecord, storage::BookingRecord::State)
  UNUSED_METHOD(absl::StatusOr<storage::WaitlistEntry>, JoinWaitlist, storage::WaitlistEntry)
  UNUSED_METHOD(absl::StatusOr<std::vector<storage::WaitlistEntry>>, UserWaitlist, std::string, std::string)
#undef UNUSED_METHOD
};

// Runs `n` concurrent Get()s of one trip and returns how many succeeded.
int Storm(asio::io_context& io, SnapshotCache& cache, int n) {
  int ok = 0;
  for (int i = 0; i < n; ++i) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          storage::TripRef trip{"org", "trip"};
          absl::StatusOr<SnapshotCache::SnapshotPtr> s = co_await cache.Get(std::move(trip));
          if (s.ok() && (*s)->trip.trip_id == "trip") ++ok;
        },
        asio::detached);
  }
  io.restart();
  io.run();
  return ok;
}

TEST(SnapshotCacheTest, AStormCostsOneLoad) {
  asio::io_context io;
  SlowStore store;
  SnapshotCache cache(store, 5000ms, true);
  EXPECT_EQ(Storm(io, cache, 1000), 1000);
  EXPECT_EQ(store.loads, 1);
  EXPECT_EQ(cache.stats().loads, 1u);
  // Warm: hits, no load.
  EXPECT_EQ(Storm(io, cache, 100), 100);
  EXPECT_EQ(store.loads, 1);
  EXPECT_EQ(cache.stats().hits, 100u);
}

TEST(SnapshotCacheTest, InvalidateForcesOneReload) {
  asio::io_context io;
  SlowStore store;
  SnapshotCache cache(store, 5000ms, true);
  Storm(io, cache, 10);
  cache.Invalidate({"org", "trip"});
  EXPECT_EQ(Storm(io, cache, 10), 10);
  EXPECT_EQ(store.loads, 2);
}

TEST(SnapshotCacheTest, ExpiresAfterTtlAndZeroTtlNeverCaches) {
  asio::io_context io;
  SlowStore store;
  SnapshotCache short_lived(store, 1ms, true);
  Storm(io, short_lived, 5);
  std::this_thread::sleep_for(5ms);
  Storm(io, short_lived, 5);
  EXPECT_EQ(store.loads, 2);

  SlowStore other;
  SnapshotCache off(other, 0ms, true);
  Storm(io, off, 1);
  Storm(io, off, 1);
  EXPECT_EQ(other.loads, 2);
}

TEST(SnapshotCacheTest, FailuresReachEveryWaiterAndAreNotCached) {
  asio::io_context io;
  SlowStore store;
  store.fail = true;
  SnapshotCache cache(store, 5000ms, true);
  EXPECT_EQ(Storm(io, cache, 50), 0);
  EXPECT_EQ(store.loads, 1);
  store.fail = false;
  EXPECT_EQ(Storm(io, cache, 5), 5);
  EXPECT_EQ(store.loads, 2);
}

TEST(SnapshotCacheTest, DisabledLoadsForEveryRequestEvenConcurrentOnes) {
  asio::io_context io;
  SlowStore store;
  SnapshotCache cache(store, 5000ms, false);
  EXPECT_EQ(Storm(io, cache, 20), 20);
  EXPECT_EQ(store.loads, 20);
  EXPECT_EQ(cache.stats().loads, 20u);
  EXPECT_EQ(cache.stats().hits, 0u);
  EXPECT_EQ(cache.Peek({"org", "trip"}).snapshot, nullptr);
}

TEST(SnapshotCacheTest, PeekNeverLoadsAndTellsFreshness) {
  asio::io_context io;
  SlowStore store;
  SnapshotCache cache(store, 20ms, true);
  EXPECT_EQ(cache.Peek({"org", "trip"}).snapshot, nullptr);
  Storm(io, cache, 1);
  SnapshotCache::Peeked fresh = cache.Peek({"org", "trip"});
  ASSERT_NE(fresh.snapshot, nullptr);
  EXPECT_TRUE(fresh.fresh);
  std::this_thread::sleep_for(30ms);
  SnapshotCache::Peeked stale = cache.Peek({"org", "trip"});
  EXPECT_EQ(stale.snapshot, fresh.snapshot);
  EXPECT_FALSE(stale.fresh);
  EXPECT_EQ(store.loads, 1);
  EXPECT_EQ(cache.stats().hits + cache.stats().misses, 1u);
}

TEST(SnapshotCacheTest, UpdateChangesTheCachedSnapshotInPlaceWithoutReload) {
  asio::io_context io;
  SlowStore store;
  SnapshotCache cache(store, 5000ms, true);
  Storm(io, cache, 1);
  SnapshotCache::SnapshotPtr before = cache.Peek({"org", "trip"}).snapshot;
  cache.Update({"org", "trip"}, [](domain::TripSnapshot& s) { s.trip.vehicle_id = "changed"; });
  SnapshotCache::SnapshotPtr after = cache.Peek({"org", "trip"}).snapshot;
  EXPECT_EQ(after, before);
  EXPECT_EQ(after->version, 1u);
  EXPECT_EQ(after->trip.vehicle_id, "changed");
  EXPECT_EQ(Storm(io, cache, 5), 5);
  EXPECT_EQ(store.loads, 1);
  // Updating an unknown trip does nothing.
  cache.Update({"org", "other"}, [](domain::TripSnapshot&) { ADD_FAILURE() << "no snapshot to change"; });
}

TEST(SnapshotCacheTest, ASeededSnapshotIsServedWithoutALoad) {
  asio::io_context io;
  SlowStore store;
  SnapshotCache cache(store, 5000ms, true);
  auto seeded = std::make_shared<domain::TripSnapshot>();
  seeded->trip.trip_id = "trip";
  cache.Seed({"org", "trip"}, seeded);
  EXPECT_EQ(Storm(io, cache, 10), 10);
  EXPECT_EQ(store.loads, 0);
  EXPECT_TRUE(cache.Peek({"org", "trip"}).fresh);

  SlowStore other;
  SnapshotCache off(other, 5000ms, false);
  off.Seed({"org", "trip"}, seeded);
  EXPECT_EQ(off.Peek({"org", "trip"}).snapshot, nullptr);
}

TEST(SnapshotCacheTest, ALoadStartedBeforeAnUpdateIsNotKept) {
  asio::io_context io;
  SlowStore store;
  SnapshotCache cache(store, 5000ms, true);
  int answered = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        storage::TripRef trip{"org", "trip"};
        absl::StatusOr<SnapshotCache::SnapshotPtr> s = co_await cache.Get(std::move(trip));
        if (s.ok()) ++answered;
      },
      asio::detached);
  io.poll();  // the load is now in flight
  cache.Update({"org", "trip"}, [](domain::TripSnapshot&) {});
  io.run();
  EXPECT_EQ(answered, 1);
  EXPECT_EQ(cache.Peek({"org", "trip"}).snapshot, nullptr);
  Storm(io, cache, 1);
  EXPECT_EQ(store.loads, 2);
}

}  // namespace
}  // namespace inventory::service
