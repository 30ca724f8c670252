#include "checker_audit.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace inventory::checker {
namespace {

// The latest expiry a hold request could have set (the service rounds to
// whole seconds from its own clock while the request runs).
int64_t LatestExpiry(const Op& op) { return (op.end_ms / 1000 + op.duration_s + 1) * 1000; }

// Until when an acknowledged hold, or the booking it may have become, may own
// its cells, as far as the log tells.
int64_t EndOfLife(const Lineage& l, int64_t tolerance_ms) {
  int64_t ops_end = 0;
  for (const Op* op : l.ops) ops_end = std::max(ops_end, op->end_ms);  // whatever a call did is done by its answer
  if (l.confirm_acked || l.confirm_unknown || l.may_still_run) {
    // It may be a booking: until an acknowledged cancel, or for ever.
    return l.cancel_acked && !l.cancel_unknown && !l.may_still_run ? l.cancel_acked_end : kInf;
  }
  if (l.release_acked && !l.release_unknown) return l.release_acked_end;
  return std::max(l.expires_at_ms + tolerance_ms, ops_end);
}

// The seats an acknowledged refusal of a hold for `reason` refused, when the
// audit looks at it (else empty).
std::vector<std::string> RefusedSeats(const Op& op, v1::FailureReason reason, const AuditOptions& options) {
  if (op.kind != Kind::kHold || op.outcome != Outcome::kRefused || op.reason != reason || op.no_effect) return {};
  const std::vector<int>& exempt = options.exempt_instances;
  if (std::find(exempt.begin(), exempt.end(), op.instance) != exempt.end()) return {};
  return op.failed_seats.empty() ? op.seats : op.failed_seats;
}

}  // namespace

Occupancy::Occupancy(const std::vector<Op>& ops, const Checker& checker, const AuditOptions& options) {
  for (const Op& op : ops) {
    if (op.kind != Kind::kHold || op.no_effect || op.outcome == Outcome::kRejected) continue;
    int64_t end = op.end_ms;
    // A refused request may have held the seats it did not name as refused
    // until it answered; those it names it never had (a request refused for
    // the per-user limit may have held all of them).
    std::vector<std::string> held = op.seats;
    if (op.outcome == Outcome::kRefused && op.reason != v1::FAILURE_REASON_HOLD_LIMIT_REACHED) {
      held.clear();
      for (const std::string& seat : op.seats) {
        if (std::find(op.failed_seats.begin(), op.failed_seats.end(), seat) == op.failed_seats.end()) {
          held.push_back(seat);
        }
      }
    }
    if (op.outcome == Outcome::kSuccess) {
      auto it = checker.lineages().find(op.hold_id);
      end = it != checker.lineages().end() ? EndOfLife(it->second, options.skew_tolerance_ms) : kInf;
    } else if (op.outcome == Outcome::kUnknown) {
      end = LatestExpiry(op) + options.skew_tolerance_ms;
    }
    for (const std::string& seat : held) {
      for (int s = op.first; s <= op.last; ++s) {
        may_own_[{seat, s}].push_back({op.start_ms, end});
        seqs_[{seat, s}].push_back(op.seq);
      }
    }
  }
}

bool Occupancy::CertainlyFree(const std::string& seat, int segment, int64_t from, int64_t to,
                              uint64_t except_seq) const {
  auto it = may_own_.find({seat, segment});
  if (it == may_own_.end()) return true;
  const std::vector<uint64_t>& seqs = seqs_.at({seat, segment});
  for (size_t i = 0; i < it->second.size(); ++i) {
    if (seqs[i] == except_seq) continue;
    const auto& [a, b] = it->second[i];
    if (a <= to && from < b) return false;
  }
  return true;
}

int64_t Occupancy::LastFreedBefore(const std::string& seat, int segment, int64_t t) const {
  auto it = may_own_.find({seat, segment});
  if (it == may_own_.end()) return 0;
  int64_t last = 0;
  for (const auto& [a, b] : it->second) {
    if (b <= t) last = std::max(last, b);
  }
  return last;
}

AuditCounts AuditRefusals(const std::vector<Op>& ops, Checker& checker, const AuditOptions& options) {
  AuditCounts counts;
  const Occupancy occupancy(ops, checker, options);
  auto degraded = [&options](int64_t t) {
    for (const auto& [from, to] : options.degraded) {
      if (t >= from && t <= to + options.bound_ms) return true;
    }
    return false;
  };
  for (const Op& op : ops) {
    for (const std::string& seat : RefusedSeats(op, v1::FAILURE_REASON_NOT_AVAILABLE, options)) {
      ++counts.refusals_audited;
      bool wrong = true;
      int64_t freed = 0, bound = 0;
      for (int s = op.first; s <= op.last && wrong; ++s) {
        const int64_t f = occupancy.LastFreedBefore(seat, s, op.start_ms);
        const int64_t b = degraded(f) ? options.degraded_bound_ms : options.bound_ms;
        if (!occupancy.CertainlyFree(seat, s, op.start_ms - b, op.end_ms, op.seq)) wrong = false;
        freed = std::max(freed, f);
        bound = std::max(bound, b);
      }
      if (!wrong) continue;
      ++counts.refusals_wrong;
      checker.Violation(absl::StrCat("REFUSED A FREE SEAT: seat ", seat, " segments ", op.first, "..", op.last,
                                     " was free from ", freed == 0 ? std::string("the start") : std::to_string(freed),
                                     " (", freed == 0 ? 0 : op.start_ms - freed, " ms before the call; bound ", bound,
                                     " ms) through the answer, yet: ", op.Describe()));
    }
  }
  return counts;
}

