// Estimates of the heap a value holds, for caches that keep to a byte
// budget (service::SnapshotCache, service::SeatMapAnswers).
//
// Estimates, not measurements: they count what the containers allocate for
// their elements as libstdc++ lays them out (a string's buffer once it no
// longer fits inline, a vector's capacity, a node per map or hash entry) and
// `kAllocationOverhead` per allocation for the allocator's header and
// rounding. They are meant to be within a small factor of the truth, never
// a large one, so that a budget bounds the memory actually used. Pure.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace inventory::domain {

// The allocator's header and rounding of one allocation, on average.
inline constexpr size_t kAllocationOverhead = 16;

// Heap bytes a string holds beyond its own object (none while inline).
inline size_t StringHeapBytes(const std::string& s) {
  static const size_t kInline = std::string().capacity();
  return s.capacity() > kInline ? s.capacity() + 1 + kAllocationOverhead : 0;
}

// Heap bytes of a vector's buffer, without what its elements hold.
template <typename T>
size_t VectorHeapBytes(const std::vector<T>& v) {
  return v.capacity() == 0 ? 0 : v.capacity() * sizeof(T) + kAllocationOverhead;
}

// One node of a node-based container (std::map, std::list, a hash table)
// holding a `value_bytes` value: its links, cached hash or colour, and the
// allocation's overhead.
inline constexpr size_t NodeBytes(size_t value_bytes) { return value_bytes + 3 * sizeof(void*) + kAllocationOverhead; }

}  // namespace inventory::domain
