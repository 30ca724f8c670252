// RedisEdgeGuard — the EdgeGuard (cache/edge_guard.h) kept in one Redis
// server: pre-locks, "taken" markers and the tombstones of owners that let
// go, and the trips'
// change streams; each method one Lua script.
//
// Round trips. Every method is exactly one EVALSHA (with the client's
// one-time EVAL fallback on NOSCRIPT, see redis/client.h), or none at all
// when there is nothing to do (no cells; an Announce with no live marker, no
// unmark, no lock and no change). All keys go in KEYS and share the trip's
// hash tag, so each script is valid on Redis Cluster. Key names, the marker
// values, tombstones and the stream entries are in cache/edge_keys.h.
//
// Scripts (atomic on the server):
//  - Acquire: reads every marker; a marker whose holder is not `requester`
//    makes the answer kTaken: `taken` lists each such marker with its cell,
//    `seats` their distinct seat ids, taken_until_ms the latest expiry among
//    them. Else reads every pre-lock; a lock carrying a token other than
//    `token` makes the answer kContended (seat ids listed). Else SETs every
//    lock to `token` with PX `ttl`: kAcquired. A lock already carrying
//    `token` (a retry of the same request) does not contend and is re-armed.
//    A value that is not a well-formed marker (garbage: exactly
//    what ParseMarkerValue refuses) never refuses; the database decides.
//    Nothing is written unless every lock is taken.
//  - Release: for each lock, DEL if its value equals `token`.
//  - Announce, in this order:
//     (a) each unmark DELetes its cell's marker if it names the unmark's
//         id (a marker of another id, or garbage, is left alone), and SETs
//         the id's tombstone (EdgeKeys::Gone) with PX tombstone lifetime;
//     (b) each marker is SET with PX min(expires_at_ms - now, marker
//         lifetime), unless its id has a tombstone. So an unmark and a
//         marker of the same id meeting in Redis in either order leave no
//         marker, and a late marker of any owner that let go — a cancelled
//         booking, the hold it came from — is kept out for the tombstone
//         lifetime;
//     (c) each listed lock is DELeted if it carries `token`;
//     (d) when `change` is not empty: INCR the sequence key, XADD the
//         stream MAXLEN ~ stream_max_length (1000) with fields
//         s=<sequence> c=<change>, and PEXPIRE both keys to
//         stream_lifetime (a day).
//    Before writing anything it checks the type of every key it will touch
//    (strings, the stream, an integer sequence), so a foreign key fails the
//    whole announcement with nothing written, instead of half of it.
//
// Time. Announce converts the absolute expiry to a remaining time on the
// CLIENT, with the injected `now_ms` clock (default: the system clock,
// milliseconds since the Unix epoch — the clock hold expiries come from), so
// Redis' own clock never matters and a skew between hosts cannot stretch or
// shorten a marker. Markers whose remaining time is <= 0 are not sent. The
// marker lifetime caps how long a marker may outlive a release that Redis
// never heard of (Redis down, an instance crashed between the database
// write and the announcement).
//
// Errors. Transport failures come back as the client's Status
// (UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED), unchanged, so callers can
// fail open. A server-side error reply (Lua error, WRONGTYPE on a foreign
// key, OOM, a Cluster redirection) is INTERNAL with the server's message; an
// unexpected reply shape is INTERNAL too. INVALID_ARGUMENT (nothing sent)
// for an empty token with cells to lock or release, a non-positive ttl, or
// an unmark with an empty id.
//
// It counts nothing (metrics are the caller's).
//
// Threading and lifetime: holds `client` by reference (not owned); the
// client must outlive the guard and every call in flight. Methods may be
// called from any coroutine on any executor concurrently (the guard has no
// mutable state; the client is thread-safe).
#pragma once

#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cache/edge_guard.h"
#include "redis/client.h"

namespace inventory::cache {

struct RedisEdgeGuardOptions {
  // The longest a marker lives, however far its hold's expiry (> 0).
  std::chrono::milliseconds marker_lifetime{30'000};
  // How long a tombstone keeps a late marker of its id out (> 0). Longer
  // than any delay between two instances' announcements of one change.
  std::chrono::milliseconds tombstone_lifetime{60'000};
  // Each trip's change stream keeps about this many entries (XADD MAXLEN ~;
  // > 0): a reader further behind sees a gap.
  int64_t stream_max_length = 1000;
  // The stream and its sequence key vanish this long after the trip's last
  // announcement (> 0).
  std::chrono::milliseconds stream_lifetime{std::chrono::hours(24)};
};

class RedisEdgeGuard final : public EdgeGuard {
 public:
  // Milliseconds since the Unix epoch.
  using NowMsFn = std::function<int64_t()>;

  // `prefix` starts every key ("inv" by default). `now_ms` defaults to the
  // system clock; tests inject their own. A non-positive value in `options`
  // is taken as 1 (ms or entry).
  explicit RedisEdgeGuard(redis::Client& client, std::string prefix = "inv", NowMsFn now_ms = nullptr,
                          RedisEdgeGuardOptions options = {});

  RedisEdgeGuard(const RedisEdgeGuard&) = delete;
  RedisEdgeGuard& operator=(const RedisEdgeGuard&) = delete;

  asio::awaitable<absl::StatusOr<LockResult>> Acquire(TripKey trip, std::vector<SeatSegment> cells,
                                                       std::string requester, std::string token,
                                                       std::chrono::milliseconds ttl) override;
  asio::awaitable<absl::Status> Release(TripKey trip, std::vector<SeatSegment> cells, std::string token) override;
  asio::awaitable<absl::Status> Announce(TripKey trip, Announcement announcement) override;

  const std::string& prefix() const { return prefix_; }
  const RedisEdgeGuardOptions& options() const { return options_; }

 private:
  redis::Client& client_;
  const std::string prefix_;
  const NowMsFn now_ms_;
  const RedisEdgeGuardOptions options_;
};

}  // namespace inventory::cache
