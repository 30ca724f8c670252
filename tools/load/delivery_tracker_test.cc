#include "delivery_tracker.h"

#include <gtest/gtest.h>

namespace inventory::load {
namespace {

using namespace std::chrono_literals;
namespace v1 = inventory::v1;
using Clock = DeliveryTracker::Clock;

TEST(DeliveryTrackerTest, TimesEachWatcherFromTheAnswer) {
  DeliveryTracker tracker(/*seats=*/2, /*watchers=*/2);
  const Clock::time_point t0 = Clock::now();
  const int32_t c = tracker.Begin(1, v1::SEAT_STATUS_HELD, t0 - 2ms);
  tracker.Answered(1, c, t0);
  tracker.Observe(0, 1, v1::SEAT_STATUS_HELD, t0 + 3ms);
  tracker.Observe(1, 1, v1::SEAT_STATUS_HELD, t0 + 7ms);
  // The same status again is not a new delivery.
  tracker.Observe(1, 1, v1::SEAT_STATUS_HELD, t0 + 9ms);
  const DeliveryTracker::Totals totals = tracker.Take();
  EXPECT_EQ(totals.answered, 1);
  EXPECT_EQ(totals.expected, 2);
  EXPECT_EQ(totals.delivered, 2);
  EXPECT_EQ(totals.early, 0);
  EXPECT_EQ(totals.latency.min_micros(), 3000);
  EXPECT_EQ(totals.latency.max_micros(), 7000);
  EXPECT_EQ(totals.latency_from_send.min_micros(), 5000);
  EXPECT_EQ(totals.latency_from_send.max_micros(), 9000);
}

TEST(DeliveryTrackerTest, ASightingBeforeTheAnswerCountsAsZero) {
  DeliveryTracker tracker(1, 1);
  const Clock::time_point t0 = Clock::now();
  const int32_t c = tracker.Begin(0, v1::SEAT_STATUS_BOOKED, t0 - 1ms);
  tracker.Observe(0, 0, v1::SEAT_STATUS_BOOKED, t0);
  EXPECT_EQ(tracker.Take().delivered, 0);  // not answered yet
  tracker.Answered(0, c, t0 + 5ms);
  const DeliveryTracker::Totals totals = tracker.Take();
  EXPECT_EQ(totals.delivered, 1);
  EXPECT_EQ(totals.early, 1);
  EXPECT_EQ(totals.latency.max_micros(), 0);
  EXPECT_EQ(totals.latency_from_send.max_micros(), 1000);
}

TEST(DeliveryTrackerTest, ChangesFoldedIntoALaterStateAreNotTimed) {
  DeliveryTracker tracker(1, 1);
  const Clock::time_point t0 = Clock::now();
  tracker.Answered(0, tracker.Begin(0, v1::SEAT_STATUS_HELD), t0);
  tracker.Answered(0, tracker.Begin(0, v1::SEAT_STATUS_AVAILABLE), t0 + 1ms);
  const int32_t third = tracker.Begin(0, v1::SEAT_STATUS_HELD);
  tracker.Answered(0, third, t0 + 2ms);
  // A full map shows the watcher only the last state: it matches the third
  // change, and the first two are folded.
  tracker.Observe(0, 0, v1::SEAT_STATUS_HELD, t0 + 10ms, DeliveryTracker::Match::kNewest);
  DeliveryTracker::Totals totals = tracker.Take();
  EXPECT_EQ(totals.expected, 3);
  EXPECT_EQ(totals.delivered, 1);
  EXPECT_EQ(totals.latency.max_micros(), 8000);
  // Nothing it has passed can be matched again.
  tracker.Observe(0, 0, v1::SEAT_STATUS_AVAILABLE, t0 + 11ms);
  tracker.Observe(0, 0, v1::SEAT_STATUS_HELD, t0 + 12ms);
  EXPECT_EQ(tracker.Take().delivered, 1);
}

TEST(DeliveryTrackerTest, AChangeEventMatchesTheOldestChangeNotPassed) {
  DeliveryTracker tracker(1, 1);
  const Clock::time_point t0 = Clock::now();
  tracker.Answered(0, tracker.Begin(0, v1::SEAT_STATUS_HELD), t0);
  tracker.Answered(0, tracker.Begin(0, v1::SEAT_STATUS_AVAILABLE), t0 + 1ms);
  tracker.Answered(0, tracker.Begin(0, v1::SEAT_STATUS_HELD), t0 + 2ms);
  tracker.Observe(0, 0, v1::SEAT_STATUS_HELD, t0 + 4ms);
  tracker.Observe(0, 0, v1::SEAT_STATUS_AVAILABLE, t0 + 5ms);
  tracker.Observe(0, 0, v1::SEAT_STATUS_HELD, t0 + 6ms);
  const DeliveryTracker::Totals totals = tracker.Take();
  EXPECT_EQ(totals.delivered, 3);
  EXPECT_EQ(totals.latency.min_micros(), 4000);
  EXPECT_EQ(totals.latency.max_micros(), 4000);
}

TEST(DeliveryTrackerTest, AnAbandonedChangeIsNeitherExpectedNorTimed) {
  DeliveryTracker tracker(1, 1);
  const Clock::time_point t0 = Clock::now();
  const int32_t c = tracker.Begin(0, v1::SEAT_STATUS_HELD);
  tracker.Observe(0, 0, v1::SEAT_STATUS_HELD, t0);
  tracker.Abandon(0, c);
  tracker.Observe(0, 0, v1::SEAT_STATUS_HELD, t0 + 1ms);
  const DeliveryTracker::Totals totals = tracker.Take();
  EXPECT_EQ(totals.answered, 0);
  EXPECT_EQ(totals.abandoned, 1);
  EXPECT_EQ(totals.expected, 0);
  EXPECT_EQ(totals.delivered, 0);
}

TEST(DeliveryTrackerTest, AFailedChangeIsNotMatchedInsteadOfTheNextOne) {
  // A hold turned away, then the same hold again: the watcher's sighting
  // belongs to the second.
  DeliveryTracker tracker(1, 1);
  const Clock::time_point t0 = Clock::now();
  tracker.Abandon(0, tracker.Begin(0, v1::SEAT_STATUS_HELD, t0));
  const int32_t again = tracker.Begin(0, v1::SEAT_STATUS_HELD, t0 + 1ms);
  tracker.Answered(0, again, t0 + 2ms);
  tracker.Observe(0, 0, v1::SEAT_STATUS_HELD, t0 + 5ms);
  const DeliveryTracker::Totals totals = tracker.Take();
  EXPECT_EQ(totals.expected, 1);
  EXPECT_EQ(totals.delivered, 1);
  EXPECT_EQ(totals.latency.max_micros(), 3000);
}

TEST(DeliveryTrackerTest, IgnoresIndexesOutOfRange) {
  DeliveryTracker tracker(1, 1);
  tracker.Observe(5, 0, v1::SEAT_STATUS_HELD, Clock::now());
  tracker.Observe(0, 5, v1::SEAT_STATUS_HELD, Clock::now());
  EXPECT_EQ(tracker.Take().delivered, 0);
}

}  // namespace
}  // namespace inventory::load
