// Live tests of RedisChangeFeed against a real redis-server: changes
// announced through a RedisEdgeGuard reach the sink, in order, with gaps
// and losses reported.
//
// Hermetic: every test starts its own redis-server child process on a free
// port (redis/src/testing/redis_server.h) and kills it at the end.

#include "cache/redis/redis_change_feed.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "absl/strings/str_cat.h"
#include "cache/change_codec.h"
#include "cache/edge_keys.h"
#include "cache/redis/redis_edge_guard.h"
#include "redis/client.h"
#include "common/test_coro.h"
#include "testing/redis_server.h"

namespace inventory::cache {
namespace {

using domain::SeatChange;
using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using Clock = std::chrono::steady_clock;
using inventory::testing::Millis;
using inventory::testing::Sleep;
using redis::testing::RedisServer;

double FractionalMillis(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

const TripKey kTrip{"acme", "T1"};
const TripKey kOther{"acme", "T2"};

// Records every sink call as a line: "<trip>:<owner>" per change,
// "<trip>:gap", "lost".
class RecordingSink final : public FeedSink {
 public:
  void OnChanges(const TripKey& trip, std::vector<SeatChange> changes) override {
    ++calls;
    for (const SeatChange& c : changes) log.push_back(absl::StrCat(trip.trip_id, ":", c.owner_id));
    last_changes_at = Clock::now();
    if (on_changes) on_changes(trip);
  }
  void OnGap(const TripKey& trip) override {
    ++calls;
    log.push_back(absl::StrCat(trip.trip_id, ":gap"));
    if (on_gap) on_gap(trip);
  }
  void OnFeedLost() override {
    ++calls;
    log.push_back("lost");
  }

  size_t Count(const std::string& line) const { return static_cast<size_t>(std::count(log.begin(), log.end(), line)); }

  std::vector<std::string> log;
  int calls = 0;
  Clock::time_point last_changes_at;
  std::function<void(const TripKey&)> on_changes;
  std::function<void(const TripKey&)> on_gap;
};

class RedisChangeFeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = RedisServer::Start({});
    if (absl::IsNotFound(server.status())) GTEST_SKIP() << "redis-server is not installed";
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    writer_ = MakeClient(milliseconds(2000));
    reader_ = MakeClient(milliseconds(1000));
    guard_ = std::make_unique<RedisEdgeGuard>(*writer_);
    feed_ = std::make_unique<RedisChangeFeed>(io_.get_executor(), *reader_);
  }

  std::unique_ptr<redis::Client> MakeClient(milliseconds command_timeout) {
    redis::ClientOptions options;
    options.host = "127.0.0.1";
    options.port = server_->port();
    options.command_timeout = command_timeout;
    options.reconnect_backoff_max = milliseconds(200);
    return std::make_unique<redis::Client>(io_.get_executor(), options);
  }

  // Runs `body` on io_, then stops the feed, closes the clients and drains
  // io_.
  void Run(std::function<asio::awaitable<void>()> body) {
    bool finished = false;
    std::exception_ptr error;
    auto wrapped = [&]() -> asio::awaitable<void> {
      co_await body();
      co_await feed_->Stop();
    };
    asio::co_spawn(io_, wrapped(), [&](std::exception_ptr e) {
      finished = true;
      error = e;
      writer_->Close();
      reader_->Close();
    });
    io_.run_for(std::chrono::seconds(60));
    ASSERT_TRUE(finished) << "test body did not finish";
    if (error) std::rethrow_exception(error);
  }

  // Announces one change (a hold by `owner`) of `trip`, retrying for up to
  // 5 s while Redis comes back.
  asio::awaitable<absl::Status> Announce(TripKey trip, std::string owner) {
    std::vector<SeatChange> changes(1);
    changes[0].seat_id = "1A";
    changes[0].range = {0, 1};
    changes[0].kind = SeatChange::Kind::kHeld;
    changes[0].owner_id = owner;
    changes[0].user_id = "u";
    changes[0].expires_at_ms = 1;
    const std::string text = EncodeChanges(changes);
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (true) {
      Announcement a;
      a.change = text;
      absl::Status s = co_await guard_->Announce(trip, std::move(a));
      if (s.ok() || Clock::now() > deadline) co_return s;
      co_await Sleep(milliseconds(20));
    }
  }

