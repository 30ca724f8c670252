// A seat's state on one segment, and its status over a journey.
//
// A held segment whose hold has expired counts as available: holds end on
// their own, whether or not anyone releases them. Over a journey, a seat is
// available only if it is available on every segment; otherwise its status
// is, by precedence, booked, blocked, then held. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "domain/journey.h"

namespace inventory::domain {

enum class SeatStatus : uint8_t { kAvailable = 0, kHeld = 1, kBooked = 2, kBlocked = 3 };

// The database spelling of a status ("available", "held", "booked", "blocked").
std::string_view StatusName(SeatStatus status);
// Parses the database spelling; null or unknown text reads as available.
SeatStatus StatusFromName(std::string_view name);

struct SegmentState {
  SeatStatus status = SeatStatus::kAvailable;
  std::string hold_id;     // set when held
  std::string booking_id;  // set when booked
  int64_t expires_at_ms = 0;  // hold expiry, unix milliseconds
  std::string user_id;     // the holder (or buyer), when held or booked

  bool operator==(const SegmentState&) const = default;
};

// The status that counts at `now_ms`: an expired hold is available.
SeatStatus EffectiveStatus(const SegmentState& state, int64_t now_ms);

struct JourneyStatus {
  SeatStatus status = SeatStatus::kAvailable;
  // For kHeld: the latest expiry among the held segments (unix ms).
  int64_t hold_expires_at_ms = 0;
};

// Status of a seat over `range`. `segments` holds the seat's state for every
// segment of the trip, indexed by segment. REQUIRES: range within segments.
JourneyStatus StatusOver(std::span<const SegmentState> segments, SegmentRange range, int64_t now_ms);

// Whether `user_id` is sure to be refused a hold of this seat over `range`
// at `now_ms`: booked or blocked on a segment, or held by another user. A
// live hold of the same user does not count: it may be this request's earlier
// self, which the database gives back. REQUIRES: range within segments.
bool TakenForUser(std::span<const SegmentState> segments, SegmentRange range, std::string_view user_id,
                  int64_t now_ms);

}  // namespace inventory::domain
