#include "service/seat_map_rows.h"

#include <algorithm>
#include <limits>

#include "domain/memory_estimate.h"
#include "inventory/v1/inventory.pb.h"
#include "service/seat_map_view.h"

namespace inventory::service {

void SeatMapRows::Layout(const SnapshotPtr& snapshot, domain::SegmentRange range) {
  const domain::TripSnapshot& t = *snapshot;
  snapshot_ = snapshot;
  snapshot_address_ = snapshot.get();
  range_ = range;
  rows_.clear();
  int32_t max_row = 0, max_col = 0;
  for (size_t i : SeatOrder(t)) {
    const domain::SeatDefinition& s = t.trip.seats[i];
    max_row = std::max(max_row, s.row);
    max_col = std::max(max_col, s.column);
    if (rows_.empty() || rows_.back().number != s.row) rows_.push_back(Row{s.row, {}, {}, {}, false});
    rows_.back().seats.push_back(i);
  }
  v1::GetSeatMapResponse header;
  header.set_vehicle_id(t.trip.vehicle_id);
  header.set_vehicle_type(t.trip.vehicle_type);
  header.set_total_rows(max_row);
  header.set_total_columns(max_col);
  header_ = header.SerializeAsString();
  v1::GetSeatMapResponse legend;
  FillLegend(t, legend.mutable_legend());
  legend_ = legend.SerializeAsString();
}

std::shared_ptr<const std::string> SeatMapRows::Serialize(const SnapshotPtr& snapshot, domain::SegmentRange range,
                                                          int64_t now_ms, int64_t* valid_until_ms) {
  if (snapshot.get() != snapshot_address_ || snapshot_.lock() != snapshot || range.first != range_.first ||
      range.last != range_.last) {
    Layout(snapshot, range);
  }
  const domain::TripSnapshot& t = *snapshot;
  *valid_until_ms = std::numeric_limits<int64_t>::max();
  size_t total = header_.size() + legend_.size();
  size_t kept = 0;
  std::vector<Shown> shown;
  std::vector<domain::JourneyStatus> statuses;
  for (Row& row : rows_) {
    shown.clear();
    statuses.clear();
    for (size_t i : row.seats) {
      const domain::JourneyStatus js = domain::StatusOver(t.states[i], range, now_ms);
      statuses.push_back(js);
      shown.push_back({js.status, js.status == domain::SeatStatus::kHeld ? js.hold_expires_at_ms / 1000 : 0});
      *valid_until_ms = std::min(*valid_until_ms, NextExpiry(t.states[i], range, now_ms));
    }
    if (row.valid && shown == row.shown) {
      ++rows_reused_;
    } else {
      v1::GetSeatMapResponse one;
      v1::SeatRow* r = one.add_rows();
      r->set_row_number(row.number);
      for (size_t k = 0; k < row.seats.size(); ++k) {
        FillSeatCell(t.trip.seats[row.seats[k]], statuses[k], r->add_seats());
      }
      row.encoded = one.SerializeAsString();
      row.shown = shown;
      row.valid = true;
      ++rows_encoded_;
    }
    total += row.encoded.size();
    kept += domain::StringHeapBytes(row.encoded) + domain::VectorHeapBytes(row.shown) +
            domain::VectorHeapBytes(row.seats);
  }
  auto out = std::make_shared<std::string>();
  out->reserve(total);
  out->append(header_);
  for (const Row& row : rows_) out->append(row.encoded);
  out->append(legend_);
  bytes_ = kept + domain::StringHeapBytes(header_) + domain::StringHeapBytes(legend_) +
           domain::VectorHeapBytes(rows_);
  return out;
}

}  // namespace inventory::service
