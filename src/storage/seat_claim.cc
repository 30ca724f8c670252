#include "storage/seat_claim.h"

namespace inventory::storage {

SeatClaim RefusedClaim(const std::vector<domain::SegmentState>& known, domain::SegmentRange range,
                       int64_t reclaim_now) {
  SeatClaim claim;
  const domain::JourneyStatus js = domain::StatusOver(known, range, reclaim_now);
  claim.blocking = js.status;
  claim.holder_expires_at_ms = js.hold_expires_at_ms;
  for (int s = range.first; s <= range.last && static_cast<size_t>(s) < known.size(); ++s) {
    const domain::SegmentState& st = known[static_cast<size_t>(s)];
    const domain::SeatStatus effective = domain::EffectiveStatus(st, reclaim_now);
    if (effective == domain::SeatStatus::kHeld && claim.holder_hold_id.empty()) {
      claim.holder_hold_id = st.hold_id;
      claim.holder_user_id = st.user_id;
    } else if (effective == domain::SeatStatus::kBooked && claim.holder_booking_id.empty()) {
      claim.holder_booking_id = st.booking_id;
      if (claim.holder_user_id.empty()) claim.holder_user_id = st.user_id;
    }
  }
  return claim;
}

}  // namespace inventory::storage
