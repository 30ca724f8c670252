// The service's whole configuration, typed and validated.
//
// Every setting has an environment variable and a command-line flag of the
// same meaning; a flag wins over the variable, the variable over the default.
// `inventoryd --help` lists them all with their defaults.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace inventory {

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

struct Config {
  // gRPC and HTTP (health, metrics) listeners.
  std::string listen_address = "0.0.0.0";
  uint16_t grpc_port = 9083;
  uint16_t http_port = 8083;

  // The store: "cql" (ScyllaDB or Cassandra, with Redis in front) or
  // "embedded" (SQLite in `embedded_path`; one process, no Redis).
  std::string store = "cql";
  std::string embedded_path = "inventory.db";

  // Database (ScyllaDB or Cassandra over CQL native protocol v4).
  std::vector<std::string> db_hosts = {"localhost"};
  uint16_t db_port = 9042;
  std::string db_keyspace = "inventory";
  std::string db_username;
  std::string db_password;
  // "SimpleStrategy:1" or "NetworkTopologyStrategy:dc1=3,dc2=3".
  std::string db_replication = "SimpleStrategy:1";
  std::string db_consistency = "QUORUM";
  std::string db_serial_consistency = "SERIAL";
  std::chrono::milliseconds db_request_timeout{5000};
  std::chrono::milliseconds db_connect_timeout{5000};
  int db_connections_per_host = 1;
  // Nodes of this datacenter are preferred (empty: the first contact point's).
  std::string db_local_dc;
  // Route statements to a replica of their partition (LWTs to the first).
  bool db_token_aware = true;
  // Heartbeat (OPTIONS) on a database connection idle this long; one that
  // does not answer within the same time is dropped. 0: off.
  std::chrono::milliseconds db_heartbeat{5000};
  // TLS to the database nodes.
  bool db_tls = false;
  std::string db_tls_ca_file;
  std::string db_tls_cert_file;
  std::string db_tls_key_file;
  bool db_tls_verify_hostname = true;

  // Redis (pre-locks, edge markers, seat-map cache). Losing it loses nothing.
  HostPort redis{"localhost", 6379};
  std::string redis_username;
  std::string redis_password;
  int redis_db = 0;
  std::chrono::milliseconds redis_timeout{200};
  // Redis pre-locks and "taken" markers in front of the database (the edge).
  bool prelock = true;
  // Refuse holds of seats known taken (in flight here, taken in the cached
  // seat map, marked in Redis) without a database round trip.
  bool edge_short_circuit = true;

  // Holds.
  std::chrono::seconds hold_ttl_default{600};
  std::chrono::seconds hold_ttl_min{30};
  std::chrono::seconds hold_ttl_max{3600};
  int max_holds_per_user = 2;

  // Seat-map snapshot cache, and its lifetime.
  bool seatmap_cache = true;
  std::chrono::milliseconds seatmap_cache_ttl{5000};
  // How long a cached seat map the change feed keeps honest may refuse holds.
  std::chrono::milliseconds seatmap_trust{30000};
  // Memory of the seat-map caches (snapshots 3/4, serialized answers 1/4),
  // bytes, > 0: least recently used entries go past it.
  int64_t seatmap_cache_bytes = int64_t{256} << 20;
  // How long a trip the database did not know is answered NOT_FOUND without
  // asking it again (0: never).
  std::chrono::milliseconds seatmap_not_found_ttl{2000};
  // WatchSeatMap (service/seat_map_watch.h): a heartbeat on a quiet stream,
  // full maps from the database while other instances cannot be heard,
  // events a slow reader may have waiting before it gets a full map
  // instead, and streams per instance.
  std::chrono::milliseconds watch_heartbeat{5000};
  std::chrono::milliseconds watch_refresh{2000};
  int64_t watch_max_behind = 64;
  int64_t watch_max_watchers = 10000;
  // Longest life of a Redis "taken" marker, whatever the hold's.
  std::chrono::milliseconds marker_ttl{30000};

  // Admission control (service/admission.h): database work in flight per
  // class, callers waiting per class, and how long a call may wait from its
  // arrival before it is turned away (RESOURCE_EXHAUSTED).
  bool admission_control = true;
  int admission_reads_in_flight = 128;
  int admission_holds_in_flight = 64;
  int admission_lifecycle_in_flight = 64;
  int admission_queue = 512;
  std::chrono::milliseconds admission_queue_budget{100};
  int admission_io_backlog = 4096;
  bool admission_adaptive = false;

  // Clock skew this instance tolerates against the database's clock; a hold
  // is reclaimed only this long after its expiry, and not at all while the
  // measured skew is beyond it.
  std::chrono::milliseconds clock_skew_tolerance{1000};

  // The repairer: how old an operation's intent must be before it is taken
  // for abandoned, and how often the repairer looks.
  std::chrono::milliseconds repair_min_age{20000};
  std::chrono::milliseconds repair_interval{1000};

  // Process.
  std::chrono::seconds shutdown_grace{10};
  std::string log_level = "info";
};

// Parses flags and environment into a Config. Returns the text to print and
// exit 0 for --help (`help_text` set, status OK), or INVALID_ARGUMENT naming
// the setting for a bad value.
struct ParsedConfig {
  Config config;
  std::string help_text;  // non-empty: print it and exit successfully
};
absl::StatusOr<ParsedConfig> ParseConfig(int argc, const char* const* argv);

// Checks ranges and cross-field rules; INVALID_ARGUMENT names the setting.
absl::Status Validate(const Config& config);

// "host:port" or "host" (default_port) -> HostPort; INVALID_ARGUMENT if malformed.
absl::StatusOr<HostPort> ParseHostPort(std::string_view text, uint16_t default_port);

}  // namespace inventory
