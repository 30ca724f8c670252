#include "service/seat_announcer.h"

#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "cache/change_codec.h"

namespace inventory::service {

using domain::SeatChange;

SeatAnnouncer::SeatAnnouncer(SnapshotCache& cache, cache::EdgeGuard* edge, AnnouncerOptions options, Clock clock,
                             ServiceStats& stats)
    : cache_(cache), edge_(edge), options_(options), clock_(std::move(clock)), stats_(stats) {}

cache::Announcement SeatAnnouncer::Build(const std::vector<SeatChange>& changes,
                                         const std::vector<SeatChange>& facts) const {
  cache::Announcement a;
  const int64_t booked_until = clock_() + options_.booked_marker.count();
  auto mark = [&](const SeatChange& c) {
    for (int s = c.range.first; s <= c.range.last; ++s) {
      cache::SeatSegment at{c.seat_id, s};
      switch (c.kind) {
        case SeatChange::Kind::kHeld:
          a.markers.push_back({at, false, c.user_id, c.owner_id, c.expires_at_ms});
          break;
        case SeatChange::Kind::kBooked:
          a.markers.push_back({at, true, c.user_id, c.owner_id, booked_until});
          break;
        case SeatChange::Kind::kFreed:
          a.unmarks.push_back({at, c.owner_id});
          if (!c.previous_owner_id.empty()) a.unmarks.push_back({at, c.previous_owner_id});
          break;
        case SeatChange::Kind::kBlocked:
        case SeatChange::Kind::kUnblocked:
          break;  // blocks are refused by the database and the seat map, not by markers
      }
    }
  };
  for (const SeatChange& c : changes) mark(c);
  for (const SeatChange& c : facts) mark(c);
  if (!changes.empty()) a.change = cache::EncodeChanges(changes);
  return a;
}

asio::awaitable<void> SeatAnnouncer::Announce(storage::TripRef trip, std::vector<SeatChange> changes,
                                              std::vector<SeatChange> facts, EdgeLease lease) {
  cache_.Apply(trip, changes, /*own=*/true);
  cache_.Apply(trip, facts, /*own=*/false);
  if (edge_ == nullptr) co_return;
  cache::Announcement a = Build(changes, facts);
  const bool news = !a.markers.empty() || !a.unmarks.empty() || !a.change.empty();
  if (!news && lease.cells.empty()) co_return;
  a.locked = std::move(lease.cells);
  a.token = std::move(lease.token);
  cache::TripKey key{trip.organization_id, trip.trip_id};
  absl::Status told = co_await edge_->Announce(key, std::move(a));
  if (told.ok()) {
    ++stats_.announcements_sent;
    co_return;
  }
  if (!news) co_return;  // only pre-locks: they expire by themselves
  ++stats_.announcements_failed;
  if (queue_.size() >= options_.max_queued) {
    queue_.pop_front();
    ++stats_.announcements_dropped;
  }
  // Queued without the lease: pre-locks expire by themselves.
  queue_.push_back({++queued_seq_, std::move(key), Build(changes, facts)});
  stats_.announcements_queued = queue_.size();
}

asio::awaitable<void> SeatAnnouncer::SendQueued() {
  if (sending_) co_return;
  sending_ = true;
  while (!queue_.empty() && edge_ != nullptr) {
    Pending next = queue_.front();
    absl::Status told = co_await edge_->Announce(next.trip, next.announcement);
    if (!told.ok()) break;  // Redis still away: keep the order, try later
    // The queue may have dropped it meanwhile (full): pop it only if still there.
    if (!queue_.empty() && queue_.front().seq == next.seq) queue_.pop_front();
    ++stats_.announcements_retried;
  }
  stats_.announcements_queued = queue_.size();
  sending_ = false;
}

asio::awaitable<void> SeatAnnouncer::Run() {
  timer_ = std::make_unique<asio::steady_timer>(co_await asio::this_coro::executor);
  while (!stopping_) {
    timer_->expires_after(options_.retry_interval);
    asio::error_code ec;
    co_await timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!stopping_) co_await SendQueued();
  }
}

void SeatAnnouncer::Stop() {
  stopping_ = true;
  if (timer_ != nullptr) timer_->cancel();
}

}  // namespace inventory::service
