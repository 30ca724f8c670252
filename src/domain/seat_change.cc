#include "domain/seat_change.h"

#include "domain/memory_estimate.h"

namespace inventory::domain {
namespace {

// One owner: its slot in the deque, its node in the set, both copies' text.
size_t OwnerBytes(const std::string& owner_id) {
  return sizeof(std::string) + NodeBytes(sizeof(std::string)) + 2 * StringHeapBytes(owner_id);
}

}  // namespace

std::string_view SeatChangeKindName(SeatChange::Kind kind) {
  switch (kind) {
    case SeatChange::Kind::kHeld:
      return "held";
    case SeatChange::Kind::kBooked:
      return "booked";
    case SeatChange::Kind::kFreed:
      return "freed";
    case SeatChange::Kind::kBlocked:
      return "blocked";
    case SeatChange::Kind::kUnblocked:
      return "unblocked";
  }
  return "freed";
}

void EndedOwners::Add(const std::string& owner_id) {
  if (owner_id.empty() || set_.count(owner_id) != 0) return;
  set_.insert(owner_id);
  order_.push_back(owner_id);
  bytes_ += OwnerBytes(order_.back());
  while (order_.size() > capacity_) {
    bytes_ -= OwnerBytes(order_.front());
    set_.erase(order_.front());
    order_.pop_front();
  }
}

bool EndedOwners::Contains(std::string_view owner_id) const { return set_.find(owner_id) != set_.end(); }

bool ApplySeatChange(std::span<SegmentState> segments, const SeatChange& change, EndedOwners& ended) {
  bool changed = false;
  auto each = [&](auto&& fn) {
    for (int s = change.range.first; s <= change.range.last; ++s) {
      if (s < 0 || static_cast<size_t>(s) >= segments.size()) continue;
      SegmentState& cell = segments[static_cast<size_t>(s)];
      const SegmentState before = cell;
      fn(cell);
      changed = changed || !(cell == before);
    }
  };
  switch (change.kind) {
    case SeatChange::Kind::kHeld:
      if (ended.Contains(change.owner_id)) return false;  // its release overtook it
      each([&](SegmentState& cell) {
        cell = SegmentState{SeatStatus::kHeld, change.owner_id, "", change.expires_at_ms, change.user_id};
      });
      break;
    case SeatChange::Kind::kBooked:
      if (ended.Contains(change.owner_id)) return false;
      ended.Add(change.previous_owner_id);  // the hold became this booking
      each([&](SegmentState& cell) {
        cell = SegmentState{SeatStatus::kBooked, "", change.owner_id, 0, change.user_id};
      });
      break;
    case SeatChange::Kind::kFreed:
      ended.Add(change.owner_id);
      ended.Add(change.previous_owner_id);  // a cancelled booking ends its hold too
      each([&](SegmentState& cell) {
        // A cancelled booking's hold may still show if the booking's own
        // announcement has not arrived yet.
        auto is_owner = [&](const std::string& id) {
          return !id.empty() && (id == change.owner_id || id == change.previous_owner_id);
        };
        const bool owned = (cell.status == SeatStatus::kHeld && is_owner(cell.hold_id)) ||
                           (cell.status == SeatStatus::kBooked && is_owner(cell.booking_id));
        if (owned) cell = SegmentState{};
      });
      break;
    case SeatChange::Kind::kBlocked:
      each([](SegmentState& cell) { cell = SegmentState{SeatStatus::kBlocked, "", "", 0, ""}; });
      break;
    case SeatChange::Kind::kUnblocked:
      each([](SegmentState& cell) {
        if (cell.status == SeatStatus::kBlocked) cell = SegmentState{};
      });
      break;
  }
  return changed;
}

}  // namespace inventory::domain