  asio::awaitable<bool> WaitFor(std::function<bool()> done, milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    while (!done()) {
      if (Clock::now() >= deadline) co_return false;
      co_await Sleep(milliseconds(1));
    }
    co_return true;
  }

  // Waits until the sink's log has `n` lines.
  asio::awaitable<bool> WaitForLines(size_t n, milliseconds limit) {
    co_return co_await WaitFor([this, n] { return sink_.log.size() >= n; }, limit);
  }

  asio::awaitable<FeedPosition> PositionOf(TripKey trip) {
    absl::StatusOr<FeedPosition> p = co_await feed_->Position(std::move(trip));
    if (!p.ok()) {
      ADD_FAILURE() << p.status();
      co_return FeedPosition();
    }
    co_return *p;
  }

  // Deletes kTrip's stream and counter, as a Redis that lost its data.
  // Then lets the clock pass the last entry's millisecond, as any restart
  // does: a stream recreated in the same millisecond gets ids at or below
  // the reader's cursor, which it cannot see (redis_change_feed.h).
  asio::awaitable<void> LoseStream() {
    std::vector<std::string> del = {"DEL", keys_.Stream(), keys_.Sequence()};
    co_await Command(std::move(del));
    co_await Sleep(milliseconds(5));
  }

  asio::awaitable<void> Command(std::vector<std::string> argv) {
    auto r = co_await writer_->Command(std::move(argv));
    if (!r.ok() || r->is_error()) ADD_FAILURE() << (r.ok() ? r->DebugString() : r.status().ToString());
  }

