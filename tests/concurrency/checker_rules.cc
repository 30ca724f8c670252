#include "checker_rules.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace inventory::checker {

std::string BookingIdOf(const std::string& hold_id) { return "bk-" + hold_id; }

std::string HoldIdOf(const std::string& booking_id) {
  return booking_id.size() > 3 && booking_id.compare(0, 3, "bk-") == 0 ? booking_id.substr(3) : std::string();
}

int64_t Lineage::OwnedUntil() const {
  return confirm_acked ? first_cancel_start : std::min(expires_at_ms, first_release_start);
}

bool Lineage::Covers(const std::string& seat, int segment) const {
  return segment >= first && segment <= last && std::find(seats.begin(), seats.end(), seat) != seats.end();
}

std::string Lineage::History() const {
  std::string out = absl::StrCat("    lineage ", hold_id, " (user ", user, ", seats [", absl::StrJoin(seats, ","),
                                 "], segments ", first, "..", last, ", acked by inst", instance, " at ", acked_ms,
                                 ", expires ", expires_at_ms, ", owned until ",
                                 OwnedUntil() == kInf ? std::string("end") : std::to_string(OwnedUntil()), ")\n");
  for (const Op* op : ops) absl::StrAppend(&out, "      ", op->Describe(), "\n");
  return out;
}

Checker::Checker(TripShape trip, const std::vector<Op>& ops, const std::map<std::string, LedgerEntry>& ledger)
    : trip_(std::move(trip)), ops_(ops), ledger_(ledger) {
  for (const Op& op : ops_) {
    if (op.kind == Kind::kHold && op.outcome == Outcome::kSuccess) {
      Lineage& l = lineages_[op.hold_id];
      if (l.hold_id.empty()) {
        l.hold_id = op.hold_id;
        l.user = op.user;
        l.seats = op.seats;
        l.first = op.first;
        l.last = op.last;
        l.expires_at_ms = op.expires_at_ms;
        l.instance = op.instance;
      }
      if (op.end_ms < l.acked_ms) {
        l.acked_ms = op.end_ms;
        l.instance = op.instance;
      }
      l.ops.push_back(&op);
    }
  }
  for (const Op& op : ops_) {
    if (op.kind == Kind::kHold) continue;
    auto it = lineages_.find(op.hold_id);
    if (it == lineages_.end()) {
      Violation(absl::StrCat("client acted on a hold it never had acknowledged: ", op.Describe()));
      continue;
    }
    Lineage& l = it->second;
    l.ops.push_back(&op);
    if (MayStillRun(op.code)) l.may_still_run = true;
    const bool effect = !op.no_effect;
    switch (op.kind) {
      case Kind::kConfirm:
        if (effect) l.first_confirm_start = std::min(l.first_confirm_start, op.start_ms);
        if (op.outcome == Outcome::kSuccess) {
          l.confirm_acked = true;
          l.confirm_acked_end = std::min(l.confirm_acked_end, op.end_ms);
        }
        if (op.outcome == Outcome::kUnknown && effect) l.confirm_unknown = true;
        break;
      case Kind::kRelease:
        if (effect) l.first_release_start = std::min(l.first_release_start, op.start_ms);
        if (op.outcome == Outcome::kSuccess) {
          l.release_acked = true;
          l.release_acked_end = std::min(l.release_acked_end, op.end_ms);
        }
        if (op.outcome == Outcome::kUnknown && effect) l.release_unknown = true;
        break;
      case Kind::kCancel:
        if (effect) l.first_cancel_start = std::min(l.first_cancel_start, op.start_ms);
        if (op.outcome == Outcome::kSuccess) {
          l.cancel_acked = true;
          l.cancel_acked_end = std::min(l.cancel_acked_end, op.end_ms);
        }
        if (op.outcome == Outcome::kUnknown && effect) l.cancel_unknown = true;
        break;
      case Kind::kHold:
        break;
    }
  }
  for (auto& [id, l] : lineages_) {
    std::sort(l.ops.begin(), l.ops.end(), [](const Op* a, const Op* b) { return a->seq < b->seq; });
  }
}

