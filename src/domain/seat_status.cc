#include "domain/seat_status.h"

#include <algorithm>

namespace inventory::domain {

std::string_view StatusName(SeatStatus status) {
  switch (status) {
    case SeatStatus::kAvailable:
      return "available";
    case SeatStatus::kHeld:
      return "held";
    case SeatStatus::kBooked:
      return "booked";
    case SeatStatus::kBlocked:
      return "blocked";
  }
  return "available";
}

SeatStatus StatusFromName(std::string_view name) {
  if (name == "held") return SeatStatus::kHeld;
  if (name == "booked") return SeatStatus::kBooked;
  if (name == "blocked") return SeatStatus::kBlocked;
  return SeatStatus::kAvailable;
}

SeatStatus EffectiveStatus(const SegmentState& state, int64_t now_ms) {
  if (state.status == SeatStatus::kHeld && state.expires_at_ms <= now_ms) return SeatStatus::kAvailable;
  return state.status;
}

namespace {
int Rank(SeatStatus s) {
  switch (s) {
    case SeatStatus::kBooked:
      return 3;
    case SeatStatus::kBlocked:
      return 2;
    case SeatStatus::kHeld:
      return 1;
    case SeatStatus::kAvailable:
      return 0;
  }
  return 0;
}
}  // namespace

JourneyStatus StatusOver(std::span<const SegmentState> segments, SegmentRange range, int64_t now_ms) {
  JourneyStatus out;
  for (int i = range.first; i <= range.last; ++i) {
    const SegmentState& s = segments[static_cast<size_t>(i)];
    const SeatStatus effective = EffectiveStatus(s, now_ms);
    if (effective == SeatStatus::kHeld) out.hold_expires_at_ms = std::max(out.hold_expires_at_ms, s.expires_at_ms);
    if (Rank(effective) > Rank(out.status)) out.status = effective;
  }
  if (out.status != SeatStatus::kHeld) out.hold_expires_at_ms = 0;
  return out;
}

bool TakenForUser(std::span<const SegmentState> segments, SegmentRange range, std::string_view user_id,
                  int64_t now_ms) {
  for (int i = range.first; i <= range.last; ++i) {
    const SegmentState& s = segments[static_cast<size_t>(i)];
    switch (EffectiveStatus(s, now_ms)) {
      case SeatStatus::kBooked:
      case SeatStatus::kBlocked:
        return true;
      case SeatStatus::kHeld:
        if (s.user_id != user_id) return true;
        break;
      case SeatStatus::kAvailable:
        break;
    }
  }
  return false;
}

}  // namespace inventory::domain
