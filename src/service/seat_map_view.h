// A trip snapshot's seat map over a journey, as the wire shows it: the
// GetSeatMap answer and a seat's status as WatchSeatMap reports it.
//
// Pure; expiry is decided by the `now_ms` given (the service passes
// ClockGuard::ReclaimNow(), so that a map shows what a hold would meet).
#pragma once

#include <cstdint>

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

// The earliest expiry after `now_ms` of a hold on one seat's `segments`
// within `range` (INT64_MAX if none): when its status over the range may
// next change by itself.
int64_t NextExpiry(std::span<const domain::SegmentState> segments, domain::SegmentRange range, int64_t now_ms);

}  // namespace inventory::service
