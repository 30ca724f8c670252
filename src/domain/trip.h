// A trip's definition as an operator loads it, and the rules it must obey.
//
// Stations chain: segment i runs from stations[i] to stations[i+1], segment
// indexes are 0..N-1 without gaps, seat ids are unique, rows and columns are
// positive. Limits keep one trip's load bounded (see kMax*). Pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace inventory::domain {

inline constexpr int kMaxSegments = 64;
inline constexpr int kMaxSeats = 2000;
inline constexpr size_t kMaxIdLength = 128;
inline constexpr size_t kMaxTextLength = 256;

struct SeatDefinition {
  std::string seat_id;
  std::string seat_number;
  int32_t row = 0;
  int32_t column = 0;
  std::string seat_type;
  std::string seat_class;
  int64_t price_paisa = 0;
  bool is_accessible = false;
  bool has_power = false;
  bool is_exit_row = false;

  bool operator==(const SeatDefinition&) const = default;
};

struct SegmentDefinition {
  int32_t index = 0;
  std::string from_station;
  std::string to_station;
  int64_t departure_time = 0;
  int64_t arrival_time = 0;

  bool operator==(const SegmentDefinition&) const = default;
};

struct TripDefinition {
  std::string organization_id;
  std::string trip_id;
  std::string vehicle_id;
  std::string vehicle_type;
  std::vector<SegmentDefinition> segments;  // ordered by index
  std::vector<SeatDefinition> seats;

  // stations[i] boards segment i; the last one ends the trip.
  // REQUIRES: ValidateTrip(*this).ok()
  std::vector<std::string> Stations() const;

  bool operator==(const TripDefinition&) const = default;
};

// OK, or INVALID_ARGUMENT whose message names the offending field.
// Sorts nothing: segments must arrive in index order 0..N-1.
absl::Status ValidateTrip(const TripDefinition& trip);

// A stable fingerprint of everything in the definition, so that re-sending
// the same definition can be told from a conflicting one.
std::string DefinitionFingerprint(const TripDefinition& trip);

// Checks an identifier field: present, not longer than kMaxIdLength.
absl::Status ValidateId(std::string_view field, std::string_view value);

}  // namespace inventory::domain
