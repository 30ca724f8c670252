#include "metrics/histogram.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace inventory::metrics {

Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    const bool ordered = i == 0 || bounds_[i - 1] < bounds_[i];
    if (!std::isfinite(bounds_[i]) || !ordered) {
      std::fprintf(stderr, "Histogram: bucket bounds must be finite and strictly increasing (bound %zu)\n", i);
      std::abort();
    }
  }
  counts_.assign(bounds_.size() + 1, 0);
}

std::vector<double> Histogram::LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,     10};
}

void Histogram::Observe(double value) {
  size_t bucket = bounds_.size();
  if (!std::isnan(value)) {
    // First bound not less than the value: equal values land on their bound.
    bucket = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  }
  ++counts_[bucket];
  ++count_;
  sum_ += value;
}

}  // namespace inventory::metrics
