// RedisChangeFeed — the ChangeFeed (cache/change_feed.h) over the trips'
// change streams that RedisEdgeGuard::Announce appends to (key names and
// entry fields: cache/edge_keys.h; the changes: cache/change_codec.h).
//
// The loop. Start() spawns one coroutine on the executor. While no trip is
// followed it waits (Follow wakes it). Otherwise it sends ONE
//
//   XREAD COUNT <max_entries_per_read> BLOCK <block_time>
//         STREAMS <stream of each followed trip...> <its cursor id...>
//
// which Redis answers as soon as any of those streams has an entry after
// its cursor (or with nothing after block_time), delivers what came back,
// and reads again. So a change reaches the sink one round trip after it was
// announced, whatever block_time.
//
// Cursors and gaps. Each followed trip has a cursor: the id and sequence
// number ("s") of the last entry read, starting at Follow's `from`. Entries
// of a trip are handled in stream order:
//  - s == cursor.seq + 1: its changes are delivered (OnChanges; the changes
//    of consecutive entries of one read go in one call);
//  - any other s (entries trimmed away, an announcement lost, or the
//    counter restarted at 1 because Redis lost its data), or no s: OnGap
//    first, then its changes;
//  - "c" missing or not decodable: OnGap, and the entry is skipped.
//  The cursor moves past every entry either way. A fresh stream needs no
//  special case: from {"0-0", 0}, the first entry has s = 1. A `from` whose
//  id is not a stream id ("<ms>" or "<ms>-<n>", decimal) is read from the
//  start with an unknown sequence, so the first entry read is a gap.
//  Not detected: entry ids come from Redis' clock (XADD *), so a stream
//  recreated with ids at or below the cursor (Redis lost its data and its
//  clock is behind the cursor's time, e.g. after a failover to a host whose
//  clock lags) is not read until its ids pass the cursor. Callers bound how
//  long they trust a copy anyway.
//
// Failures. A read that fails (Redis down, a timeout, an error reply, a
// reply of an unexpected shape) calls OnFeedLost, then the loop pauses
// retry_pause and reads again. OnFeedLost is called once per streak of
// failed reads, and again at the next failure after a Follow made during
// the streak (a copy loaded meanwhile must hear that the feed is still not
// being read). A read's timeout is block_time plus the client's
// command_timeout. A key of another type under a followed stream name fails
// every read (and so the whole feed) while it is followed.
//
// Follow and Unfollow take effect at the next read: a blocking read in
// flight is not interrupted, so a trip followed meanwhile is first read up
// to block_time later (its entries wait in the stream; nothing is lost),
// and what the read in flight brings for a trip unfollowed or re-followed
// meanwhile is dropped. A sink callback may call Follow and Unfollow (even
// for the trip it is told about); it must not destroy the feed.
//
// The client. `client` must be dedicated to the feed: each read holds its
// connection for up to block_time, and every other command on it waits
// behind. Its stall_timeout must exceed block_time (the defaults, 2 s and
// 250 ms, do). Position() uses it too unless options.position_client is
// set, and then may wait up to block_time behind a read in flight: pass
// the service's shared client as position_client to avoid that.
//
// Not supported: Redis Cluster (one XREAD spans every followed trip's slot).
//
// Threading: every method, the destructor included, must be called on the
// executor given at construction, which must be single-threaded (an
// io_context run by one thread, or a strand); the sink is called there.
//
// Lifetime: `client` (and position_client) must outlive the feed. The
// destructor stops the loop without waiting (no sink call after it; a read
// in flight completes harmlessly later); Stop() waits.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cache/change_feed.h"
#include "redis/client.h"

namespace inventory::cache {

struct RedisChangeFeedOptions {
  // How long one read waits for new entries (> 0; 0 would mean forever).
  std::chrono::milliseconds block_time{250};
  // At most this many entries per stream per read (XREAD COUNT; > 0).
  int64_t max_entries_per_read = 256;
  // The pause before reading again after a failed read.
  std::chrono::milliseconds retry_pause{200};
  // Answers Position() when set (not owned), so that it does not wait
  // behind a blocking read; nullptr: the feed's own client.
  redis::Client* position_client = nullptr;
};

class RedisChangeFeed final : public ChangeFeed {
 public:
  // `prefix` is the guard's key prefix ("inv" by default). A non-positive
  // block_time or max_entries_per_read is taken as 1, a negative
  // retry_pause as 0. Does no I/O.
  RedisChangeFeed(asio::any_io_executor executor, redis::Client& client, std::string prefix = "inv",
                  RedisChangeFeedOptions options = {});
  ~RedisChangeFeed() override;

  RedisChangeFeed(const RedisChangeFeed&) = delete;
  RedisChangeFeed& operator=(const RedisChangeFeed&) = delete;

  // XREVRANGE <stream> + - COUNT 1: the last entry's id and "s"; {"0-0", 0}
  // when the stream does not exist. The client's Status when Redis does not
  // answer; INTERNAL for an error reply or a last entry without a valid "s".
  // May be called on any executor.
  asio::awaitable<absl::StatusOr<FeedPosition>> Position(TripKey trip) override;
  // See change_feed.h and above. Following a trip already followed moves
  // its cursor to `from`.
  void Follow(const TripKey& trip, FeedPosition from) override;
  // Idempotent.
  void Unfollow(const TripKey& trip) override;
  // Starts the loop, delivering to `sink`. REQUIRES: `sink` is not null
  // and the loop is not running (never started, or the last Stop() has
  // completed); otherwise ignored.
  void Start(FeedSink* sink) override;
  // No sink call happens once Stop() is called; completes when the loop has
  // ended: when the read in flight ends, normally within block_time (Redis
  // ends a BLOCK on its next tick, up to 100 ms late at the default hz 10),
  // at worst block_time plus the client's command_timeout.
  // Followed trips stay followed (a later Start reads on from their
  // cursors). Idempotent; fine without Start.
  asio::awaitable<void> Stop() override;

  // How many trips are followed.
  size_t followed() const;
  const std::string& prefix() const;

 private:
  struct State;
  static asio::awaitable<void> Run(std::shared_ptr<State> state);

  std::shared_ptr<State> state_;  // shared with the loop, which may outlive the feed
};

}  // namespace inventory::cache
