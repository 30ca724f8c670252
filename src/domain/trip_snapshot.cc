#include "domain/trip_snapshot.h"

#include <algorithm>

#include "domain/memory_estimate.h"

namespace inventory::domain {

void TripSnapshot::IndexSeats() {
  seat_positions_.clear();
  seat_positions_.reserve(trip.seats.size());
  for (size_t i = 0; i < trip.seats.size(); ++i) seat_positions_.emplace(trip.seats[i].seat_id, static_cast<int>(i));
}

size_t StatesHeapBytes(std::span<const SegmentState> states) {
  size_t n = 0;
  for (const SegmentState& s : states) {
    n += StringHeapBytes(s.hold_id) + StringHeapBytes(s.booking_id) + StringHeapBytes(s.user_id);
  }
  return n;
}

size_t TripSnapshot::EstimatedBytes() const {
  size_t n = sizeof(TripSnapshot);
  n += StringHeapBytes(trip.organization_id) + StringHeapBytes(trip.trip_id) + StringHeapBytes(trip.vehicle_id) +
       StringHeapBytes(trip.vehicle_type);
  n += VectorHeapBytes(trip.segments);
  for (const SegmentDefinition& s : trip.segments) n += StringHeapBytes(s.from_station) + StringHeapBytes(s.to_station);
  n += VectorHeapBytes(trip.seats);
  for (const SeatDefinition& s : trip.seats) {
    n += StringHeapBytes(s.seat_id) + StringHeapBytes(s.seat_number) + StringHeapBytes(s.seat_type) +
         StringHeapBytes(s.seat_class);
  }
  n += VectorHeapBytes(stations);
  for (const std::string& s : stations) n += StringHeapBytes(s);
  n += VectorHeapBytes(states);
  for (const std::vector<SegmentState>& seat : states) n += VectorHeapBytes(seat) + StatesHeapBytes(seat);
  n += VectorHeapBytes(seat_known_at_ms);
  n += seat_positions_.bucket_count() * sizeof(void*);
  for (const auto& [id, index] : seat_positions_) {
    n += NodeBytes(sizeof(std::pair<const std::string, int>)) + StringHeapBytes(id);
  }
  n += ended_owners.EstimatedBytes();
  return n;
}

int TripSnapshot::SeatIndex(std::string_view seat_id) const {
  if (!seat_positions_.empty()) {
    auto it = seat_positions_.find(seat_id);
    return it == seat_positions_.end() ? -1 : it->second;
  }
  for (size_t i = 0; i < trip.seats.size(); ++i) {
    if (trip.seats[i].seat_id == seat_id) return static_cast<int>(i);
  }
  return -1;
}

Availability ComputeAvailability(const TripSnapshot& snapshot, SegmentRange range, std::string_view seat_class,
                                 int passengers, int64_t now_ms) {
  Availability out;
  if (passengers <= 0) passengers = 1;
  for (size_t i = 0; i < snapshot.trip.seats.size(); ++i) {
    const SeatDefinition& seat = snapshot.trip.seats[i];
    if (!seat_class.empty() && seat.seat_class != seat_class) continue;
    if (StatusOver(snapshot.states[i], range, now_ms).status != SeatStatus::kAvailable) continue;
    out.free_seats.push_back(&seat);
  }
  std::sort(out.free_seats.begin(), out.free_seats.end(), [](const SeatDefinition* a, const SeatDefinition* b) {
    return a->row != b->row ? a->row < b->row : a->column < b->column;
  });
  out.available = static_cast<int>(out.free_seats.size());
  out.is_available = out.available >= passengers;
  if (out.is_available) {
    std::vector<int64_t> prices;
    prices.reserve(out.free_seats.size());
    for (const SeatDefinition* s : out.free_seats) prices.push_back(s->price_paisa);
    std::partial_sort(prices.begin(), prices.begin() + passengers, prices.end());
    for (int i = 0; i < passengers; ++i) out.cheapest_price_paisa += prices[static_cast<size_t>(i)];
  }
  return out;
}

}  // namespace inventory::domain
