#include "service/clock_guard.h"

#include <gtest/gtest.h>

namespace inventory::service {
namespace {

class ClockGuardTest : public ::testing::Test {
 protected:
  int64_t now_ = 1'000'000;
  ClockGuard guard_{[this] { return now_; }, 1000, 30000};
};

TEST_F(ClockGuardTest, NothingIsReclaimableUntilTheSkewIsMeasured) {
  EXPECT_FALSE(guard_.ReclaimAllowed());
  EXPECT_EQ(guard_.ReclaimNow(), 0);
  EXPECT_FALSE(guard_.skew_ms().has_value());
}

TEST_F(ClockGuardTest, WithinToleranceReclaimsOnlyAToleranceLate) {
  // The database is 300 ms behind us; a 20 ms round trip.
  EXPECT_TRUE(guard_.Record(now_ - 10 - 300, now_ - 20, now_));
  ASSERT_TRUE(guard_.skew_ms().has_value());
  EXPECT_EQ(*guard_.skew_ms(), 300);
  EXPECT_EQ(guard_.uncertainty_ms(), 10);
  EXPECT_TRUE(guard_.ReclaimAllowed());
  EXPECT_EQ(guard_.ReclaimNow(), now_ - 1000);
  // Safety: a hold that expires at E is reclaimed at local E + 1000, i.e. at
  // database time E + 700 — never before E.
}

TEST_F(ClockGuardTest, BeyondToleranceInEitherDirectionReclaimsNothing) {
  guard_.Record(now_ - 1500, now_, now_);  // 1.5 s ahead of the database
  EXPECT_EQ(*guard_.skew_ms(), 1500);
  EXPECT_FALSE(guard_.ReclaimAllowed());
  EXPECT_EQ(guard_.ReclaimNow(), 0);
  EXPECT_TRUE(guard_.Record(now_ + 200, now_, now_));  // back within: allowed again
  EXPECT_TRUE(guard_.ReclaimAllowed());
  EXPECT_TRUE(guard_.Record(now_ + 5000, now_, now_));  // 5 s behind
  EXPECT_FALSE(guard_.ReclaimAllowed());
}

TEST_F(ClockGuardTest, ASlowRoundTripCountsAgainstTheTolerance) {
  // 900 ms skew measured with a 400 ms round trip: could be 1100 ms.
  guard_.Record(now_ - 200 - 900, now_ - 400, now_);
  EXPECT_EQ(*guard_.skew_ms(), 900);
  EXPECT_EQ(guard_.uncertainty_ms(), 200);
  EXPECT_FALSE(guard_.ReclaimAllowed());
}

TEST_F(ClockGuardTest, AnOldMeasurementNoLongerCounts) {
  guard_.Record(now_, now_, now_);
  EXPECT_TRUE(guard_.ReclaimAllowed());
  now_ += 30000;
  EXPECT_TRUE(guard_.ReclaimAllowed());
  now_ += 1;
  EXPECT_FALSE(guard_.ReclaimAllowed());
  EXPECT_EQ(guard_.ReclaimNow(), 0);
}

}  // namespace
}  // namespace inventory::service
