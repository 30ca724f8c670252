// A load scenario: what to set up before the load, which call to send as the
// n-th request, and what the tally must look like afterwards.
//
// The LoadRunner owns the timing, concurrency, latency and counting; a
// scenario only knows its service calls. To add a scenario, implement this
// interface in its own file and list it in scenario.cc (Scenarios()).
//
// Thread-safety: Prepare and Check run on the main thread, before and after
// the load. StartCall is called from the runner's dispatch thread only, but
// its `done` callbacks arrive on gRPC threads, so whatever StartCall shares
// between calls must be safe for that (immutable after Prepare is simplest).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>
#include <nlohmann/json.hpp>

#include "inventory/v1/inventory.grpc.pb.h"
#include "outcome_tally.h"

namespace inventory::load {

// Settings a scenario may use; each scenario documents which.
struct ScenarioOptions {
  std::string organization_id = "load-org";
  std::string seat_id = "1A";
  // Deadline of each setup call, and of each call a multi-call request
  // makes after its first (funnel).
  std::chrono::milliseconds timeout{5000};
  // Requests the run will send (spread and funnel size their trips by it).
  int64_t requests = 1000;
  // watch: seats of its trip, streams to open, and the addresses they go to
  // (round robin; the changes go to the runner's stub).
  int seats = 200;
  int watchers = 100;
  std::vector<std::string> watch_targets;
};

class Scenario {
 public:
  virtual ~Scenario() = default;

  // Set-up before the load (e.g. create a trip). Blocking. A non-OK status
  // aborts the run before any load is sent.
  virtual grpc::Status Prepare() = 0;

  // Starts request number `n` (0-based; each n is started once) on `context`
  // asynchronously and returns without waiting. `done` must be called exactly
  // once, on any thread, when the call is over; the context is not used
  // afterwards. REQUIRES: Prepare() returned OK.
  virtual void StartCall(int64_t n, grpc::ClientContext& context, std::function<void(Outcome)> done) = 0;

  // Facts to show in the report (e.g. the trip id), in order.
  virtual std::vector<std::pair<std::string, std::string>> Details() const = 0;

  // Why the outcomes of `completed` requests do not meet the scenario's
  // expectation, one sentence each; empty when they do.
  virtual std::vector<std::string> Check(const OutcomeTally& tally, int64_t completed) const = 0;

  // Optional parts; the defaults do nothing.

  // Blocking work once the load is over (or interrupted), before Details,
  // Report and Check are asked: e.g. a final verification, closing streams.
  virtual void AfterLoad() {}
  // A few words appended to the progress line (thread-safe; called while
  // the load runs).
  virtual std::string ProgressNote() const { return {}; }
  // The scenario's own figures: lines for the summary table (each ending in
  // a newline) and the same as JSON (null: none).
  virtual std::string ReportText() const { return {}; }
  virtual nlohmann::ordered_json ReportJson() const { return nullptr; }
};

// One registered scenario.
struct ScenarioInfo {
  std::string_view name;
  std::string_view description;
  // Builds the scenario; `stub` outlives it.
  std::function<std::unique_ptr<Scenario>(inventory::v1::InventoryService::StubInterface* stub,
                                          const ScenarioOptions& options)>
      make;
};

// Every scenario this tool knows, in the order --help lists them.
const std::vector<ScenarioInfo>& Scenarios();

// The scenario called `name`, or nullptr.
const ScenarioInfo* FindScenario(std::string_view name);

}  // namespace inventory::load
