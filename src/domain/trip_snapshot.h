// A point-in-time picture of a whole trip: its definition and every seat's
// state on every segment. Seat maps and availability checks are answered
// from one snapshot, so they always agree with each other.
//
// Built by the store; afterwards only the snapshot cache changes it, on its
// own thread (see service::SnapshotCache).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "domain/journey.h"
#include "domain/seat_change.h"
#include "domain/seat_status.h"
#include "domain/trip.h"

namespace inventory::domain {

struct TripSnapshot {
  TripDefinition trip;  // seats in the order of `states`
  std::vector<std::string> stations;
  // states[seat][segment], for every seat of trip.seats and every segment.
  std::vector<std::vector<SegmentState>> states;
  int64_t loaded_at_ms = 0;  // when the database was read
  // Per seat (when not empty): when its states were last known to be true
  // after the load (a change made or heard of, a refusal that read them).
  std::vector<int64_t> seat_known_at_ms;
  // Bumped each time a change is applied to the snapshot in place (see
  // service::SnapshotCache::Apply).
  uint64_t version = 0;
  // Owners seen letting go of their seats (domain/seat_change.h).
  EndedOwners ended_owners;

  // Index of a seat in trip.seats, or -1. A hash lookup once IndexSeats()
  // has run, a scan before.
  int SeatIndex(std::string_view seat_id) const;
  // Builds the seat-id lookup; call once trip.seats is final.
  void IndexSeats();
  // Estimated bytes the snapshot takes, its own object included: seats x
  // segments states and their strings, the definition, the seat index, the
  // ended owners (domain/memory_estimate.h). Linear in seats x segments.
  size_t EstimatedBytes() const;

 private:
  struct IdHash {
    using is_transparent = void;
    size_t operator()(std::string_view id) const { return std::hash<std::string_view>{}(id); }
  };
  std::unordered_map<std::string, int, IdHash, std::equal_to<>> seat_positions_;
};

// Heap bytes the strings of one seat's states hold (the states' own objects
// are counted with their vector). What a change to the seat moves.
size_t StatesHeapBytes(std::span<const SegmentState> states);

struct FreeSeat {
  const SeatDefinition* seat;  // points into the snapshot
};

struct Availability {
  std::vector<const SeatDefinition*> free_seats;  // by row, then column
  int available = 0;
  bool is_available = false;        // available >= passengers
  int64_t cheapest_price_paisa = 0;  // sum of the cheapest `passengers` free seats
};

// Seats free over `range` at `now_ms`, of `seat_class` (empty: any class),
// for `passengers` travellers (0 is taken as 1).
Availability ComputeAvailability(const TripSnapshot& snapshot, SegmentRange range, std::string_view seat_class,
                                 int passengers, int64_t now_ms);

}  // namespace inventory::domain
