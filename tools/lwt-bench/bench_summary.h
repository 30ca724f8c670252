// What inventory-lwt-bench reports: the progress line while it runs, and the
// final summary as readable text (stdout) and as JSON (--json FILE).
//
// Pure formatting over plain values; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace inventory::lwt_bench {

// Latency figures in milliseconds.
struct LatencyFigures {
  uint64_t count = 0;
  double min_ms = 0;
  double mean_ms = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double p999_ms = 0;
  double max_ms = 0;

  // Exact (nearest-rank) percentiles of `micros`, which is sorted in place.
  static LatencyFigures FromMicros(std::vector<int64_t>& micros);
};

// The nearest-rank percentile `p` (0 < p <= 100) of ascending `sorted`:
// the smallest value with at least p% of the values at or below it; 0 when
// empty.
int64_t NearestRank(const std::vector<int64_t>& sorted, double p);

struct BenchSummary {
  std::string hosts;  // "127.0.0.1:9042" or "a,b:9042"
  std::string keyspace;
  int segments = 0;
  int in_flight = 0;
  int connections = 0;
  int64_t rows_loaded = 0;
  double load_seconds = 0;

  int64_t requests = 0;     // asked for
  int64_t completed = 0;    // answered (applied, not applied or error)
  int64_t applied = 0;
  int64_t not_applied = 0;  // answered [applied] = false
  int64_t errors = 0;       // no answer: timeout, unavailable, ...
  std::map<std::string, int64_t> error_messages;  // bounded by the caller
  bool interrupted = false;
  std::chrono::nanoseconds elapsed{0};  // first LWT sent to last answered
  LatencyFigures latency;

  double lwt_per_second() const;  // completed / elapsed; 0 when instantaneous
  bool passed() const { return !interrupted && applied == requests; }
};

// "  5120/20000 ( 25%)  2.6 s  1969 LWT/s  applied 5120  not applied 0  errors 0"
std::string FormatHoldProgress(int64_t completed, int64_t requests, std::chrono::nanoseconds elapsed,
                               int64_t applied, int64_t not_applied, int64_t errors);

// "loading rows  12000/60000 ( 20%)  1.5 s"
std::string FormatLoadProgress(int64_t rows, int64_t total_rows, std::chrono::nanoseconds elapsed);

// The summary as aligned text ending in "result: PASS" or "result: FAIL".
std::string FormatSummary(const BenchSummary& summary);

// The same figures as JSON; latencies in milliseconds.
nlohmann::ordered_json SummaryToJson(const BenchSummary& summary);

}  // namespace inventory::lwt_bench
