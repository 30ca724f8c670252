#include "scenario.h"

#include "hot_seat_scenario.h"

namespace inventory::load {

const std::vector<ScenarioInfo>& Scenarios() {
  static const std::vector<ScenarioInfo> kScenarios = {
      {HotSeatScenario::kName,
       "every request holds the same seat of a fresh trip; exactly one may win",
       [](inventory::v1::InventoryService::StubInterface* stub, const ScenarioOptions& options) {
         return std::unique_ptr<Scenario>(std::make_unique<HotSeatScenario>(stub, options));
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
