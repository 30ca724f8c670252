// A change of one seat's state over a segment range, as instances tell each
// other (and their own cached seat maps) about it, and the rules that apply
// such changes to a copy of the seat's states.
//
// Announcements can arrive late and out of order (two instances publish
// changes of the same seat in a different order than the database decided
// them). The rules make that harmless for holds and bookings: a change names
// its owner (the hold or booking id), an owner's life only goes forward
// (taken, then let go, never taken again), and a copy remembers the owners
// it has seen let go. So "freed from H" clears only cells H still owns, and
// "held by H" arriving after "freed from H" is ignored. Blocks carry no
// owner; a block and an unblock of one seat decided within an instant of
// each other on two instances may be applied in the wrong order (the copy's
// lifetime bounds that).
//
// Pure; a copy (std::vector<SegmentState> plus its EndedOwners) is not
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>

#include "domain/journey.h"
#include "domain/seat_status.h"

namespace inventory::domain {

struct SeatChange {
  enum class Kind : uint8_t {
    kHeld = 0,       // held by hold `owner_id` of `user_id` until `expires_at_ms`
    kBooked = 1,     // booked by booking `owner_id` of `user_id` (from hold `previous_owner_id`)
    kFreed = 2,      // `owner_id` (a hold, or a booking of hold `previous_owner_id`) let go
    kBlocked = 3,    // blocked by the operator on every segment of the range
    kUnblocked = 4,  // unblocked by the operator
  };
  std::string seat_id;
  SegmentRange range;
  Kind kind = Kind::kFreed;
  std::string owner_id;
  std::string user_id;
  int64_t expires_at_ms = 0;
  std::string previous_owner_id;

  bool operator==(const SeatChange&) const = default;
};

std::string_view SeatChangeKindName(SeatChange::Kind kind);

// Owners known to have let go, most recent kept. Bounded: past `capacity`
// the oldest are forgotten (a forgotten owner's late "taken" announcement
// can then be applied; the copy's own lifetime bounds the damage).
class EndedOwners {
 public:
  explicit EndedOwners(size_t capacity = 4096) : capacity_(capacity) {}
  void Add(const std::string& owner_id);
  bool Contains(std::string_view owner_id) const;
  size_t size() const { return order_.size(); }
  // Estimated heap bytes the owners take (domain/memory_estimate.h).
  size_t EstimatedBytes() const { return bytes_ + set_.bucket_count() * sizeof(void*); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  size_t capacity_;
  std::deque<std::string> order_;
  std::unordered_set<std::string, Hash, std::equal_to<>> set_;
  size_t bytes_ = 0;  // of the owners in order_ and set_
};

// Applies `change` to one seat's states (indexed by segment; cells outside
// the states are ignored). Returns true if some cell changed.
bool ApplySeatChange(std::span<SegmentState> segments, const SeatChange& change, EndedOwners& ended);

}  // namespace inventory::domain
