// What the gRPC adapter counts: every answered call by method, status code
// and outcome, and its latency (from the call's arrival to its answer) by
// method, as Prometheus families:
//
//   inventory_requests_total{method, code, outcome[, reason]}
//   inventory_request_duration_seconds{method} (histogram)
//
// outcome is "success" or "refused" for answers that carry a success flag
// (refused answers also carry the reason, e.g. "contention"), "ok" for other
// OK answers, and "error" for every non-OK status.
//
// Threading: thread-safe (one mutex): calls turned away at the door are
// recorded on gRPC's threads, the others on the service's io thread.
#pragma once

#include <grpcpp/support/status_code_enum.h>

#include <array>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <vector>

#include "metrics/exposition.h"
#include "metrics/histogram.h"

namespace inventory::api {

enum class Method : uint8_t {
  kCheckAvailability,
  kBatchCheckAvailability,
  kHoldSeats,
  kReleaseSeats,
  kConfirmBooking,
  kGetSeatMap,
  kInitializeTripInventory,
  kUpdateInventory,
  kJoinWaitlist,
  kGetUserWaitlist,
  kCancelBooking,
  kWatchSeatMap,  // recorded when the stream starts (its full map queued) or is refused
};
inline constexpr int kMethodCount = 12;

// The method's name in the service definition, e.g. "HoldSeats".
std::string_view MethodName(Method method);

// How an answered call ended, beyond its status code.
struct CallOutcome {
  enum class Kind : uint8_t { kOk, kSuccess, kRefused, kError };
  Kind kind = Kind::kOk;
  int reason = 0;  // inventory.v1.FailureReason, for kRefused
};

class RequestMetrics {
 public:
  static constexpr int kReasonCount = 8;  // values of inventory.v1.FailureReason

  RequestMetrics();

  void Record(Method method, grpc::StatusCode code, CallOutcome outcome, double seconds);
  void Export(metrics::Exposition& page) const;

  // Calls recorded for `method` (any code and outcome).
  uint64_t Count(Method method) const;

 private:
  static constexpr int kCodeCount = 17;  // grpc::StatusCode 0..16
  // kOk, kSuccess, kError, then kRefused by reason.
  static constexpr int kOutcomeSlots = 3 + kReasonCount;

  mutable std::mutex mu_;
  std::array<std::array<std::array<uint64_t, kOutcomeSlots>, kCodeCount>, kMethodCount> calls_{};
  std::vector<metrics::Histogram> latency_;  // by method
};

}  // namespace inventory::api
