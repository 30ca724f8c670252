// A latency histogram with bounded relative error, for load reports.
//
// Values are recorded in whole microseconds into log-linear buckets: exact
// below 256 us, and above that each power-of-two range is split into 128
// equal buckets, so a reported percentile is at most 1/128 (< 0.8 %) above
// the true sample. The minimum and maximum are kept exactly. Memory is fixed
// (a few thousand counters) however many samples are recorded.
//
// Not thread-safe: one writer at a time (the load runner guards it with its
// own mutex). Copyable and mergeable, so per-thread histograms can be summed.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

namespace inventory::load {

class LatencyHistogram {
 public:
  // Samples at or above this are recorded as this value (about 12.7 days).
  static constexpr int64_t kMaxTrackableMicros = (int64_t{1} << 40) - 1;

  LatencyHistogram();

  // Records one sample. Negative latencies count as 0; latencies past
  // kMaxTrackableMicros as kMaxTrackableMicros.
  void Record(std::chrono::nanoseconds latency);
  void RecordMicros(int64_t micros);

  // Adds every sample of `other` to this histogram.
  void Merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  // Exact extremes; 0 when empty.
  int64_t min_micros() const { return count_ == 0 ? 0 : min_; }
  int64_t max_micros() const { return max_; }
  // Exact mean of the recorded (clamped) samples; 0 when empty.
  double mean_micros() const;

  // The value at percentile `p` (0..100): the smallest bucket value such
  // that at least p % of the samples are at or below it, reported as the
  // bucket's highest value and clamped to [min, max]. Percentile(100) is the
  // exact maximum. 0 when empty. p outside 0..100 is clamped.
  int64_t PercentileMicros(double p) const;

 private:
  static int BucketIndex(int64_t micros);
  static int64_t BucketHighest(int index);

  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
  // Sum in microseconds; 2^63 us is ~292k years, no overflow in practice.
  int64_t sum_ = 0;
};

}  // namespace inventory::load
