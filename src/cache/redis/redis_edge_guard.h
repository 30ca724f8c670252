// RedisEdgeGuard — the EdgeGuard (cache/edge_guard.h) kept in one Redis
// server: pre-locks and "taken" markers, each method one Lua script.
//
// Round trips. Every method is exactly one EVALSHA (with the client's
// one-time EVAL fallback on NOSCRIPT, see redis/client.h), or none at all
// when there is nothing to do (no cells; MarkAndRelease with no live marker
// and no lock). All keys go in KEYS and share the trip's hash tag, so each
// script is valid on Redis Cluster. Key names and the marker value format
// are in cache/edge_keys.h.
//
// Scripts (atomic on the server):
//  - Acquire: reads every marker; a marker whose holder is not `requester`
//    makes the answer kTaken (its cell's seat id is listed; taken_until_ms
//    is the latest expiry among those markers). Else reads every pre-lock; a
//    lock carrying a token other than `token` makes the answer kContended
//    (seat ids listed). Else SETs every lock to `token` with PX `ttl`:
//    kAcquired. A lock already carrying `token` (a retry of the same request)
//    does not contend and is re-armed. A malformed marker value is ignored
//    (the database decides). Nothing is written unless every lock is taken.
//  - Release: for each lock, DEL if its value equals `token`.
//  - MarkAndRelease: SETs each marker with PX (expires_at_ms - now), then
//    releases the listed locks carrying `token` as Release does.
//  - Unmark: for each marker, DEL if the id field of its value equals `id`.
//
// Time. MarkAndRelease converts the absolute expiry to a remaining time on
// the CLIENT, with the injected `now_ms` clock (default: the system clock,
// milliseconds since the Unix epoch — the clock hold expiries come from), so
// Redis' own clock never matters and a skew between hosts cannot stretch or
// shorten a marker. Markers whose remaining time is <= 0 are not sent.
//
// Errors. Transport failures come back as the client's Status
// (UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED), unchanged, so callers can
// fail open. A server-side error reply (Lua error, WRONGTYPE on a foreign
// key, OOM, a Cluster redirection) is INTERNAL with the server's message; an
// unexpected reply shape is INTERNAL too. INVALID_ARGUMENT for an empty
// token, a non-positive ttl or an empty Unmark id (nothing is sent).
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

class RedisEdgeGuard final : public EdgeGuard {
 public:
  // Milliseconds since the Unix epoch.
  using NowMsFn = std::function<int64_t()>;

  // `prefix` starts every key ("inv" by default). `now_ms` defaults to the
  // system clock; tests inject their own.
  explicit RedisEdgeGuard(redis::Client& client, std::string prefix = "inv", NowMsFn now_ms = nullptr);

  RedisEdgeGuard(const RedisEdgeGuard&) = delete;
  RedisEdgeGuard& operator=(const RedisEdgeGuard&) = delete;

  asio::awaitable<absl::StatusOr<LockResult>> Acquire(TripKey trip, std::vector<SeatSegment> cells,
                                                       std::string requester, std::string token,
                                                       std::chrono::milliseconds ttl) override;
  asio::awaitable<absl::Status> Release(TripKey trip, std::vector<SeatSegment> cells, std::string token) override;
  asio::awaitable<absl::Status> MarkAndRelease(TripKey trip, std::vector<Marker> markers,
                                               std::vector<SeatSegment> locked, std::string token) override;
  asio::awaitable<absl::Status> Unmark(TripKey trip, std::vector<SeatSegment> cells, std::string id) override;

  const std::string& prefix() const { return prefix_; }

 private:
  redis::Client& client_;
  const std::string prefix_;
  const NowMsFn now_ms_;
};

}  // namespace inventory::cache
