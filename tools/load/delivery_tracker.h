// How long a seat change takes to reach each watcher of a live seat map.
//
// The driver of the changes tells the tracker when it starts a change of a
// seat to a new status (Begin), and when the service answered it (Answered)
// or it failed (Abandon). Each watcher tells it every seat status it is
// shown (Observe). An observation of seat s with status X by watcher w is
// matched with a change of s to X that w has not yet passed: from an
// ordered change event, the oldest such change; from a full map (which
// folds every change before it, e.g. one sent to a slow reader), the newest.
// Changes of s that w passed without a match were folded into a later state
// and are never matched by w.
//
// The delivery latency of (change, watcher) runs from the change's answer
// to the observation; an observation that came before the answer (the
// service tells watchers before its answer reaches the caller) counts as 0.
// The same delivery is also timed from when the change was sent.
//
// Matching is exact only if a seat has at most one change in flight and
// consecutive changes of a seat have different target statuses: the driver
// must not Begin a change of a seat before the previous one was answered or
// abandoned.
//
// Thread-safety: every method may be called from any thread; each seat has
// its own lock and the latency histograms are striped by watcher.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "inventory/v1/inventory.pb.h"
#include "latency_histogram.h"

namespace inventory::load {

class DeliveryTracker {
 public:
  using Clock = std::chrono::steady_clock;

  // `seats` and `watchers` bound the indexes the other methods take.
  DeliveryTracker(int seats, int watchers);
  DeliveryTracker(const DeliveryTracker&) = delete;
  DeliveryTracker& operator=(const DeliveryTracker&) = delete;

  // A change of `seat` to `status` is being sent at `at`; returns its handle.
  // REQUIRES: the seat's previous change was answered or abandoned.
  int32_t Begin(int seat, inventory::v1::SeatStatus status, Clock::time_point at = Clock::now());
  // The service confirmed change `change` of `seat` at `at`.
  void Answered(int seat, int32_t change, Clock::time_point at);
  // Change `change` of `seat` failed or its outcome is unknown: no watcher
  // is expected to see it, and no sighting is matched with it (a later
  // change of the seat to the same status is).
  void Abandon(int seat, int32_t change);

  // How an observation is matched with the changes a watcher has not passed.
  enum class Match { kOldest, kNewest };

  // Watcher `watcher` was shown `seat` with `status` at `at`, by a change
  // event (kOldest) or a full map (kNewest).
  void Observe(int watcher, int seat, inventory::v1::SeatStatus status, Clock::time_point at,
               Match match = Match::kOldest);

  struct Totals {
    int64_t answered = 0;   // changes answered
    int64_t abandoned = 0;  // changes that failed
    // (answered change, watcher) pairs: expected = answered x watchers.
    int64_t expected = 0;
    int64_t delivered = 0;  // matched and timed
    int64_t early = 0;      // of them, seen before the answer (counted as 0)
    LatencyHistogram latency;            // from the answer
    LatencyHistogram latency_from_send;  // from the request's start
  };
  Totals Take() const;

 private:
  struct Change {
    inventory::v1::SeatStatus target = inventory::v1::SEAT_STATUS_UNSPECIFIED;
    bool answered = false;
    bool abandoned = false;
    Clock::time_point sent_at{};
    Clock::time_point answered_at{};
    // Watchers that saw it before its answer, and when.
    std::vector<std::pair<int, Clock::time_point>> early;
  };
  struct Seat {
    std::mutex mu;
    std::vector<Change> changes;
    // Per watcher: how many of `changes` it has passed (matched or skipped).
    std::vector<int32_t> passed;
  };
  struct Stripe {
    std::mutex mu;
    LatencyHistogram latency;
    LatencyHistogram latency_from_send;
    int64_t early = 0;
  };
  static constexpr int kStripes = 8;

  void Record(int watcher, std::chrono::nanoseconds latency, std::chrono::nanoseconds from_send, bool early);

  const int watchers_;
  std::vector<std::unique_ptr<Seat>> seats_;
  mutable std::vector<std::unique_ptr<Stripe>> stripes_;
};

}  // namespace inventory::load
