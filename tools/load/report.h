// What a load run reports: the progress line while it runs, and the final
// summary as a text table (stdout) and as JSON (--json FILE).
//
// Pure formatting over plain values; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "latency_histogram.h"
#include "outcome_tally.h"

namespace inventory::load {

// Latency figures taken from a LatencyHistogram, in microseconds.
struct LatencySummary {
  uint64_t count = 0;
  int64_t min_us = 0;
  double mean_us = 0;
  int64_t p50_us = 0;
  int64_t p90_us = 0;
  int64_t p99_us = 0;
  int64_t p999_us = 0;
  int64_t max_us = 0;

  static LatencySummary From(const LatencyHistogram& histogram);
};

// Everything a finished (or interrupted) run reports.
struct RunSummary {
  std::string scenario;
  std::string target;
  // Scenario facts worth printing, in order, e.g. {"trip", "hot-..."}.
  std::vector<std::pair<std::string, std::string>> details;
  int workers = 0;
  int64_t pause_ms = 0;
  int64_t requested = 0;  // requests the run was asked for
  int64_t completed = 0;  // requests answered (OK or not)
  std::chrono::nanoseconds elapsed{0};
  bool interrupted = false;
  OutcomeTally tally;
  LatencySummary latency;
  // Open loop only (rate > 0): requests due, those the client's own limit
  // did not send, the latency of calls answered with an OK status (the
  // service took them), and each second's answers.
  double rate = 0;
  int64_t sent = 0;
  int64_t skipped = 0;
  LatencySummary answered_latency;
  struct Second {
    int64_t answered = 0, shed = 0, deadline = 0, errors = 0;
    int64_t p99_us = 0;  // of the answered
  };
  std::vector<Second> timeline;
  // The scenario's own figures (Scenario::ReportText / ReportJson): printed
  // before the verdict, and under "scenario_report" in JSON.
  std::string scenario_text;
  nlohmann::ordered_json scenario_report;
  // Why the run did not meet the scenario's expectation; empty: it did.
  std::vector<std::string> failures;

  // completed / elapsed; 0 for an empty or instantaneous run.
  double throughput_rps() const;
};

// Progress so far, for one line on stderr.
struct Progress {
  int64_t completed = 0;
  int64_t requested = 0;
  std::chrono::nanoseconds elapsed{0};
  const OutcomeTally* tally = nullptr;  // REQUIRES: not null
};

// "  412/1000 ( 41%)  5.0 s  82.4 req/s  success 1  contention 200  not available 211  other 0  errors 0"
// No newline or carriage return: the caller decides how to place it.
std::string FormatProgressLine(const Progress& progress);

// The final summary as a multi-line, aligned text table, ending in a
// verdict line ("result: PASS" or "result: FAIL" with the reasons).
std::string FormatSummaryTable(const RunSummary& summary);

// The same figures as JSON, fields in the order of the table; latencies in
// milliseconds (floating point).
nlohmann::ordered_json SummaryToJson(const RunSummary& summary);

}  // namespace inventory::load
