#include "service/seat_map_view.h"

#include <algorithm>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace inventory::service {

using domain::SeatStatus;

v1::SeatStatus SeatStatusToProto(SeatStatus s) {
  switch (s) {
    case SeatStatus::kAvailable:
      return v1::SEAT_STATUS_AVAILABLE;
    case SeatStatus::kHeld:
      return v1::SEAT_STATUS_HELD;
    case SeatStatus::kBooked:
      return v1::SEAT_STATUS_BOOKED;
    case SeatStatus::kBlocked:
      return v1::SEAT_STATUS_BLOCKED;
  }
  return v1::SEAT_STATUS_UNSPECIFIED;
}

int64_t NextExpiry(std::span<const domain::SegmentState> segments, domain::SegmentRange range, int64_t now_ms) {
  int64_t next = std::numeric_limits<int64_t>::max();
  for (int seg = range.first; seg <= range.last && static_cast<size_t>(seg) < segments.size(); ++seg) {
    const domain::SegmentState& st = segments[static_cast<size_t>(seg)];
    if (st.status == SeatStatus::kHeld && st.expires_at_ms > now_ms) next = std::min(next, st.expires_at_ms);
  }
  return next;
}

v1::GetSeatMapResponse BuildSeatMap(const domain::TripSnapshot& t, domain::SegmentRange range, int64_t now,
                                    int64_t* valid_until_ms) {
  *valid_until_ms = std::numeric_limits<int64_t>::max();
  v1::GetSeatMapResponse out;
  out.set_vehicle_id(t.trip.vehicle_id);
  out.set_vehicle_type(t.trip.vehicle_type);
  std::vector<size_t> order(t.trip.seats.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&t](size_t a, size_t b) {
    const domain::SeatDefinition& x = t.trip.seats[a];
    const domain::SeatDefinition& y = t.trip.seats[b];
    return x.row != y.row ? x.row < y.row : x.column < y.column;
  });
  int32_t max_row = 0, max_col = 0;
  v1::SeatRow* row = nullptr;
  for (size_t i : order) {
    const domain::SeatDefinition& s = t.trip.seats[i];
    max_row = std::max(max_row, s.row);
    max_col = std::max(max_col, s.column);
    if (row == nullptr || row->row_number() != s.row) {
      row = out.add_rows();
      row->set_row_number(s.row);
    }
    domain::JourneyStatus js = domain::StatusOver(t.states[i], range, now);
    v1::SeatCell* cell = row->add_seats();
    cell->set_seat_id(s.seat_id);
    cell->set_seat_number(s.seat_number);
    cell->set_column(s.column);
    cell->set_seat_type(s.seat_type);
    cell->set_seat_class(s.seat_class);
    cell->set_status(SeatStatusToProto(js.status));
    cell->set_price_paisa(s.price_paisa);
    cell->set_is_accessible(s.is_accessible);
    cell->set_has_power(s.has_power);
    cell->set_is_exit_row(s.is_exit_row);
    if (js.status == SeatStatus::kHeld) cell->set_hold_expires_at(js.hold_expires_at_ms / 1000);
    *valid_until_ms = std::min(*valid_until_ms, NextExpiry(t.states[i], range, now));
  }
  out.set_total_rows(max_row);
  out.set_total_columns(max_col);
  auto* colors = out.mutable_legend()->mutable_status_colors();
  (*colors)["available"] = "#2E7D32";
  (*colors)["held"] = "#F9A825";
  (*colors)["booked"] = "#C62828";
  (*colors)["blocked"] = "#616161";
  std::map<std::string, int> classes;
  for (const domain::SeatDefinition& s : t.trip.seats) classes.emplace(s.seat_class, 0);
  static const char* const kPalette[] = {"#1565C0", "#6A1B9A", "#00838F", "#EF6C00", "#AD1457", "#4E342E"};
  size_t n = 0;
  for (const auto& [name, unused] : classes) {
    (*out.mutable_legend()->mutable_class_colors())[name] = kPalette[n++ % 6];
  }
  return out;
}

}  // namespace inventory::service
