#include "bench_options.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cctype>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace inventory::lwt_bench {

bool IsKeyspaceName(const std::string& name) {
  if (name.empty() || name.size() > 48) return false;
  if (!std::isalpha(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

absl::Status ValidateBenchOptions(const BenchOptions& o) {
  if (o.hosts.empty()) return absl::InvalidArgumentError("--hosts: must name at least one host");
  for (const std::string& h : o.hosts) {
    if (h.empty()) return absl::InvalidArgumentError("--hosts: empty host name");
  }
  if (o.port == 0) return absl::InvalidArgumentError("--port: must be 1..65535");
  if (!IsKeyspaceName(o.keyspace)) {
    return absl::InvalidArgumentError(fmt::format(
        "--keyspace: \"{}\" is not a plain identifier (a letter, then letters, digits or _; at most 48)", o.keyspace));
  }
  if (o.requests < 1 || o.requests > kMaxRequests) {
    return absl::InvalidArgumentError(fmt::format("--requests: must be 1..{}, got {}", kMaxRequests, o.requests));
  }
  if (o.in_flight < 1 || o.in_flight > kMaxInFlight) {
    return absl::InvalidArgumentError(fmt::format("--in-flight: must be 1..{}, got {}", kMaxInFlight, o.in_flight));
  }
  if (o.segments < 1 || o.segments > kMaxSegments) {
    return absl::InvalidArgumentError(fmt::format("--segments: must be 1..{}, got {}", kMaxSegments, o.segments));
  }
  if (o.connections < 1 || o.connections > kMaxConnections) {
    return absl::InvalidArgumentError(
        fmt::format("--connections: must be 1..{}, got {}", kMaxConnections, o.connections));
  }
  if (o.timeout_ms < 1 || o.timeout_ms > 600'000) {
    return absl::InvalidArgumentError(fmt::format("--timeout-ms: must be 1..600000, got {}", o.timeout_ms));
  }
  return absl::OkStatus();
}

absl::StatusOr<ParsedBenchOptions> ParseBenchOptions(int argc, const char* const* argv) {
  ParsedBenchOptions parsed;
  BenchOptions& o = parsed.options;
  std::string hosts = "127.0.0.1";
  int port = o.port;
  CLI::App app{
      "inventory-lwt-bench: the raw rate of the service's seat-hold LWT through the project's CQL client\n\n"
      "Creates a keyspace (SimpleStrategy, RF 1) with a copy of the seat_segments table, writes --requests\n"
      "seats x --segments rows as available, then sends one conditional batch per seat, the same\n"
      "UPDATE ... IF status = 'available' over each of its segments that inventoryd sends to hold a seat,\n"
      "--in-flight at a time from coroutines on one thread. Reports LWT/s and latency percentiles.\n"};
  app.option_defaults()->always_capture_default()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--hosts", hosts, "Cassandra/ScyllaDB contact points, comma-separated");
  app.add_option("--port", port, "CQL port");
  app.add_option("--keyspace", o.keyspace,
                 "Keyspace to create and (unless --keep) drop; must not exist before the run");
  app.add_option("--requests", o.requests, "Conditional batches, one per distinct seat");
  app.add_option("--in-flight", o.in_flight, "Conditional batches in flight at once");
  app.add_option("--segments", o.segments, "Segments (rows) per seat, i.e. statements per batch");
  app.add_option("--connections", o.connections, "Connections per host");
  app.add_option("--timeout-ms", o.timeout_ms, "Client-side timeout of one request, ms");
  app.add_flag("--keep", o.keep, "Leave the keyspace and its rows in place afterwards");
  app.add_option("--json", o.json_path, "Also write the summary as JSON to this file");
  app.footer(
      "Exit status: 0 when every conditional batch applied; 1 when some did not (or the run was\n"
      "interrupted); 2 for bad options, an unreachable database or a failed set-up.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    parsed.help_text = app.help();
    return parsed;
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(e.what());
  }
  o.hosts.clear();
  for (absl::string_view h : absl::StrSplit(hosts, ',')) o.hosts.emplace_back(absl::StripAsciiWhitespace(h));
  if (port < 1 || port > 65535) {
    return absl::InvalidArgumentError(fmt::format("--port: must be 1..65535, got {}", port));
  }
  o.port = static_cast<uint16_t>(port);
  if (absl::Status s = ValidateBenchOptions(o); !s.ok()) return s;
  return parsed;
}

}  // namespace inventory::lwt_bench
