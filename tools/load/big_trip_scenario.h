// Scenario "big-trip": a crowd reading the seat map of a big trip while its
// seats change.
//
// Prepare creates a fresh 2,000-seat trip (100 rows x 20 columns) over 21
// stops (20 segments). Request n is a HoldSeats when n is a multiple of
// kChangeEvery (seat n / kChangeEvery over one segment, by its own user: a
// change of the trip), otherwise GetSeatMap of the whole trip. Expected:
// every hold succeeds and every map has 2,000 seats. With the service's
// metrics, a driver can tell how many serializations and snapshot loads
// each change cost the readers.
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

class BigTripScenario final : public Scenario {
 public:
  static constexpr std::string_view kName = "big-trip";
  static constexpr int kRows = 100;
  static constexpr int kColumns = 20;
  static constexpr int kSeats = kRows * kColumns;
  static constexpr int kSegments = 20;
  static constexpr int kChangeEvery = 100;
  static constexpr int32_t kHoldSeconds = 600;
  // Deadline of the trip's loading (2,000 seats x 20 segments).
  static constexpr std::chrono::seconds kTripLoadTimeout{120};

  // `stub` must outlive the scenario.
  BigTripScenario(inventory::v1::InventoryService::StubInterface* stub, const ScenarioOptions& options);
  BigTripScenario(const BigTripScenario&) = delete;
  BigTripScenario& operator=(const BigTripScenario&) = delete;

  grpc::Status Prepare() override;
  void StartCall(int64_t n, grpc::ClientContext& context, std::function<void(Outcome)> done) override;
  std::vector<std::pair<std::string, std::string>> Details() const override;
  std::vector<std::string> Check(const OutcomeTally& tally, int64_t completed) const override;

  // --- Pure parts, public for tests. ---

  // Stops S00..S20, 100 x 20 seats.
  static TripLayout Layout();
  // Whether request n changes the trip (a hold) rather than reads it.
  static bool IsChange(int64_t n) { return n % kChangeEvery == 0; }
  // The hold request n sends (IsChange(n)): change c = n / kChangeEvery
  // holds seat c % kSeats over segment (c + c / kSeats) % kSegments, so no
  // (seat, segment) is asked twice for 40,000 changes.
  static inventory::v1::HoldSeatsRequest ChangeRequest(const std::string& trip_id,
                                                       const std::string& organization_id, int64_t n);

 private:
  inventory::v1::InventoryService::StubInterface* stub_;
  ScenarioOptions options_;
  std::string trip_id_;
};

}  // namespace inventory::load
