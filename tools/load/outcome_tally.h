// What each load request came back with, and the running count of it.
//
// Outcome kinds follow the service's outcome table (DESIGN.md §2): business
// refusals are OK answers with success=false and are not errors; errors are
// non-OK gRPC statuses, counted per status code. ClassifyHoldSeats maps one
// HoldSeats answer to an Outcome; OutcomeTally adds Outcomes up.
//
// Pure; OutcomeTally is a value type and not thread-safe (the load runner
// guards it with its own mutex).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <grpcpp/support/status.h>

#include "inventory/v1/inventory.pb.h"

namespace inventory::load {

enum class OutcomeKind {
  kSuccess,       // OK, success=true
  kContention,    // OK, success=false: another request had the seat's pre-lock
  kNotAvailable,  // OK, success=false: seat held, booked or blocked
  kOtherRefusal,  // OK, success=false for any other reason
  kError,         // non-OK gRPC status
};

// "success", "contention", "not_available", "other_refusal", "error".
std::string_view OutcomeKindName(OutcomeKind kind);

struct Outcome {
  OutcomeKind kind = OutcomeKind::kError;
  grpc::StatusCode code = grpc::StatusCode::OK;  // for kError
  // The status message (kError) or failure_reason (refusals); may be empty.
  std::string detail;
};

// Classifies one HoldSeats answer. `response` is only read when `status` is OK.
// A refusal's machine-readable `reason` decides: CONTENTION and NOT_AVAILABLE
// map to their kinds, any other set reason is kOtherRefusal. Only when the
// reason is UNSPECIFIED (a server predating the field) is failure_reason read:
// starting "seat query contention" is contention, starting "some seats not
// available" is not available, anything else kOtherRefusal.
Outcome ClassifyHoldSeats(const grpc::Status& status, const inventory::v1::HoldSeatsResponse& response);

// "OK", "CANCELLED", ..., "UNAUTHENTICATED"; "CODE_<n>" for unknown values.
std::string StatusCodeName(grpc::StatusCode code);

class OutcomeTally {
 public:
  // At most this many distinct detail texts are kept per error code and for
  // other refusals; further distinct texts are counted under "(other)".
  static constexpr size_t kMaxDistinctDetails = 8;

  void Add(const Outcome& outcome);

  uint64_t total() const { return total_; }
  uint64_t success() const { return success_; }
  uint64_t contention() const { return contention_; }
  uint64_t not_available() const { return not_available_; }
  uint64_t other_refusal() const { return other_refusal_; }
  uint64_t errors() const { return errors_; }
  // Errors per status code.
  const std::map<grpc::StatusCode, uint64_t>& errors_by_code() const { return errors_by_code_; }
  // Error messages per status code name, with counts (bounded, see above).
  const std::map<std::string, std::map<std::string, uint64_t>>& error_details() const { return error_details_; }
  // failure_reason texts of other refusals, with counts (bounded).
  const std::map<std::string, uint64_t>& other_refusal_details() const { return other_refusal_details_; }

 private:
  static void AddDetail(std::map<std::string, uint64_t>& details, const std::string& detail);

  uint64_t total_ = 0;
  uint64_t success_ = 0;
  uint64_t contention_ = 0;
  uint64_t not_available_ = 0;
  uint64_t other_refusal_ = 0;
  uint64_t errors_ = 0;
  std::map<grpc::StatusCode, uint64_t> errors_by_code_;
  std::map<std::string, std::map<std::string, uint64_t>> error_details_;
  std::map<std::string, uint64_t> other_refusal_details_;
};

}  // namespace inventory::load
