#include "domain/trip.h"

#include <set>

#include "absl/strings/str_cat.h"

namespace inventory::domain {

std::vector<std::string> TripDefinition::Stations() const {
  std::vector<std::string> stations;
  stations.reserve(segments.size() + 1);
  for (const SegmentDefinition& s : segments) stations.push_back(s.from_station);
  if (!segments.empty()) stations.push_back(segments.back().to_station);
  return stations;
}

absl::Status ValidateId(std::string_view field, std::string_view value) {
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": required"));
  if (value.size() > kMaxIdLength) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": longer than ", kMaxIdLength, " characters"));
  }
  return absl::OkStatus();
}

absl::Status ValidateTrip(const TripDefinition& trip) {
  if (absl::Status s = ValidateId("trip_id", trip.trip_id); !s.ok()) return s;
  if (absl::Status s = ValidateId("organization_id", trip.organization_id); !s.ok()) return s;
  if (trip.vehicle_id.size() > kMaxIdLength) return absl::InvalidArgumentError("vehicle_id: too long");
  if (trip.vehicle_type.size() > kMaxTextLength) return absl::InvalidArgumentError("vehicle_type: too long");
  if (trip.segments.empty()) return absl::InvalidArgumentError("segments: at least one segment");
  if (trip.segments.size() > static_cast<size_t>(kMaxSegments)) {
    return absl::InvalidArgumentError(absl::StrCat("segments: at most ", kMaxSegments));
  }
  for (size_t i = 0; i < trip.segments.size(); ++i) {
    const SegmentDefinition& s = trip.segments[i];
    const std::string where = absl::StrCat("segments[", i, "]");
    if (s.index != static_cast<int32_t>(i)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".segment_index: expected ", i, ", got ", s.index,
                                                     " (indexes run 0..N-1 in order)"));
    }
    if (s.from_station.empty() || s.from_station.size() > kMaxIdLength) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".from_station_id: required, at most ", kMaxIdLength));
    }
    if (s.to_station.empty() || s.to_station.size() > kMaxIdLength) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".to_station_id: required, at most ", kMaxIdLength));
    }
    if (s.from_station == s.to_station) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".to_station_id: equals from_station_id"));
    }
    if (i > 0 && trip.segments[i - 1].to_station != s.from_station) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".from_station_id: '", s.from_station, "' does not continue from segment ", i - 1,
                       " which ends at '", trip.segments[i - 1].to_station, "'"));
    }
    if (s.departure_time < 0 || s.arrival_time < 0 || (s.arrival_time != 0 && s.arrival_time < s.departure_time)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".arrival_time: before departure_time"));
    }
  }
  if (trip.seats.empty()) return absl::InvalidArgumentError("seat_config.seats: at least one seat");
  if (trip.seats.size() > static_cast<size_t>(kMaxSeats)) {
    return absl::InvalidArgumentError(absl::StrCat("seat_config.seats: at most ", kMaxSeats));
  }
  std::set<std::string_view> ids;
  for (size_t i = 0; i < trip.seats.size(); ++i) {
    const SeatDefinition& seat = trip.seats[i];
    const std::string where = absl::StrCat("seat_config.seats[", i, "]");
    if (seat.seat_id.empty() || seat.seat_id.size() > kMaxIdLength) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".seat_id: required, at most ", kMaxIdLength));
    }
    if (!ids.insert(seat.seat_id).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".seat_id: duplicate '", seat.seat_id, "'"));
    }
    if (seat.row <= 0) return absl::InvalidArgumentError(absl::StrCat(where, ".row: must be positive"));
    if (seat.column <= 0) return absl::InvalidArgumentError(absl::StrCat(where, ".column: must be positive"));
    if (seat.price_paisa < 0) return absl::InvalidArgumentError(absl::StrCat(where, ".price_paisa: negative"));
    if (seat.seat_number.size() > kMaxTextLength || seat.seat_type.size() > kMaxTextLength ||
        seat.seat_class.size() > kMaxTextLength) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": text field too long"));
    }
  }
  return absl::OkStatus();
}

std::string DefinitionFingerprint(const TripDefinition& trip) {
  // FNV-1a over a length-prefixed serialisation: stable across runs and builds.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](std::string_view bytes) {
    uint64_t n = bytes.size();
    for (int i = 0; i < 8; ++i) {
      h ^= static_cast<uint8_t>(n >> (8 * i));
      h *= 1099511628211ull;
    }
    for (char c : bytes) {
      h ^= static_cast<uint8_t>(c);
      h *= 1099511628211ull;
    }
  };
  auto mix_int = [&mix](int64_t v) { mix(std::to_string(v)); };
  mix(trip.vehicle_id);
  mix(trip.vehicle_type);
  for (const SegmentDefinition& s : trip.segments) {
    mix_int(s.index);
    mix(s.from_station);
    mix(s.to_station);
    mix_int(s.departure_time);
    mix_int(s.arrival_time);
  }
  for (const SeatDefinition& s : trip.seats) {
    mix(s.seat_id);
    mix(s.seat_number);
    mix_int(s.row);
    mix_int(s.column);
    mix(s.seat_type);
    mix(s.seat_class);
    mix_int(s.price_paisa);
    mix_int((s.is_accessible ? 1 : 0) | (s.has_power ? 2 : 0) | (s.is_exit_row ? 4 : 0));
  }
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace inventory::domain