  const EdgeKeys keys_{"inv", kTrip};
  asio::io_context io_;
  std::unique_ptr<RedisServer> server_;
  std::unique_ptr<redis::Client> writer_;  // the guard's and the test's
  std::unique_ptr<redis::Client> reader_;  // the feed's own
  std::unique_ptr<RedisEdgeGuard> guard_;
  std::unique_ptr<RedisChangeFeed> feed_;
  RecordingSink sink_;
};

TEST_F(RedisChangeFeedTest, DeliversAnnouncementsInOrderWithinMilliseconds) {
  Run([&]() -> asio::awaitable<void> {
    const FeedPosition start = co_await PositionOf(kTrip);
    EXPECT_EQ(start.id, "0-0");
    EXPECT_EQ(start.seq, 0);
    feed_->Follow(kTrip, start);
    feed_->Start(&sink_);
    co_await Sleep(milliseconds(50));  // the loop is now in a blocking read

    constexpr int kOne = 20;
    std::vector<double> latencies;
    std::vector<std::string> want;
    for (int i = 0; i < kOne; ++i) {
      const auto before = Clock::now();
      absl::Status s = co_await Announce(kTrip, absl::StrCat("h", i));
      CO_ASSERT_TRUE(s.ok());
      want.push_back(absl::StrCat("T1:h", i));
      CO_ASSERT_TRUE(co_await WaitForLines(want.size(), milliseconds(1000)));
      latencies.push_back(FractionalMillis(sink_.last_changes_at - before));
      co_await Sleep(milliseconds(i % 4 * 15));  // sometimes mid-read, sometimes not
    }
    std::sort(latencies.begin(), latencies.end());
    std::cout << "[ latency  ] announce -> OnChanges over " << kOne << " announcements: min "
              << latencies.front() << " ms, median " << latencies[latencies.size() / 2] << " ms, max "
              << latencies.back() << " ms\n";
    EXPECT_LT(latencies.back(), 200.0);  // one round trip, not a polling period

    // A burst: announced back to back, delivered in order.
    for (int i = 0; i < 50; ++i) {
      absl::Status s = co_await Announce(kTrip, absl::StrCat("b", i));
      CO_ASSERT_TRUE(s.ok());
      want.push_back(absl::StrCat("T1:b", i));
    }
    CO_ASSERT_TRUE(co_await WaitForLines(want.size(), milliseconds(2000)));
    EXPECT_THAT(sink_.log, ElementsAreArray(want));

    const FeedPosition end = co_await PositionOf(kTrip);
    EXPECT_EQ(end.seq, kOne + 50);
    EXPECT_NE(end.id, "0-0");
  });
}

TEST_F(RedisChangeFeedTest, FollowingFromAnEarlierPositionDeliversWhatCameSince) {
  Run([&]() -> asio::awaitable<void> {
    CO_ASSERT_TRUE((co_await Announce(kTrip, "a")).ok());
    const FeedPosition after_a = co_await PositionOf(kTrip);
    EXPECT_EQ(after_a.seq, 1);
    const std::vector<std::string> owners = {"b", "c", "d"};
    for (const std::string& owner : owners) CO_ASSERT_TRUE((co_await Announce(kTrip, owner)).ok());
    // Another trip's stream, followed from before it existed.
    CO_ASSERT_TRUE((co_await Announce(kOther, "x")).ok());

    feed_->Follow(kTrip, after_a);
    feed_->Follow(kOther, FeedPosition());
    feed_->Start(&sink_);
    CO_ASSERT_TRUE(co_await WaitForLines(4, milliseconds(1000)));
    co_await Sleep(milliseconds(50));
    std::vector<std::string> log = sink_.log;
    std::sort(log.begin(), log.end());
    EXPECT_THAT(log, ElementsAre("T1:b", "T1:c", "T1:d", "T2:x"));
    EXPECT_EQ(sink_.Count("T1:gap") + sink_.Count("T2:gap"), 0u);

    // Re-following moves the cursor back.
    sink_.log.clear();
    feed_->Follow(kTrip, after_a);
    CO_ASSERT_TRUE(co_await WaitForLines(3, milliseconds(1000)));
    EXPECT_THAT(sink_.log, ElementsAre("T1:b", "T1:c", "T1:d"));
  });
}

TEST_F(RedisChangeFeedTest, TwoTripsAtOnceEachInOrder) {
  Run([&]() -> asio::awaitable<void> {
    feed_->Follow(kTrip, co_await PositionOf(kTrip));
    feed_->Follow(kOther, co_await PositionOf(kOther));
    EXPECT_EQ(feed_->followed(), 2u);
    feed_->Start(&sink_);
    std::vector<std::string> want1, want2;
    for (int i = 0; i < 10; ++i) {
      CO_ASSERT_TRUE((co_await Announce(kTrip, absl::StrCat("a", i))).ok());
      want1.push_back(absl::StrCat("T1:a", i));
      CO_ASSERT_TRUE((co_await Announce(kOther, absl::StrCat("b", i))).ok());
      want2.push_back(absl::StrCat("T2:b", i));
    }
    CO_ASSERT_TRUE(co_await WaitForLines(20, milliseconds(2000)));
    std::vector<std::string> got1, got2;
    for (const std::string& line : sink_.log) (line.rfind("T1:", 0) == 0 ? got1 : got2).push_back(line);
    EXPECT_THAT(got1, ElementsAreArray(want1));
    EXPECT_THAT(got2, ElementsAreArray(want2));

    // Unfollowed: no longer delivered; the other trip still is.
    const FeedPosition t2 = co_await PositionOf(kOther);
    feed_->Unfollow(kOther);
    feed_->Unfollow(kOther);  // idempotent
    EXPECT_EQ(feed_->followed(), 1u);
    co_await Sleep(milliseconds(300));  // past the read in flight
    sink_.log.clear();
    CO_ASSERT_TRUE((co_await Announce(kOther, "late")).ok());
    CO_ASSERT_TRUE((co_await Announce(kTrip, "z")).ok());
    CO_ASSERT_TRUE(co_await WaitForLines(1, milliseconds(1000)));
    co_await Sleep(milliseconds(100));
    EXPECT_THAT(sink_.log, ElementsAre("T1:z"));
    // Followed again from where it was left: what it missed arrives.
    feed_->Follow(kOther, t2);
    CO_ASSERT_TRUE(co_await WaitForLines(2, milliseconds(1000)));
    EXPECT_THAT(sink_.log, ElementsAre("T1:z", "T2:late"));
  });
}

TEST_F(RedisChangeFeedTest, LostEntriesAreGaps) {
  Run([&]() -> asio::awaitable<void> {
    feed_->Follow(kTrip, co_await PositionOf(kTrip));
    feed_->Start(&sink_);
    CO_ASSERT_TRUE((co_await Announce(kTrip, "a")).ok());
    CO_ASSERT_TRUE((co_await Announce(kTrip, "b")).ok());
    CO_ASSERT_TRUE(co_await WaitForLines(2, milliseconds(1000)));

    // The stream and its counter are lost (as when Redis loses its data):
    // numbering restarts at 1, which is not the next of 2.
    co_await LoseStream();
    CO_ASSERT_TRUE((co_await Announce(kTrip, "c")).ok());
    CO_ASSERT_TRUE(co_await WaitForLines(4, milliseconds(1000)));
    EXPECT_THAT(sink_.log, ElementsAre("T1:a", "T1:b", "T1:gap", "T1:c"));

    // An entry whose changes do not decode: a gap, and it is skipped; the
    // next entry is in order again.
    std::vector<std::string> incr = {"INCR", keys_.Sequence()};
    co_await Command(incr);
    std::vector<std::string> garbage = {"XADD", keys_.Stream(), "*", "s", "2", "c", "not a change"};
    co_await Command(garbage);
    CO_ASSERT_TRUE((co_await Announce(kTrip, "d")).ok());
    CO_ASSERT_TRUE(co_await WaitForLines(6, milliseconds(1000)));
    // An entry with no valid sequence number: a gap, then its changes.
    std::vector<std::string> no_seq = {"XADD", keys_.Stream(), "*", "s", "x", "c",
                                       "freed|1A|0|1|e||0|"};
    co_await Command(no_seq);
    CO_ASSERT_TRUE(co_await WaitForLines(8, milliseconds(1000)));
    co_await Sleep(milliseconds(50));
    EXPECT_THAT(sink_.log,
                ElementsAre("T1:a", "T1:b", "T1:gap", "T1:c", "T1:gap", "T1:d", "T1:gap", "T1:e"));
  });
}

TEST_F(RedisChangeFeedTest, TrimmedEntriesAreAGap) {
  RedisEdgeGuardOptions options;
  options.stream_max_length = 10;
  guard_ = std::make_unique<RedisEdgeGuard>(*writer_, "inv", nullptr, options);
  Run([&]() -> asio::awaitable<void> {
    CO_ASSERT_TRUE((co_await Announce(kTrip, "first")).ok());
    const FeedPosition old = co_await PositionOf(kTrip);
    for (int i = 0; i < 300; ++i) CO_ASSERT_TRUE((co_await Announce(kTrip, absl::StrCat("n", i))).ok());
    feed_->Follow(kTrip, old);
    feed_->Start(&sink_);
    CO_ASSERT_TRUE(co_await WaitFor([&] { return sink_.Count("T1:n299") == 1; }, milliseconds(2000)));
    CO_ASSERT_TRUE(!sink_.log.empty());
    EXPECT_EQ(sink_.log.front(), "T1:gap");  // entries 2.. were trimmed away
    EXPECT_EQ(sink_.Count("T1:gap"), 1u);
    EXPECT_LT(sink_.log.size(), 300u);
  });
}

TEST_F(RedisChangeFeedTest, AnInvalidPositionReadsFromTheStartWithAGap) {
  Run([&]() -> asio::awaitable<void> {
    CO_ASSERT_TRUE((co_await Announce(kTrip, "a")).ok());
    FeedPosition bad;
    bad.id = "not-an-id";
    bad.seq = 7;
    feed_->Follow(kTrip, bad);
    feed_->Start(&sink_);
    CO_ASSERT_TRUE(co_await WaitForLines(2, milliseconds(1000)));
    CO_ASSERT_TRUE((co_await Announce(kTrip, "b")).ok());
    CO_ASSERT_TRUE(co_await WaitForLines(3, milliseconds(1000)));
    EXPECT_THAT(sink_.log, ElementsAre("T1:gap", "T1:a", "T1:b"));
    EXPECT_EQ(sink_.Count("lost"), 0u);  // the bad id never reached Redis
  });
}

TEST_F(RedisChangeFeedTest, RedisStoppedIsFeedLostOnceAndARestartResumesWithAGap) {
  Run([&]() -> asio::awaitable<void> {
    feed_->Follow(kTrip, co_await PositionOf(kTrip));
    feed_->Start(&sink_);
    CO_ASSERT_TRUE((co_await Announce(kTrip, "a")).ok());
    CO_ASSERT_TRUE(co_await WaitForLines(1, milliseconds(1000)));

    server_->Stop();
    const auto stopped = Clock::now();
    CO_ASSERT_TRUE(co_await WaitFor([&] { return sink_.Count("lost") == 1; }, milliseconds(2000)));
    std::cout << "[ lost     ] OnFeedLost " << Millis(Clock::now() - stopped) << " ms after Redis died\n";
    co_await Sleep(milliseconds(1000));  // several failed reads: still told once
    EXPECT_EQ(sink_.Count("lost"), 1u);
    absl::StatusOr<FeedPosition> down = co_await feed_->Position(kTrip);
    EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable) << down.status();
    // A trip followed during the streak: the next failure is told again, so
    // a copy loaded meanwhile does not trust a feed that is still not read.
    feed_->Follow(kOther, FeedPosition());
    CO_ASSERT_TRUE(co_await WaitFor([&] { return sink_.Count("lost") == 2; }, milliseconds(1000)));
    co_await Sleep(milliseconds(500));
    EXPECT_EQ(sink_.Count("lost"), 2u);

    absl::Status restarted = server_->Restart();
    CO_ASSERT_TRUE(restarted.ok());
    const auto back = Clock::now();
    CO_ASSERT_TRUE((co_await Announce(kTrip, "b")).ok());
    CO_ASSERT_TRUE(co_await WaitFor([&] { return sink_.Count("T1:b") == 1; }, milliseconds(3000)));
    std::cout << "[ resumed  ] changes flow again " << Millis(Clock::now() - back) << " ms after the restart\n";
    // Redis lost the stream: numbering restarted, which is a gap.
    EXPECT_THAT(sink_.log, ElementsAre("T1:a", "lost", "lost", "T1:gap", "T1:b"));

    // Lost again later: a new streak, told again.
    server_->Stop();
    CO_ASSERT_TRUE(co_await WaitFor([&] { return sink_.Count("lost") == 3; }, milliseconds(2000)));
  });
}

