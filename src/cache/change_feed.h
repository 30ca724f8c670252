// The change feed: how every instance hears of seat changes made by the
// others, within a second while Redis is up, so that their cached seat maps
// cannot refuse a freed seat for long.
//
// Each trip has a change stream in Redis. An instance appends the changes it
// makes (EdgeGuard::Announce, in the same round trip as its markers); every
// instance follows the streams of the trips it has cached and applies what it
// reads to its copy. Entries carry a per-trip sequence number, so a reader
// notices what it missed (the stream was trimmed, Redis restarted, an
// announcement was lost): it then stops trusting that copy until it is
// loaded again. Nothing in the feed is a source of truth.
//
// Use: before loading a trip from the database, take Position(); after the
// load, Follow(trip, position): every change appended after the position is
// delivered, including those the load already saw (applying a change twice
// is harmless, see domain/seat_change.h).
//
// Threading: an implementation runs its reading loop on the executor given
// at construction and calls the sink there; Follow, Unfollow, Start and Stop
// must be called on that executor too.
#pragma once

#include <asio/awaitable.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cache/edge_guard.h"
#include "domain/seat_change.h"

namespace inventory::cache {

// Where a trip's change stream stands: its last entry's id and sequence
// number ("0-0" and 0 for a stream that does not exist yet).
struct FeedPosition {
  std::string id = "0-0";
  int64_t seq = 0;
};

class FeedSink {
 public:
  virtual ~FeedSink() = default;
  // Changes appended to the trip's stream, in stream order.
  virtual void OnChanges(const TripKey& trip, std::vector<domain::SeatChange> changes) = 0;
  // Some of the trip's entries were missed: its copy can no longer trust the
  // feed (the cursor moves on; later entries are still delivered).
  virtual void OnGap(const TripKey& trip) = 0;
  // The feed could not be read (Redis down or stalled): no copy may trust it
  // until loaded again.
  virtual void OnFeedLost() = 0;
};

class ChangeFeed {
 public:
  virtual ~ChangeFeed() = default;

  // The trip's stream position now. UNAVAILABLE / DEADLINE_EXCEEDED when
  // Redis does not answer.
  virtual asio::awaitable<absl::StatusOr<FeedPosition>> Position(TripKey trip) = 0;
  // Delivers every change appended after `from` (re-following moves the
  // cursor to `from`).
  virtual void Follow(const TripKey& trip, FeedPosition from) = 0;
  virtual void Unfollow(const TripKey& trip) = 0;
  // Starts the reading loop, delivering to `sink` (which must outlive Stop).
  virtual void Start(FeedSink* sink) = 0;
  // Stops the loop; no sink call after the returned awaitable completes.
  virtual asio::awaitable<void> Stop() = 0;
};

}  // namespace inventory::cache
