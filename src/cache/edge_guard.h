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
// it gets its own hold back. A marker is a copy that may be stale: it lives
// at most the guard's marker lifetime (30 s by default), however long the
// hold, so a seat freed while Redis could not be told is refused by a marker
// for at most that long.
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

struct Marker {
  SeatSegment at;
  bool booked = false;         // booked (else held)
  std::string holder;          // user id
  std::string hold_id;         // or booking id when booked
  int64_t expires_at_ms = 0;   // the hold's expiry (for booked: until when the marker may refuse)
};

struct LockResult {
  LockOutcome outcome = LockOutcome::kAcquired;
  std::vector<std::string> seats;  // distinct seat ids, for kContended / kTaken
  int64_t taken_until_ms = 0;      // for kTaken: latest expiry among the markers
  std::vector<Marker> taken;       // for kTaken: every marker that refused, with its cell
};

// The removal of a marker: the marker of `at` goes if it names `id`, and a
// short-lived tombstone of `id` is left so that a marker of the same id
// arriving late (from a slower instance) is not written.
struct Unmark {
  SeatSegment at;
  std::string id;  // hold or booking id
};

// What an instance tells Redis after a change of seats, in ONE round trip;
// every part is optional.
struct Announcement {
  // Markers to write (each lives until its expiry, at most the guard's
  // marker lifetime; a tombstone of the same id, or a past expiry, skips it).
  std::vector<Marker> markers;
  std::vector<Unmark> unmarks;
  // Pre-locks to release (compare-and-delete with `token`).
  std::vector<SeatSegment> locked;
  std::string token;
  // Appended to the trip's change stream (cache/change_feed.h) when not
  // empty, with the next sequence number of the trip.
  std::string change;
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

  // Writes markers, removes markers (leaving tombstones), releases
  // pre-locks and appends to the trip's change stream, atomically, in one
  // round trip (see Announcement). UNAVAILABLE / DEADLINE_EXCEEDED when
  // Redis does not answer (it may or may not have been applied).
  virtual asio::awaitable<absl::Status> Announce(TripKey trip, Announcement announcement) = 0;
};

}  // namespace inventory::cache