AuditCounts AuditContention(const std::vector<Op>& ops, Checker& checker, const AuditOptions& options) {
  AuditCounts counts;
  for (const Op& op : ops) {
    for (const std::string& seat : RefusedSeats(op, v1::FAILURE_REASON_CONTENTION, options)) {
      ++counts.contention_audited;
      const Lineage* owner = nullptr;
      for (const auto& [id, l] : checker.lineages()) {
        if (l.acked_ms > op.start_ms - options.bound_ms || l.OwnedUntil() <= op.end_ms) continue;
        for (int s = op.first; s <= op.last && owner == nullptr; ++s) {
          if (l.Covers(seat, s)) owner = &l;
        }
        if (owner != nullptr) break;
      }
      if (owner == nullptr) continue;
      ++counts.contention_wrong;
      checker.Violation(absl::StrCat("CONTENTION FOR A SEAT KNOWN TAKEN: seat ", seat, " was owned by ",
                                     owner->hold_id, " from ", owner->acked_ms, " (",
                                     op.start_ms - owner->acked_ms, " ms before the call) through the answer, yet: ",
                                     op.Describe()));
    }
  }
  return counts;
}

void CheckSettled(const Snapshot& final_snap, int64_t read_ms, const std::map<std::string, LedgerEntry>& ledger,
                  Checker& checker) {
  auto find = [&ledger](const std::string& user, const std::string& entry) -> const LedgerEntry* {
    auto it = ledger.find(user + "|" + entry);
    return it == ledger.end() ? nullptr : &it->second;
  };
  for (const SeatRead& read : final_snap.seats) {
    std::set<std::string> reported;
    for (size_t s = 0; s < read.cells.size(); ++s) {
      const Cell& c = read.cells[s];
      if (c.status == "held" && c.expires_at_ms > read_ms && reported.insert("h" + c.hold_id).second) {
        const LedgerEntry* record = find(c.user_id, "hold#" + c.hold_id);
        if (record == nullptr || record->state != "active") {
          checker.Violation(absl::StrCat("STRANDED SEAT: seat ", read.seat, " segment ", s, " is held by ",
                                         c.hold_id, " (user ", c.user_id, ") until ", c.expires_at_ms,
                                         " though that hold's record is ",
                                         record == nullptr ? std::string("missing") : "'" + record->state + "'",
                                         ", long after every operation ended"));
        }
      }
      if (c.status == "booked" && reported.insert("b" + c.booking_id).second) {
        const LedgerEntry* record = find(c.user_id, "booking#" + c.booking_id);
        if (record == nullptr || record->state != "confirmed") {
          checker.Violation(absl::StrCat("STRANDED SEAT: seat ", read.seat, " segment ", s, " is booked by ",
                                         c.booking_id, " (user ", c.user_id, ") whose record is ",
                                         record == nullptr ? std::string("missing") : "'" + record->state + "'",
                                         ", long after every operation ended"));
        }
      }
    }
  }
  for (const auto& [key, e] : ledger) {
    const bool hold_between =
        e.kind == "hold" && (e.state == "releasing" || e.state == "confirming" || e.state == "aborting");
    const bool booking_between = e.kind == "booking" && (e.state == "pending" || e.state == "cancelling");
    if (hold_between || booking_between) {
      checker.Violation(absl::StrCat("HALF-DONE: ", e.kind, " ", e.kind == "hold" ? e.hold_id : e.booking_id,
                                     " of user ", e.user, " is still '", e.state,
                                     "' long after every operation ended"));
    }
  }
}

void CheckLedgerAgrees(const std::map<std::string, LedgerEntry>& ledger, Checker& checker) {
  for (const auto& [key, e] : ledger) {
    if (e.kind == "booking" && e.state == "confirmed") {
      auto hold = ledger.find(e.user + "|hold#" + e.hold_id);
      if (hold == ledger.end() || hold->second.state != "confirmed") {
        checker.Violation(absl::StrCat("LEDGER DISAGREES: booking ", e.booking_id, " of user ", e.user,
                                       " is confirmed but its hold ", e.hold_id, " is ",
                                       hold == ledger.end() ? std::string("missing") : "'" + hold->second.state + "'"));
      }
    }
    if (e.kind == "hold" && e.state == "released") {
      auto booking = ledger.find(e.user + "|booking#" + BookingIdOf(e.hold_id));
      if (booking != ledger.end() && booking->second.state != "cancelled") {
        checker.Violation(absl::StrCat("LEDGER DISAGREES: hold ", e.hold_id, " of user ", e.user,
                                       " is released but its booking is '", booking->second.state, "'"));
      }
    }
  }
}

}  // namespace inventory::checker
