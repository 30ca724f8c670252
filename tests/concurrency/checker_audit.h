// Audits of answers and of the settled database, beyond "no double sale":
//
//  - Refusals. A hold refused "not available" for a seat that the log shows
//    free on every segment of the journey, from longer than the promised
//    bound before the call began until its answer, is a violation. The bound
//    is 1 s, or 60 s when the seat was freed while Redis was stalled or down
//    (windows the scenario names). "Free" is judged from the log alone: a
//    (seat, segment) may be owned by every hold request that was not
//    rejected outright, from its start until the end of its life as far as
//    the log can tell (released: the release's answer; confirmed: the
//    cancel's answer, or for ever; otherwise: its expiry plus the service's
//    skew tolerance; an unknown outcome: the latest expiry it could have
//    set). Only what is certainly free counts.
//  - Contention. A hold answered "contention - please retry" for a seat that
//    an acknowledged hold or booking certainly owned on some segment of the
//    journey, from at least 1 s before the call until its answer, is a
//    violation: a seat known taken is "not available".
//  - Settled state, once every operation has ended at least the repair bound
//    ago: every live held row belongs to a hold whose record is active, every
//    booked row to a confirmed booking, and no record is left in an
//    in-between state (releasing, confirming, aborting; pending, cancelling).
//  - Ledger agreement: a confirmed booking's hold is confirmed; a released
//    hold has no booking that is not cancelled.
//
// Test code only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "checker_db.h"
#include "checker_log.h"
#include "checker_rules.h"

namespace inventory::checker {

struct AuditOptions {
  int64_t bound_ms = 1000;           // a freed seat is holdable everywhere within this
  int64_t degraded_bound_ms = 60000;  // ... or this, when freed while Redis was away
  // [from, to] windows during which Redis was stalled or down.
  std::vector<std::pair<int64_t, int64_t>> degraded;
  int64_t skew_tolerance_ms = 1000;  // the service's CLOCK_SKEW_TOLERANCE_MS
  // Instances whose refusals are not audited (e.g. one that says it refuses
  // to reclaim because its clock is too far off).
  std::vector<int> exempt_instances;
};

class Occupancy {
 public:
  Occupancy(const std::vector<Op>& ops, const Checker& checker, const AuditOptions& options);
  // No request but the one numbered `except_seq` may have owned the cell at
  // any moment of [from, to].
  bool CertainlyFree(const std::string& seat, int segment, int64_t from, int64_t to, uint64_t except_seq) const;
  // The end of the last interval in which the cell may have been owned that
  // ends at or before `t` (0: never owned before).
  int64_t LastFreedBefore(const std::string& seat, int segment, int64_t t) const;

 private:
  std::map<std::pair<std::string, int>, std::vector<std::pair<int64_t, int64_t>>> may_own_;
  std::map<std::pair<std::string, int>, std::vector<uint64_t>> seqs_;  // the request of each interval
};

struct AuditCounts {
  int refusals_audited = 0;
  int refusals_wrong = 0;
  int contention_audited = 0;
  int contention_wrong = 0;
};

// Appends violations to `checker` and returns what was audited.
AuditCounts AuditRefusals(const std::vector<Op>& ops, Checker& checker, const AuditOptions& options);
AuditCounts AuditContention(const std::vector<Op>& ops, Checker& checker, const AuditOptions& options);

// The settled state (see above) of `final_snap`, read at `read_ms`, against
// the ledger (keyed "<user>|<entry>").
void CheckSettled(const Snapshot& final_snap, int64_t read_ms, const std::map<std::string, LedgerEntry>& ledger,
                  Checker& checker);
void CheckLedgerAgrees(const std::map<std::string, LedgerEntry>& ledger, Checker& checker);

}  // namespace inventory::checker
