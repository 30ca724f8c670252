// The text form of seat changes in a trip's change stream (change_feed.h):
// one line per change, fields separated by '|':
//
//   <kind>|<seat>|<first>|<last>|<owner>|<user>|<expires_ms>|<previous owner>
//
// <kind> is domain::SeatChangeKindName ("held", "booked", "freed",
// "blocked", "unblocked"); text fields are percent-encoded for '%', '|' and
// '\n' (edge_keys.h PercentEncode); numbers are decimal. Sans-I/O and pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "domain/seat_change.h"

namespace inventory::cache {

std::string EncodeChanges(const std::vector<domain::SeatChange>& changes);
// Inverse of EncodeChanges; INVALID_ARGUMENT naming the line for anything
// else (a wrong field count, an unknown kind, a bad number or escape).
absl::StatusOr<std::vector<domain::SeatChange>> DecodeChanges(std::string_view text);

}  // namespace inventory::cache
