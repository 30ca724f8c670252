// Live tests of RedisEdgeGuard against a real redis-server: pre-locks,
// markers and tombstones, and the change stream written by Announce.
//
// Hermetic: every test starts its own redis-server child process on a free
// port (redis/src/testing/redis_server.h) and kills it at the end.

#include "cache/redis/redis_edge_guard.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <functional>
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
#include "cache/edge_keys.h"
#include "common/gather.h"
#include "redis/client.h"
#include "common/test_coro.h"
#include "testing/redis_server.h"

namespace inventory::cache {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using Clock = std::chrono::steady_clock;
using inventory::testing::Millis;
using inventory::testing::Sleep;
using redis::testing::RedisServer;

constexpr int64_t kNow = 1'700'000'000'000;  // the injected clock's fixed "now"

const TripKey kTrip{"acme", "T1"};

class RedisEdgeGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = RedisServer::Start({});
    if (absl::IsNotFound(server.status())) GTEST_SKIP() << "redis-server is not installed";
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    redis::ClientOptions options;
    options.host = "127.0.0.1";
    options.port = server_->port();
    options.command_timeout = milliseconds(2000);
    client_ = std::make_unique<redis::Client>(io_.get_executor(), options);
    guard_ = std::make_unique<RedisEdgeGuard>(*client_, "inv", [this] { return now_ms_; });
  }

  // Runs `body` on io_, then closes the client and drains io_.
  void Run(std::function<asio::awaitable<void>()> body) {
    bool finished = false;
    std::exception_ptr error;
    asio::co_spawn(io_, body(), [&](std::exception_ptr e) {
      finished = true;
      error = e;
      client_->Close();
    });
    io_.run_for(std::chrono::seconds(60));
    ASSERT_TRUE(finished) << "test body did not finish";
    if (error) std::rethrow_exception(error);
  }

  // The integer answer of a plain command (EXISTS, PTTL, DBSIZE...), or
  // -1000 on failure.
  asio::awaitable<int64_t> Int(std::string command, std::string key) {
    std::vector<std::string> argv;
    argv.push_back(std::move(command));
    if (!key.empty()) argv.push_back(std::move(key));
    auto r = co_await client_->Command(std::move(argv));
    if (!r.ok() || !r->is_integer()) {
      ADD_FAILURE() << (r.ok() ? r->DebugString() : r.status().ToString());
      co_return -1000;
    }
    co_return r->integer();
  }
  asio::awaitable<std::string> Get(std::string key) {
    auto r = co_await client_->Command("GET", key);
    if (!r.ok()) co_return "<" + r.status().ToString() + ">";
    co_return r->is_nil() ? "<nil>" : r->str();
  }

  asio::awaitable<absl::Status> Announce(Announcement a) { co_return co_await guard_->Announce(kTrip, std::move(a)); }

  // The entries of `key`'s stream as "s=<s> c=<c>", oldest first.
  asio::awaitable<std::vector<std::string>> StreamEntries(std::string key) {
    std::vector<std::string> out;
    auto r = co_await client_->Command("XRANGE", key, "-", "+");
    if (!r.ok() || !r->is_array()) {
      ADD_FAILURE() << (r.ok() ? r->DebugString() : r.status().ToString());
      co_return out;
    }
    for (const redis::Reply& entry : r->elements()) {
      std::string text;
      const redis::Reply& fields = entry[1];
      for (size_t i = 0; i + 1 < fields.size(); i += 2) {
        absl::StrAppend(&text, text.empty() ? "" : " ", fields[i].str(), "=", fields[i + 1].str());
      }
      out.push_back(std::move(text));
    }
    co_return out;
  }

  asio::awaitable<absl::StatusOr<LockResult>> Acquire(std::vector<SeatSegment> cells, std::string requester,
                                                      std::string token, milliseconds ttl) {
    co_return co_await guard_->Acquire(kTrip, std::move(cells), std::move(requester), std::move(token), ttl);
  }

  // Key names, built outside co_await expressions (GCC 12 mishandles
  // braced initialisers inside them).
  std::string LockKey(std::string seat, int segment) const { return keys_.Lock(SeatSegment{std::move(seat), segment}); }
  std::string MarkerKey(std::string seat, int segment) const {
    return keys_.Marker(SeatSegment{std::move(seat), segment});
  }

  const EdgeKeys keys_{"inv", kTrip};
  asio::io_context io_;
  std::unique_ptr<RedisServer> server_;
  std::unique_ptr<redis::Client> client_;
  std::unique_ptr<RedisEdgeGuard> guard_;
  int64_t now_ms_ = kNow;
};

Marker MakeMarker(SeatSegment at, bool booked, std::string holder, std::string id, int64_t expires) {
  Marker m;
  m.at = std::move(at);
  m.booked = booked;
  m.holder = std::move(holder);
  m.hold_id = std::move(id);
  m.expires_at_ms = expires;
  return m;
}

// GCC 12 at -O3 reports nested braced Unmark temporaries in coroutines as
// "may be used uninitialized"; build them here.
Unmark MakeUnmark(std::string seat, int segment, std::string id) {
  Unmark u;
  u.at.seat_id = std::move(seat);
  u.at.segment = segment;
  u.id = std::move(id);
  return u;
}

Announcement Marks(std::vector<Marker> markers) {
  Announcement a;
  a.markers = std::move(markers);
  return a;
}

Announcement Unmarks(std::vector<Unmark> unmarks) {
  Announcement a;
  a.unmarks = std::move(unmarks);
  return a;
}

Announcement Change(std::string change) {
  Announcement a;
  a.change = std::move(change);
  return a;
}

