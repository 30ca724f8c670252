#include "service/clock_guard.h"

#include <cstdlib>

namespace inventory::service {

ClockGuard::ClockGuard(Clock local, int64_t tolerance_ms, int64_t stale_after_ms)
    : local_(std::move(local)), tolerance_ms_(tolerance_ms), stale_after_ms_(stale_after_ms) {}

bool ClockGuard::WithinTolerance() const {
  return skew_ms_.has_value() && std::llabs(*skew_ms_) + uncertainty_ms_ <= tolerance_ms_;
}

bool ClockGuard::ReclaimAllowed() const {
  return WithinTolerance() && Now() - measured_at_ms_ <= stale_after_ms_;
}

int64_t ClockGuard::ReclaimNow() const { return ReclaimAllowed() ? Now() - tolerance_ms_ : 0; }

bool ClockGuard::Record(int64_t db_ms, int64_t sent_ms, int64_t received_ms) {
  const bool before = ReclaimAllowed();
  const int64_t round_trip = received_ms >= sent_ms ? received_ms - sent_ms : 0;
  skew_ms_ = sent_ms + round_trip / 2 - db_ms;
  uncertainty_ms_ = (round_trip + 1) / 2;
  measured_at_ms_ = received_ms;
  ++measurements_;
  return ReclaimAllowed() != before;
}

}  // namespace inventory::service
