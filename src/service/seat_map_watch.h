// Live seat maps: WatchSeatMap's streams, fed by every change the seat-map
// cache sees.
//
// Watchers of one journey of one trip share a topic. A topic remembers the
// status it last published for each seat of the journey; when the cached
// snapshot of its trip changes (this instance's changes as they are made,
// other instances' as the change feed brings them, a reload), it compares
// the changed seats' status now with what it published and sends the
// difference to every watcher as one event (serialized once, shared by all
// watchers), with the topic's next version. Expiry is a change too: the
// topic wakes at the earliest expiry of a hold it shows and publishes the
// seats that became free. A watcher gets the full map first; one that has
// more than `max_behind` events waiting (it reads too slowly) has them
// dropped and gets the full map instead, so no watcher costs more than that.
//
// When the feed cannot be trusted for a trip (Redis down, a gap, the trip
// not cached), other instances' changes are not heard: every `refresh` the
// trip is loaded from the database again and its topics publish what
// changed and send a full map (reason REFRESH). Topics quiet for
// `heartbeat` send a heartbeat.
//
// Threading: REQUIRES every call on the service's single-threaded executor;
// watchers are called there too (their transport is theirs to lock).
#pragma once

#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "domain/journey.h"
#include "domain/seat_change.h"
#include "inventory/v1/inventory.pb.h"
#include "service/clock_guard.h"
#include "service/snapshot_cache.h"
#include "storage/seat_store.h"

namespace inventory::service {

// The transport of one stream (a gRPC call). Thread-safe.
class SeatMapWatcher {
 public:
  virtual ~SeatMapWatcher() = default;
  // Queues `event` (a serialized SeatMapEvent) behind those not yet
  // written; returns how many are waiting now, this one included (0: the
  // stream has ended and the watcher can be forgotten).
  virtual size_t Send(std::shared_ptr<const std::string> event) = 0;
  // Drops the events not yet written and queues `event` instead.
  virtual void Replace(std::shared_ptr<const std::string> event) = 0;
  // Ends the stream with `status` (what is queued is dropped).
  virtual void End(const absl::Status& status) = 0;
};

struct SeatMapWatchOptions {
  std::chrono::milliseconds heartbeat{5000};
  std::chrono::milliseconds refresh{2000};
  size_t max_behind = 64;
  size_t max_watchers = 10000;
};

struct SeatMapWatchStats {
  uint64_t added = 0;
  uint64_t refused = 0;        // past max_watchers
  uint64_t change_events = 0;  // events published (each to every watcher of a topic)
  uint64_t seat_changes = 0;   // seat status changes in them
  uint64_t deliveries = 0;     // events queued to watchers, full maps and heartbeats included
  uint64_t full_maps_start = 0;
  uint64_t full_maps_behind = 0;
  uint64_t full_maps_refresh = 0;
  uint64_t heartbeats = 0;
  uint64_t refreshes = 0;   // trips loaded again for their watchers
  uint64_t seats_compared = 0;
  // Gauges.
  uint64_t watchers = 0;
  uint64_t topics = 0;
};

class SeatMapWatch {
 public:
  using Wall = std::function<int64_t()>;  // unix ms, for sent_at_ms

  // `cache` and `clock` must outlive the hub.
  SeatMapWatch(SnapshotCache& cache, const ClockGuard& clock, SeatMapWatchOptions options);
  ~SeatMapWatch();

  // Starts `watcher` on `range` of `trip`, with a full map first. `snapshot`
  // is the trip as just read (used when the cache holds none).
  // RESOURCE_EXHAUSTED past max_watchers; UNAVAILABLE once stopping.
  absl::Status Add(const storage::TripRef& trip, domain::SegmentRange range, SnapshotCache::SnapshotPtr snapshot,
                   std::shared_ptr<SeatMapWatcher> watcher);
  // Forgets `watcher` (its stream ended). Harmless if unknown.
  void Remove(const SeatMapWatcher* watcher);

  // The cache's listener: `trip`'s cached snapshot changed (`changes`
  // applied to it, or, when null, replaced or reloaded).
  void OnSnapshotChanged(const storage::TripRef& trip, const std::vector<domain::SeatChange>* changes);

  // Expiries, heartbeats and refreshes until Stop().
  asio::awaitable<void> Run();
  // Ends every stream UNAVAILABLE and stops Run().
  void Stop();

  const SeatMapWatchStats& stats() const { return stats_; }

 private:
  struct Published {
    domain::SeatStatus status = domain::SeatStatus::kAvailable;
    int64_t expires_at_ms = 0;  // held seats
  };
  struct Topic {
    storage::TripRef trip;
    domain::SegmentRange range;
    SnapshotCache::SnapshotPtr snapshot;  // what `published` was compared with
    std::vector<Published> published;     // by seat index of `snapshot`
    int64_t version = 0;
    std::set<int> dirty;  // seat indexes of `snapshot` to compare
    bool dirty_all = false;
    int64_t next_expiry_ms = 0;  // the earliest hold expiry it shows (INT64_MAX: none)
    int64_t last_sent_ms = 0;    // wall clock
    std::vector<std::shared_ptr<SeatMapWatcher>> watchers;
    // The last full map built and what it was built for.
    std::shared_ptr<const std::string> full_map;
    int64_t full_map_version = -1;
    v1::FullMapReason full_map_reason = v1::FULL_MAP_REASON_UNSPECIFIED;
  };
  using TopicPtr = std::shared_ptr<Topic>;

  static std::string TripKeyOf(const storage::TripRef& trip);
  // Makes `snapshot` the copy the topic compares with.
  void Adopt(Topic& topic, SnapshotCache::SnapshotPtr snapshot);
  // Compares the topic's dirty seats (all of them when `all`) with what it
  // published and publishes the difference.
  void Compare(Topic& topic, bool all);
  // The full map of the topic as of now, after publishing what changed.
  std::shared_ptr<const std::string> FullMap(Topic& topic, v1::FullMapReason reason);
  // Sends `event` to every watcher of the topic; a watcher too far behind
  // gets the full map instead, and one whose stream ended is forgotten.
  void Publish(Topic& topic, const std::shared_ptr<const std::string>& event);
  // Sends the full map to every watcher of the topic.
  void PublishFullMap(Topic& topic, v1::FullMapReason reason);
  std::shared_ptr<const std::string> Serialize(Topic& topic, v1::SeatMapEvent& event);
  void ForgetWatcher(Topic& topic, size_t index);
  void DropTopicIfIdle(const TopicPtr& topic);
  // Loads `trip` again and sends its topics a full map.
  asio::awaitable<void> Refresh(storage::TripRef trip);
  // When Run() must next wake: the earliest expiry, a tick at the latest.
  std::chrono::milliseconds NextWake() const;
  // Publishes expiries due, heartbeats due and starts refreshes due.
  void Tick();

  SnapshotCache& cache_;
  const ClockGuard& clock_;
  SeatMapWatchOptions options_;
  // Topics by trip key, then journey.
  std::map<std::string, std::map<std::pair<int, int>, TopicPtr>> trips_;
  std::unordered_map<const SeatMapWatcher*, TopicPtr> watcher_topics_;
  std::set<std::string> refreshing_;       // trip keys with a refresh in flight
  std::map<std::string, int64_t> refreshed_at_;  // trip key -> steady ms of its last refresh
  bool stopping_ = false;
  std::unique_ptr<asio::steady_timer> timer_;
  SeatMapWatchStats stats_;
};

}  // namespace inventory::service
