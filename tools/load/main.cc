// inventory-load: drives a load scenario against an inventory service and
// reports throughput, outcomes and latency. See load_options.h for the flags
// and scenario.h for how scenarios plug in.
//
// Exit status: 0 the scenario's expectation held; 1 it did not (or the run
// was interrupted); 2 bad options or a failed set-up (nothing was loaded).
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "common/progress_line.h"
#include "load_options.h"
#include "load_runner.h"
#include "report.h"
#include "scenario.h"

namespace inventory::load {
namespace {

using namespace std::chrono_literals;

constexpr int kExitPass = 0;
constexpr int kExitFail = 1;
constexpr int kExitUsage = 2;

std::atomic<int> g_interrupts{0};
static_assert(std::atomic<int>::is_always_lock_free);

// Counts SIGINT/SIGTERM; the main loop acts on the count.
extern "C" void OnInterrupt(int) { g_interrupts.fetch_add(1); }

using ProgressPrinter = ::inventory::ProgressLine;

int Run(int argc, char** argv) {
  auto parsed = ParseLoadOptions(argc, argv);
  if (!parsed.ok()) {
    std::cerr << "inventory-load: " << parsed.status().message() << "\nRun with --help for the options.\n";
    return kExitUsage;
  }
  if (!parsed->help_text.empty()) {
    std::cout << parsed->help_text;
    return kExitPass;
  }
  const LoadOptions& opts = parsed->options;

  // Fail on an unwritable --json before loading anything.
  std::ofstream json_out;
  if (!opts.json_path.empty()) {
    json_out.open(opts.json_path, std::ios::out | std::ios::trunc);
    if (!json_out) {
      std::cerr << "inventory-load: --json: cannot write " << opts.json_path << "\n";
      return kExitUsage;
    }
  }

  auto channel = grpc::CreateChannel(opts.target, grpc::InsecureChannelCredentials());
  auto stub = inventory::v1::InventoryService::NewStub(channel);
  ScenarioOptions scenario_options;
  scenario_options.organization_id = opts.org;
  scenario_options.seat_id = opts.seat;
  scenario_options.timeout = std::chrono::milliseconds(opts.timeout_ms);
  const int64_t total_requests = opts.requests + opts.tail_requests;
  scenario_options.requests = total_requests;
  scenario_options.seats = opts.seats;
  scenario_options.watchers = opts.watchers;
  scenario_options.watch_targets = WatchTargets(opts);
  std::unique_ptr<Scenario> scenario = FindScenario(opts.scenario)->make(stub.get(), scenario_options);

  if (grpc::Status status = scenario->Prepare(); !status.ok()) {
    std::cerr << "inventory-load: set-up of scenario " << opts.scenario << " against " << opts.target
              << " failed: " << status.error_message() << "\n";
    if (json_out.is_open()) {
      json_out.close();
      std::remove(opts.json_path.c_str());  // nothing was measured
    }
    return kExitUsage;
  }
  std::cerr << fmt::format("inventory-load: {} against {}: {} requests, {} workers, pause {} ms\n", opts.scenario,
                           opts.target, opts.requests, opts.workers, opts.pause_ms);
  for (const auto& [key, value] : scenario->Details()) std::cerr << fmt::format("  {}: {}\n", key, value);
  if (opts.wait_after_prepare) {
    std::cerr << "inventory-load: prepared; press Enter to start the load" << std::endl;
    std::string line;
    std::getline(std::cin, line);
  }

  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);