// What acknowledged answers say by themselves.
void Checker::CheckAnswers() {
  for (const Op& op : ops_) {
    if (op.note.find("MISMATCH") != std::string::npos) Violation("answer does not match the request: " + op.Describe());
    if (op.kind == Kind::kHold && op.outcome == Outcome::kSuccess) {
      // A retried request may get the first attempt's hold back.
      const int64_t lo = (op.request_start_ms / 1000 + op.duration_s) * 1000 - 1000 - expiry_slack_ms_;
      const int64_t hi = (op.end_ms / 1000 + op.duration_s) * 1000 + 1000 + expiry_slack_ms_;
      if (op.expires_at_ms < lo || op.expires_at_ms > hi) {
        Violation(absl::StrCat("hold expires_at outside [", lo, ", ", hi, "]: ", op.Describe()));
      }
    }
  }
  for (const auto& [id, l] : lineages_) {
    for (const Op* op : l.ops) {
      if (op->kind == Kind::kConfirm && op->outcome == Outcome::kSuccess) {
        if (op->booking_id != BookingIdOf(id)) Violation("unexpected booking id: " + op->Describe());
        if (op->note.find("after expiry") != std::string::npos) {
          Violation("confirm after the hold expired succeeded:\n" + l.History());
        }
        if (l.release_acked && l.release_acked_end < op->start_ms) {
          Violation("confirm after an acknowledged release succeeded:\n" + l.History());
        }
      }
      if (op->kind == Kind::kRelease && op->outcome == Outcome::kSuccess && l.confirm_acked &&
          l.confirm_acked_end < op->start_ms) {
        Violation("release of a confirmed hold answered success:\n" + l.History());
      }
    }
  }
}

// 1. Certain-ownership intervals of acknowledged holds never overlap.
void Checker::CheckNoDoubleSale() {
  std::map<std::pair<std::string, int>, std::vector<const Lineage*>> by_cell;
  for (const auto& [id, l] : lineages_) {
    if (l.OwnedUntil() <= l.acked_ms) continue;
    for (const std::string& seat : l.seats) {
      for (int s = l.first; s <= l.last; ++s) by_cell[{seat, s}].push_back(&l);
    }
  }
  for (auto& [cell, list] : by_cell) {
    std::sort(list.begin(), list.end(), [](const Lineage* a, const Lineage* b) { return a->acked_ms < b->acked_ms; });
    for (size_t i = 0; i < list.size(); ++i) {
      for (size_t j = i + 1; j < list.size() && list[j]->acked_ms < list[i]->OwnedUntil(); ++j) {
        Violation(absl::StrCat("DOUBLE SALE: seat ", cell.first, " segment ", cell.second,
                               " owned by two acknowledged holds/bookings at once (from ", list[j]->acked_ms,
                               " to ", std::min(list[i]->OwnedUntil(), list[j]->OwnedUntil()), ")\n",
                               list[i]->History(), list[j]->History()));
      }
    }
  }
}

// 2./3. One snapshot against the log and the ledger.
void Checker::CheckSnapshot(const Snapshot& snap, const std::vector<Op>& all_ops) {
  for (const SeatRead& read : snap.seats) {
    const std::string where = absl::StrCat(snap.final ? "final read" : absl::StrCat("snapshot ", snap.index),
                                           " of seat ", read.seat, " at [", read.r0, ",", read.r1, "]");
    for (int s = 0; s < trip_.segments; ++s) {
      ++checked_cells_;
      const Cell& c = read.cells[static_cast<size_t>(s)];
      if (!c.present) {
        Violation(absl::StrCat(where, ": no row for segment ", s));
        continue;
      }
      if (c.status != "available" && c.status != "held" && c.status != "booked" && c.status != "blocked") {
        Violation(absl::StrCat(where, " segment ", s, ": unknown status '", c.status, "'"));
      }
      if (c.status == "blocked") Violation(absl::StrCat(where, " segment ", s, ": blocked, nobody blocks here"));
    }
    CheckAcknowledged(read, where);
    CheckHeldRows(read, where, all_ops);
    CheckBookedRows(read, where, snap.final);
  }
}

