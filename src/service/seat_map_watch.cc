#include "service/seat_map_watch.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/seat_map_view.h"

namespace inventory::service {
namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
// How often Run() looks at heartbeats and refreshes at the latest.
constexpr std::chrono::milliseconds kTick{250};

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

SeatMapWatch::SeatMapWatch(SnapshotCache& cache, const ClockGuard& clock, SeatMapWatchOptions options)
    : cache_(cache), clock_(clock), options_(options) {}

SeatMapWatch::~SeatMapWatch() = default;

std::string SeatMapWatch::TripKeyOf(const storage::TripRef& trip) {
  return absl::StrCat(trip.organization_id.size(), ":", trip.organization_id, trip.trip_id);
}

absl::Status SeatMapWatch::Add(const storage::TripRef& trip, domain::SegmentRange range,
                               SnapshotCache::SnapshotPtr snapshot, std::shared_ptr<SeatMapWatcher> watcher) {
  if (stopping_) return absl::UnavailableError("the instance is stopping: watch on another");
  if (stats_.watchers >= options_.max_watchers) {
    ++stats_.refused;
    return absl::ResourceExhaustedError(
        absl::StrCat("this instance serves its limit of ", options_.max_watchers, " seat-map watchers"));
  }
  TopicPtr& slot = trips_[TripKeyOf(trip)][{range.first, range.last}];
  if (slot == nullptr) {
    slot = std::make_shared<Topic>();
    slot->trip = trip;
    slot->range = range;
    slot->snapshot = std::move(snapshot);
    slot->last_sent_ms = SteadyMs();
    ++stats_.topics;
  }
  Topic& topic = *slot;
  // Whatever changed since the topic last looked goes to its watchers
  // first; the new watcher's full map shows the state after it.
  std::shared_ptr<const std::string> full = FullMap(topic, v1::FULL_MAP_REASON_START);
  ++stats_.full_maps_start;
  ++stats_.deliveries;
  if (watcher->Send(full) == 0) return absl::OkStatus();  // already gone
  watcher_topics_[watcher.get()] = slot;
  topic.watchers.push_back(std::move(watcher));
  ++stats_.added;
  ++stats_.watchers;
  return absl::OkStatus();
}

void SeatMapWatch::Remove(const SeatMapWatcher* watcher) {
  auto it = watcher_topics_.find(watcher);
  if (it == watcher_topics_.end()) return;
  TopicPtr topic = it->second;
  for (size_t i = 0; i < topic->watchers.size(); ++i) {
    if (topic->watchers[i].get() == watcher) {
      ForgetWatcher(*topic, i);
      break;
    }
  }
  DropTopicIfIdle(topic);
}

void SeatMapWatch::ForgetWatcher(Topic& topic, size_t index) {
  watcher_topics_.erase(topic.watchers[index].get());
  topic.watchers[index] = std::move(topic.watchers.back());
  topic.watchers.pop_back();
  --stats_.watchers;
}

void SeatMapWatch::DropTopicIfIdle(const TopicPtr& topic) {
  if (!topic->watchers.empty()) return;
  auto trip = trips_.find(TripKeyOf(topic->trip));
  if (trip == trips_.end()) return;
  auto it = trip->second.find({topic->range.first, topic->range.last});
  if (it == trip->second.end() || it->second != topic) return;
  trip->second.erase(it);
  --stats_.topics;
  if (trip->second.empty()) {
    refreshed_at_.erase(trip->first);
    trips_.erase(trip);
  }
}

void SeatMapWatch::OnSnapshotChanged(const storage::TripRef& trip, const std::vector<domain::SeatChange>* changes) {
  // Called for every change the cache applies: nothing to build while nobody watches.
  if (trips_.empty()) return;
  auto it = trips_.find(TripKeyOf(trip));
  if (it == trips_.end()) return;
  for (auto& [range, topic] : it->second) {
    if (changes != nullptr && topic->snapshot != nullptr) {
      for (const domain::SeatChange& c : *changes) {
        // A change outside the journey cannot change a status over it.
        if (c.range.last < topic->range.first || c.range.first > topic->range.last) continue;
        if (int index = topic->snapshot->SeatIndex(c.seat_id); index >= 0) topic->dirty.insert(index);
      }
      Compare(*topic, false);
    } else {
      Compare(*topic, true);
    }
  }
}

void SeatMapWatch::Compare(Topic& topic, bool all) {
  // The cache's copy is the one kept up to date; a topic whose trip is not
  // cached keeps comparing with the copy it has until a refresh.
  SnapshotCache::Peeked peeked = cache_.Peek(topic.trip);
  if (peeked.snapshot != nullptr && peeked.snapshot != topic.snapshot) {
    Adopt(topic, std::move(peeked.snapshot));
    all = true;
  }
  if (topic.snapshot == nullptr) return;
  const domain::TripSnapshot& t = *topic.snapshot;
  if (topic.published.size() != t.trip.seats.size()) {
    topic.published.assign(t.trip.seats.size(), Published{});
    all = true;
  }
  all = all || topic.dirty_all;
  const int64_t now = clock_.ReclaimNow();
  v1::SeatMapEvent event;
  v1::SeatChanges* changes = event.mutable_changes();
  auto compare = [&](size_t i) {
    ++stats_.seats_compared;
    const domain::JourneyStatus js = domain::StatusOver(t.states[i], topic.range, now);
    const int64_t expires = js.status == domain::SeatStatus::kHeld ? js.hold_expires_at_ms : 0;
    Published& p = topic.published[i];
    if (p.status == js.status && p.expires_at_ms == expires) return;
    p.status = js.status;
    p.expires_at_ms = expires;
    v1::SeatStatusChange* c = changes->add_seats();
    c->set_seat_id(t.trip.seats[i].seat_id);
    c->set_status(SeatStatusToProto(js.status));
    if (expires != 0) {
      c->set_hold_expires_at(expires / 1000);
      c->set_hold_expires_at_ms(expires);
    }
  };
  if (all) {
    int64_t next = kNever;
    for (size_t i = 0; i < t.trip.seats.size(); ++i) {
      compare(i);
      next = std::min(next, NextExpiry(t.states[i], topic.range, now));
    }
    topic.next_expiry_ms = next;
  } else {
    for (int index : topic.dirty) {
      if (static_cast<size_t>(index) >= t.trip.seats.size()) continue;
      compare(static_cast<size_t>(index));
      topic.next_expiry_ms =
          std::min(topic.next_expiry_ms, NextExpiry(t.states[static_cast<size_t>(index)], topic.range, now));
    }
  }
  topic.dirty.clear();
  topic.dirty_all = false;
  if (changes->seats_size() == 0) return;
  ++topic.version;
  ++stats_.change_events;
  stats_.seat_changes += static_cast<uint64_t>(changes->seats_size());
  Publish(topic, Serialize(topic, event));
}

void SeatMapWatch::Adopt(Topic& topic, SnapshotCache::SnapshotPtr snapshot) {
  // Seats may be in another order in a new copy: carry over by seat id.
  std::vector<Published> published(snapshot->trip.seats.size());
  if (topic.snapshot != nullptr) {
    for (size_t i = 0; i < published.size(); ++i) {
      const int old = topic.snapshot->SeatIndex(snapshot->trip.seats[i].seat_id);
      if (old >= 0 && static_cast<size_t>(old) < topic.published.size()) {
        published[i] = topic.published[static_cast<size_t>(old)];
      }
    }
  }
  topic.snapshot = std::move(snapshot);
  topic.published = std::move(published);
  topic.dirty.clear();
  topic.dirty_all = true;
}

std::shared_ptr<const std::string> SeatMapWatch::Serialize(Topic& topic, v1::SeatMapEvent& event) {
  event.set_version(topic.version);
  event.set_sent_at_ms(WallMs());
  topic.last_sent_ms = SteadyMs();
  return std::make_shared<const std::string>(event.SerializeAsString());
}

std::shared_ptr<const std::string> SeatMapWatch::FullMap(Topic& topic, v1::FullMapReason reason) {
  Compare(topic, true);
  if (topic.full_map != nullptr && topic.full_map_version == topic.version && topic.full_map_reason == reason) {
    return topic.full_map;
  }
  v1::SeatMapEvent event;
  if (topic.snapshot != nullptr) {
    int64_t valid_until = 0;
    *event.mutable_full_map() = BuildSeatMap(*topic.snapshot, topic.range, clock_.ReclaimNow(), &valid_until);
  } else {
    event.mutable_full_map();
  }
  event.set_full_map_reason(reason);
  topic.full_map = Serialize(topic, event);
  topic.full_map_version = topic.version;
  topic.full_map_reason = reason;
  return topic.full_map;
}

void SeatMapWatch::Publish(Topic& topic, const std::shared_ptr<const std::string>& event) {
  std::shared_ptr<const std::string> behind;
  for (size_t i = 0; i < topic.watchers.size();) {
    const size_t waiting = topic.watchers[i]->Send(event);
    ++stats_.deliveries;
    if (waiting == 0) {
      ForgetWatcher(topic, i);  // the last one moved to i
      continue;
    }
    if (waiting > options_.max_behind) {
      if (behind == nullptr) behind = FullMap(topic, v1::FULL_MAP_REASON_BEHIND);
      topic.watchers[i]->Replace(behind);
      ++stats_.full_maps_behind;
    }
    ++i;
  }
}

void SeatMapWatch::PublishFullMap(Topic& topic, v1::FullMapReason reason) {
  std::shared_ptr<const std::string> full = FullMap(topic, reason);
  for (size_t i = 0; i < topic.watchers.size();) {
    // A full map makes whatever is still waiting useless.
    topic.watchers[i]->Replace(full);
    ++stats_.deliveries;
    ++i;
  }
}

std::chrono::milliseconds SeatMapWatch::NextWake() const {
  const int64_t now = clock_.ReclaimNow();
  int64_t wake = kTick.count();
  if (now == 0) return kTick;  // expiry is not decided now
  for (const auto& [key, topics] : trips_) {
    for (const auto& [range, topic] : topics) {
      if (topic->next_expiry_ms == kNever) continue;
      wake = std::min(wake, std::max<int64_t>(0, topic->next_expiry_ms - now + 1));
    }
  }
  return std::chrono::milliseconds(wake);
}

void SeatMapWatch::Tick() {
  const int64_t reclaim_now = clock_.ReclaimNow();
  const int64_t steady = SteadyMs();
  std::vector<storage::TripRef> to_refresh;
  for (auto& [key, topics] : trips_) {
    bool refresh_due = false;
    for (auto& [range, topic] : topics) {
      if (reclaim_now != 0 && topic->next_expiry_ms <= reclaim_now) Compare(*topic, true);
      const SnapshotCache::Peeked peeked = cache_.Peek(topic->trip);
      if (peeked.snapshot == nullptr || !peeked.feed_trusted) refresh_due = true;
      if (steady - topic->last_sent_ms >= options_.heartbeat.count()) {
        v1::SeatMapEvent event;
        event.mutable_heartbeat();
        std::shared_ptr<const std::string> beat = Serialize(*topic, event);
        ++stats_.heartbeats;
        Publish(*topic, beat);
      }
    }
    if (!refresh_due || refreshing_.contains(key)) continue;
    auto last = refreshed_at_.find(key);
    if (last != refreshed_at_.end() && steady - last->second < options_.refresh.count()) continue;
    refreshed_at_[key] = steady;
    refreshing_.insert(key);
    to_refresh.push_back(topics.begin()->second->trip);
  }
  // Topics whose watchers all went (a watcher found gone while publishing).
  std::vector<TopicPtr> idle;
  for (auto& [key, topics] : trips_) {
    for (auto& [range, topic] : topics) {
      if (topic->watchers.empty()) idle.push_back(topic);
    }
  }
  for (const TopicPtr& topic : idle) DropTopicIfIdle(topic);
  for (storage::TripRef& trip : to_refresh) {
    asio::co_spawn(timer_->get_executor(), Refresh(std::move(trip)), asio::detached);
  }
}

asio::awaitable<void> SeatMapWatch::Refresh(storage::TripRef trip) {
  const std::string key = TripKeyOf(trip);
  ++stats_.refreshes;
  // A copy the feed does not keep up to date is read again.
  cache_.Invalidate(trip);
  absl::StatusOr<SnapshotCache::SnapshotPtr> loaded = co_await cache_.Get(trip);
  refreshing_.erase(key);
  if (!loaded.ok() || stopping_) co_return;  // the next tick tries again
  auto it = trips_.find(key);
  if (it == trips_.end()) co_return;
  // Redis answering again, the reload follows the feed: what changed is
  // published as changes. Otherwise other instances' changes may still be
  // missed: the watchers get the map as the database has it.
  const SnapshotCache::Peeked peeked = cache_.Peek(trip);
  for (auto& [range, topic] : it->second) {
    if (peeked.snapshot == nullptr) Adopt(*topic, *loaded);  // not cached: compare with this copy
    if (peeked.snapshot != nullptr && peeked.feed_trusted) {
      Compare(*topic, true);
    } else {
      PublishFullMap(*topic, v1::FULL_MAP_REASON_REFRESH);
      ++stats_.full_maps_refresh;
    }
  }
}

asio::awaitable<void> SeatMapWatch::Run() {
  timer_ = std::make_unique<asio::steady_timer>(co_await asio::this_coro::executor);
  while (!stopping_) {
    timer_->expires_after(NextWake());
    asio::error_code ec;
    co_await timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopping_) break;
    Tick();
  }
}

void SeatMapWatch::Stop() {
  stopping_ = true;
  const absl::Status bye = absl::UnavailableError("the instance is stopping: watch again");
  for (auto& [key, topics] : trips_) {
    for (auto& [range, topic] : topics) {
      for (const std::shared_ptr<SeatMapWatcher>& w : topic->watchers) w->End(bye);
      stats_.watchers -= topic->watchers.size();
      topic->watchers.clear();
    }
  }
  trips_.clear();
  watcher_topics_.clear();
  stats_.topics = 0;
  if (timer_ != nullptr) timer_->cancel();
}

}  // namespace inventory::service
