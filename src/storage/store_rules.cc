#include "storage/store_rules.h"

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

absl::Status CheckStep(const LedgerStep& step) {
  if (step.hold_to.has_value() != step.hold_from.has_value() ||
      (step.hold_to && !domain::HoldTransitionAllowed(step.hold_from, *step.hold_to)) ||
      (step.booking_to && !domain::BookingTransitionAllowed(step.booking_from, *step.booking_to)) ||
      (step.booking_to && !step.booking_from && !step.new_booking) || (!step.hold_to && !step.booking_to)) {
    return absl::InternalError("ledger step not allowed by the lifecycle");
  }
  return absl::OkStatus();
}

bool StepInPlace(const LedgerStep& step, const std::optional<HoldRecord>& hold,
                 const std::optional<BookingRecord>& booking) {
  const bool hold_there = !step.hold_to || (hold.has_value() && hold->state == *step.hold_to &&
                                            (step.order_id.empty() || hold->order_id == step.order_id));
  const bool booking_there = !step.booking_to || (booking.has_value() && booking->state == *step.booking_to &&
                                                  (step.order_id.empty() || booking->order_id == step.order_id));
  return hold_there && booking_there;
}

}  // namespace inventory::storage
