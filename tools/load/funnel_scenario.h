// Scenario "funnel": the purchase funnel of many users over many trips.
//
// Prepare creates T = max(4, ceil(requests / kFlowsPerTrip)) fresh trips
// (stops A, B, C, D: three segments; 40 seats each, 10 rows x 4 columns).
// Request n is one flow by user "f-<run>-<n>", counted as one outcome:
//
//   1. GetSeatMap of trip (n mod T) over a journey picked from n (a random
//      but reproducible segment range), on the runner's context;
//   2. HoldSeats, for 600 s over that journey, of a seat picked from n among
//      the seats the map shows available;
//   3. if held: ConfirmBooking (order "o-<run>-<n>", one passenger on the
//      held seat) when n % 10 < 7, else ReleaseSeats.
//
// Each step is started from the previous step's callback with the async
// stub (nothing blocks a gRPC thread) and has its own ClientContext and a
// deadline of ScenarioOptions::timeout.
//
// Outcomes: kSuccess when the flow completed (held, then confirmed or
// released); kNotAvailable when the map had no free seat on the journey or
// the hold was refused as not available (another user took the seat between
// map and hold); kContention for a contention refusal; kError for any
// non-OK status (its detail names the step); kOtherRefusal for anything
// else (e.g. a confirm or release of the flow's own hold refused).
// Expected: no errors, no other refusals, and at least half the flows
// completed.
//
// Why kFlowsPerTrip is 100: a trip has 40 x 3 seat-segments and 70% of the
// flows book on average 1.5 of them, so from about 120 flows on a trip is
// mostly sold out; at 100 flows per trip about 90% of flows can complete
// when run one at a time, comfortably above the 50% the check asks for.
//
// Thread-safety: after Prepare, StartCall reads immutable members; the
// counters Details reports are atomics updated from gRPC callback threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inventory/v1/inventory.grpc.pb.h"
#include "scenario.h"
#include "trip_setup.h"

namespace inventory::load {

class FunnelScenario final : public Scenario {
 public:
  static constexpr std::string_view kName = "funnel";
  static constexpr int kRows = 10;
  static constexpr int kColumns = 4;
  static constexpr int kSeatsPerTrip = kRows * kColumns;
  static constexpr int kSegments = 3;
  static constexpr int64_t kMinTrips = 4;
  static constexpr int64_t kFlowsPerTrip = 100;
  static constexpr int32_t kHoldSeconds = 600;

  // `stub` must outlive the scenario.
  FunnelScenario(inventory::v1::InventoryService::StubInterface* stub, const ScenarioOptions& options);
  FunnelScenario(const FunnelScenario&) = delete;
  FunnelScenario& operator=(const FunnelScenario&) = delete;

  grpc::Status Prepare() override;
  void StartCall(int64_t n, grpc::ClientContext& context, std::function<void(Outcome)> done) override;
  std::vector<std::pair<std::string, std::string>> Details() const override;
  std::vector<std::string> Check(const OutcomeTally& tally, int64_t completed) const override;

  const std::vector<std::string>& trip_ids() const { return trip_ids_; }
  const std::string& run_tag() const { return run_tag_; }

  // --- Pure parts, public for tests. ---

  // A journey: segments first..last (inclusive), 0 <= first <= last < kSegments.
  struct Journey {
    int first = 0;
    int last = 0;
  };

  // max(kMinTrips, ceil(requests / kFlowsPerTrip)).
  static int64_t TripCount(int64_t requests);

  // Stops A..D, 10 x 4 seats.
  static TripLayout Layout();

  // A well-mixed 64-bit value of (n, salt) (SplitMix64 finaliser).
  static uint64_t Mix(int64_t n, uint64_t salt);

  // The journey of flow n: `first` uniform over the segments, `last`
  // uniform from `first` to the last segment.
  static Journey PickJourney(int64_t n);

  // A seat shown SEAT_STATUS_AVAILABLE on `map`, picked uniformly by n;
  // nullopt when there is none.
  static std::optional<std::string> PickSeat(const inventory::v1::GetSeatMapResponse& map, int64_t n);

  // Flow n confirms (n % 10 < 7) rather than releases.
  static bool Confirms(int64_t n) { return n % 10 < 7; }

  static std::string UserId(const std::string& run_tag, int64_t n);

  static inventory::v1::GetSeatMapRequest MapRequest(const std::string& trip_id, const std::string& organization_id,
                                                     Journey journey);
  static inventory::v1::HoldSeatsRequest HoldRequest(const std::string& trip_id, const std::string& organization_id,
                                                     const std::string& run_tag, int64_t n, Journey journey,
                                                     const std::string& seat_id);
  static inventory::v1::ConfirmBookingRequest ConfirmRequest(const std::string& organization_id,
                                                             const std::string& run_tag, int64_t n,
                                                             const std::string& hold_id, const std::string& seat_id);
  static inventory::v1::ReleaseSeatsRequest ReleaseRequest(const std::string& organization_id,
                                                           const std::string& run_tag, int64_t n,
                                                           const std::string& hold_id);

  // The outcome of a finished confirm or release step of a held seat: an
  // error for a non-OK status, success for success=true, else kOtherRefusal
  // naming the step and its reason.
  static Outcome ClassifyConfirm(const grpc::Status& status, const inventory::v1::ConfirmBookingResponse& response);
  static Outcome ClassifyRelease(const grpc::Status& status, const inventory::v1::ReleaseSeatsResponse& response);

 private:
  struct Flow;

  void OnSeatMap(std::shared_ptr<Flow> flow, const grpc::Status& status);
  void OnHold(std::shared_ptr<Flow> flow, const grpc::Status& status);
  void Finish(Flow& flow, Outcome outcome);

  inventory::v1::InventoryService::StubInterface* const stub_;
  const ScenarioOptions options_;
  std::string run_tag_;
  std::vector<std::string> trip_ids_;
  // Breakdown reported by Details (once some flow has finished).
  std::atomic<int64_t> finished_{0};
  std::atomic<int64_t> confirmed_{0};
  std::atomic<int64_t> released_{0};
  std::atomic<int64_t> no_free_seat_{0};
  std::atomic<int64_t> lost_race_{0};
};

}  // namespace inventory::load
