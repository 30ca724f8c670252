#include "stream_id_allocator.h"

#include <algorithm>
#include <bit>

namespace cql::internal {

StreamIdAllocator::StreamIdAllocator(int limit) : limit_(std::clamp(limit, 1, kMaxStreams)) {
  // Mark ids at or above the limit as permanently used.
  for (int id = limit_; id < kMaxStreams; ++id) used_[id / 64] |= uint64_t{1} << (id % 64);
}

std::optional<int16_t> StreamIdAllocator::Allocate() {
  if (in_use_ >= limit_) return std::nullopt;
  for (int n = 0; n < kWords; ++n) {
    const int w = (hint_word_ + n) % kWords;
    const uint64_t free_bits = ~used_[w];
    if (free_bits == 0) continue;
    const int bit = std::countr_zero(free_bits);
    used_[w] |= uint64_t{1} << bit;
    ++in_use_;
    hint_word_ = w;
    return static_cast<int16_t>(w * 64 + bit);
  }
  return std::nullopt;
}

bool StreamIdAllocator::Release(int16_t id) {
  if (id < 0 || id >= limit_ || !InUse(id)) return false;
  used_[id / 64] &= ~(uint64_t{1} << (id % 64));
  --in_use_;
  return true;
}

bool StreamIdAllocator::InUse(int16_t id) const {
  if (id < 0) return false;
  return (used_[id / 64] >> (id % 64)) & 1;
}

}  // namespace cql::internal
