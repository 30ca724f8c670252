// Command line of inventory-lwt-bench: parsed, defaulted and validated.
//
// Pure (no I/O besides building the help text); thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace inventory::lwt_bench {

struct BenchOptions {
  std::vector<std::string> hosts{"127.0.0.1"};  // --hosts a,b,c
  uint16_t port = 9042;
  std::string keyspace = "inventory_lwt_bench";
  int64_t requests = 20000;  // distinct seats, one conditional batch each
  int in_flight = 64;        // conditional batches in flight at once
  int segments = 3;          // rows per seat and per batch
  int connections = 1;       // per host, like the service's SCYLLA_CONNECTIONS
  int64_t timeout_ms = 5000; // client-side timeout of one request, like SCYLLA_TIMEOUT_MS
  bool keep = false;         // leave the keyspace in place afterwards
  std::string json_path;     // empty: no JSON file
};

struct ParsedBenchOptions {
  BenchOptions options;
  std::string help_text;  // non-empty: print it and exit 0
};

// Limits of the flags.
inline constexpr int64_t kMaxRequests = 10'000'000;
inline constexpr int kMaxInFlight = 32768;
inline constexpr int kMaxSegments = 64;  // the service's limit per trip
inline constexpr int kMaxConnections = 64;

// Parses the command line. --help gives `help_text` and an OK status; a
// malformed or out-of-range flag gives INVALID_ARGUMENT naming it.
absl::StatusOr<ParsedBenchOptions> ParseBenchOptions(int argc, const char* const* argv);

// Range checks; INVALID_ARGUMENT naming the flag.
absl::Status ValidateBenchOptions(const BenchOptions& options);

// True if `name` is a plain CQL identifier this tool accepts as a keyspace
// (letters, digits, underscore; starts with a letter; at most 48).
bool IsKeyspaceName(const std::string& name);

}  // namespace inventory::lwt_bench
