#include "delivery_tracker.h"

namespace inventory::load {

DeliveryTracker::DeliveryTracker(int seats, int watchers) : watchers_(watchers) {
  for (int i = 0; i < seats; ++i) {
    auto seat = std::make_unique<Seat>();
    seat->passed.assign(static_cast<size_t>(watchers), 0);
    seats_.push_back(std::move(seat));
  }
  for (int i = 0; i < kStripes; ++i) stripes_.push_back(std::make_unique<Stripe>());
}

int32_t DeliveryTracker::Begin(int seat, inventory::v1::SeatStatus status, Clock::time_point at) {
  Seat& s = *seats_[static_cast<size_t>(seat)];
  std::lock_guard lock(s.mu);
  Change change;
  change.target = status;
  change.sent_at = at;
  s.changes.push_back(std::move(change));
  return static_cast<int32_t>(s.changes.size() - 1);
}

void DeliveryTracker::Answered(int seat, int32_t change, Clock::time_point at) {
  std::vector<std::pair<int, Clock::time_point>> early;
  Clock::time_point sent_at;
  {
    Seat& s = *seats_[static_cast<size_t>(seat)];
    std::lock_guard lock(s.mu);
    Change& c = s.changes[static_cast<size_t>(change)];
    c.answered = true;
    c.answered_at = at;
    sent_at = c.sent_at;
    early.swap(c.early);
  }
  for (const auto& [watcher, seen_at] : early) Record(watcher, seen_at - at, seen_at - sent_at, true);
}

void DeliveryTracker::Abandon(int seat, int32_t change) {
  Seat& s = *seats_[static_cast<size_t>(seat)];
  std::lock_guard lock(s.mu);
  Change& c = s.changes[static_cast<size_t>(change)];
  c.abandoned = true;
  c.early.clear();
}

void DeliveryTracker::Observe(int watcher, int seat, inventory::v1::SeatStatus status, Clock::time_point at,
                              Match match) {
  if (seat < 0 || static_cast<size_t>(seat) >= seats_.size() || watcher < 0 || watcher >= watchers_) return;
  Seat& s = *seats_[static_cast<size_t>(seat)];
  std::chrono::nanoseconds latency{0};
  std::chrono::nanoseconds from_send{0};
  {
    std::lock_guard lock(s.mu);
    int32_t& passed = s.passed[static_cast<size_t>(watcher)];
    const auto count = static_cast<int32_t>(s.changes.size());
    int32_t i = count;
    for (int32_t j = passed; j < count; ++j) {
      const Change& candidate = s.changes[static_cast<size_t>(j)];
      // A failed change is no candidate: the seat's next change may have its target.
      if (candidate.target != status || candidate.abandoned) continue;
      i = j;
      if (match == Match::kOldest) break;
    }
    if (i == count) return;  // not a change this watcher is waiting for (e.g. the state it already shows)
    passed = i + 1;
    Change& c = s.changes[static_cast<size_t>(i)];
    if (!c.answered) {
      c.early.emplace_back(watcher, at);
      return;
    }
    latency = at - c.answered_at;
    from_send = at - c.sent_at;
  }
  Record(watcher, latency, from_send, false);
}

void DeliveryTracker::Record(int watcher, std::chrono::nanoseconds latency, std::chrono::nanoseconds from_send,
                             bool early) {
  Stripe& stripe = *stripes_[static_cast<size_t>(watcher % kStripes)];
  std::lock_guard lock(stripe.mu);
  stripe.latency.Record(latency.count() < 0 ? std::chrono::nanoseconds{0} : latency);
  stripe.latency_from_send.Record(from_send);
  if (early) ++stripe.early;
}

DeliveryTracker::Totals DeliveryTracker::Take() const {
  Totals totals;
  for (const auto& seat : seats_) {
    std::lock_guard lock(seat->mu);
    for (const Change& c : seat->changes) {
      if (c.answered) ++totals.answered;
      if (c.abandoned) ++totals.abandoned;
    }
  }
  totals.expected = totals.answered * watchers_;
  for (const auto& stripe : stripes_) {
    std::lock_guard lock(stripe->mu);
    totals.latency.Merge(stripe->latency);
    totals.latency_from_send.Merge(stripe->latency_from_send);
    totals.early += stripe->early;
  }
  totals.delivered = static_cast<int64_t>(totals.latency.count());
  return totals;
}

}  // namespace inventory::load
