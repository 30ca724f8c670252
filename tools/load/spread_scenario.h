// Scenario "spread": many users each holding a different seat, so every hold
// is its own Paxos partition and nothing contends.
//
// Prepare creates ceil(requests / 1000) fresh trips (stops A, B, C, D: three
// segments; 1000 seats each, 50 rows x 20 columns, "R01C01".."R50C20") in
// the configured organisation, one after the other, each with a deadline of
// at least kTripLoadTimeout (a 1000-seat load takes a while). Request n
// holds seat (n mod 1000) of trip (n / 1000) over the whole trip (empty
// from/to: three segments) as user "u-<trip id>-<n>" with its own session,
// for 600 s. Expected: every request succeeds.
//
// Thread-safety: after Prepare, StartCall only reads immutable members.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "inventory/v1/inventory.grpc.pb.h"
#include "scenario.h"
#include "trip_setup.h"

namespace inventory::load {

class SpreadScenario final : public Scenario {
 public:
  static constexpr std::string_view kName = "spread";
  static constexpr int kRows = 50;
  static constexpr int kColumns = 20;
  static constexpr int kSeatsPerTrip = kRows * kColumns;
  static constexpr int32_t kHoldSeconds = 600;
  static constexpr std::chrono::seconds kTripLoadTimeout{120};

  // `stub` must outlive the scenario.
  SpreadScenario(inventory::v1::InventoryService::StubInterface* stub, const ScenarioOptions& options);
  SpreadScenario(const SpreadScenario&) = delete;
  SpreadScenario& operator=(const SpreadScenario&) = delete;

  grpc::Status Prepare() override;
  void StartCall(int64_t n, grpc::ClientContext& context, std::function<void(Outcome)> done) override;
  std::vector<std::pair<std::string, std::string>> Details() const override;
  std::vector<std::string> Check(const OutcomeTally& tally, int64_t completed) const override;

  const std::vector<std::string>& trip_ids() const { return trip_ids_; }

  // --- Pure parts, public for tests. ---

  // ceil(requests / 1000), at least 1.
  static int64_t TripCount(int64_t requests);

  // "<run tag>-<index>".
  static std::string TripId(const std::string& run_tag, int64_t index);

  // Stops A..D, 50 x 20 seats.
  static TripLayout Layout();

  // Request n on `trip_id` (the trip of index n / 1000).
  static inventory::v1::HoldSeatsRequest HoldRequest(const std::string& trip_id, const std::string& organization_id,
                                                     int64_t n);

 private:
  inventory::v1::InventoryService::StubInterface* const stub_;
  const ScenarioOptions options_;
  std::vector<std::string> trip_ids_;
};

}  // namespace inventory::load
