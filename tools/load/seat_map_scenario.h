// Scenario "seatmap": the read path, a crowd looking at one trip's seat map.
//
// Prepare creates a fresh 60-seat trip (15 rows x 4 columns, "R01C01" ..
// "R15C04") over six stops A..F (five segments), then holds kHeldSeats
// seats, each by its own user over a different single segment, so the map
// is not all-available. Every request is GetSeatMap of the whole trip.
// Expected: every answer OK with 60 seats in total across its rows; an OK
// answer with another count is reported as an "other refusal" naming the
// count.
//
// Thread-safety: after Prepare, StartCall only reads immutable members.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "inventory/v1/inventory.grpc.pb.h"
#include "scenario.h"
#include "trip_setup.h"

namespace inventory::load {

class SeatMapScenario final : public Scenario {
 public:
  static constexpr std::string_view kName = "seatmap";
  static constexpr int kRows = 15;
  static constexpr int kColumns = 4;
  static constexpr int kSeats = kRows * kColumns;
  static constexpr int kSegments = 5;
  static constexpr int kHeldSeats = 5;
  static constexpr int32_t kHoldSeconds = 600;

  // `stub` must outlive the scenario.
  SeatMapScenario(inventory::v1::InventoryService::StubInterface* stub, const ScenarioOptions& options);
  SeatMapScenario(const SeatMapScenario&) = delete;
  SeatMapScenario& operator=(const SeatMapScenario&) = delete;

  grpc::Status Prepare() override;
  void StartCall(int64_t n, grpc::ClientContext& context, std::function<void(Outcome)> done) override;
  std::vector<std::pair<std::string, std::string>> Details() const override;
  std::vector<std::string> Check(const OutcomeTally& tally, int64_t completed) const override;

  const std::string& trip_id() const { return trip_id_; }

  // --- Pure parts, public for tests. ---

  // Stops A..F, 15 x 4 seats.
  static TripLayout Layout();

  // The i-th set-up hold (0 <= i < kHeldSeats): seat index i * 12 over
  // segment i (stop i to stop i + 1), user "seatmap-<trip>-<i>".
  static inventory::v1::HoldSeatsRequest SetUpHold(const std::string& trip_id, const std::string& organization_id,
                                                   int i);

  // The request every load call sends: the whole trip.
  static inventory::v1::GetSeatMapRequest MapRequest(const std::string& trip_id, const std::string& organization_id);

  // Seats in all rows of `map`.
  static int CountSeats(const inventory::v1::GetSeatMapResponse& map);

  // Non-OK: an error; OK with `expected_seats` seats: success; OK with
  // another count: kOtherRefusal "seat map has N seats, expected M".
  static Outcome ClassifySeatMap(const grpc::Status& status, const inventory::v1::GetSeatMapResponse& map,
                                 int expected_seats);

 private:
  inventory::v1::InventoryService::StubInterface* const stub_;
  const ScenarioOptions options_;
  std::string trip_id_;
};

}  // namespace inventory::load