// Final only: every confirmed booking in the ledger owns all its cells, and
// the ledger agrees with acknowledged outcomes.
void Checker::CheckFinalLedger(const Snapshot& final_snap, int64_t final_read_ms) {
  std::map<std::string, const SeatRead*> by_seat;
  for (const SeatRead& r : final_snap.seats) by_seat[r.seat] = &r;
  for (const auto& [key, e] : ledger_) {
    if (e.kind == "booking" && e.state == "confirmed") {
      auto it = lineages_.find(HoldIdOf(e.booking_id));
      const bool tolerated = it != lineages_.end() && (it->second.cancel_unknown || it->second.may_still_run);
      for (const std::string& seat : e.seat_ids) {
        auto r = by_seat.find(seat);
        if (r == by_seat.end()) continue;
        for (int s = e.first; s <= e.last; ++s) {
          const Cell& c = r->second->cells[static_cast<size_t>(s)];
          if ((c.status != "booked" || c.booking_id != e.booking_id) && !tolerated) {
            Violation(absl::StrCat("confirmed booking ", e.booking_id, " (user ", e.user, ") does not own seat ",
                                   seat, " segment ", s, ": row is ", c.status, " hold=", c.hold_id,
                                   " booking=", c.booking_id, "\n",
                                   it != lineages_.end() ? it->second.History() : std::string()));
          }
        }
      }
    }
    if (e.kind == "live" && e.expires_at_ms > final_read_ms) {
      Violation(absl::StrCat("live-hold marker ", e.entry, " of ", e.user, " for hold ", e.hold_id,
                             " still counts until ", e.expires_at_ms, " after every hold expired"));
    }
  }
  for (const auto& [id, l] : lineages_) {
    const LedgerEntry* hold = Find(l.user, "hold#" + id);
    if (hold == nullptr) {
      Violation("acknowledged hold has no ledger record:\n" + l.History());
      continue;
    }
    if (std::set<std::string>(hold->seat_ids.begin(), hold->seat_ids.end()) !=
            std::set<std::string>(l.seats.begin(), l.seats.end()) ||
        hold->first != l.first || hold->last != l.last || hold->expires_at_ms != l.expires_at_ms) {
      Violation(absl::StrCat("ledger hold record differs from the acknowledged hold (ledger seats [",
                             absl::StrJoin(hold->seat_ids, ","), "] segments ", hold->first, "..", hold->last,
                             " expires ", hold->expires_at_ms, "):\n", l.History()));
    }
    if (l.confirm_acked && hold->state != "confirmed") {
      Violation(absl::StrCat("acknowledged confirm, ledger hold state '", hold->state, "':\n", l.History()));
    }
    if (l.release_acked && !l.confirm_acked && hold->state != "released" && !l.may_still_run) {
      Violation(absl::StrCat("acknowledged release, ledger hold state '", hold->state, "':\n", l.History()));
    }
    if (l.confirm_acked) {
      const LedgerEntry* booking = Find(l.user, "booking#" + BookingIdOf(id));
      if (booking == nullptr) {
        Violation("acknowledged booking has no ledger record:\n" + l.History());
        continue;
      }
      const bool any_cancel = l.first_cancel_start != kInf;
      if (!any_cancel && booking->state != "confirmed") {
        Violation(absl::StrCat("acknowledged, never cancelled booking has ledger state '", booking->state,
                               "':\n", l.History()));
      }
      if (l.cancel_acked && booking->state != "cancelled") {
        Violation(absl::StrCat("acknowledged cancel, ledger booking state '", booking->state, "':\n",
                               l.History()));
      }
    }
  }
}

const LedgerEntry* Checker::Find(const std::string& user, const std::string& entry) const {
  auto it = ledger_.find(user + "|" + entry);
  return it == ledger_.end() ? nullptr : &it->second;
}

