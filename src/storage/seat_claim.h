// What a refused hold of one seat tells its caller, from the seat's states.
// Shared by the stores, so that both answer a refusal the same way.
#pragma once

#include <cstdint>
#include <vector>

#include "domain/journey.h"
#include "domain/seat_status.h"
#include "storage/seat_store.h"

namespace inventory::storage {

// The refusal of a hold over `range` of a seat whose segments are `known`
// (every segment of the trip), expiry decided by `reclaim_now`: what blocks
// it over the range (booked > blocked > held) and the first holder and
// booking found there. `read` is left empty (the caller fills it when the
// states come from its own read).
SeatClaim RefusedClaim(const std::vector<domain::SegmentState>& known, domain::SegmentRange range,
                       int64_t reclaim_now);

}  // namespace inventory::storage
