// The invariants of DESIGN.md §2, checked against the call log
// (checker_log.h) and direct reads of the database (checker_db.h).
//
// A Lineage is an acknowledged hold and everything done to it (and to the
// booking it became); from it follows the interval during which the hold or
// booking CERTAINLY owned its cells. The Checker builds one per acknowledged
// hold and runs the checks; each broken invariant becomes one violation text
// naming seat, segment and ids (with the lineage's history where it helps).
// Calls of unknown outcome are excluded from the acknowledged-outcome checks,
// never from the others.
//
// What is checked:
//  * CheckAnswers: the answers by themselves (held/confirmed seats as asked,
//    expiry as requested, booking id derived from the hold, no successful
//    confirm after expiry or after an acknowledged release, no successful
//    release of a confirmed hold).
//  * CheckNoDoubleSale: for every (seat, segment), the certain-ownership
//    intervals of acknowledged holds/bookings never overlap.
//  * CheckSnapshot: every row exists with a known status and nothing blocked;
//    an acknowledged hold/booking inside its certain interval owns exactly
//    its seats on exactly its segments; an acknowledged confirm means booked;
//    after an acknowledged release (cancel) the hold (booking) owns nothing; a
//    live hold never covers only part of its journey on a seat; held and
//    booked rows agree with their ledger records; a live held row without a
//    ledger record belongs to a request still in flight or of unknown
//    outcome, never to one answered "refused"; finally, a booked row's
//    booking is confirmed.
//  * CheckFinalLedger: every confirmed booking owns all its cells, no live-hold
//    marker still counts, and the ledger agrees with every acknowledged
//    outcome.
//
// Not thread-safe. The Checker keeps references to the ops and the ledger it
// was built from: REQUIRES they outlive it and do not change.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "checker_db.h"
#include "checker_log.h"

namespace inventory::checker {

// "Never" on the checker's time line.
inline constexpr int64_t kInf = std::numeric_limits<int64_t>::max();

// The booking id the service derives from a hold id ("bk-<hold id>").
std::string BookingIdOf(const std::string& hold_id);
// The hold id a booking id was derived from (BookingIdOf's inverse); "" when
// `booking_id` is not "bk-" followed by a hold id.
std::string HoldIdOf(const std::string& booking_id);

// An acknowledged hold and everything that was done to it (and to the
// booking it became).
struct Lineage {
  std::string hold_id, user;
  std::vector<std::string> seats;
  int first = 0, last = 0;
  int instance = 0;         // that acknowledged the hold
  int64_t acked_ms = kInf;  // earliest acknowledgement
  int64_t expires_at_ms = 0;
  std::vector<const Op*> ops;  // every op on this hold, the hold itself included, by seq

  bool confirm_acked = false;
  int64_t confirm_acked_end = kInf;
  bool release_acked = false;  // success=true
  int64_t release_acked_end = kInf;
  bool cancel_acked = false;  // success=true
  int64_t cancel_acked_end = kInf;
  int64_t first_release_start = kInf;  // any attempt that may have had an effect
  int64_t first_cancel_start = kInf;
  int64_t first_confirm_start = kInf;
  bool confirm_unknown = false, release_unknown = false, cancel_unknown = false;
  bool may_still_run = false;  // a call the client gave up on may still be at work

  // Until when the hold (or its booking) certainly owns its cells.
  int64_t OwnedUntil() const;
  // Whether the hold's seats and journey include (seat, segment).
  bool Covers(const std::string& seat, int segment) const;
  // The lineage and every op on it, one per line (for violation texts).
  std::string History() const;
};

class Checker {
 public:
  // Builds a lineage per acknowledged hold of `ops` (confirm/release/cancel
  // of a hold never acknowledged is a violation at once). `ledger` is keyed
  // "<user>|<entry>".
  Checker(TripShape trip, const std::vector<Op>& ops, const std::map<std::string, LedgerEntry>& ledger);
  Checker(const Checker&) = delete;
  Checker& operator=(const Checker&) = delete;

  const std::map<std::string, Lineage>& lineages() const { return lineages_; }
  const std::vector<std::string>& violations() const { return violations_; }
  // (seat, segment) rows CheckSnapshot has looked at.
  int64_t checked_cells() const { return checked_cells_; }

  // What acknowledged answers say by themselves.
  void CheckAnswers();
  // How far a hold's expires_at may lie outside the window its request's
  // times allow (an instance computes expiries on its own clock: a scenario
  // that skews a clock widens this by the skew).
  void set_expiry_slack_ms(int64_t ms) { expiry_slack_ms_ = ms; }

  // 1. Certain-ownership intervals of acknowledged holds never overlap.
  void CheckNoDoubleSale();

  // 2./3. One snapshot against the log and the ledger. `all_ops` is searched
  // for the request that wrote a live hold the ledger does not know.
  // REQUIRES: every SeatRead has trip.segments cells.
  void CheckSnapshot(const Snapshot& snap, const std::vector<Op>& all_ops);

  // Final only: every confirmed booking in the ledger owns all its cells, and
  // the ledger agrees with acknowledged outcomes. `final_read_ms`: when the
  // final read began (every hold should have expired by then).
  void CheckFinalLedger(const Snapshot& final_snap, int64_t final_read_ms);

  // Records a violation found by the caller.
  void Violation(std::string text);

 private:
  const LedgerEntry* Find(const std::string& user, const std::string& entry) const;
  void CheckAcknowledged(const SeatRead& read, const std::string& where);
  void CheckHeldRows(const SeatRead& read, const std::string& where, const std::vector<Op>& all_ops);
  void CheckBookedRows(const SeatRead& read, const std::string& where, bool final);

  const TripShape trip_;
  const std::vector<Op>& ops_;
  const std::map<std::string, LedgerEntry>& ledger_;
  std::map<std::string, Lineage> lineages_;
  std::vector<std::string> violations_;
  int64_t expiry_slack_ms_ = 0;
  int64_t checked_cells_ = 0;
};

}  // namespace inventory::checker
