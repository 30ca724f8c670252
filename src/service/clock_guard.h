// This instance's clock, and how far it may be trusted to decide expiry.
//
// Holds expire by the clock of whoever looks. An instance whose clock runs
// ahead would reclaim live holds early; one that runs behind keeps expired
// ones a little longer (harmless: the database's conditions decide every
// write). The service states a tolerated skew and makes no decision whose
// safety needs a tighter bound: a hold is reclaimable (its seats holdable by
// others, blockable) only once expires_at + tolerance has passed on this
// clock, so an instance whose clock is at most `tolerance` ahead never takes
// a seat before its hold really expired.
//
// The skew is measured against the database's clock (the coordinator's, by
// a time-based UUID it makes), at start and periodically: skew = local clock
// at the middle of the round trip − database clock, known to within half
// the round trip. While the skew is unknown (never measured, or the last
// measurement older than `stale_after`) or beyond the tolerance, ReclaimNow()
// is 0: nothing is reclaimable, every expired hold still counts as taken,
// and the instance says so (metric, log, /health).
//
// Threading: one executor (the service's io thread); not locked.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

namespace inventory::service {

class ClockGuard {
 public:
  using Clock = std::function<int64_t()>;  // unix milliseconds

  ClockGuard(Clock local, int64_t tolerance_ms, int64_t stale_after_ms);

  // The local clock.
  int64_t Now() const { return local_(); }
  // The clock that decides whether a hold has expired for reclaiming:
  // Now() − tolerance while reclaiming is allowed, 0 (nothing expired) when
  // it is not.
  int64_t ReclaimNow() const;
  bool ReclaimAllowed() const;

  // One measurement: the database's clock read `db_ms` for a request sent at
  // local `sent_ms` and answered at local `received_ms`. Returns true if it
  // changed whether reclaiming is allowed.
  bool Record(int64_t db_ms, int64_t sent_ms, int64_t received_ms);

  int64_t tolerance_ms() const { return tolerance_ms_; }
  // local − database at the last measurement, and its uncertainty.
  std::optional<int64_t> skew_ms() const { return skew_ms_; }
  int64_t uncertainty_ms() const { return uncertainty_ms_; }
  // When the last measurement was taken (local ms), 0 if never.
  int64_t measured_at_ms() const { return measured_at_ms_; }
  uint64_t measurements() const { return measurements_; }

 private:
  bool WithinTolerance() const;

  Clock local_;
  int64_t tolerance_ms_;
  int64_t stale_after_ms_;
  std::optional<int64_t> skew_ms_;
  int64_t uncertainty_ms_ = 0;
  int64_t measured_at_ms_ = 0;
  uint64_t measurements_ = 0;
};

}  // namespace inventory::service