TEST_F(RedisEdgeGuardTest, OverlapContendsDisjointAcquires) {
  Run([&]() -> asio::awaitable<void> {
    std::vector<SeatSegment> first = {{"1A", 0}, {"1A", 1}, {"1B", 0}};
    auto a = co_await Acquire(first, "alice", "tok-a", milliseconds(10'000));
    CO_ASSERT_OK(a);
    EXPECT_EQ(a->outcome, LockOutcome::kAcquired);
    EXPECT_TRUE(a->seats.empty());
    EXPECT_EQ(co_await Get(LockKey("1A", 1)), "tok-a");

    // Overlaps on (1A, 1) only: contended, naming the seat once.
    std::vector<SeatSegment> overlap = {{"2C", 1}, {"1A", 1}, {"1A", 2}};
    auto b = co_await Acquire(overlap, "bob", "tok-b", milliseconds(10'000));
    CO_ASSERT_OK(b);
    EXPECT_EQ(b->outcome, LockOutcome::kContended);
    EXPECT_THAT(b->seats, ElementsAre("1A"));

    // Overlap on two cells of one seat and one of another: distinct seats.
    std::vector<SeatSegment> two = {{"1A", 0}, {"1A", 1}, {"1B", 0}};
    auto c = co_await Acquire(two, "carol", "tok-c", milliseconds(10'000));
    CO_ASSERT_OK(c);
    EXPECT_EQ(c->outcome, LockOutcome::kContended);
    EXPECT_THAT(c->seats, ElementsAre("1A", "1B"));

    // Same seat, another segment; and another seat: free.
    std::vector<SeatSegment> disjoint = {{"1A", 2}, {"2C", 1}};
    auto d = co_await Acquire(disjoint, "bob", "tok-b", milliseconds(10'000));
    CO_ASSERT_OK(d);
    EXPECT_EQ(d->outcome, LockOutcome::kAcquired);
  });
}

TEST_F(RedisEdgeGuardTest, AllOrNothing) {
  Run([&]() -> asio::awaitable<void> {
    std::vector<SeatSegment> middle = {{"5B", 2}};
    auto held = co_await Acquire(middle, "alice", "tok-a", milliseconds(10'000));
    CO_ASSERT_OK(held);
    CO_ASSERT_TRUE(held->outcome == LockOutcome::kAcquired);

    std::vector<SeatSegment> three = {{"5A", 2}, {"5B", 2}, {"5C", 2}};
    auto r = co_await Acquire(three, "bob", "tok-b", milliseconds(10'000));
    CO_ASSERT_OK(r);
    EXPECT_EQ(r->outcome, LockOutcome::kContended);
    EXPECT_THAT(r->seats, ElementsAre("5B"));
    EXPECT_EQ(co_await Int("EXISTS", LockKey("5A", 2)), 0);
    EXPECT_EQ(co_await Int("EXISTS", LockKey("5C", 2)), 0);
    EXPECT_EQ(co_await Get(LockKey("5B", 2)), "tok-a");
    EXPECT_EQ(co_await Int("DBSIZE", ""), 1);
  });
}

TEST_F(RedisEdgeGuardTest, SameTokenRetryReacquires) {
  Run([&]() -> asio::awaitable<void> {
    std::vector<SeatSegment> cells = {{"7A", 0}};
    auto a = co_await Acquire(cells, "alice", "tok-a", milliseconds(1'000));
    CO_ASSERT_OK(a);
    EXPECT_EQ(a->outcome, LockOutcome::kAcquired);
    std::vector<SeatSegment> more = {{"7A", 0}, {"7B", 0}};
    auto again = co_await Acquire(more, "alice", "tok-a", milliseconds(20'000));
    CO_ASSERT_OK(again);
    EXPECT_EQ(again->outcome, LockOutcome::kAcquired);
    EXPECT_GT(co_await Int("PTTL", LockKey("7A", 0)), 10'000);  // re-armed
  });
}

TEST_F(RedisEdgeGuardTest, ReleaseIsCompareAndDelete) {
  Run([&]() -> asio::awaitable<void> {
    std::vector<SeatSegment> cells = {{"3A", 0}, {"3B", 0}};
    auto a = co_await Acquire(cells, "alice", "tok-a", milliseconds(10'000));
    CO_ASSERT_OK(a);
    CO_ASSERT_TRUE(a->outcome == LockOutcome::kAcquired);

    absl::Status wrong = co_await guard_->Release(kTrip, cells, "tok-b");
    EXPECT_TRUE(wrong.ok()) << wrong;
    EXPECT_EQ(co_await Get(LockKey("3A", 0)), "tok-a");
    EXPECT_EQ(co_await Get(LockKey("3B", 0)), "tok-a");

    // The right token releases; a cell never locked is fine.
    std::vector<SeatSegment> with_extra = {{"3A", 0}, {"3B", 0}, {"9Z", 9}};
    absl::Status right = co_await guard_->Release(kTrip, with_extra, "tok-a");
    EXPECT_TRUE(right.ok()) << right;
    EXPECT_EQ(co_await Int("DBSIZE", ""), 0);

    auto b = co_await Acquire(cells, "bob", "tok-b", milliseconds(10'000));
    CO_ASSERT_OK(b);
    EXPECT_EQ(b->outcome, LockOutcome::kAcquired);
  });
}

TEST_F(RedisEdgeGuardTest, LockExpiresAfterTtl) {
  Run([&]() -> asio::awaitable<void> {
    std::vector<SeatSegment> cells = {{"4A", 1}};
    auto a = co_await Acquire(cells, "alice", "tok-a", milliseconds(300));
    CO_ASSERT_OK(a);
    CO_ASSERT_TRUE(a->outcome == LockOutcome::kAcquired);
    const int64_t pttl = co_await Int("PTTL", keys_.Lock(cells[0]));
    EXPECT_GT(pttl, 0);
    EXPECT_LE(pttl, 300);

    auto early = co_await Acquire(cells, "bob", "tok-b", milliseconds(300));
    CO_ASSERT_OK(early);
    EXPECT_EQ(early->outcome, LockOutcome::kContended);

    co_await Sleep(milliseconds(450));
    EXPECT_EQ(co_await Int("EXISTS", keys_.Lock(cells[0])), 0);
    auto late = co_await Acquire(cells, "bob", "tok-b", milliseconds(300));
    CO_ASSERT_OK(late);
    EXPECT_EQ(late->outcome, LockOutcome::kAcquired);
  });
}

TEST_F(RedisEdgeGuardTest, AnnounceWritesMarkersAndFreesLocks) {
  Run([&]() -> asio::awaitable<void> {
    std::vector<SeatSegment> cells = {{"6A", 0}, {"6A", 1}};
    auto a = co_await Acquire(cells, "alice", "tok-a", milliseconds(10'000));
    CO_ASSERT_OK(a);
    CO_ASSERT_TRUE(a->outcome == LockOutcome::kAcquired);

    std::vector<Marker> markers = {MakeMarker({"6A", 0}, false, "alice", "hold-1", kNow + 20'000),
                                   MakeMarker({"6A", 1}, false, "alice", "hold-1", kNow + 20'000)};
    Announcement held = Marks(markers);
    held.locked = cells;
    held.token = "tok-a";
    absl::Status s = co_await Announce(std::move(held));
    CO_ASSERT_TRUE(s.ok());
    for (const SeatSegment& cell : cells) {
      EXPECT_EQ(co_await Int("EXISTS", keys_.Lock(cell)), 0);
      EXPECT_EQ(co_await Get(keys_.Marker(cell)), "h|alice|hold-1|1700000020000");
      const int64_t pttl = co_await Int("PTTL", keys_.Marker(cell));
      EXPECT_GT(pttl, 19'000);
      EXPECT_LE(pttl, 20'000);
    }

    // A booking overwrites the hold's marker; a foreign token frees nothing.
    std::vector<SeatSegment> other = {{"8A", 0}};
    auto b = co_await Acquire(other, "bob", "tok-b", milliseconds(10'000));
    CO_ASSERT_OK(b);
    std::vector<Marker> booking = {MakeMarker({"6A", 0}, true, "alice", "book-7", kNow + 3'600'000)};
    Announcement booked = Marks(booking);
    booked.locked = other;
    booked.token = "tok-a";
    s = co_await Announce(std::move(booked));
    CO_ASSERT_TRUE(s.ok());
    EXPECT_EQ(co_await Get(MarkerKey("6A", 0)), "b|alice|book-7|1700003600000");
    EXPECT_EQ(co_await Get(LockKey("8A", 0)), "tok-b");
  });
}

TEST_F(RedisEdgeGuardTest, MarkersLiveAtMostTheMarkerLifetime) {
  Run([&]() -> asio::awaitable<void> {
    // The default cap (30 s), for a hold expiring in an hour.
    std::vector<Marker> hour = {MakeMarker({"1A", 0}, false, "alice", "h1", kNow + 3'600'000)};
    CO_ASSERT_TRUE((co_await Announce(Marks(hour))).ok());
    int64_t pttl = co_await Int("PTTL", MarkerKey("1A", 0));
    EXPECT_GT(pttl, 29'000);
    EXPECT_LE(pttl, 30'000);
    EXPECT_EQ(co_await Get(MarkerKey("1A", 0)), "h|alice|h1|1700003600000");  // the value keeps the real expiry

    // A configured cap; a marker expiring sooner than the cap keeps its own expiry.
    RedisEdgeGuardOptions options;
    options.marker_lifetime = milliseconds(5'000);
    RedisEdgeGuard capped(*client_, "inv", [this] { return now_ms_; }, options);
    std::vector<Marker> markers = {MakeMarker({"2A", 0}, true, "bob", "b1", kNow + 3'600'000),
                                   MakeMarker({"2B", 0}, false, "bob", "h2", kNow + 2'000)};
    CO_ASSERT_TRUE((co_await capped.Announce(kTrip, Marks(markers))).ok());
    pttl = co_await Int("PTTL", MarkerKey("2A", 0));
    EXPECT_GT(pttl, 4'000);
    EXPECT_LE(pttl, 5'000);
    pttl = co_await Int("PTTL", MarkerKey("2B", 0));
    EXPECT_GT(pttl, 1'000);
    EXPECT_LE(pttl, 2'000);
  });
}

TEST_F(RedisEdgeGuardTest, ExpiredMarkersAreNotWritten) {
  Run([&]() -> asio::awaitable<void> {
    std::vector<Marker> markers = {MakeMarker({"1A", 0}, false, "alice", "h1", kNow - 1),
                                   MakeMarker({"1B", 0}, false, "alice", "h1", kNow),
                                   MakeMarker({"1C", 0}, false, "alice", "h1", kNow + 5'000),
                                   MakeMarker({"1D", 0}, false, "alice", "h1", INT64_MIN)};
    CO_ASSERT_TRUE((co_await Announce(Marks(markers))).ok());
    EXPECT_EQ(co_await Int("EXISTS", MarkerKey("1A", 0)), 0);
    EXPECT_EQ(co_await Int("EXISTS", MarkerKey("1B", 0)), 0);
    EXPECT_EQ(co_await Int("EXISTS", MarkerKey("1C", 0)), 1);
    EXPECT_EQ(co_await Int("EXISTS", MarkerKey("1D", 0)), 0);

    // Only expired markers: no round trip at all.
    const uint64_t sent = client_->commands_sent();
    std::vector<Marker> stale = {MakeMarker({"1E", 0}, true, "alice", "b1", kNow - 10)};
    absl::Status s = co_await Announce(Marks(stale));
    EXPECT_TRUE(s.ok()) << s;
    EXPECT_EQ(client_->commands_sent(), sent);
    EXPECT_EQ(co_await Int("EXISTS", MarkerKey("1E", 0)), 0);
  });
}

TEST_F(RedisEdgeGuardTest, OtherHoldersMarkerIsTakenSameHolderPasses) {
  Run([&]() -> asio::awaitable<void> {
    std::vector<Marker> markers = {MakeMarker({"2A", 0}, false, "alice", "hold-1", kNow + 20'000),
                                   MakeMarker({"2A", 1}, true, "alice", "book-1", kNow + 25'000),
                                   MakeMarker({"2B", 0}, false, "carol", "hold-2", kNow + 10'000)};
    CO_ASSERT_TRUE((co_await Announce(Marks(markers))).ok());

    std::vector<SeatSegment> cells = {{"2A", 0}, {"2A", 1}, {"2B", 0}, {"2C", 0}};
    auto bob = co_await Acquire(cells, "bob", "tok-b", milliseconds(10'000));
    CO_ASSERT_OK(bob);
    EXPECT_EQ(bob->outcome, LockOutcome::kTaken);
    EXPECT_THAT(bob->seats, ElementsAre("2A", "2B"));
    EXPECT_EQ(bob->taken_until_ms, kNow + 25'000);
    // Every refusing marker, parsed, with its cell, in cell order.
    CO_ASSERT_TRUE(bob->taken.size() == 3u);
    for (size_t i = 0; i < 3; ++i) {
      const Marker& got = bob->taken[i];
      const Marker& want = markers[i];
      EXPECT_EQ(got.at.seat_id, want.at.seat_id) << i;
      EXPECT_EQ(got.at.segment, want.at.segment) << i;
      EXPECT_EQ(got.booked, want.booked) << i;
      EXPECT_EQ(got.holder, want.holder) << i;
      EXPECT_EQ(got.hold_id, want.hold_id) << i;
      EXPECT_EQ(got.expires_at_ms, want.expires_at_ms) << i;
    }
    EXPECT_EQ(co_await Int("EXISTS", LockKey("2C", 0)), 0);  // nothing locked

    // Alice's own markers do not block her; carol's still do.
    auto alice = co_await Acquire(cells, "alice", "tok-a", milliseconds(10'000));
    CO_ASSERT_OK(alice);
    EXPECT_EQ(alice->outcome, LockOutcome::kTaken);
    EXPECT_THAT(alice->seats, ElementsAre("2B"));
    EXPECT_EQ(alice->taken_until_ms, kNow + 10'000);
    CO_ASSERT_TRUE(alice->taken.size() == 1u);
    EXPECT_EQ(alice->taken[0].holder, "carol");
    EXPECT_EQ(alice->taken[0].hold_id, "hold-2");
    EXPECT_EQ(alice->taken[0].at.seat_id, "2B");

    std::vector<SeatSegment> own = {{"2A", 0}, {"2A", 1}, {"2C", 0}};
    auto mine = co_await Acquire(own, "alice", "tok-a", milliseconds(10'000));
    CO_ASSERT_OK(mine);
    EXPECT_EQ(mine->outcome, LockOutcome::kAcquired);
    EXPECT_TRUE(mine->taken.empty());
    EXPECT_EQ(co_await Get(LockKey("2A", 0)), "tok-a");

    // A marker takes precedence over a lock: taken, not contended.
    auto bob2 = co_await Acquire(own, "bob", "tok-b", milliseconds(10'000));
    CO_ASSERT_OK(bob2);
    EXPECT_EQ(bob2->outcome, LockOutcome::kTaken);
    EXPECT_THAT(bob2->seats, ElementsAre("2A"));
    EXPECT_EQ(bob2->taken.size(), 2u);
  });
}

TEST_F(RedisEdgeGuardTest, SeparatorsInIdsAreUnambiguous) {
  Run([&]() -> asio::awaitable<void> {
    // holder "a|b" with id "c" vs holder "a" with id "b|c" must not mix up.
    std::vector<Marker> markers = {MakeMarker({"1A", 0}, false, "a|b", "c", kNow + 20'000),
                                   MakeMarker({"1B", 0}, false, "a", "b|c", kNow + 20'000),
                                   MakeMarker({"1C", 0}, false, "%7C", "%", kNow + 20'000)};
    CO_ASSERT_TRUE((co_await Announce(Marks(markers))).ok());

    std::vector<SeatSegment> cells = {{"1A", 0}, {"1B", 0}, {"1C", 0}};
    auto ab = co_await Acquire(cells, "a|b", "t1", milliseconds(10'000));
    CO_ASSERT_OK(ab);
    EXPECT_EQ(ab->outcome, LockOutcome::kTaken);
    EXPECT_THAT(ab->seats, ElementsAre("1B", "1C"));
    CO_ASSERT_TRUE(ab->taken.size() == 2u);
    EXPECT_EQ(ab->taken[0].holder, "a");
    EXPECT_EQ(ab->taken[0].hold_id, "b|c");
    EXPECT_EQ(ab->taken[1].holder, "%7C");
    EXPECT_EQ(ab->taken[1].hold_id, "%");
    auto a = co_await Acquire(cells, "a", "t2", milliseconds(10'000));
    CO_ASSERT_OK(a);
    EXPECT_THAT(a->seats, ElementsAre("1A", "1C"));
    auto lit = co_await Acquire(cells, "%7C", "t3", milliseconds(10'000));
    CO_ASSERT_OK(lit);
    EXPECT_THAT(lit->seats, ElementsAre("1A", "1B"));

    std::vector<Unmark> bc = {MakeUnmark("1A", 0, "b|c"), MakeUnmark("1B", 0, "b|c"), MakeUnmark("1C", 0, "b|c")};
    CO_ASSERT_TRUE((co_await Announce(Unmarks(bc))).ok());
    EXPECT_EQ(co_await Get(MarkerKey("1A", 0)), "h|a%7Cb|c|1700000020000");
    EXPECT_EQ(co_await Get(MarkerKey("1B", 0)), "<nil>");
    EXPECT_EQ(co_await Get(MarkerKey("1C", 0)), "h|%257C|%25|1700000020000");
    std::vector<Unmark> pct = {MakeUnmark("1A", 0, "%"), MakeUnmark("1C", 0, "%")};
    CO_ASSERT_TRUE((co_await Announce(Unmarks(pct))).ok());
    EXPECT_EQ(co_await Get(MarkerKey("1C", 0)), "<nil>");
    EXPECT_EQ(co_await Get(MarkerKey("1A", 0)), "h|a%7Cb|c|1700000020000");
  });
}

TEST_F(RedisEdgeGuardTest, UnmarkRemovesOnlyItsIdsMarkersAndLeavesItsTombstone) {
  Run([&]() -> asio::awaitable<void> {
    std::vector<Marker> markers = {MakeMarker({"3A", 0}, false, "alice", "hold-1", kNow + 20'000),
                                   MakeMarker({"3A", 1}, false, "alice", "hold-1", kNow + 20'000),
                                   MakeMarker({"3B", 0}, false, "bob", "hold-2", kNow + 20'000),
                                   MakeMarker({"3C", 0}, true, "carol", "hold-1x", kNow + 20'000)};
    CO_ASSERT_TRUE((co_await Announce(Marks(markers))).ok());
    CO_ASSERT_OK(co_await client_->Command("SET", MarkerKey("3E", 0), "garbage"));

    std::vector<Unmark> unmarks;
    for (const char* seat : {"3A", "3B", "3C", "3D", "3E"}) unmarks.push_back(MakeUnmark(seat, 0, "hold-1"));
    unmarks.push_back(MakeUnmark("3A", 1, "hold-1"));
    CO_ASSERT_TRUE((co_await Announce(Unmarks(unmarks))).ok());
    EXPECT_EQ(co_await Get(MarkerKey("3A", 0)), "<nil>");  // its markers
    EXPECT_EQ(co_await Get(MarkerKey("3A", 1)), "<nil>");
    EXPECT_EQ(co_await Get(MarkerKey("3B", 0)), "h|bob|hold-2|1700000020000");  // another id's marker
    EXPECT_EQ(co_await Get(MarkerKey("3C", 0)), "b|carol|hold-1x|1700000020000");
    EXPECT_EQ(co_await Get(MarkerKey("3E", 0)), "garbage");
    const std::string gone = keys_.Gone("hold-1");
    EXPECT_EQ(co_await Get(gone), "1");
    const int64_t pttl = co_await Int("PTTL", gone);
    EXPECT_GT(pttl, 59'000);
    EXPECT_LE(pttl, 60'000);
    EXPECT_EQ(co_await Int("PTTL", MarkerKey("3B", 0)) <= 20'000, true);  // untouched
    EXPECT_EQ(co_await Int("EXISTS", keys_.Gone("hold-2")), 0);

    std::vector<Unmark> empty_id = {MakeUnmark("3A", 0, "")};
    const uint64_t sent = client_->commands_sent();
    absl::Status empty = co_await Announce(Unmarks(empty_id));
    EXPECT_EQ(empty.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(client_->commands_sent(), sent);
  });
}

TEST_F(RedisEdgeGuardTest, TombstoneKeepsALateMarkerOfItsIdOut) {
  Run([&]() -> asio::awaitable<void> {
    // The release is announced first (by a faster instance)...
    std::vector<Unmark> freed = {MakeUnmark("4A", 0, "hold-1"), MakeUnmark("4A", 1, "hold-1")};
    CO_ASSERT_TRUE((co_await Announce(Unmarks(freed))).ok());
    // ... then the hold's marker arrives, on any cell: not written. Another id's is.
    std::vector<Marker> late = {MakeMarker({"4A", 0}, false, "alice", "hold-1", kNow + 20'000),
                                MakeMarker({"4C", 0}, false, "alice", "hold-1", kNow + 20'000),
                                MakeMarker({"4A", 1}, false, "bob", "hold-2", kNow + 20'000)};
    CO_ASSERT_TRUE((co_await Announce(Marks(late))).ok());
    EXPECT_EQ(co_await Get(MarkerKey("4A", 0)), "<nil>");
    EXPECT_EQ(co_await Get(MarkerKey("4C", 0)), "<nil>");
    EXPECT_GT(co_await Int("PTTL", keys_.Gone("hold-1")), 59'000);  // not re-armed by the marker either
    EXPECT_EQ(co_await Get(MarkerKey("4A", 1)), "h|bob|hold-2|1700000020000");

    // A marker and an unmark of the same id in one announcement: the unmark wins.
    Announcement both = Marks(std::vector<Marker>{MakeMarker({"4B", 0}, false, "carol", "hold-3", kNow + 20'000)});
    both.unmarks.push_back(MakeUnmark("4B", 0, "hold-3"));
    CO_ASSERT_TRUE((co_await Announce(std::move(both))).ok());
    EXPECT_EQ(co_await Get(MarkerKey("4B", 0)), "<nil>");
  });
}

TEST_F(RedisEdgeGuardTest, EveryOwnerThatLetGoOfACellKeepsItsLateMarkerOut) {
  Run([&]() -> asio::awaitable<void> {
    // A cancelled booking frees its cells from the booking and from the hold
    // it came from, in one announcement; then the (queued) announcements of
    // the hold and of the booking arrive late, in either order.
    std::vector<Unmark> freed = {MakeUnmark("6A", 0, "bk-h1"), MakeUnmark("6A", 0, "h1")};
    CO_ASSERT_TRUE((co_await Announce(Unmarks(freed))).ok());
    std::vector<Marker> late_booking = {MakeMarker({"6A", 0}, true, "alice", "bk-h1", kNow + 20'000)};
    CO_ASSERT_TRUE((co_await Announce(Marks(late_booking))).ok());
    std::vector<Marker> late_hold = {MakeMarker({"6A", 0}, false, "alice", "h1", kNow + 20'000)};
    CO_ASSERT_TRUE((co_await Announce(Marks(late_hold))).ok());
    std::vector<SeatSegment> cells = {{"6A", 0}};
    auto after = co_await Acquire(cells, "bob", "tok-b", milliseconds(10'000));
    CO_ASSERT_OK(after);
    EXPECT_EQ(after->outcome, LockOutcome::kAcquired) << "a late marker of an owner that let go refuses the cell";
  });
}

TEST_F(RedisEdgeGuardTest, TombstonedCellIsAcquired) {
  Run([&]() -> asio::awaitable<void> {
    std::vector<Marker> held = {MakeMarker({"5A", 0}, false, "alice", "hold-1", kNow + 20'000)};
    CO_ASSERT_TRUE((co_await Announce(Marks(held))).ok());
    std::vector<SeatSegment> cells = {{"5A", 0}};
    auto before = co_await Acquire(cells, "bob", "tok-b", milliseconds(10'000));
    CO_ASSERT_OK(before);
    EXPECT_EQ(before->outcome, LockOutcome::kTaken);

    std::vector<Unmark> freed = {MakeUnmark("5A", 0, "hold-1")};
    CO_ASSERT_TRUE((co_await Announce(Unmarks(freed))).ok());
    auto after = co_await Acquire(cells, "bob", "tok-b", milliseconds(10'000));
    CO_ASSERT_OK(after);
    EXPECT_EQ(after->outcome, LockOutcome::kAcquired);
    EXPECT_TRUE(after->taken.empty());
    EXPECT_EQ(co_await Get(LockKey("5A", 0)), "tok-b");
  });
}

TEST_F(RedisEdgeGuardTest, ValuesThatDoNotParseNeverRefuse) {
  Run([&]() -> asio::awaitable<void> {
    // Each looks almost like a marker of "mallory"; ParseMarkerValue refuses
    // every one, so the script must not refuse either.
    const std::vector<std::string> values = {"h|mallory|h1|", "h|mallory|h1|5x", "h|mal%ory|h1|5", "h|mallory|h%1|5",
                                             "h|mallory|h1|99999999999999999999", "h|mallory|h1|9223372036854775808",
                                             "x||h1|0", "hb|mallory|h1|5", "h|mallory|h1|5|"};
    std::vector<SeatSegment> cells;
    for (size_t i = 0; i < values.size(); ++i) {
      SeatSegment cell{absl::StrCat("9", i), 0};
      CO_ASSERT_OK(co_await client_->Command("SET", keys_.Marker(cell), values[i]));
      cells.push_back(std::move(cell));
    }
    auto r = co_await Acquire(cells, "bob", "tok-b", milliseconds(10'000));
    CO_ASSERT_OK(r);
    EXPECT_EQ(r->outcome, LockOutcome::kAcquired);

    // The extremes that do parse refuse, and come back intact.
    std::vector<SeatSegment> edge = {{"8A", 0}, {"8B", 0}, {"8C", 0}};
    CO_ASSERT_OK(co_await client_->Command("SET", keys_.Marker(edge[0]), "h|mallory|h1|9223372036854775807"));
    CO_ASSERT_OK(co_await client_->Command("SET", keys_.Marker(edge[1]), "b|mallory|h%7c1|-9223372036854775808"));
    CO_ASSERT_OK(co_await client_->Command("SET", keys_.Marker(edge[2]), "h|mallory||000000000000000000000042"));
    auto t = co_await Acquire(edge, "bob", "tok-c", milliseconds(10'000));
    CO_ASSERT_OK(t);
    EXPECT_EQ(t->outcome, LockOutcome::kTaken);
    CO_ASSERT_TRUE(t->taken.size() == 3u);
    EXPECT_EQ(t->taken[0].expires_at_ms, INT64_MAX);
    EXPECT_EQ(t->taken[1].expires_at_ms, INT64_MIN);
    EXPECT_EQ(t->taken[1].hold_id, "h|1");
    EXPECT_EQ(t->taken[2].expires_at_ms, 42);
    EXPECT_EQ(t->taken_until_ms, INT64_MAX);
  });
}

TEST_F(RedisEdgeGuardTest, ChangesAreAppendedWithTheNextSequence) {
  Run([&]() -> asio::awaitable<void> {
    CO_ASSERT_TRUE((co_await Announce(Change("first"))).ok());
    EXPECT_THAT(co_await StreamEntries(keys_.Stream()), ElementsAre("s=1 c=first"));
    // With markers in the same round trip.
    Announcement second = Change("second|line\nmore");
    second.markers.push_back(MakeMarker({"1A", 0}, false, "alice", "h1", kNow + 20'000));
    CO_ASSERT_TRUE((co_await Announce(std::move(second))).ok());
    EXPECT_THAT(co_await StreamEntries(keys_.Stream()), ElementsAre("s=1 c=first", "s=2 c=second|line\nmore"));
    EXPECT_EQ(co_await Get(keys_.Sequence()), "2");
    EXPECT_EQ(co_await Int("EXISTS", MarkerKey("1A", 0)), 1);
    const std::vector<std::string> stream_keys = {keys_.Stream(), keys_.Sequence()};
    for (const std::string& key : stream_keys) {
      const int64_t pttl = co_await Int("PTTL", key);
      EXPECT_GT(pttl, 86'000'000) << key;
      EXPECT_LE(pttl, 86'400'000) << key;
    }
    // No change: the stream is left alone.
    std::vector<Marker> only = {MakeMarker({"1B", 0}, false, "alice", "h1", kNow + 20'000)};
    CO_ASSERT_TRUE((co_await Announce(Marks(only))).ok());
    EXPECT_EQ(co_await Int("XLEN", keys_.Stream()), 2);
    // Another trip has its own stream and sequence.
    const TripKey other{"acme", "T2"};
    CO_ASSERT_TRUE((co_await guard_->Announce(other, Change("x"))).ok());
    EXPECT_THAT(co_await StreamEntries(EdgeKeys("inv", other).Stream()), ElementsAre("s=1 c=x"));
    // The counter lost (Redis restarted): numbering starts again at 1.
    CO_ASSERT_OK(co_await client_->Command("DEL", keys_.Sequence()));
    CO_ASSERT_TRUE((co_await Announce(Change("after"))).ok());
    EXPECT_THAT(co_await StreamEntries(keys_.Stream()),
                ElementsAre("s=1 c=first", "s=2 c=second|line\nmore", "s=1 c=after"));
  });
}

TEST_F(RedisEdgeGuardTest, StreamIsTrimmedAndExpiresAsConfigured) {
  Run([&]() -> asio::awaitable<void> {
    RedisEdgeGuardOptions options;
    options.stream_max_length = 10;
    options.stream_lifetime = milliseconds(5'000);
    RedisEdgeGuard small(*client_, "inv", [this] { return now_ms_; }, options);
    for (int i = 0; i < 300; ++i) {
      CO_ASSERT_TRUE((co_await small.Announce(kTrip, Change(absl::StrCat("c", i)))).ok());
    }
    // MAXLEN ~ trims whole nodes (100 entries by default): far fewer than 300 remain.
    const int64_t length = co_await Int("XLEN", keys_.Stream());
    EXPECT_GE(length, 10);
    EXPECT_LE(length, 200);
    EXPECT_EQ(co_await Get(keys_.Sequence()), "300");
    EXPECT_LE(co_await Int("PTTL", keys_.Stream()), 5'000);
    EXPECT_LE(co_await Int("PTTL", keys_.Sequence()), 5'000);
  });
}

TEST_F(RedisEdgeGuardTest, KeysCarryTheEncodedHashTag) {
  Run([&]() -> asio::awaitable<void> {
    const TripKey odd{"org{1}", "trip:%2"};
    std::vector<SeatSegment> cells = {{"1{A}", 0}, {"1B", 3}};
    auto a = co_await guard_->Acquire(odd, cells, "alice", "tok-a", milliseconds(10'000));
    CO_ASSERT_OK(a);
    CO_ASSERT_TRUE(a->outcome == LockOutcome::kAcquired);
    std::vector<Marker> markers = {MakeMarker({"1{A}", 0}, false, "alice", "h", kNow + 10'000)};
    Announcement announcement = Marks(markers);
    announcement.locked = cells;
    announcement.token = "tok-a";
    announcement.unmarks.push_back(MakeUnmark("2C", 1, "old"));
    announcement.change = "c";
    CO_ASSERT_TRUE((co_await guard_->Announce(odd, std::move(announcement))).ok());
    std::vector<SeatSegment> again = {{"1B", 3}};
    auto b = co_await guard_->Acquire(odd, again, "alice", "tok-a", milliseconds(10'000));
    CO_ASSERT_OK(b);

    auto all = co_await client_->Command("KEYS", "*");
    CO_ASSERT_OK(all);
    std::vector<std::string> names;
    for (const redis::Reply& k : all->elements()) names.push_back(k.str());
    EXPECT_THAT(names, UnorderedElementsAre("inv:{org%7B1%7D:trip%3A%252}:tk:1{A}:0",
                                            "inv:{org%7B1%7D:trip%3A%252}:gone:old",
                                            "inv:{org%7B1%7D:trip%3A%252}:lk:1B:3",
                                            "inv:{org%7B1%7D:trip%3A%252}:ch", "inv:{org%7B1%7D:trip%3A%252}:sq"));
  });
}

TEST_F(RedisEdgeGuardTest, EachCallIsOneCommand) {
  Run([&]() -> asio::awaitable<void> {
    std::vector<SeatSegment> cells = {{"1A", 0}, {"1B", 0}};
    std::vector<Marker> markers = {MakeMarker({"1A", 0}, false, "alice", "h", kNow + 10'000)};
    auto everything = [&] {
      Announcement a = Marks(markers);
      a.unmarks.push_back(MakeUnmark("1C", 0, "h0"));
      a.locked = cells;
      a.token = "t";
      a.change = "held|1A|0|0|h|alice|0|";
      return a;
    };
    // Warm the script cache (the first EVALSHA of each script on a fresh
    // server costs a NOSCRIPT + EVAL).
    CO_ASSERT_OK(co_await Acquire(cells, "alice", "t", milliseconds(10'000)));
    CO_ASSERT_TRUE((co_await guard_->Release(kTrip, cells, "t")).ok());
    CO_ASSERT_TRUE((co_await Announce(everything())).ok());

    uint64_t sent = client_->commands_sent();
    CO_ASSERT_OK(co_await Acquire(cells, "alice", "t", milliseconds(10'000)));
    EXPECT_EQ(client_->commands_sent(), sent + 1);
    sent = client_->commands_sent();
    CO_ASSERT_TRUE((co_await guard_->Release(kTrip, cells, "t")).ok());
    EXPECT_EQ(client_->commands_sent(), sent + 1);
    // Every part at once, then each part alone: one command each.
    sent = client_->commands_sent();
    CO_ASSERT_TRUE((co_await Announce(everything())).ok());
    EXPECT_EQ(client_->commands_sent(), sent + 1);
    sent = client_->commands_sent();
    CO_ASSERT_TRUE((co_await Announce(Marks(markers))).ok());
    std::vector<Unmark> unmarks = {MakeUnmark("1B", 0, "h")};
    CO_ASSERT_TRUE((co_await Announce(Unmarks(unmarks))).ok());
    Announcement release;
    release.locked = cells;
    release.token = "t";
    CO_ASSERT_TRUE((co_await Announce(std::move(release))).ok());
    CO_ASSERT_TRUE((co_await Announce(Change("c"))).ok());
    EXPECT_EQ(client_->commands_sent(), sent + 4);

    // Nothing to do: nothing sent.
    sent = client_->commands_sent();
    std::vector<SeatSegment> none;
    auto empty = co_await Acquire(none, "alice", "t", milliseconds(10'000));
    CO_ASSERT_OK(empty);
    EXPECT_EQ(empty->outcome, LockOutcome::kAcquired);
    EXPECT_TRUE((co_await guard_->Release(kTrip, none, "t")).ok());
    Announcement nothing;
    EXPECT_TRUE((co_await Announce(std::move(nothing))).ok());
    Announcement token_only;
    token_only.token = "t";
    EXPECT_TRUE((co_await Announce(std::move(token_only))).ok());
    EXPECT_EQ(client_->commands_sent(), sent);
  });
}

TEST_F(RedisEdgeGuardTest, InvalidArgumentsSendNothing) {
  Run([&]() -> asio::awaitable<void> {
    std::vector<SeatSegment> cells = {{"1A", 0}};
    auto no_token = co_await Acquire(cells, "alice", "", milliseconds(1000));
    EXPECT_EQ(no_token.status().code(), absl::StatusCode::kInvalidArgument);
    auto no_ttl = co_await Acquire(cells, "alice", "t", milliseconds(0));
    EXPECT_EQ(no_ttl.status().code(), absl::StatusCode::kInvalidArgument);
    absl::Status release = co_await guard_->Release(kTrip, cells, "");
    EXPECT_EQ(release.code(), absl::StatusCode::kInvalidArgument);
    Announcement unlock = Change("c");
    unlock.locked = cells;  // without a token
    absl::Status announce = co_await Announce(std::move(unlock));
    EXPECT_EQ(announce.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(client_->commands_sent(), 0u);
  });
}

TEST_F(RedisEdgeGuardTest, ServerErrorIsInternal) {
  Run([&]() -> asio::awaitable<void> {
    // A foreign value of the wrong type under a marker key makes GET fail
    // inside the script.
    CO_ASSERT_OK(co_await client_->Command("HSET", MarkerKey("1A", 0), "f", "v"));
    std::vector<SeatSegment> cells = {{"1A", 0}};
    auto r = co_await Acquire(cells, "alice", "t", milliseconds(1000));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal) << r.status();
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("WRONGTYPE"));

    // Announce checks every key first: nothing at all is written.
    std::vector<SeatSegment> lock = {{"1L", 0}};
    CO_ASSERT_OK(co_await Acquire(lock, "alice", "t", milliseconds(10'000)));
    std::vector<Marker> markers = {MakeMarker({"1M", 0}, false, "alice", "h", kNow + 10'000)};
    Announcement a = Marks(markers);
    a.unmarks.push_back(MakeUnmark("1A", 0, "gone-one"));
    a.locked = lock;
    a.token = "t";
    a.change = "c";
    absl::Status u = co_await Announce(a);
    EXPECT_EQ(u.code(), absl::StatusCode::kInternal) << u;
    EXPECT_THAT(std::string(u.message()), HasSubstr("WRONGTYPE"));
    EXPECT_EQ(co_await Int("EXISTS", MarkerKey("1M", 0)), 0);
    EXPECT_EQ(co_await Get(LockKey("1L", 0)), "t");
    EXPECT_EQ(co_await Int("EXISTS", keys_.Stream()), 0);
    EXPECT_EQ(co_await Int("EXISTS", keys_.Sequence()), 0);

    // The same for a foreign stream key or sequence.
    CO_ASSERT_OK(co_await client_->Command("DEL", MarkerKey("1A", 0)));
    CO_ASSERT_OK(co_await client_->Command("SET", keys_.Stream(), "not a stream"));
    u = co_await Announce(a);
    EXPECT_EQ(u.code(), absl::StatusCode::kInternal) << u;
    EXPECT_EQ(co_await Int("EXISTS", MarkerKey("1M", 0)), 0);
    CO_ASSERT_OK(co_await client_->Command("DEL", keys_.Stream()));
    CO_ASSERT_OK(co_await client_->Command("SET", keys_.Sequence(), "seven"));
    u = co_await Announce(a);
    EXPECT_EQ(u.code(), absl::StatusCode::kInternal) << u;
    EXPECT_EQ(co_await Int("EXISTS", MarkerKey("1M", 0)), 0);
    EXPECT_EQ(co_await Get(LockKey("1L", 0)), "t");
    CO_ASSERT_OK(co_await client_->Command("DEL", keys_.Sequence()));
    u = co_await Announce(a);
    EXPECT_TRUE(u.ok()) << u;
    EXPECT_EQ(co_await Int("EXISTS", MarkerKey("1M", 0)), 1);

    // A malformed marker value is ignored: the database decides.
    CO_ASSERT_OK(co_await client_->Command("SET", MarkerKey("1B", 0), "garbage"));
    std::vector<SeatSegment> other = {{"1B", 0}};
    auto g = co_await Acquire(other, "alice", "t", milliseconds(1000));
    CO_ASSERT_OK(g);
    EXPECT_EQ(g->outcome, LockOutcome::kAcquired);
  });
}

TEST_F(RedisEdgeGuardTest, RedisDownIsUnavailableQuickly) {
  Run([&]() -> asio::awaitable<void> {
    std::vector<SeatSegment> cells = {{"1A", 0}};
    auto up = co_await Acquire(cells, "alice", "t", milliseconds(10'000));
    CO_ASSERT_OK(up);
    server_->Stop();

    for (int i = 0; i < 5; ++i) {
      const auto start = Clock::now();
      auto r = co_await Acquire(cells, "bob", "u", milliseconds(10'000));
      EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
      absl::Status rel = co_await guard_->Release(kTrip, cells, "t");
      EXPECT_EQ(rel.code(), absl::StatusCode::kUnavailable) << rel;
      std::vector<Marker> markers = {MakeMarker({"1A", 0}, false, "alice", "h", kNow + 10'000)};
      Announcement a = Marks(markers);
      a.unmarks.push_back(MakeUnmark("1B", 0, "h"));
      a.locked = cells;
      a.token = "t";
      a.change = "c";
      absl::Status announce = co_await Announce(std::move(a));
      EXPECT_EQ(announce.code(), absl::StatusCode::kUnavailable) << announce;
      EXPECT_LT(Millis(Clock::now() - start), 500);
      co_await Sleep(milliseconds(20));
    }
  });
}

TEST_F(RedisEdgeGuardTest, HungRedisIsDeadlineExceeded) {
  redis::ClientOptions options;
  options.host = "127.0.0.1";
  options.port = server_->port();
  options.command_timeout = milliseconds(200);
  redis::Client impatient(io_.get_executor(), options);
  RedisEdgeGuard guard(impatient);
  Run([&]() -> asio::awaitable<void> {
    CO_ASSERT_TRUE((co_await impatient.Ping()).ok());
    server_->Freeze();
    std::vector<SeatSegment> cells = {{"1A", 0}};
    const auto start = Clock::now();
    auto r = co_await guard.Acquire(kTrip, cells, "alice", "t", milliseconds(1000));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
    EXPECT_LT(Millis(Clock::now() - start), 1000);
    server_->Thaw();
    impatient.Close();
  });
}

TEST_F(RedisEdgeGuardTest, ThousandConcurrentAcquiresOnDistinctCells) {
  Run([&]() -> asio::awaitable<void> {
    std::vector<SeatSegment> warm = {{"warm", 0}};
    CO_ASSERT_OK(co_await Acquire(warm, "w", "w", milliseconds(60'000)));
    const uint64_t sent = client_->commands_sent();

    constexpr int kCalls = 1000;
    std::vector<asio::awaitable<absl::StatusOr<LockResult>>> calls;
    calls.reserve(kCalls);
    for (int i = 0; i < kCalls; ++i) {
      std::vector<SeatSegment> cells = {{absl::StrCat("S", i), i % 7}, {absl::StrCat("S", i), 7 + i % 7}};
      calls.push_back(guard_->Acquire(kTrip, std::move(cells), absl::StrCat("user", i), absl::StrCat("tok", i),
                                      milliseconds(60'000)));
    }
    std::vector<absl::StatusOr<LockResult>> results = co_await Gather(std::move(calls));
    CO_ASSERT_TRUE(results.size() == static_cast<size_t>(kCalls));
    int acquired = 0;
    for (const auto& r : results) {
      if (r.ok() && r->outcome == LockOutcome::kAcquired) {
        ++acquired;
      } else {
        ADD_FAILURE() << (r.ok() ? "not acquired" : r.status().ToString());
        break;
      }
    }
    EXPECT_EQ(acquired, kCalls);
    EXPECT_EQ(client_->commands_sent(), sent + kCalls);
    EXPECT_EQ(co_await Int("DBSIZE", ""), 2 * kCalls + 1);
  });
}

}  // namespace
}  // namespace inventory::cache
