#include "service/snapshot_cache.h"

#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "absl/strings/str_cat.h"

namespace inventory::service {

SnapshotCache::SnapshotCache(storage::SeatStore& store, std::chrono::milliseconds ttl, bool enabled)
    : store_(store), ttl_(ttl), enabled_(enabled) {}

std::string SnapshotCache::Key(const storage::TripRef& trip) {
  return absl::StrCat(trip.organization_id.size(), ":", trip.organization_id, trip.trip_id);
}

SnapshotCache::Peeked SnapshotCache::Peek(const storage::TripRef& trip) const {
  auto it = entries_.find(Key(trip));
  if (it == entries_.end() || it->second.snapshot == nullptr) return {};
  const bool fresh = std::chrono::steady_clock::now() - it->second.loaded_at < ttl_;
  return {it->second.snapshot, fresh};
}

void SnapshotCache::Update(const storage::TripRef& trip,
                           const std::function<void(domain::TripSnapshot&)>& change) {
  auto it = entries_.find(Key(trip));
  if (it == entries_.end()) return;
  ++it->second.generation;
  if (it->second.snapshot == nullptr) return;
  change(*it->second.snapshot);
  ++it->second.snapshot->version;
}

void SnapshotCache::Seed(const storage::TripRef& trip, std::shared_ptr<domain::TripSnapshot> snapshot) {
  if (!enabled_ || ttl_.count() <= 0) return;
  Entry& entry = entries_[Key(trip)];
  ++entry.generation;
  entry.snapshot = std::move(snapshot);
  entry.loaded_at = std::chrono::steady_clock::now();
}

void SnapshotCache::Invalidate(const storage::TripRef& trip) {
  auto it = entries_.find(Key(trip));
  if (it == entries_.end()) return;
  it->second.snapshot.reset();
  ++it->second.generation;
}

asio::awaitable<absl::StatusOr<SnapshotCache::SnapshotPtr>> SnapshotCache::Get(storage::TripRef trip) {
  if (!enabled_) {
    ++stats_.misses;
    ++stats_.loads;
    absl::StatusOr<std::shared_ptr<domain::TripSnapshot>> loaded = co_await store_.LoadSnapshot(std::move(trip));
    if (!loaded.ok()) co_return loaded.status();
    co_return SnapshotPtr(std::move(*loaded));
  }
  const std::string key = Key(trip);
  Entry& entry = entries_[key];
  const auto now = std::chrono::steady_clock::now();
  if (ttl_.count() > 0 && entry.snapshot != nullptr && now - entry.loaded_at < ttl_) {
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
  ++stats_.loads;
  absl::StatusOr<std::shared_ptr<domain::TripSnapshot>> loaded = co_await store_.LoadSnapshot(trip);
  // std::map nodes are stable, but the entry is looked up again for clarity.
  Entry& after = entries_[key];
  after.flight.reset();
  if (loaded.ok() && ttl_.count() > 0 && after.generation == generation) {
    after.snapshot = *loaded;
    after.loaded_at = std::chrono::steady_clock::now();
  }
  flight->result = loaded.ok() ? absl::StatusOr<SnapshotPtr>(*loaded) : absl::StatusOr<SnapshotPtr>(loaded.status());
  flight->finished = true;
  flight->done.cancel();
  co_return flight->result;
}

}  // namespace inventory::service
