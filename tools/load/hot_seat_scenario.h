// Scenario "hot-seat": a flash sale on one seat.
//
// Prepare creates a fresh trip (stops A, B, C, D; a 4 x 4 economy layout,
// seats "1A".."4D") in the configured organisation. Every request then asks
// to hold the same seat over the whole trip (empty from/to), each from its
// own user ("user-<n>") and session, for 600 s. Expected: exactly one
// success; every other answer a refusal for contention or "not available";
// no errors and no other refusals.
//
// Thread-safety: after Prepare, StartCall only reads immutable members.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "inventory/v1/inventory.grpc.pb.h"
#include "scenario.h"

namespace inventory::load {

class HotSeatScenario final : public Scenario {
 public:
  static constexpr std::string_view kName = "hot-seat";
  static constexpr int kRows = 4;
  static constexpr int kColumns = 4;
  static constexpr int64_t kPricePaisa = 50000;
  static constexpr int32_t kHoldSeconds = 600;

  // `stub` must outlive the scenario.
  HotSeatScenario(inventory::v1::InventoryService::StubInterface* stub, const ScenarioOptions& options);
  HotSeatScenario(const HotSeatScenario&) = delete;
  HotSeatScenario& operator=(const HotSeatScenario&) = delete;

  grpc::Status Prepare() override;
  void StartCall(int64_t n, grpc::ClientContext& context, std::function<void(Outcome)> done) override;
  std::vector<std::pair<std::string, std::string>> Details() const override;
  std::vector<std::string> Check(const OutcomeTally& tally, int64_t completed) const override;

  const std::string& trip_id() const { return trip_id_; }

  // --- Pure parts, public for tests. ---

  // "1A", "1B", ..., "4D": row-major.
  static std::vector<std::string> SeatIds();

  // "hot-<unix_ms>-<6 hex digits of random>".
  static std::string MakeTripId(int64_t unix_ms, uint32_t random);

  // The trip Prepare creates; segments depart a day after `now_unix_seconds`.
  static inventory::v1::InitializeTripInventoryRequest TripRequest(const std::string& trip_id,
                                                                   const std::string& organization_id,
                                                                   int64_t now_unix_seconds);

  // The n-th hold request.
  static inventory::v1::HoldSeatsRequest HoldRequest(const std::string& trip_id, const std::string& organization_id,
                                                     const std::string& seat_id, int64_t n);

 private:
  inventory::v1::InventoryService::StubInterface* const stub_;
  const ScenarioOptions options_;
  std::string trip_id_;
};

}  // namespace inventory::load
