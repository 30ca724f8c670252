#include "api/request_metrics.h"

#include <string>

#include "absl/strings/ascii.h"
#include "inventory/v1/inventory.pb.h"

namespace inventory::api {
namespace {

constexpr std::string_view kCodeNames[] = {
    "OK",        "CANCELLED",          "UNKNOWN",           "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
    "UNIMPLEMENTED", "INTERNAL",        "UNAVAILABLE",       "DATA_LOSS",        "UNAUTHENTICATED"};

// "FAILURE_REASON_NOT_AVAILABLE" -> "not_available".
std::string ReasonLabel(int reason) {
  std::string name = inventory::v1::FailureReason_Name(static_cast<inventory::v1::FailureReason>(reason));
  const std::string prefix = "FAILURE_REASON_";
  if (name.rfind(prefix, 0) == 0) name.erase(0, prefix.size());
  return absl::AsciiStrToLower(name.empty() ? "unspecified" : name);
}

}  // namespace

std::string_view MethodName(Method method) {
  switch (method) {
    case Method::kCheckAvailability:
      return "CheckAvailability";
    case Method::kBatchCheckAvailability:
      return "BatchCheckAvailability";
    case Method::kHoldSeats:
      return "HoldSeats";
    case Method::kReleaseSeats:
      return "ReleaseSeats";
    case Method::kConfirmBooking:
      return "ConfirmBooking";
    case Method::kGetSeatMap:
      return "GetSeatMap";
    case Method::kInitializeTripInventory:
      return "InitializeTripInventory";
    case Method::kUpdateInventory:
      return "UpdateInventory";
    case Method::kJoinWaitlist:
      return "JoinWaitlist";
    case Method::kGetUserWaitlist:
      return "GetUserWaitlist";
    case Method::kCancelBooking:
      return "CancelBooking";
    case Method::kWatchSeatMap:
      return "WatchSeatMap";
  }
  return "unknown";
}

RequestMetrics::RequestMetrics() : latency_(kMethodCount, metrics::Histogram(metrics::Histogram::LatencyBuckets())) {}

void RequestMetrics::Record(Method method, grpc::StatusCode code, CallOutcome outcome, double seconds) {
  std::lock_guard lock(mu_);
  const auto m = static_cast<size_t>(method);
  int c = static_cast<int>(code);
  if (c < 0 || c >= kCodeCount) c = static_cast<int>(grpc::StatusCode::UNKNOWN);
  int slot = 0;
  switch (outcome.kind) {
    case CallOutcome::Kind::kOk:
      slot = 0;
      break;
    case CallOutcome::Kind::kSuccess:
      slot = 1;
      break;
    case CallOutcome::Kind::kError:
      slot = 2;
      break;
    case CallOutcome::Kind::kRefused:
      slot = 3 + ((outcome.reason >= 0 && outcome.reason < kReasonCount) ? outcome.reason : 0);
      break;
  }
  ++calls_[m][static_cast<size_t>(c)][static_cast<size_t>(slot)];
  latency_[m].Observe(seconds);
}

uint64_t RequestMetrics::Count(Method method) const {
  std::lock_guard lock(mu_);
  return latency_[static_cast<size_t>(method)].count();
}

void RequestMetrics::Export(metrics::Exposition& page) const {
  std::lock_guard lock(mu_);
  constexpr std::string_view kCalls = "inventory_requests_total";
  constexpr std::string_view kCallsHelp = "Answered gRPC calls by method, status code and outcome.";
  constexpr std::string_view kLatency = "inventory_request_duration_seconds";
  constexpr std::string_view kLatencyHelp = "Time from a call's arrival to its answer, by method.";
  for (int m = 0; m < kMethodCount; ++m) {
    const std::string method(MethodName(static_cast<Method>(m)));
    for (int c = 0; c < kCodeCount; ++c) {
      for (int slot = 0; slot < kOutcomeSlots; ++slot) {
        const uint64_t n = calls_[static_cast<size_t>(m)][static_cast<size_t>(c)][static_cast<size_t>(slot)];
        if (n == 0) continue;
        metrics::Labels labels = {{"method", method}, {"code", std::string(kCodeNames[c])}};
        if (slot == 0) labels.emplace_back("outcome", "ok");
        if (slot == 1) labels.emplace_back("outcome", "success");
        if (slot == 2) labels.emplace_back("outcome", "error");
        if (slot >= 3) {
          labels.emplace_back("outcome", "refused");
          labels.emplace_back("reason", ReasonLabel(slot - 3));
        }
        page.Counter(kCalls, kCallsHelp, labels, static_cast<double>(n));
      }
    }
    if (latency_[static_cast<size_t>(m)].count() > 0) {
      page.AddHistogram(kLatency, kLatencyHelp, {{"method", method}}, latency_[static_cast<size_t>(m)]);
    }
  }
}

}  // namespace inventory::api
