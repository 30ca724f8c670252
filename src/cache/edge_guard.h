// The edge in front of the database: short pre-locks and "already taken"
// markers, kept in Redis. Nothing here is a source of truth: losing every key
// loses nothing but speed. Callers treat UNAVAILABLE / DEADLINE_EXCEEDED as
// "skip the edge" (fail open to the database's LWT), never as a refusal.
//
// Keys of one trip share the hash tag {org:trip}, so every script touches one
// Redis Cluster slot.
//
//   pre-lock   inv:{org:trip}:lk:<seat>:<segment>  = owner token, PX lock_ttl
//   marker     inv:{org:trip}:tk:<seat>:<segment>  = "<status>|<holder>|<hold_id>|<expires_ms>", PX until expiry
//
// A marker says a (seat, segment) is held or booked, by whom and until when,
// so a storm on a taken seat is refused without a database round trip. The
// holder (user id) lets a retry by the same user pass to the database, where
// it gets its own hold back.
#pragma once

#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace inventory::cache {

// One (seat, segment) of a trip.
struct SeatSegment {
  std::string seat_id;
  int segment = 0;
};

struct TripKey {
  std::string organization_id;
  std::string trip_id;
};

enum class LockOutcome {
  kAcquired,    // every pre-lock taken; release them with the same token
  kContended,   // some other request holds a pre-lock: `seats` lists the seat ids
  kTaken,       // a marker of another holder covers some (seat, segment): `seats`
};

struct LockResult {
  LockOutcome outcome = LockOutcome::kAcquired;
  std::vector<std::string> seats;  // distinct seat ids, for kContended / kTaken
  int64_t taken_until_ms = 0;      // for kTaken: latest expiry among the markers
};

struct Marker {
  SeatSegment at;
  bool booked = false;         // booked (else held)
  std::string holder;          // user id
  std::string hold_id;         // or booking id when booked
  int64_t expires_at_ms = 0;   // the marker lives until then
};

class EdgeGuard {
 public:
  virtual ~EdgeGuard() = default;

  // All-or-nothing, in one Redis round trip: if a marker of a holder other
  // than `requester` covers any of `cells`, answers kTaken; else if any
  // pre-lock is held, kContended; else takes every pre-lock with `token` for
  // `ttl` and answers kAcquired. UNAVAILABLE / DEADLINE_EXCEEDED when Redis
  // does not answer.
  virtual asio::awaitable<absl::StatusOr<LockResult>> Acquire(TripKey trip, std::vector<SeatSegment> cells,
                                                               std::string requester, std::string token,
                                                               std::chrono::milliseconds ttl) = 0;

  // Deletes the pre-locks of `cells` that still carry `token` (compare and
  // delete); others' locks are left alone.
  virtual asio::awaitable<absl::Status> Release(TripKey trip, std::vector<SeatSegment> cells, std::string token) = 0;

  // Writes markers (each with PX until its expiry; past ones are skipped)
  // and, in the same round trip, releases the pre-locks carrying `token`.
  virtual asio::awaitable<absl::Status> MarkAndRelease(TripKey trip, std::vector<Marker> markers,
                                                       std::vector<SeatSegment> locked, std::string token) = 0;

  // Deletes the markers of `cells` whose hold/booking id is `id`.
  virtual asio::awaitable<absl::Status> Unmark(TripKey trip, std::vector<SeatSegment> cells, std::string id) = 0;
};

}  // namespace inventory::cache
