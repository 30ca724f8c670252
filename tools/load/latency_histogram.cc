#include "latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace inventory::load {
namespace {

// Each power-of-two range [2^k, 2^(k+1)) with k >= kSubBits is split into
// 2^(kSubBits-1) buckets of width 2^(k-kSubBits+1); below 2^kSubBits every
// value has its own bucket.
constexpr int kSubBits = 8;
constexpr int kHalf = 1 << (kSubBits - 1);  // 128

int Shift(int64_t micros) {
  const int msb = std::bit_width(static_cast<uint64_t>(micros)) - 1;
  return std::max(0, msb - (kSubBits - 1));
}

}  // namespace

LatencyHistogram::LatencyHistogram() : buckets_(static_cast<size_t>(BucketIndex(kMaxTrackableMicros)) + 1, 0) {}

int LatencyHistogram::BucketIndex(int64_t micros) {
  const int shift = Shift(micros);
  // For shift > 0, micros >> shift lies in [kHalf, 2*kHalf), so indices of
  // consecutive shifts are contiguous: shift*kHalf + [kHalf, 2*kHalf).
  return shift * kHalf + static_cast<int>(micros >> shift);
}

int64_t LatencyHistogram::BucketHighest(int index) {
  if (index < 2 * kHalf) return index;
  const int shift = index / kHalf - 1;
  const int64_t sub = index - shift * kHalf;  // in [kHalf, 2*kHalf)
  return ((sub + 1) << shift) - 1;
}

void LatencyHistogram::Record(std::chrono::nanoseconds latency) {
  RecordMicros(std::chrono::duration_cast<std::chrono::microseconds>(latency).count());
}

void LatencyHistogram::RecordMicros(int64_t micros) {
  micros = std::clamp<int64_t>(micros, 0, kMaxTrackableMicros);
  ++buckets_[static_cast<size_t>(BucketIndex(micros))];
  if (count_ == 0 || micros < min_) min_ = micros;
  if (micros > max_) max_ = micros;
  ++count_;
  sum_ += micros;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  if (count_ == 0 || other.min_ < min_) min_ = other.min_;
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

double LatencyHistogram::mean_micros() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_);
}

int64_t LatencyHistogram::PercentileMicros(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  if (p >= 100.0) return max_;
  // The rank of the sample wanted, 1-based: at least one sample. The
  // relative tolerance keeps 99.9 % of 20000 at rank 19980, not 19981.
  const double exact_rank = p / 100.0 * static_cast<double>(count_);
  const auto rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(exact_rank * (1 - 1e-12))));
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::clamp(BucketHighest(static_cast<int>(i)), min_, max_);
  }
  return max_;
}

}  // namespace inventory::load