TEST_F(RedisChangeFeedTest, FrozenRedisIsFeedLostAndThawedResumesWithoutAGap) {
  reader_ = MakeClient(milliseconds(300));
  feed_ = std::make_unique<RedisChangeFeed>(io_.get_executor(), *reader_);
  Run([&]() -> asio::awaitable<void> {
    feed_->Follow(kTrip, co_await PositionOf(kTrip));
    feed_->Start(&sink_);
    CO_ASSERT_TRUE((co_await Announce(kTrip, "a")).ok());
    CO_ASSERT_TRUE(co_await WaitForLines(1, milliseconds(1000)));

    server_->Freeze();
    const auto frozen = Clock::now();
    CO_ASSERT_TRUE(co_await WaitFor([&] { return sink_.Count("lost") == 1; }, milliseconds(2000)));
    const long lost_after = Millis(Clock::now() - frozen);
    std::cout << "[ lost     ] OnFeedLost " << lost_after << " ms after Redis froze\n";
    EXPECT_LE(lost_after, 250 + 300 + 250);  // block time + command timeout + slack
    co_await Sleep(milliseconds(700));
    EXPECT_EQ(sink_.Count("lost"), 1u);
    server_->Thaw();

    CO_ASSERT_TRUE((co_await Announce(kTrip, "b")).ok());
    CO_ASSERT_TRUE(co_await WaitFor([&] { return sink_.Count("T1:b") == 1; }, milliseconds(5000)));
    EXPECT_THAT(sink_.log, ElementsAre("T1:a", "lost", "T1:b"));  // the stream survived: no gap
  });
}

