#include "service/snapshot_cache.h"

#include <algorithm>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "absl/strings/str_cat.h"
#include "domain/memory_estimate.h"

namespace inventory::service {
namespace {

// An entry's bookkeeping: its map node (key and `node_value` bytes), its key
// again in the recency list, the strings of both keys and of its trip.
uint64_t EntryOverhead(size_t node_value, const std::string& key, const storage::TripRef& trip) {
  return domain::NodeBytes(node_value) + domain::NodeBytes(sizeof(std::string)) +
         2 * domain::StringHeapBytes(key) + domain::StringHeapBytes(trip.organization_id) +
         domain::StringHeapBytes(trip.trip_id);
}

// A shared_ptr's control block, allocated apart from the snapshot.
constexpr uint64_t kControlBlockBytes = 16 + domain::kAllocationOverhead;

}  // namespace

SnapshotCache::SnapshotCache(storage::SeatStore& store, cache::ChangeFeed* feed, SnapshotCacheOptions options,
                             Clock clock, ServiceStats& stats)
    : store_(store), feed_(feed), options_(options), clock_(std::move(clock)), service_stats_(stats) {}

std::string SnapshotCache::Key(const storage::TripRef& trip) {
  return absl::StrCat(trip.organization_id.size(), ":", trip.organization_id, trip.trip_id);
}

SnapshotCache::Entry& SnapshotCache::Slot(const storage::TripRef& trip, const std::string& key) {
  auto [it, created] = entries_.try_emplace(key);
  Entry& entry = it->second;
  if (created) {
    entry.trip = trip;
    recency_.push_front(key);
    entry.recency = recency_.begin();
    Recount(entry);
  }
  return entry;
}

void SnapshotCache::Touch(Entry& entry) { recency_.splice(recency_.begin(), recency_, entry.recency); }

void SnapshotCache::Recount(Entry& entry) {
  const bool has_snapshot = entry.snapshot != nullptr;
  const bool has_not_found = entry.not_found_until_ms != 0;
  uint64_t bytes = EntryOverhead(sizeof(Entries::value_type), *entry.recency, entry.trip);
  if (has_snapshot) bytes += entry.snapshot_bytes + kControlBlockBytes;
  if (has_not_found) bytes += entry.not_found.message().size() + domain::kAllocationOverhead;
  stats_.bytes = stats_.bytes - entry.bytes + bytes;
  stats_.snapshots = stats_.snapshots - entry.counted_snapshot + has_snapshot;
  stats_.not_found_trips = stats_.not_found_trips - entry.counted_not_found + has_not_found;
  entry.bytes = bytes;
  entry.counted_snapshot = has_snapshot;
  entry.counted_not_found = has_not_found;
}

void SnapshotCache::Drop(Entries::iterator it) {
  Entry& entry = it->second;
  stats_.bytes -= entry.bytes;
  stats_.snapshots -= entry.counted_snapshot;
  stats_.not_found_trips -= entry.counted_not_found;
  recency_.erase(entry.recency);
  // Nothing may trust what the feed would have said of it: a new load
  // follows again from its own position.
  if (feed_ != nullptr) feed_->Unfollow(cache::TripKey{entry.trip.organization_id, entry.trip.trip_id});
  entries_.erase(it);
}

void SnapshotCache::Shrink() {
  auto key = recency_.end();
  while (stats_.bytes > options_.max_bytes && key != recency_.begin()) {
    --key;
    auto it = entries_.find(*key);
    if (it->second.flight != nullptr) continue;  // its waiters need it
    auto next = key;  // Drop erases *key; walk on from the entry after it
    ++next;
    Drop(it);
    ++stats_.evictions;
    key = next;
  }
}

SnapshotCache::Peeked SnapshotCache::Peek(const storage::TripRef& trip) {
  auto it = entries_.find(Key(trip));
  if (it == entries_.end() || it->second.snapshot == nullptr) return {};
  Touch(it->second);
  const int64_t now = clock_();
  const int64_t age = now - it->second.loaded_at_ms;
  return {it->second.snapshot, age < options_.ttl.count(),
          it->second.feed_trusted && age < options_.trust_cap.count(), now};
}

bool SnapshotCache::MayRefuse(const Peeked& peeked, int seat_index) const {
  if (!options_.enabled || peeked.snapshot == nullptr || seat_index < 0) return false;
  if (peeked.fresh || peeked.feed_trusted) return true;
  const std::vector<int64_t>& known = peeked.snapshot->seat_known_at_ms;
  return static_cast<size_t>(seat_index) < known.size() &&
         peeked.now_ms - known[static_cast<size_t>(seat_index)] < options_.ttl.count();
}

void SnapshotCache::ApplyTo(Entry& entry, const std::vector<domain::SeatChange>& changes) {
  domain::TripSnapshot& snapshot = *entry.snapshot;
  const int64_t now = clock_();
  // What the changes move in the estimate: the seats' strings, the known
  // times, the ended owners.
  int64_t grown = -static_cast<int64_t>(domain::VectorHeapBytes(snapshot.seat_known_at_ms) +
                                        snapshot.ended_owners.EstimatedBytes());
  if (snapshot.seat_known_at_ms.size() != snapshot.trip.seats.size()) {
    snapshot.seat_known_at_ms.assign(snapshot.trip.seats.size(), snapshot.loaded_at_ms);
  }
  bool changed = false;
  for (const domain::SeatChange& c : changes) {
    const int index = snapshot.SeatIndex(c.seat_id);
    if (index < 0) continue;
    std::vector<domain::SegmentState>& seat = snapshot.states[static_cast<size_t>(index)];
    grown -= static_cast<int64_t>(domain::StatesHeapBytes(seat));
    changed = domain::ApplySeatChange(seat, c, snapshot.ended_owners) || changed;
    grown += static_cast<int64_t>(domain::StatesHeapBytes(seat));
    snapshot.seat_known_at_ms[static_cast<size_t>(index)] = now;
  }
  if (changed) ++snapshot.version;
  grown += static_cast<int64_t>(domain::VectorHeapBytes(snapshot.seat_known_at_ms) +
                                snapshot.ended_owners.EstimatedBytes());
  entry.snapshot_bytes = static_cast<uint64_t>(static_cast<int64_t>(entry.snapshot_bytes) + grown);
  Recount(entry);
}

void SnapshotCache::Apply(const storage::TripRef& trip, const std::vector<domain::SeatChange>& changes, bool own) {
  if (changes.empty()) return;
  auto it = entries_.find(Key(trip));
  if (it == entries_.end()) return;
  // A load in flight may have read the database before this change: the
  // change is applied to its copy too when it lands (twice is harmless).
  if (own && it->second.flight != nullptr) {
    it->second.own_in_flight.insert(it->second.own_in_flight.end(), changes.begin(), changes.end());
  }
  if (it->second.snapshot == nullptr) return;
  ApplyTo(it->second, changes);
  Shrink();
  if (listener_) listener_(trip, &changes);
}

void SnapshotCache::Invalidate(const storage::TripRef& trip) {
  auto it = entries_.find(Key(trip));
  if (it == entries_.end()) return;
  if (it->second.flight == nullptr) {
    Drop(it);  // nothing left worth keeping
    return;
  }
  Entry& entry = it->second;
  entry.snapshot.reset();
  entry.feed_trusted = false;
  entry.not_found_until_ms = 0;
  ++entry.generation;
  Recount(entry);
}

void SnapshotCache::OnChanges(const cache::TripKey& trip, std::vector<domain::SeatChange> changes) {
  auto it = entries_.find(Key({trip.organization_id, trip.trip_id}));
  if (it == entries_.end() || it->second.snapshot == nullptr) return;
  ApplyTo(it->second, changes);
  service_stats_.feed_changes_applied += changes.size();
  Shrink();
  if (listener_) listener_({trip.organization_id, trip.trip_id}, &changes);
}

void SnapshotCache::OnGap(const cache::TripKey& trip) {
  ++service_stats_.feed_gaps;
  auto it = entries_.find(Key({trip.organization_id, trip.trip_id}));
  if (it == entries_.end()) return;
  it->second.feed_trusted = false;
  ++it->second.feed_epoch;
}

void SnapshotCache::OnFeedLost() {
  ++service_stats_.feed_losses;
  ++feed_epoch_;
  for (auto& [key, entry] : entries_) entry.feed_trusted = false;
}

asio::awaitable<absl::StatusOr<cache::FeedPosition>> SnapshotCache::FeedPosition(const storage::TripRef& trip) {
  if (feed_ == nullptr) co_return absl::UnavailableError("no change feed");
  cache::TripKey key{trip.organization_id, trip.trip_id};
  co_return co_await feed_->Position(std::move(key));
}

void SnapshotCache::Follow(const storage::TripRef& trip, const absl::StatusOr<cache::FeedPosition>& position) {
  if (feed_ == nullptr || !position.ok()) return;
  feed_->Follow(cache::TripKey{trip.organization_id, trip.trip_id}, *position);
}

asio::awaitable<void> SnapshotCache::Seed(storage::TripRef trip, std::shared_ptr<domain::TripSnapshot> snapshot) {
  const std::string key = Key(trip);
  // The trip exists now: forget at once that it did not.
  if (auto it = entries_.find(key); it != entries_.end() && it->second.not_found_until_ms != 0) {
    it->second.not_found_until_ms = 0;
    Recount(it->second);
  }
  if (!options_.enabled || options_.ttl.count() <= 0) co_return;
  const uint64_t epoch = feed_epoch_;
  absl::StatusOr<cache::FeedPosition> position = co_await FeedPosition(trip);
  Entry& entry = Slot(trip, key);
  ++entry.generation;
  snapshot->seat_known_at_ms.assign(snapshot->trip.seats.size(), snapshot->loaded_at_ms);
  entry.snapshot = std::move(snapshot);
  entry.snapshot_bytes = entry.snapshot->EstimatedBytes();
  entry.loaded_at_ms = entry.snapshot->loaded_at_ms;
  entry.feed_trusted = position.ok() && epoch == feed_epoch_;
  entry.not_found_until_ms = 0;
  Touch(entry);
  Recount(entry);
  Follow(trip, position);
  Shrink();
  if (listener_) listener_(trip, nullptr);
}

asio::awaitable<absl::StatusOr<SnapshotCache::SnapshotPtr>> SnapshotCache::Get(storage::TripRef trip) {
  if (!options_.enabled) {
    ++stats_.misses;
    ++stats_.loads;
    absl::StatusOr<std::shared_ptr<domain::TripSnapshot>> loaded = co_await store_.LoadSnapshot(std::move(trip));
    if (!loaded.ok()) co_return loaded.status();
    co_return SnapshotPtr(std::move(*loaded));
  }
  const std::string key = Key(trip);
  const int64_t now = clock_();
  if (auto it = entries_.find(key); it != entries_.end()) {
    Entry& cached = it->second;
    if (options_.ttl.count() > 0 && cached.snapshot != nullptr && now - cached.loaded_at_ms < options_.ttl.count()) {
      ++stats_.hits;
      Touch(cached);
      co_return cached.snapshot;
    }
    if (now < cached.not_found_until_ms) {
      ++stats_.not_found_hits;
      Touch(cached);
      co_return cached.not_found;
    }
    // Older than ttl but kept honest by the feed: answered at once while one
    // reload runs in the background, so that a storm of reads never waits
    // for a big trip's load.
    if (options_.ttl.count() > 0 && cached.snapshot != nullptr && cached.feed_trusted &&
        now - cached.loaded_at_ms < options_.trust_cap.count()) {
      ++stats_.hits;
      ++stats_.stale_hits;
      Touch(cached);
      SnapshotPtr served = cached.snapshot;
      if (cached.flight == nullptr) {
        // Named first: no temporary in a full expression holding a co_await (GCC 12).
        const asio::any_io_executor ex = co_await asio::this_coro::executor;
        asio::awaitable<absl::StatusOr<SnapshotPtr>> reload = Load(trip, key);
        asio::co_spawn(ex, std::move(reload), asio::detached);
      }
      co_return served;
    }
  }
  ++stats_.misses;
  co_return co_await Load(std::move(trip), key);
}

asio::awaitable<absl::StatusOr<SnapshotCache::SnapshotPtr>> SnapshotCache::Load(storage::TripRef trip,
                                                                              std::string key) {
  Entry& entry = Slot(trip, key);
  if (entry.flight != nullptr) {
    // Someone is loading this trip: wait for their result.
    std::shared_ptr<Flight> flight = entry.flight;
    if (!flight->finished) {
      asio::error_code ec;
      co_await flight->done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return flight->result;
  }
  auto flight = std::make_shared<Flight>(co_await asio::this_coro::executor);
  flight->done.expires_at(asio::steady_timer::time_point::max());
  entry.flight = flight;
  if (entry.not_found_until_ms != 0) {  // expired: this load answers anew
    entry.not_found_until_ms = 0;
    Recount(entry);
  }
  const uint64_t generation = entry.generation;
  const uint64_t trip_epoch = entry.feed_epoch;
  const uint64_t epoch = feed_epoch_;
  ++stats_.loads;
  const int64_t started = clock_();
  // The feed position first: every change after it is delivered once followed.
  absl::StatusOr<cache::FeedPosition> position = co_await FeedPosition(trip);
  absl::StatusOr<std::shared_ptr<domain::TripSnapshot>> loaded = co_await store_.LoadSnapshot(trip);
  // The entry is still there: one with a flight is never erased.
  auto it = entries_.find(key);
  Entry& after = it->second;
  after.flight.reset();
  const bool current = after.generation == generation;
  if (loaded.ok() && options_.ttl.count() > 0 && current) {
    (*loaded)->seat_known_at_ms.assign((*loaded)->trip.seats.size(), started);
    after.snapshot = *loaded;
    after.snapshot_bytes = after.snapshot->EstimatedBytes();
    after.loaded_at_ms = started;
    after.feed_trusted = position.ok() && epoch == feed_epoch_ && trip_epoch == after.feed_epoch;
    after.not_found_until_ms = 0;
    if (!after.own_in_flight.empty()) ApplyTo(after, after.own_in_flight);
    Follow(trip, position);
  } else if (absl::IsNotFound(loaded.status()) && options_.not_found_ttl.count() > 0 && current &&
             after.own_in_flight.empty()) {
    after.not_found_until_ms = started + options_.not_found_ttl.count();
    after.not_found = loaded.status();
  }
  after.own_in_flight.clear();
  if (after.snapshot == nullptr && after.not_found_until_ms == 0) {
    Drop(it);  // nothing worth keeping (a failure, or a load not kept)
  } else {
    Touch(after);
    Recount(after);
  }
  Shrink();
  if (listener_ && loaded.ok() && options_.ttl.count() > 0 && current) listener_(trip, nullptr);
  flight->result = loaded.ok() ? absl::StatusOr<SnapshotPtr>(*loaded) : absl::StatusOr<SnapshotPtr>(loaded.status());
  flight->finished = true;
  flight->done.cancel();
  co_return flight->result;
}

}  // namespace inventory::service
