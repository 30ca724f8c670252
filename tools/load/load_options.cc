#include "load_options.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <string>

#include "scenario.h"
#include "watch_scenario.h"

namespace inventory::load {
namespace {

constexpr int kMaxWorkers = 100000;
constexpr int64_t kMaxPauseMs = 3600 * 1000;
constexpr int64_t kMaxTimeoutMs = 3600 * 1000;

std::string ScenarioList() {
  std::string out;
  for (const ScenarioInfo& info : Scenarios()) out += fmt::format("\n  {}: {}", info.name, info.description);
  return out;
}

}  // namespace

std::vector<std::string> WatchTargets(const LoadOptions& o) {
  if (o.watch_targets.empty()) return {o.target};
  std::vector<std::string> targets;
  size_t start = 0;
  while (true) {
    const size_t comma = o.watch_targets.find(',', start);
    targets.push_back(o.watch_targets.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return targets;
}

absl::Status ValidateLoadOptions(const LoadOptions& o) {
  if (o.target.empty()) return absl::InvalidArgumentError("--target: must not be empty");
  if (FindScenario(o.scenario) == nullptr) {
    std::string names;
    for (const ScenarioInfo& info : Scenarios()) names += fmt::format("{}{}", names.empty() ? "" : ", ", info.name);
    return absl::InvalidArgumentError(
        fmt::format("--scenario: unknown scenario \"{}\" (known: {})", o.scenario, names));
  }
  if (o.workers < 1 || o.workers > kMaxWorkers) {
    return absl::InvalidArgumentError(fmt::format("--workers: must be 1..{}, got {}", kMaxWorkers, o.workers));
  }
  if (o.requests < 1) {
    return absl::InvalidArgumentError(fmt::format("--requests: must be positive, got {}", o.requests));
  }
  if (o.pause_ms < 0 || o.pause_ms > kMaxPauseMs) {
    return absl::InvalidArgumentError(fmt::format("--pause-ms: must be 0..{}, got {}", kMaxPauseMs, o.pause_ms));
  }
  if (o.timeout_ms < 1 || o.timeout_ms > kMaxTimeoutMs) {
    return absl::InvalidArgumentError(fmt::format("--timeout-ms: must be 1..{}, got {}", kMaxTimeoutMs, o.timeout_ms));
  }
  if (o.rate < 0 || o.rate > 1e6) return absl::InvalidArgumentError(fmt::format("--rate: must be 0..1e6, got {}", o.rate));
  if ((o.tail_requests > 0 || o.tail_rate > 0) && (o.rate <= 0 || o.tail_requests < 1 || o.tail_rate <= 0)) {
    return absl::InvalidArgumentError("--tail-requests/--tail-rate: both positive, and only with --rate");
  }
  if (o.seat.empty()) return absl::InvalidArgumentError("--seat: must not be empty");
  if (o.org.empty()) return absl::InvalidArgumentError("--org: must not be empty");
  if (o.seats < WatchScenario::kMinSeats || o.seats > WatchScenario::kMaxSeats ||
      o.seats % WatchScenario::kColumns != 0) {
    return absl::InvalidArgumentError(fmt::format("--seats: must be a multiple of {} from {} to {}, got {}",
                                                  WatchScenario::kColumns, WatchScenario::kMinSeats,
                                                  WatchScenario::kMaxSeats, o.seats));
  }
  if (o.watchers < 0 || o.watchers > WatchScenario::kMaxWatchers) {
    return absl::InvalidArgumentError(
        fmt::format("--watchers: must be 0..{}, got {}", WatchScenario::kMaxWatchers, o.watchers));
  }
  for (const std::string& t : WatchTargets(o)) {
    if (t.empty()) return absl::InvalidArgumentError("--watch-targets: an empty address in the list");
  }
  return absl::OkStatus();
}

absl::StatusOr<ParsedLoadOptions> ParseLoadOptions(int argc, const char* const* argv) {
  ParsedLoadOptions parsed;
  LoadOptions& o = parsed.options;
  CLI::App app{fmt::format("inventory-load: load generator for inventory.v1.InventoryService\n\nscenarios:{}\n",
                            ScenarioList())};
  app.option_defaults()->always_capture_default()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--target", o.target, "gRPC address of the service (host:port)");
  app.add_option("--scenario", o.scenario, "Scenario to run");
  app.add_option("--workers", o.workers, "Concurrent workers, each with one request in flight");
  app.add_option("--requests", o.requests, "Requests in total, over all workers");
  app.add_option("--pause-ms", o.pause_ms, "Pause between one worker's consecutive requests, ms");
  app.add_option("--seat", o.seat, "Seat every request asks for (hot-seat only)");
  app.add_option("--org", o.org, "organization_id of the trip and the requests");
  app.add_option("--timeout-ms", o.timeout_ms, "Deadline of each call (and of each step of a funnel flow), ms");
  app.add_option("--rate", o.rate,
                 "Open loop: requests per second, sent whether or not earlier ones were answered (--workers is "
                 "then the most in flight); 0: closed loop");
  app.add_option("--tail-requests", o.tail_requests, "Open loop: after --requests, this many more at --tail-rate");
  app.add_option("--tail-rate", o.tail_rate, "Open loop: the rate of the tail, requests per second");
  app.add_option("--seats", o.seats, "watch: seats of the trip (a multiple of 10, at most 2000)");
  app.add_option("--watchers", o.watchers, "watch: WatchSeatMap streams kept open during the run");
  app.add_option("--watch-targets", o.watch_targets,
                 "watch: comma-separated host:port list the streams are spread over, round robin (default: "
                 "--target); the changes always go to --target");
  app.add_option("--json", o.json_path, "Also write the summary as JSON to this file");
  app.add_flag("--wait-after-prepare", o.wait_after_prepare,
               "After the set-up, print a line saying so on stderr and wait for a line on stdin");
  app.footer(
      "Exit status: 0 when the scenario's expectation (listed with each scenario above) holds;\n"
      "1 when it does not; 2 for bad options or a failed set-up.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    parsed.help_text = app.help();
    return parsed;
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(e.what());
  }
  if (absl::Status s = ValidateLoadOptions(o); !s.ok()) return s;
  return parsed;
}

}  // namespace inventory::load
