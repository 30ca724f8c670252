// Rules every store applies the same way: what a refused hold of one seat
// tells its caller, which ledger steps may be asked for, and when a step
// that did not apply is in place all the same (a retry finding its own).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
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

// OK if the lifecycle allows the step (domain::HoldTransitionAllowed and
// BookingTransitionAllowed, a new booking only as its first state, at least
// one record moved); INTERNAL otherwise (nothing may be written).
absl::Status CheckStep(const LedgerStep& step);

// Whether `step` is in place in the records as read: each record it moves
// is in its target state (with the step's order id, when it names one).
bool StepInPlace(const LedgerStep& step, const std::optional<HoldRecord>& hold,
                 const std::optional<BookingRecord>& booking);

}  // namespace inventory::storage
