// A trip snapshot's seat map over a journey, as the wire shows it: the
// GetSeatMap answer and a seat's status as WatchSeatMap reports it.
//
// Pure; expiry is decided by the `now_ms` given (the service passes
// ClockGuard::ReclaimNow(), so that a map shows what a hold would meet).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "domain/journey.h"
#include "domain/seat_status.h"
#include "domain/trip_snapshot.h"
#include "inventory/v1/inventory.pb.h"

namespace inventory::service {

v1::SeatStatus SeatStatusToProto(domain::SeatStatus status);

// The seat map of `range` as of `now_ms`; `valid_until_ms` is set to when it
// would first differ (the earliest expiry of a hold it shows, INT64_MAX if none).
v1::GetSeatMapResponse BuildSeatMap(const domain::TripSnapshot& snapshot, domain::SegmentRange range, int64_t now_ms,
                                    int64_t* valid_until_ms);

// The order the map shows seats in: indexes of snapshot.trip.seats by row,
// then column.
std::vector<size_t> SeatOrder(const domain::TripSnapshot& snapshot);
// One seat's cell as the map shows it with status `shown`.
void FillSeatCell(const domain::SeatDefinition& seat, const domain::JourneyStatus& shown, v1::SeatCell* cell);
// The legend: status colours and a colour per seat class of the trip.
void FillLegend(const domain::TripSnapshot& snapshot, v1::SeatMapLegend* legend);

// The earliest expiry after `now_ms` of a hold on one seat's `segments`
// within `range` (INT64_MAX if none): when its status over the range may
// next change by itself.
int64_t NextExpiry(std::span<const domain::SegmentState> segments, domain::SegmentRange range, int64_t now_ms);

}  // namespace inventory::service
