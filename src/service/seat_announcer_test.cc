#include "service/seat_announcer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
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

// An edge whose Announce answers as scripted, call by call: fail at once,
// or succeed after a delay. Past the script every call succeeds at once.
// Records the seat of each announcement it accepted.
class ScriptedEdge final : public cache::EdgeGuard {
 public:
  struct Step {
    bool ok = true;
    std::chrono::milliseconds delay{0};
  };
  std::deque<Step> script;
  std::vector<std::string> accepted;  // the first marker's seat of each accepted announcement

  asio::awaitable<absl::StatusOr<cache::LockResult>> Acquire(cache::TripKey, std::vector<cache::SeatSegment>,
                                                              std::string, std::string,
                                                              std::chrono::milliseconds) override {
    co_return cache::LockResult{};
  }
  asio::awaitable<absl::Status> Release(cache::TripKey, std::vector<cache::SeatSegment>, std::string) override {
    co_return absl::OkStatus();
  }
  asio::awaitable<absl::Status> Announce(cache::TripKey, cache::Announcement a) override {
    Step step;
    if (!script.empty()) {
      step = script.front();
      script.pop_front();
    }
    if (step.delay.count() > 0) {
      asio::steady_timer t(co_await asio::this_coro::executor, step.delay);
      co_await t.async_wait(asio::use_awaitable);
    }
    if (!step.ok) co_return absl::UnavailableError("redis away");
    accepted.push_back(a.markers.empty() ? std::string("?") : a.markers.front().at.seat_id);
    co_return absl::OkStatus();
  }
};

// Announces a hold of `seat` (arguments built as named values, as the
// service does).
asio::awaitable<void> Announce(SeatAnnouncer& announcer, const storage::TripRef& trip, const std::string& seat) {
  std::vector<SeatChange> changes = {
      SeatChange{seat, {0, 0}, SeatChange::Kind::kHeld, "hold-" + seat, "user", WallMs() + 60000, ""}};
  std::vector<SeatChange> facts;
  EdgeLease lease;
  co_await announcer.Announce(trip, std::move(changes), std::move(facts), std::move(lease));
}

// A queued announcement that overflows the queue while the one at its front
// is being resent: the resent one's success must not take the next one off
// the queue unsent.
TEST(SeatAnnouncerTest, AnOverflowDuringAResendLosesOnlyTheDroppedAnnouncement) {
  asio::io_context io;
  storage::testing::UnimplementedStore store;
  ServiceStats stats;
  SnapshotCache cache(store, nullptr, SnapshotCacheOptions{}, WallMs, stats);
  ScriptedEdge edge;
  // A and B fail (queued); A's resend succeeds after 100 ms; C fails meanwhile.
  edge.script = {{false, 0ms}, {false, 0ms}, {true, 100ms}, {false, 0ms}};
  AnnouncerOptions options;
  options.retry_interval = 10ms;
  options.max_queued = 2;
  SeatAnnouncer announcer(cache, &edge, options, WallMs, stats);
  const storage::TripRef trip{"org", "t1"};
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await Announce(announcer, trip, "A");
        co_await Announce(announcer, trip, "B");
        EXPECT_EQ(announcer.queued(), 2u);
        asio::co_spawn(co_await asio::this_coro::executor, announcer.Run(), asio::detached);
        asio::steady_timer t(co_await asio::this_coro::executor, 50ms);  // A's resend is in flight
        co_await t.async_wait(asio::use_awaitable);
        co_await Announce(announcer, trip, "C");  // the queue drops A for C
        t.expires_after(300ms);
        co_await t.async_wait(asio::use_awaitable);
        announcer.Stop();
      },
      asio::detached);
  io.run();
  EXPECT_EQ(edge.accepted, (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_EQ(announcer.queued(), 0u);
  EXPECT_EQ(stats.announcements_dropped, 1u);
}

}  // namespace
}  // namespace inventory::service
