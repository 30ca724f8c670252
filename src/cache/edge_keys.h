// Redis key names and marker values of the edge (see edge_guard.h), as pure
// functions: no I/O, so the layout is unit-tested on its own.
//
// Keys. Every key of one trip carries the same Redis Cluster hash tag, so a
// script over any of them stays in one slot:
//
//   <prefix>:{<org>:<trip>}:lk:<seat>:<segment>   pre-lock
//   <prefix>:{<org>:<trip>}:tk:<seat>:<segment>   "taken" marker
//   <prefix>:{<org>:<trip>}:gone:<id>             tombstone: hold or booking <id> let go
//   <prefix>:{<org>:<trip>}:ch                    change stream (cache/change_feed.h)
//   <prefix>:{<org>:<trip>}:sq                    the change stream's sequence counter
//
// Redis hashes the bytes between the first '{' and the first '}' after it
// (Cluster specification, "Hash tags"). So that arbitrary organisation and
// trip ids cannot break or shift the tag, <org> and <trip> are
// percent-encoded for '{', '}', '%' and ':' (":" so "{a:b:c}" cannot mean
// two different (org, trip) pairs); <prefix> is percent-encoded for '{',
// '}' and '%' (it may contain ':'). Everything after the tag is raw bytes:
// <segment> is a decimal integer and never contains ':', so the seat id is
// everything between "lk:" / "tk:" and the last ':' — unambiguous for any
// seat id.
//
// Marker values:
//
//   <h|b>|<holder>|<id>|<expires_ms>
//
// 'h' held or 'b' booked; <holder> the user id; <id> the hold id (or the
// booking id when booked); <expires_ms> the absolute expiry in milliseconds
// since the Unix epoch, decimal, optional leading '-'. <holder> and <id> are
// percent-encoded for '%' and '|', so a value splits into exactly four
// fields at its '|' characters. Scripts compare the encoded fields with
// encoded arguments and never decode.
//
// A tombstone (key "gone:<id>", <id> raw bytes, value "1") is left when the
// markers of <id> are removed (EdgeGuard::Announce's unmarks): while it
// lives, no marker of <id> is written, on any cell. One per owner, so that
// every owner that let go of a cell (a cancelled booking and the hold it
// came from) keeps its own late markers out.
//
// Change stream entries (XADD): two fields, "s" the trip's sequence number
// (decimal, from INCR of the sequence key, 1 for the first entry after the
// counter was lost) and "c" the changes (cache/change_codec.h).
//
// Thread-safety: all functions are pure; EdgeKeys is an immutable value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cache/edge_guard.h"

namespace inventory::cache {

// Percent-encodes ('%' + two upper-case hex digits) every byte of `text`
// that occurs in `special` (and '%' itself, always).
std::string PercentEncode(std::string_view text, std::string_view special);
// Inverse of PercentEncode; INVALID_ARGUMENT on a '%' not followed by two
// hex digits.
absl::StatusOr<std::string> PercentDecode(std::string_view text);

// "{<org>:<trip>}" with both parts encoded as described above.
std::string HashTag(const TripKey& trip);

// The key names of one trip.
class EdgeKeys {
 public:
  EdgeKeys(std::string_view prefix, const TripKey& trip);

  // "<prefix>:{<org>:<trip>}:lk:<seat>:<segment>".
  std::string Lock(const SeatSegment& cell) const;
  // "<prefix>:{<org>:<trip>}:tk:<seat>:<segment>".
  std::string Marker(const SeatSegment& cell) const;
  // "<prefix>:{<org>:<trip>}:ch" — the trip's change stream.
  std::string Stream() const;
  // "<prefix>:{<org>:<trip>}:sq" — the counter numbering the stream's entries.
  std::string Sequence() const;
  // "<prefix>:{<org>:<trip>}:gone:<id>": the tombstone of hold/booking `id`.
  std::string Gone(std::string_view id) const;
  // "<prefix>:{<org>:<trip>}:" — the common start of every key of the trip.
  const std::string& base() const { return base_; }

 private:
  std::string base_;
};

// Encodes a holder or hold/booking id for a marker value ('%', '|').
std::string EncodeMarkerField(std::string_view field);

// "<h|b>|<holder>|<id>|<expires_ms>" for `marker` (marker.at is not part of
// the value: it is in the key).
std::string FormatMarkerValue(const Marker& marker);


// Inverse of FormatMarkerValue; `at` is copied into the result.
// INVALID_ARGUMENT when `value` is not of that form (a tombstone is not).
absl::StatusOr<Marker> ParseMarkerValue(std::string_view value, SeatSegment at);

}  // namespace inventory::cache
