#include "scenario.h"

#include "big_trip_scenario.h"
#include "funnel_scenario.h"
#include "hot_seat_scenario.h"
#include "seat_map_scenario.h"
#include "spread_scenario.h"
#include "watch_scenario.h"

namespace inventory::load {

const std::vector<ScenarioInfo>& Scenarios() {
  static const std::vector<ScenarioInfo> kScenarios = {
      {HotSeatScenario::kName,
       "every request holds the same seat of a fresh trip; exactly one may win",
       [](inventory::v1::InventoryService::StubInterface* stub, const ScenarioOptions& options) {
         return std::unique_ptr<Scenario>(std::make_unique<HotSeatScenario>(stub, options));
       }},
      {SpreadScenario::kName,
       "every request holds a different seat (1000-seat trips, 3 segments); every hold must succeed",
       [](inventory::v1::InventoryService::StubInterface* stub, const ScenarioOptions& options) {
         return std::unique_ptr<Scenario>(std::make_unique<SpreadScenario>(stub, options));
       }},
      {SeatMapScenario::kName,
       "every request reads the whole seat map of one 60-seat, 5-segment trip; every map must have 60 seats",
       [](inventory::v1::InventoryService::StubInterface* stub, const ScenarioOptions& options) {
         return std::unique_ptr<Scenario>(std::make_unique<SeatMapScenario>(stub, options));
       }},
      {FunnelScenario::kName,
       "every request is one user's flow: seat map, hold, then confirm (70%) or release, over many\n"
       "    40-seat trips; no errors, and at least half the flows must complete",
       [](inventory::v1::InventoryService::StubInterface* stub, const ScenarioOptions& options) {
         return std::unique_ptr<Scenario>(std::make_unique<FunnelScenario>(stub, options));
       }},
      {BigTripScenario::kName,
       "a crowd reads the whole seat map of one 2,000-seat, 20-segment trip while every 100th request\n"
       "    holds one of its seats; every map complete, every hold held",
       [](inventory::v1::InventoryService::StubInterface* stub, const ScenarioOptions& options) {
         return std::unique_ptr<Scenario>(std::make_unique<BigTripScenario>(stub, options));
       }},
      {WatchScenario::kName,
       "--watchers WatchSeatMap streams (over --watch-targets) keep a copy of a --seats trip's map while\n"
       "    each request changes a seat (hold, confirm, release, cancel); no change fails, no stream ends,\n"
       "    and every copy equals GetSeatMap at the end. Reports each change's delivery latency per watcher",
       [](inventory::v1::InventoryService::StubInterface* stub, const ScenarioOptions& options) {
         return std::unique_ptr<Scenario>(std::make_unique<WatchScenario>(stub, options));
       }},
  };
  return kScenarios;
}

const ScenarioInfo* FindScenario(std::string_view name) {
  for (const ScenarioInfo& info : Scenarios()) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

}  // namespace inventory::load
