// StreamIdAllocator — hands out the request stream ids of one connection
// (native_protocol_v4.spec §2.3: non-negative [short], at most 32768 in
// flight). A bitmap with a rotating search hint, so ids are reused late
// (helps debugging) and allocation is O(1) amortised.
//
// Not thread-safe: owned by a Connection and used on its executor.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

namespace cql::internal {

class StreamIdAllocator {
 public:
  static constexpr int kMaxStreams = 32768;

  // `limit` (1..32768) caps the ids in use, e.g. for tests.
  explicit StreamIdAllocator(int limit = kMaxStreams);

  // A free id in [0, limit), or nullopt if all are in use.
  std::optional<int16_t> Allocate();
  // REQUIRES: `id` was returned by Allocate() and not released since.
  // Releasing a free or out-of-range id is ignored (returns false).
  bool Release(int16_t id);
  bool InUse(int16_t id) const;

  int in_use() const { return in_use_; }
  int limit() const { return limit_; }

 private:
  static constexpr int kWords = kMaxStreams / 64;

  std::array<uint64_t, kWords> used_{};
  int limit_;
  int in_use_ = 0;
  int hint_word_ = 0;
};

}  // namespace cql::internal