// Acknowledged holds/bookings inside their certain interval own exactly
// their cells; after an acknowledged release/cancel they own none.
void Checker::CheckAcknowledged(const SeatRead& read, const std::string& where) {
  for (const auto& [id, l] : lineages_) {
    const std::string booking = BookingIdOf(id);
    const bool has_seat = std::find(l.seats.begin(), l.seats.end(), read.seat) != l.seats.end();
    // Cells outside the hold's journey or seats never carry it.
    for (int s = 0; s < trip_.segments; ++s) {
      const Cell& c = read.cells[static_cast<size_t>(s)];
      const bool ours = (c.status == "held" && c.hold_id == id) || (c.status == "booked" && c.booking_id == booking);
      if (ours && !l.Covers(read.seat, s)) {
        Violation(absl::StrCat(where, " segment ", s, ": ", c.status, " by ", id,
                               " outside its seats/journey\n", l.History()));
      }
    }
    if (!has_seat) continue;
    const bool certain = l.acked_ms <= read.r0 && read.r1 < l.OwnedUntil();
    const bool must_be_booked = l.confirm_acked && l.confirm_acked_end <= read.r0 && read.r1 < l.first_cancel_start;
    for (int s = l.first; s <= l.last; ++s) {
      const Cell& c = read.cells[static_cast<size_t>(s)];
      const bool held = c.status == "held" && c.hold_id == id;
      const bool booked = c.status == "booked" && c.booking_id == booking;
      if (certain && !held && !booked) {
        Violation(absl::StrCat(where, " segment ", s, ": acknowledged hold/booking ", id,
                               " should own it, row is ", c.status, " hold=", c.hold_id, " booking=", c.booking_id,
                               " user=", c.user_id, "\n", l.History()));
      } else if (must_be_booked && !booked) {
        Violation(absl::StrCat(where, " segment ", s, ": acknowledged booking ", booking,
                               " should be booked, row is ", c.status, " hold=", c.hold_id,
                               " booking=", c.booking_id, "\n", l.History()));
      }
      if (held && l.release_acked && l.release_acked_end <= read.r0 && !l.may_still_run) {
        Violation(absl::StrCat(where, " segment ", s, ": still held by ", id,
                               " after its release was acknowledged\n", l.History()));
      }
      if (booked && l.release_acked && !l.confirm_acked && !l.confirm_unknown && !l.may_still_run &&
          l.release_acked_end <= read.r0) {
        Violation(absl::StrCat(where, " segment ", s, ": booked by ", booking,
                               " though the hold was released and never confirmed\n", l.History()));
      }
      if (booked && l.cancel_acked && l.cancel_acked_end <= read.r0 && !l.may_still_run) {
        Violation(absl::StrCat(where, " segment ", s, ": still booked by ", booking,
                               " after its cancel was acknowledged\n", l.History()));
      }
    }
  }
}

// Held rows: agree with the ledger, never partial while live, and a live
// hold without a ledger record must come from a request in flight or of
// unknown outcome.
void Checker::CheckHeldRows(const SeatRead& read, const std::string& where, const std::vector<Op>& all_ops) {
  std::map<std::string, std::vector<int>> segments_by_hold;
  for (int s = 0; s < trip_.segments; ++s) {
    const Cell& c = read.cells[static_cast<size_t>(s)];
    if (c.status == "held") segments_by_hold[c.hold_id].push_back(s);
  }
  for (const auto& [hold_id, segs] : segments_by_hold) {
    const Cell& c = read.cells[static_cast<size_t>(segs.front())];
    const bool live = c.expires_at_ms > read.r1;
    const LedgerEntry* record = Find(c.user_id, "hold#" + hold_id);
    auto lineage = lineages_.find(hold_id);
    std::optional<std::pair<int, int>> range;
    if (record != nullptr) {
      range = std::make_pair(record->first, record->last);
      if (std::find(record->seat_ids.begin(), record->seat_ids.end(), read.seat) == record->seat_ids.end()) {
        Violation(absl::StrCat(where, ": held by ", hold_id, " whose ledger record has no seat ", read.seat,
                               " (seats [", absl::StrJoin(record->seat_ids, ","), "])"));
      }
    } else if (lineage != lineages_.end()) {
      range = std::make_pair(lineage->second.first, lineage->second.last);
    }
    for (int s : segs) {
      const Cell& x = read.cells[static_cast<size_t>(s)];
      if (range.has_value() && (s < range->first || s > range->second)) {
        Violation(absl::StrCat(where, " segment ", s, ": held by ", hold_id, " outside its journey ",
                               range->first, "..", range->second));
      }
      if (x.user_id != c.user_id || x.expires_at_ms != c.expires_at_ms) {
        Violation(absl::StrCat(where, ": rows of hold ", hold_id, " disagree on user/expiry (", c.user_id, "/",
                               c.expires_at_ms, " vs ", x.user_id, "/", x.expires_at_ms, ")"));
      }
    }
    if (!live) continue;
    // A live hold covers its whole journey on this seat (one batch).
    if (range.has_value()) {
      std::vector<int> want;
      for (int s = range->first; s <= range->second; ++s) want.push_back(s);
      if (segs != want) {
        Violation(absl::StrCat(where, ": PARTIAL HOLD ", hold_id, " (user ", c.user_id, ", live until ",
                               c.expires_at_ms, ") holds segments [", absl::StrJoin(segs, ","), "] of ",
                               range->first, "..", range->second,
                               lineage != lineages_.end() ? "\n" + lineage->second.History() : std::string()));
      }
    } else if (segs.back() - segs.front() + 1 != static_cast<int>(segs.size())) {
      Violation(absl::StrCat(where, ": PARTIAL HOLD ", hold_id, " holds non-contiguous segments [",
                             absl::StrJoin(segs, ","), "]"));
    }
    if (record != nullptr || lineage != lineages_.end()) continue;
    // No record of this hold: which request wrote it? Match user, seat,
    // segments and the expiry the service computes.
    std::vector<const Op*> candidates;
    for (const Op& op : all_ops) {
      if (op.kind != Kind::kHold || op.user != c.user_id || op.no_effect) continue;
      if (std::find(op.seats.begin(), op.seats.end(), read.seat) == op.seats.end()) continue;
      if (op.first != segs.front() || op.last != segs.back()) continue;
      const int64_t lo = (op.start_ms / 1000 + op.duration_s) * 1000;
      const int64_t hi = (op.end_ms / 1000 + op.duration_s) * 1000;
      if (c.expires_at_ms < lo || c.expires_at_ms > hi) continue;
      candidates.push_back(&op);
    }
    bool explained = false;
    for (const Op* op : candidates) {
      const bool in_flight = op->start_ms <= read.r1 && op->end_ms >= read.r0;
      if (in_flight || op->outcome == Outcome::kUnknown) explained = true;
    }
    if (!explained) {
      std::string text = absl::StrCat(where, ": live hold ", hold_id, " (user ", c.user_id, ", segments ",
                                      segs.front(), "..", segs.back(), ", expires ", c.expires_at_ms,
                                      ") has no ledger record and no request in flight or of unknown outcome "
                                      "explains it (a refused request left seats held?)");
      for (const Op* op : candidates) absl::StrAppend(&text, "\n      candidate ", op->Describe());
      Violation(std::move(text));
    }
  }
}

