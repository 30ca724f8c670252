#include "metrics/histogram.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace inventory::metrics {
namespace {

using Counts = std::vector<uint64_t>;

TEST(HistogramTest, StartsEmpty) {
  Histogram h({1, 2});
  EXPECT_EQ(h.bounds(), (std::vector<double>{1, 2}));
  EXPECT_EQ(h.counts(), (Counts{0, 0, 0}));
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.sum(), 0);
}

TEST(HistogramTest, ValueEqualToABoundFallsInThatBucket) {
  Histogram h({1, 2, 5});
  h.Observe(1);
  EXPECT_EQ(h.counts(), (Counts{1, 0, 0, 0}));
  h.Observe(2);
  EXPECT_EQ(h.counts(), (Counts{1, 1, 0, 0}));
  h.Observe(5);
  EXPECT_EQ(h.counts(), (Counts{1, 1, 1, 0}));
}

TEST(HistogramTest, ValuesBetweenBoundsGoToTheNextBound) {
  Histogram h({1, 2, 5});
  h.Observe(0.5);
  h.Observe(-3);
  h.Observe(1.0000001);
  h.Observe(4.999);
  h.Observe(5.0000001);
  h.Observe(1e9);
  h.Observe(std::numeric_limits<double>::infinity());
  EXPECT_EQ(h.counts(), (Counts{2, 1, 1, 3}));
  EXPECT_EQ(h.count(), 7u);
}

TEST(HistogramTest, SumAndCount) {
  Histogram h(Histogram::LatencyBuckets());
  h.Observe(0.25);
  h.Observe(0.5);
  h.Observe(2);
  EXPECT_DOUBLE_EQ(h.sum(), 2.75);
  EXPECT_EQ(h.count(), 3u);
  uint64_t total = 0;
  for (uint64_t c : h.counts()) total += c;
  EXPECT_EQ(total, h.count());
}

TEST(HistogramTest, NanGoesToTheLastBucket) {
  Histogram h({1});
  h.Observe(std::nan(""));
  EXPECT_EQ(h.counts(), (Counts{0, 1}));
  EXPECT_TRUE(std::isnan(h.sum()));
}

TEST(HistogramTest, NoBoundsIsCountAndSum) {
  Histogram h({});
  h.Observe(3);
  h.Observe(4);
  EXPECT_EQ(h.counts(), (Counts{2}));
  EXPECT_EQ(h.sum(), 7);
}

TEST(HistogramTest, LatencyBuckets) {
  const std::vector<double> expected = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                        0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,     10};
  EXPECT_EQ(Histogram::LatencyBuckets(), expected);
  Histogram h(Histogram::LatencyBuckets());
  h.Observe(0.001);
  EXPECT_EQ(h.counts()[3], 1u);
  EXPECT_EQ(h.counts().size(), 17u);
}

TEST(HistogramDeathTest, RejectsUnorderedOrInfiniteBounds) {
  EXPECT_DEATH(Histogram({2, 1}), "strictly increasing");
  EXPECT_DEATH(Histogram({1, 1}), "strictly increasing");
  EXPECT_DEATH(Histogram({1, std::numeric_limits<double>::infinity()}), "finite");
}

}  // namespace
}  // namespace inventory::metrics
