// Journeys over a trip's segments.
//
// A trip with stations s0, s1, ..., sN has segments 0..N-1, segment i running
// from s_i to s_{i+1}. A journey from s_a to s_b (a < b) needs segments
// a..b-1. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace inventory::domain {

// Segments first..last, both included. REQUIRES: 0 <= first <= last.
struct SegmentRange {
  int first = 0;
  int last = 0;

  int size() const { return last - first + 1; }
  bool Contains(int segment) const { return segment >= first && segment <= last; }
  bool Overlaps(const SegmentRange& o) const { return first <= o.last && o.first <= last; }
  bool operator==(const SegmentRange&) const = default;
};

// The segments a journey from `from` to `to` covers on a trip whose stops are
// `stations` (in order). Empty `from` means the first stop, empty `to` the
// last. INVALID_ARGUMENT naming from_station_id / to_station_id for an
// unknown station, and when `from` does not come before `to`.
absl::StatusOr<SegmentRange> ResolveJourney(const std::vector<std::string>& stations, std::string_view from,
                                            std::string_view to);

}  // namespace inventory::domain