// Booked rows: a booking record exists and covers the cell; per seat the
// booking owns its whole journey (one batch); finally it is confirmed.
void Checker::CheckBookedRows(const SeatRead& read, const std::string& where, bool final) {
  std::map<std::string, std::vector<int>> segments_by_booking;
  for (int s = 0; s < trip_.segments; ++s) {
    const Cell& c = read.cells[static_cast<size_t>(s)];
    if (c.status == "booked") segments_by_booking[c.booking_id].push_back(s);
  }
  for (const auto& [booking_id, segs] : segments_by_booking) {
    const Cell& c = read.cells[static_cast<size_t>(segs.front())];
    const LedgerEntry* record = Find(c.user_id, "booking#" + booking_id);
    auto lineage = lineages_.find(HoldIdOf(booking_id));
    const std::string history = lineage != lineages_.end() ? "\n" + lineage->second.History() : std::string();
    if (record == nullptr) {
      Violation(absl::StrCat(where, ": booked by ", booking_id, " (user ", c.user_id,
                             ") which has no booking record", history));
      continue;
    }
    if (std::find(record->seat_ids.begin(), record->seat_ids.end(), read.seat) == record->seat_ids.end()) {
      Violation(absl::StrCat(where, ": booked by ", booking_id, " whose record has no seat ", read.seat, history));
    }
    std::vector<int> want;
    for (int s = record->first; s <= record->last; ++s) want.push_back(s);
    if (segs != want) {
      Violation(absl::StrCat(where, ": PARTIAL BOOKING ", booking_id, " books segments [",
                             absl::StrJoin(segs, ","), "] of ", record->first, "..", record->last, history));
    }
    if (final && record->state != "confirmed") {
      Violation(absl::StrCat(where, ": seat booked (segments ", segs.front(), "..", segs.back(),
                             ") for booking ", booking_id, " whose state is '", record->state,
                             "': the seat is lost to sale", history));
    }
  }
}

void Checker::Violation(std::string text) { violations_.push_back(std::move(text)); }

}  // namespace inventory::checker
