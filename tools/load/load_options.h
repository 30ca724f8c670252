// Command line of inventory-load: parsed, defaulted and validated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace inventory::load {

struct LoadOptions {
  std::string target = "127.0.0.1:9083";
  std::string scenario = "hot-seat";
  int workers = 50;
  int64_t requests = 1000;
  int64_t pause_ms = 10;
  std::string seat = "1A";
  std::string org = "load-org";
  int64_t timeout_ms = 5000;
  // Open loop: requests per second, due whether or not earlier ones were
  // answered; `workers` is then the most in flight. 0: closed loop.
  double rate = 0;
  // Open loop: then this many more requests at this rate.
  int64_t tail_requests = 0;
  double tail_rate = 0;
  // watch: seats of its trip, WatchSeatMap streams, and where they go
  // (comma-separated host:port list; empty: --target).
  int seats = 200;
  int watchers = 100;
  std::string watch_targets;
  std::string json_path;  // empty: no JSON file
  // After the set-up, say so on stderr and wait for a line on stdin before
  // loading (lets a driver read the service's metrics in between).
  bool wait_after_prepare = false;
};

struct ParsedLoadOptions {
  LoadOptions options;
  std::string help_text;  // non-empty: print it and exit 0
};

// Parses the command line. --help gives `help_text` and an OK status; a
// malformed or out-of-range flag gives INVALID_ARGUMENT naming it.
absl::StatusOr<ParsedLoadOptions> ParseLoadOptions(int argc, const char* const* argv);

// The addresses the watch scenario's streams go to: --watch-targets split at
// commas, or --target alone when it is empty.
std::vector<std::string> WatchTargets(const LoadOptions& options);

// Range checks; INVALID_ARGUMENT naming the flag.
absl::Status ValidateLoadOptions(const LoadOptions& options);

}  // namespace inventory::load