TEST_F(RedisChangeFeedTest, StopEndsTheLoop) {
  Run([&]() -> asio::awaitable<void> {
    // Never started, and started with nothing followed: immediate.
    auto t0 = Clock::now();
    co_await feed_->Stop();
    feed_->Start(&sink_);
    co_await Sleep(milliseconds(20));
    co_await feed_->Stop();
    EXPECT_LT(Millis(Clock::now() - t0), 100);

    // With a blocking read in flight: within the block time.
    feed_->Follow(kTrip, co_await PositionOf(kTrip));
    feed_->Start(&sink_);
    co_await Sleep(milliseconds(50));
    t0 = Clock::now();
    co_await feed_->Stop();
    const long took = Millis(Clock::now() - t0);
    std::cout << "[ stop     ] Stop() with a read in flight took " << took << " ms\n";
    EXPECT_LE(took, 250 + 200);  // Redis ends a BLOCK on its next tick (up to 100 ms late at hz 10)
    co_await feed_->Stop();  // idempotent

    // Nothing is delivered while stopped, and no read is sent.
    const uint64_t reads = reader_->commands_sent();
    CO_ASSERT_TRUE((co_await Announce(kTrip, "while-stopped")).ok());
    co_await Sleep(milliseconds(400));
    EXPECT_TRUE(sink_.log.empty());
    EXPECT_EQ(reader_->commands_sent(), reads);

    // Started again: reads on from the cursor.
    feed_->Start(&sink_);
    CO_ASSERT_TRUE(co_await WaitForLines(1, milliseconds(1000)));
    EXPECT_THAT(sink_.log, ElementsAre("T1:while-stopped"));
  });
}

