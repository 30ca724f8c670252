#include "service/snapshot_cache.h"

#include <algorithm>

#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "absl/strings/str_cat.h"

namespace inventory::service {

SnapshotCache::SnapshotCache(storage::SeatStore& store, cache::ChangeFeed* feed, SnapshotCacheOptions options,
                             Clock clock, ServiceStats& stats)
    : store_(store), feed_(feed), options_(options), clock_(std::move(clock)), service_stats_(stats) {}

std::string SnapshotCache::Key(const storage::TripRef& trip) {
  return absl::StrCat(trip.organization_id.size(), ":", trip.organization_id, trip.trip_id);
}

SnapshotCache::Peeked SnapshotCache::Peek(const storage::TripRef& trip) const {
  auto it = entries_.find(Key(trip));
  if (it == entries_.end() || it->second.snapshot == nullptr) return {};
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
  if (snapshot.seat_known_at_ms.size() != snapshot.trip.seats.size()) {
    snapshot.seat_known_at_ms.assign(snapshot.trip.seats.size(), snapshot.loaded_at_ms);
  }
  bool changed = false;
  for (const domain::SeatChange& c : changes) {
    const int index = snapshot.SeatIndex(c.seat_id);
    if (index < 0) continue;
    changed = domain::ApplySeatChange(snapshot.states[static_cast<size_t>(index)], c, snapshot.ended_owners) || changed;
    snapshot.seat_known_at_ms[static_cast<size_t>(index)] = now;
  }
  if (changed) ++snapshot.version;
}

void SnapshotCache::Apply(const storage::TripRef& trip, const std::vector<domain::SeatChange>& changes, bool own) {
  if (changes.empty()) return;
  auto it = entries_.find(Key(trip));
  if (it == entries_.end()) return;
  if (own) ++it->second.generation;
  if (it->second.snapshot != nullptr) ApplyTo(it->second, changes);
}

void SnapshotCache::Invalidate(const storage::TripRef& trip) {
  auto it = entries_.find(Key(trip));
  if (it == entries_.end()) return;
  it->second.snapshot.reset();
  it->second.feed_trusted = false;
  ++it->second.generation;
}

void SnapshotCache::OnChanges(const cache::TripKey& trip, std::vector<domain::SeatChange> changes) {
  auto it = entries_.find(Key({trip.organization_id, trip.trip_id}));
  if (it == entries_.end() || it->second.snapshot == nullptr) return;
  ApplyTo(it->second, changes);
  service_stats_.feed_changes_applied += changes.size();
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
  if (!options_.enabled || options_.ttl.count() <= 0) co_return;
  const uint64_t epoch = feed_epoch_;
  absl::StatusOr<cache::FeedPosition> position = co_await FeedPosition(trip);
  Entry& entry = entries_[Key(trip)];
  ++entry.generation;
  snapshot->seat_known_at_ms.assign(snapshot->trip.seats.size(), snapshot->loaded_at_ms);
  entry.snapshot = std::move(snapshot);
  entry.loaded_at_ms = entry.snapshot->loaded_at_ms;
  entry.feed_trusted = position.ok() && epoch == feed_epoch_;
  Follow(trip, position);
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
  Entry& entry = entries_[key];
  const int64_t now = clock_();
  if (options_.ttl.count() > 0 && entry.snapshot != nullptr && now - entry.loaded_at_ms < options_.ttl.count()) {
    ++stats_.hits;
    co_return entry.snapshot;
  }
  ++stats_.misses;
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
  const uint64_t generation = entry.generation;
  const uint64_t trip_epoch = entry.feed_epoch;
  const uint64_t epoch = feed_epoch_;
  ++stats_.loads;
  const int64_t started = clock_();
  // The feed position first: every change after it is delivered once followed.
  absl::StatusOr<cache::FeedPosition> position = co_await FeedPosition(trip);
  absl::StatusOr<std::shared_ptr<domain::TripSnapshot>> loaded = co_await store_.LoadSnapshot(trip);
  // std::map nodes are stable, but the entry is looked up again for clarity.
  Entry& after = entries_[key];
  after.flight.reset();
  if (loaded.ok() && options_.ttl.count() > 0 && after.generation == generation) {
    (*loaded)->seat_known_at_ms.assign((*loaded)->trip.seats.size(), started);
    after.snapshot = *loaded;
    after.loaded_at_ms = started;
    after.feed_trusted = position.ok() && epoch == feed_epoch_ && trip_epoch == after.feed_epoch;
    Follow(trip, position);
  }
  flight->result = loaded.ok() ? absl::StatusOr<SnapshotPtr>(*loaded) : absl::StatusOr<SnapshotPtr>(loaded.status());
  flight->finished = true;
  flight->done.cancel();
  co_return flight->result;
}

}  // namespace inventory::service