  RunOptions run_options;
  run_options.workers = opts.workers;
  run_options.requests = opts.requests;
  run_options.pause = std::chrono::milliseconds(opts.pause_ms);
  run_options.timeout = std::chrono::milliseconds(opts.timeout_ms);
  run_options.rate = opts.rate;
  run_options.tail_requests = opts.tail_requests;
  run_options.tail_rate = opts.tail_rate;
  LoadRunner runner(*scenario, run_options);
  ProgressPrinter progress;
  runner.Start();
  auto next_progress = std::chrono::steady_clock::now() + 1s;
  int64_t last_printed = -1;
  // First interrupt: start no more calls, let those in flight finish, report.
  // Another one at least a second later (not the same signal sent to the
  // whole process group twice): quit at once.
  int interrupts_at_stop = 0;
  std::chrono::steady_clock::time_point stopped_at;
  while (!runner.Wait(100ms)) {
    const int interrupts = g_interrupts.load();
    if (interrupts > 0 && interrupts_at_stop == 0) {
      runner.Stop();
      interrupts_at_stop = interrupts;
      stopped_at = std::chrono::steady_clock::now();
      progress.Note("inventory-load: interrupted: waiting for calls in flight (interrupt again to quit now)");
    } else if (interrupts > interrupts_at_stop && interrupts_at_stop > 0) {
      if (std::chrono::steady_clock::now() - stopped_at >= 1s) {
        progress.Note("inventory-load: interrupted twice: quitting without a summary");
        std::_Exit(130);
      }
      interrupts_at_stop = interrupts;  // a duplicate of the first
    }
    if (std::chrono::steady_clock::now() >= next_progress) {
      next_progress += 1s;
      LoadRunner::Snapshot snap = runner.TakeSnapshot();
      progress.Print(FormatProgressLine({snap.completed, total_requests, snap.elapsed, &snap.tally}) +
                     scenario->ProgressNote());
      last_printed = snap.completed;
    }
  }
  LoadRunner::Snapshot snap = runner.TakeSnapshot();
  if (snap.completed != last_printed) {
    progress.Print(FormatProgressLine({snap.completed, total_requests, snap.elapsed, &snap.tally}) +
                   scenario->ProgressNote());
  }
  progress.Finish();
  scenario->AfterLoad();

  RunSummary summary;
  summary.scenario = opts.scenario;
  summary.target = opts.target;
  summary.details = scenario->Details();
  summary.workers = opts.workers;
  summary.pause_ms = opts.pause_ms;
  summary.requested = total_requests;
  summary.completed = snap.completed;
  summary.elapsed = snap.elapsed;
  summary.interrupted = snap.stopped;
  summary.tally = snap.tally;
  summary.latency = LatencySummary::From(snap.latency);
  summary.scenario_text = scenario->ReportText();
  summary.scenario_report = scenario->ReportJson();
  if (snap.completed + snap.skipped < total_requests) {
    summary.failures.push_back(fmt::format("interrupted after {} of {} requests", snap.completed, total_requests));
  }
  if (opts.rate > 0) {
    // Open loop: past capacity the service may turn calls away or miss their
    // deadlines; any other error fails the run, and the calls it took must
    // meet the scenario's expectation.
    summary.rate = opts.rate;
    summary.sent = snap.sent;
    summary.skipped = snap.skipped;
    summary.answered_latency = LatencySummary::From(snap.answered_latency);
    int64_t other_errors = 0;
    for (const SecondBin& b : snap.timeline) {
      summary.timeline.push_back({b.answered, b.shed, b.deadline, b.errors, b.answered_latency.PercentileMicros(99)});
      other_errors += b.errors;
    }
    if (other_errors > 0) {
      summary.failures.push_back(fmt::format("{} errors other than RESOURCE_EXHAUSTED and DEADLINE_EXCEEDED",
                                             other_errors));
    }
    for (std::string& why : scenario->Check(snap.answered, static_cast<int64_t>(snap.answered.total()))) {
      summary.failures.push_back(std::move(why));
    }
  } else {
    for (std::string& why : scenario->Check(snap.tally, snap.completed)) summary.failures.push_back(std::move(why));
  }

  std::cout << FormatSummaryTable(summary) << std::flush;
  if (json_out.is_open()) {
    json_out << SummaryToJson(summary).dump(2) << "\n";
    json_out.close();
    if (!json_out) {
      std::cerr << "inventory-load: --json: writing " << opts.json_path << " failed\n";
      return kExitFail;
    }
  }
  if (!summary.failures.empty()) {
    for (const std::string& why : summary.failures) std::cerr << "inventory-load: FAIL: " << why << "\n";
    return kExitFail;
  }
  return kExitPass;
}

}  // namespace
}  // namespace inventory::load

int main(int argc, char** argv) { return inventory::load::Run(argc, argv); }