TEST_F(RedisChangeFeedTest, IdleLoopSendsNothingAndFollowWakesIt) {
  Run([&]() -> asio::awaitable<void> {
    feed_->Start(&sink_);
    const FeedPosition start = co_await PositionOf(kTrip);
    const uint64_t sent = reader_->commands_sent();
    co_await Sleep(milliseconds(300));
    EXPECT_EQ(reader_->commands_sent(), sent);  // nothing followed: no reads

    // Many trips followed and unfollowed: the set is what the caller follows.
    for (int i = 0; i < 100; ++i) feed_->Follow(TripKey{"acme", absl::StrCat("X", i)}, FeedPosition());
    EXPECT_EQ(feed_->followed(), 100u);
    co_await Sleep(milliseconds(20));
    for (int i = 0; i < 100; ++i) feed_->Unfollow(TripKey{"acme", absl::StrCat("X", i)});
    EXPECT_EQ(feed_->followed(), 0u);
    co_await Sleep(milliseconds(300));  // the read in flight ends; then idle again
    const uint64_t idle = reader_->commands_sent();
    co_await Sleep(milliseconds(300));
    EXPECT_EQ(reader_->commands_sent(), idle);

    feed_->Follow(kTrip, start);
    const auto before = Clock::now();
    CO_ASSERT_TRUE((co_await Announce(kTrip, "a")).ok());
    CO_ASSERT_TRUE(co_await WaitForLines(1, milliseconds(1000)));
    EXPECT_LT(Millis(sink_.last_changes_at - before), 100);
    EXPECT_THAT(sink_.log, ElementsAre("T1:a"));
  });
}

