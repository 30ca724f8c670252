#include "latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <vector>

namespace inventory::load {
namespace {

TEST(LatencyHistogramTest, EmptyReportsZeros) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min_micros(), 0);
  EXPECT_EQ(h.max_micros(), 0);
  EXPECT_EQ(h.mean_micros(), 0.0);
  EXPECT_EQ(h.PercentileMicros(50), 0);
  EXPECT_EQ(h.PercentileMicros(100), 0);
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram h;
  for (int v = 1; v <= 100; ++v) h.RecordMicros(v);
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.min_micros(), 1);
  EXPECT_EQ(h.max_micros(), 100);
  EXPECT_DOUBLE_EQ(h.mean_micros(), 50.5);
  EXPECT_EQ(h.PercentileMicros(50), 50);
  EXPECT_EQ(h.PercentileMicros(90), 90);
  EXPECT_EQ(h.PercentileMicros(99), 99);
  EXPECT_EQ(h.PercentileMicros(99.9), 100);
  EXPECT_EQ(h.PercentileMicros(100), 100);
  EXPECT_EQ(h.PercentileMicros(0), 1);
}

TEST(LatencyHistogramTest, PercentileRanksOnThousandSamples) {
  // 1..1000 ms: p50 is the 500th sample, p99.9 the 999th.
  LatencyHistogram h;
  for (int ms = 1000; ms >= 1; --ms) h.Record(std::chrono::milliseconds(ms));
  auto near = [](int64_t got, int64_t want) {
    EXPECT_GE(got, want);
    EXPECT_LE(got, want + want / 128) << "want " << want;
  };
  near(h.PercentileMicros(50), 500'000);
  near(h.PercentileMicros(90), 900'000);
  near(h.PercentileMicros(99), 990'000);
  near(h.PercentileMicros(99.9), 999'000);
  EXPECT_EQ(h.PercentileMicros(100), 1'000'000);
  EXPECT_EQ(h.max_micros(), 1'000'000);
  EXPECT_EQ(h.min_micros(), 1'000);
}

TEST(LatencyHistogramTest, OneOutlierShowsOnlyInTheTail) {
  LatencyHistogram h;
  for (int i = 0; i < 999; ++i) h.RecordMicros(2000);
  h.RecordMicros(5'000'000);
  EXPECT_LE(h.PercentileMicros(99), 2000 + 2000 / 128);
  EXPECT_GE(h.PercentileMicros(99), 2000);
  EXPECT_EQ(h.PercentileMicros(99.9), h.PercentileMicros(50));  // 999th sample is still 2 ms
  EXPECT_EQ(h.max_micros(), 5'000'000);
}

TEST(LatencyHistogramTest, RelativeErrorIsBoundedOverRandomSamples) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(8.0, 2.0);  // ~3 ms median, long tail
  std::vector<int64_t> samples;
  LatencyHistogram h;
  for (int i = 0; i < 20000; ++i) {
    const auto v = static_cast<int64_t>(dist(rng));
    samples.push_back(std::min(v, LatencyHistogram::kMaxTrackableMicros));
    h.RecordMicros(v);
  }
  std::sort(samples.begin(), samples.end());
  for (double p : {1.0, 25.0, 50.0, 90.0, 99.0, 99.9, 99.99}) {
    // ceil(p % of n) in integers: p has at most three decimals here.
    const auto rank = static_cast<size_t>((std::llround(p * 1000) * samples.size() + 99999) / 100000);
    const int64_t exact = samples[rank - 1];
    const int64_t got = h.PercentileMicros(p);
    EXPECT_GE(got, exact) << "p" << p;
    EXPECT_LE(got, exact + exact / 128 + 1) << "p" << p;
  }
  EXPECT_EQ(h.PercentileMicros(100), samples.back());
}

TEST(LatencyHistogramTest, ClampsNegativeAndHugeValues) {
  LatencyHistogram h;
  h.Record(std::chrono::nanoseconds(-5));
  h.RecordMicros(LatencyHistogram::kMaxTrackableMicros * 4);
  EXPECT_EQ(h.min_micros(), 0);
  EXPECT_EQ(h.max_micros(), LatencyHistogram::kMaxTrackableMicros);
  EXPECT_EQ(h.PercentileMicros(100), LatencyHistogram::kMaxTrackableMicros);
  EXPECT_EQ(h.PercentileMicros(50), 0);
}

TEST(LatencyHistogramTest, SubMicrosecondRoundsDown) {
  LatencyHistogram h;
  h.Record(std::chrono::nanoseconds(999));
  h.Record(std::chrono::nanoseconds(1500));
  EXPECT_EQ(h.min_micros(), 0);
  EXPECT_EQ(h.max_micros(), 1);
}

TEST(LatencyHistogramTest, MergeEqualsRecordingEverythingInOne) {
  LatencyHistogram a, b, all;
  for (int i = 1; i <= 500; ++i) {
    a.RecordMicros(i * 37);
    all.RecordMicros(i * 37);
    b.RecordMicros(i * 1013);
    all.RecordMicros(i * 1013);
  }
  LatencyHistogram empty;
  a.Merge(empty);
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min_micros(), all.min_micros());
  EXPECT_EQ(a.max_micros(), all.max_micros());
  EXPECT_DOUBLE_EQ(a.mean_micros(), all.mean_micros());
  for (double p : {50.0, 90.0, 99.0, 99.9}) EXPECT_EQ(a.PercentileMicros(p), all.PercentileMicros(p));

  LatencyHistogram into_empty;
  into_empty.Merge(b);
  EXPECT_EQ(into_empty.min_micros(), b.min_micros());
}

}  // namespace
}  // namespace inventory::load
