#include "domain/journey.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace inventory::domain {

absl::StatusOr<SegmentRange> ResolveJourney(const std::vector<std::string>& stations, std::string_view from,
                                            std::string_view to) {
  if (stations.size() < 2) return absl::FailedPreconditionError("trip has no segments");
  int first = 0;
  int last_stop = static_cast<int>(stations.size()) - 1;
  if (!from.empty()) {
    auto it = std::find(stations.begin(), stations.end(), from);
    if (it == stations.end()) return absl::InvalidArgumentError(absl::StrCat("from_station_id: unknown station '", std::string(from), "'"));
    first = static_cast<int>(it - stations.begin());
  }
  if (!to.empty()) {
    // A trip may pass a station twice (a loop); the alighting stop is the
    // first occurrence after boarding.
    auto it = std::find(stations.begin() + first + 1, stations.end(), to);
    if (it == stations.end()) {
      if (std::find(stations.begin(), stations.end(), to) == stations.end()) {
        return absl::InvalidArgumentError(absl::StrCat("to_station_id: unknown station '", std::string(to), "'"));
      }
      return absl::InvalidArgumentError("to_station_id: must come after from_station_id");
    }
    last_stop = static_cast<int>(it - stations.begin());
  }
  if (first >= last_stop) return absl::InvalidArgumentError("from_station_id: must come before to_station_id");
  return SegmentRange{first, last_stop - 1};
}

}  // namespace inventory::domain
