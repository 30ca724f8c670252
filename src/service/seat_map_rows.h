// A journey's seat map serialized row by row, so that a change costs the
// rows it touches rather than the whole map.
//
// A serialized message is the concatenation of its fields' encodings, and a
// message made of pieces that each encode some of its fields parses as the
// whole: the answer is the header (vehicle, totals), then each row encoded
// as field `rows`, then the legend. Each row keeps its encoding and the
// status (and hold expiry, in seconds as shown) of each of its seats when it
// was encoded; a later answer recomputes every seat's status (cheap: it
// reads the seat's states) and encodes again only the rows where something
// shows differently. The layout (seat order, rows, header, legend) is built
// for one snapshot object; another copy of the trip (a reload may list
// seats in another order) starts over.
//
// The figures (README, Performance): on a 2,000-seat, 20-segment trip the
// whole map built and serialized costs about 0.9 ms, an answer after one
// seat's change a fraction of that.
//
// Not thread-safe; pure apart from its own memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "domain/journey.h"
#include "domain/seat_status.h"
#include "domain/trip_snapshot.h"

namespace inventory::service {

class SeatMapRows {
 public:
  using SnapshotPtr = std::shared_ptr<const domain::TripSnapshot>;

  // The serialized GetSeatMapResponse of `range` of `snapshot` at `now_ms`,
  // equal to BuildSeatMap's; `valid_until_ms` as BuildSeatMap sets it.
  std::shared_ptr<const std::string> Serialize(const SnapshotPtr& snapshot, domain::SegmentRange range,
                                               int64_t now_ms, int64_t* valid_until_ms);

  // Estimated heap bytes kept (the rows' encodings and statuses).
  size_t EstimatedBytes() const { return bytes_; }
  uint64_t rows_encoded() const { return rows_encoded_; }
  uint64_t rows_reused() const { return rows_reused_; }

 private:
  struct Shown {
    domain::SeatStatus status = domain::SeatStatus::kAvailable;
    int64_t expires_at_s = 0;
    bool operator==(const Shown&) const = default;
  };
  struct Row {
    int32_t number = 0;
    std::vector<size_t> seats;  // indexes in the snapshot, by column
    std::vector<Shown> shown;
    std::string encoded;  // the row as field `rows` of GetSeatMapResponse
    bool valid = false;
  };
  void Layout(const SnapshotPtr& snapshot, domain::SegmentRange range);

  std::weak_ptr<const domain::TripSnapshot> snapshot_;
  const domain::TripSnapshot* snapshot_address_ = nullptr;
  domain::SegmentRange range_{-1, -1};
  std::string header_;
  std::string legend_;
  std::vector<Row> rows_;
  size_t bytes_ = 0;
  uint64_t rows_encoded_ = 0;
  uint64_t rows_reused_ = 0;
};

}  // namespace inventory::service