TEST_F(RedisChangeFeedTest, SinkMayFollowAndUnfollowFromItsCallbacks) {
  Run([&]() -> asio::awaitable<void> {
    const std::vector<std::string> owners = {"a", "b", "c"};
    for (const std::string& owner : owners) CO_ASSERT_TRUE((co_await Announce(kTrip, owner)).ok());
    CO_ASSERT_TRUE((co_await Announce(kOther, "x")).ok());
    // The first delivery re-follows the trip from the start: the rest of
    // that read (for this trip) is dropped and read again.
    bool refollowed = false;
    sink_.on_changes = [&](const TripKey& trip) {
      if (refollowed || trip.trip_id != "T1") return;
      refollowed = true;
      feed_->Follow(trip, FeedPosition());
    };
    // A gap makes the sink drop the trip, from inside the callback.
    sink_.on_gap = [&](const TripKey& trip) { feed_->Unfollow(trip); };
    feed_->Follow(kTrip, FeedPosition());
    feed_->Follow(kOther, FeedPosition());
    feed_->Start(&sink_);
    CO_ASSERT_TRUE(co_await WaitFor([&] { return sink_.Count("T1:c") == 2; }, milliseconds(1000)));
    CO_ASSERT_TRUE(co_await WaitFor([&] { return sink_.Count("T2:x") == 1; }, milliseconds(1000)));

    co_await LoseStream();
    CO_ASSERT_TRUE((co_await Announce(kTrip, "d")).ok());
    CO_ASSERT_TRUE((co_await Announce(kTrip, "e")).ok());
    CO_ASSERT_TRUE(co_await WaitFor([&] { return sink_.Count("T1:gap") == 1; }, milliseconds(1000)));
    co_await Sleep(milliseconds(100));
    EXPECT_EQ(feed_->followed(), 1u);
    std::vector<std::string> t1;
    for (const std::string& line : sink_.log) {
      if (line.rfind("T1:", 0) == 0) t1.push_back(line);
    }
    // a, b and c arrive in one call the first time (one read), then again.
    EXPECT_THAT(t1, ElementsAre("T1:a", "T1:b", "T1:c", "T1:a", "T1:b", "T1:c", "T1:gap"));
  });
}

TEST_F(RedisChangeFeedTest, PositionAndItsClient) {
  RedisChangeFeedOptions options;
  options.position_client = writer_.get();
  RedisChangeFeed quick(io_.get_executor(), *reader_, "inv", options);  // never started: only Position
  Run([&]() -> asio::awaitable<void> {
    CO_ASSERT_TRUE((co_await Announce(kTrip, "a")).ok());
    CO_ASSERT_TRUE((co_await Announce(kTrip, "b")).ok());
    const FeedPosition p = co_await PositionOf(kTrip);
    EXPECT_EQ(p.seq, 2);
    std::vector<std::string> last = {"XREVRANGE", keys_.Stream(), "+", "-", "COUNT", "1"};
    auto r = co_await writer_->Command(std::move(last));
    CO_ASSERT_OK(r);
    CO_ASSERT_TRUE(r->is_array() && r->size() == 1);
    EXPECT_EQ(p.id, (*r)[0][0].str());

    // Through the feed's own client, Position waits behind the blocking
    // read in flight; through position_client it does not.
    feed_->Follow(kTrip, p);
    feed_->Start(&sink_);
    co_await Sleep(milliseconds(30));
    auto t0 = Clock::now();
    const FeedPosition behind = co_await PositionOf(kTrip);
    const double own = FractionalMillis(Clock::now() - t0);
    co_await Sleep(milliseconds(30));
    t0 = Clock::now();
    absl::StatusOr<FeedPosition> fast = co_await quick.Position(kTrip);
    const double separate = FractionalMillis(Clock::now() - t0);
    CO_ASSERT_OK(fast);
    std::cout << "[ position ] with a read in flight: " << own << " ms on the feed's client, " << separate
              << " ms on position_client\n";
    EXPECT_EQ(behind.seq, 2);
    EXPECT_EQ(fast->seq, 2);
    EXPECT_EQ(fast->id, p.id);
    EXPECT_LE(own, 250 + 200);
    EXPECT_LT(separate, 50);

    // Malformed streams are INTERNAL.
    std::vector<std::string> foreign = {"SET", EdgeKeys("inv", kOther).Stream(), "x"};
    co_await Command(foreign);
    absl::StatusOr<FeedPosition> wrong = co_await quick.Position(kOther);
    EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInternal) << wrong.status();
    const TripKey third{"acme", "T3"};
    std::vector<std::string> no_seq = {"XADD", EdgeKeys("inv", third).Stream(), "*", "c", "x"};
    co_await Command(no_seq);
    absl::StatusOr<FeedPosition> unnumbered = co_await quick.Position(third);
    EXPECT_EQ(unnumbered.status().code(), absl::StatusCode::kInternal) << unnumbered.status();
  });
}

}  // namespace
}  // namespace inventory::cache
