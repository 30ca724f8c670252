// Histogram — a fixed-bucket distribution of observed values, the shape a
// Prometheus histogram exposes (see exposition.h for the text form).
//
// Buckets are given by their finite, strictly increasing upper bounds; an
// implicit last bucket holds everything above the last bound (le="+Inf"). A
// value equal to a bound counts in that bound's bucket, as Prometheus' "le"
// (less or equal) says. Counts are kept per bucket, not cumulatively.
//
// Threading: not thread-safe. One owner thread (the service's io thread)
// observes and reads it.
#pragma once

#include <cstdint>
#include <vector>

namespace inventory::metrics {

class Histogram {
 public:
  // REQUIRES: `upper_bounds` finite and strictly increasing (may be empty:
  // then the histogram is a plain count and sum). Aborts otherwise.
  explicit Histogram(std::vector<double> upper_bounds);

  // Request latency buckets in seconds, 100 µs to 10 s.
  static std::vector<double> LatencyBuckets();

  // Counts `value` in the first bucket whose bound is >= value (the last,
  // unbounded one if none) and adds it to sum(). A NaN goes to the last
  // bucket and makes sum() NaN.
  void Observe(double value);

  const std::vector<double>& bounds() const { return bounds_; }
  // Per bucket, NOT cumulative; size bounds().size() + 1, the last entry
  // counting the values above the last bound.
  const std::vector<uint64_t>& counts() const { return counts_; }
  double sum() const { return sum_; }
  uint64_t count() const { return count_; }

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;
  double sum_ = 0;
  uint64_t count_ = 0;
};

}  // namespace inventory::metrics
