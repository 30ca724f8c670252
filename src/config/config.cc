#include "config/config.h"

#include <CLI/CLI.hpp>

#include <charconv>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace inventory {
namespace {

bool IsConsistency(const std::string& name) {
  static const char* const kNames[] = {"ANY", "ONE", "TWO", "THREE", "QUORUM", "ALL",
                                       "LOCAL_QUORUM", "EACH_QUORUM", "LOCAL_ONE"};
  for (const char* n : kNames) {
    if (name == n) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<HostPort> ParseHostPort(std::string_view text, uint16_t default_port) {
  HostPort out;
  out.port = default_port;
  std::string_view host = text;
  std::string_view port;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {  // [IPv6] or [IPv6]:port
    const size_t close = text.find(']');
    if (close == std::string_view::npos || (close + 1 < text.size() && text[close + 1] != ':')) {
      return absl::InvalidArgumentError(absl::StrCat("bad address '", std::string(text), "'"));
    }
    host = text.substr(1, close - 1);
    has_port = close + 1 < text.size();
    if (has_port) port = text.substr(close + 2);
  } else if (const size_t colon = text.rfind(':'); colon != std::string_view::npos && text.find(':') == colon) {
    host = text.substr(0, colon);  // host:port (several colons: a bare IPv6 address)
    port = text.substr(colon + 1);
    has_port = true;
  }
  if (has_port) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("bad port in address '", std::string(text), "'"));
    }
    out.port = static_cast<uint16_t>(value);
  }
  if (host.empty()) return absl::InvalidArgumentError(absl::StrCat("missing host in '", std::string(text), "'"));
  out.host = std::string(host);
  return out;
}

absl::Status Validate(const Config& c) {
  if (c.grpc_port == 0) return absl::InvalidArgumentError("grpc-port: must be 1..65535");
  if (c.http_port == 0) return absl::InvalidArgumentError("http-port: must be 1..65535");
  if (c.grpc_port == c.http_port) return absl::InvalidArgumentError("http-port: must differ from grpc-port");
  if (c.store != "cql" && c.store != "embedded") return absl::InvalidArgumentError("store: cql or embedded");
  if (c.store == "embedded" && c.embedded_path.empty()) {
    return absl::InvalidArgumentError("embedded-path: must not be empty");
  }
  if (c.db_hosts.empty()) return absl::InvalidArgumentError("scylla-hosts: at least one host");
  if (c.db_keyspace.empty()) return absl::InvalidArgumentError("scylla-keyspace: must not be empty");
  if (c.db_tls && c.db_tls_ca_file.empty()) return absl::InvalidArgumentError("scylla-tls: needs scylla-tls-ca-file");
  if (c.db_tls_cert_file.empty() != c.db_tls_key_file.empty()) {
    return absl::InvalidArgumentError("scylla-tls-cert-file and scylla-tls-key-file go together");
  }
  if (c.db_heartbeat.count() < 0) return absl::InvalidArgumentError("scylla-heartbeat-ms: must be >= 0");
  for (char ch : c.db_keyspace) {
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_')) {
      return absl::InvalidArgumentError("scylla-keyspace: letters, digits and '_' only");
    }
  }
  if (c.db_keyspace.size() > 48) return absl::InvalidArgumentError("scylla-keyspace: at most 48 characters");
  if (!IsConsistency(c.db_consistency)) {
    return absl::InvalidArgumentError(absl::StrCat("scylla-consistency: unknown level '", c.db_consistency, "'"));
  }
  if (c.db_serial_consistency != "SERIAL" && c.db_serial_consistency != "LOCAL_SERIAL") {
    return absl::InvalidArgumentError("scylla-serial-consistency: SERIAL or LOCAL_SERIAL");
  }
  if (c.db_request_timeout.count() <= 0) return absl::InvalidArgumentError("scylla-timeout-ms: must be > 0");
  if (c.db_connect_timeout.count() <= 0) return absl::InvalidArgumentError("scylla-connect-timeout-ms: must be > 0");
  if (c.db_connections_per_host < 1 || c.db_connections_per_host > 64) {
    return absl::InvalidArgumentError("scylla-connections: 1..64");
  }
  if (!absl::StartsWith(c.db_replication, "SimpleStrategy:") &&
      !absl::StartsWith(c.db_replication, "NetworkTopologyStrategy:")) {
    return absl::InvalidArgumentError(
        "scylla-replication: 'SimpleStrategy:RF' or 'NetworkTopologyStrategy:dc=RF[,dc=RF]'");
  }
  if (c.redis.port == 0 || c.redis.host.empty()) return absl::InvalidArgumentError("redis-addr: host:port");
  if (c.redis_timeout.count() <= 0) return absl::InvalidArgumentError("redis-timeout-ms: must be > 0");
  if (c.redis_db < 0 || c.redis_db > 15) return absl::InvalidArgumentError("redis-db: 0..15");
  if (c.hold_ttl_min.count() < 1) return absl::InvalidArgumentError("hold-ttl-min: at least 1 s");
  if (c.hold_ttl_max < c.hold_ttl_min) return absl::InvalidArgumentError("hold-ttl-max: below hold-ttl-min");
  if (c.hold_ttl_max.count() > 24 * 3600) return absl::InvalidArgumentError("hold-ttl-max: at most 86400 s");
  if (c.hold_ttl_default < c.hold_ttl_min || c.hold_ttl_default > c.hold_ttl_max) {
    return absl::InvalidArgumentError("hold-ttl: must lie within [hold-ttl-min, hold-ttl-max]");
  }
  if (c.max_holds_per_user < 1 || c.max_holds_per_user > 100) {
    return absl::InvalidArgumentError("max-holds-per-user: 1..100");
  }
  if (c.seatmap_cache_ttl.count() < 0) return absl::InvalidArgumentError("seatmap-cache-ttl-ms: must be >= 0");
  if (c.seatmap_cache_bytes <= 0) return absl::InvalidArgumentError("seatmap-cache-bytes: must be > 0");
  // Another instance's new trip may be answered NOT_FOUND here this long.
  if (c.seatmap_not_found_ttl.count() < 0 || c.seatmap_not_found_ttl.count() > 60000) {
    return absl::InvalidArgumentError("seatmap-not-found-ttl-ms: 0..60000");
  }
  if (c.watch_heartbeat.count() < 100 || c.watch_heartbeat.count() > 60000) {
    return absl::InvalidArgumentError("watch-heartbeat-ms: 100..60000");
  }
  if (c.watch_refresh.count() < 100 || c.watch_refresh.count() > 60000) {
    return absl::InvalidArgumentError("watch-refresh-ms: 100..60000");
  }
  if (c.watch_max_behind < 1) return absl::InvalidArgumentError("watch-max-behind: at least 1");
  if (c.watch_max_watchers < 0) return absl::InvalidArgumentError("watch-max-watchers: must be >= 0");
  // Copies may refuse a freed seat for at most these; the service promises 60 s.
  if (c.seatmap_trust.count() < 0 || c.seatmap_trust.count() > 55000) {
    return absl::InvalidArgumentError("seatmap-trust-ms: 0..55000");
  }
  if (c.marker_ttl.count() < 1000 || c.marker_ttl.count() > 55000) {
    return absl::InvalidArgumentError("marker-ttl-ms: 1000..55000");
  }
  if (c.clock_skew_tolerance.count() < 10 || c.clock_skew_tolerance.count() > 30000) {
    return absl::InvalidArgumentError("clock-skew-tolerance-ms: 10..30000");
  }
  if (c.repair_min_age.count() < 1000 || c.repair_min_age.count() > 40000) {
    return absl::InvalidArgumentError("repair-min-age-ms: 1000..40000");
  }
  if (c.repair_interval.count() < 100 || c.repair_interval.count() > 10000) {
    return absl::InvalidArgumentError("repair-interval-ms: 100..10000");
  }
  for (int n : {c.admission_reads_in_flight, c.admission_holds_in_flight, c.admission_lifecycle_in_flight}) {
    if (n < 1 || n > 100000) return absl::InvalidArgumentError("admission-*-in-flight: 1..100000");
  }
  if (c.admission_queue < 0 || c.admission_queue > 1000000) {
    return absl::InvalidArgumentError("admission-queue: 0..1000000");
  }
  if (c.admission_io_backlog < 1 || c.admission_io_backlog > 1000000) {
    return absl::InvalidArgumentError("admission-io-backlog: 1..1000000");
  }
  if (c.admission_queue_budget.count() < 1 || c.admission_queue_budget.count() > 60000) {
    return absl::InvalidArgumentError("admission-queue-ms: 1..60000");
  }
  if (c.shutdown_grace.count() < 0) return absl::InvalidArgumentError("shutdown-grace-seconds: must be >= 0");
  static const char* const kLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  bool level_ok = false;
  for (const char* l : kLevels) level_ok |= c.log_level == l;
  if (!level_ok) return absl::InvalidArgumentError("log-level: trace|debug|info|warn|error|critical|off");
  return absl::OkStatus();
}

absl::StatusOr<ParsedConfig> ParseConfig(int argc, const char* const* argv) {
  ParsedConfig parsed;
  Config& c = parsed.config;
  CLI::App app{"inventoryd: seat inventory service (gRPC inventory.v1.InventoryService)"};
  app.option_defaults()->always_capture_default()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);

  std::string hosts = "localhost";
  std::string redis_addr = "localhost:6379";
  int64_t db_timeout_ms = c.db_request_timeout.count();
  int64_t db_connect_timeout_ms = c.db_connect_timeout.count();
  int64_t redis_timeout_ms = c.redis_timeout.count();
  int64_t hold_ttl = c.hold_ttl_default.count();
  int64_t hold_ttl_min = c.hold_ttl_min.count();
  int64_t hold_ttl_max = c.hold_ttl_max.count();
  int64_t seatmap_ttl_ms = c.seatmap_cache_ttl.count();
  int64_t seatmap_trust_ms = c.seatmap_trust.count();
  int64_t seatmap_not_found_ttl_ms = c.seatmap_not_found_ttl.count();
  int64_t marker_ttl_ms = c.marker_ttl.count();
  int64_t watch_heartbeat_ms = c.watch_heartbeat.count();
  int64_t watch_refresh_ms = c.watch_refresh.count();
  int64_t admission_queue_ms = c.admission_queue_budget.count();
  int64_t skew_ms = c.clock_skew_tolerance.count();
  int64_t repair_min_age_ms = c.repair_min_age.count();
  int64_t repair_interval_ms = c.repair_interval.count();
  int64_t grace = c.shutdown_grace.count();
  int64_t db_heartbeat_ms = c.db_heartbeat.count();
  std::string db_password_file;

  app.add_option("--listen-address", c.listen_address, "Address the gRPC and HTTP listeners bind")->envname("LISTEN_ADDRESS");
  app.add_option("--grpc-port", c.grpc_port, "gRPC port")->envname("GRPC_PORT");
  app.add_option("--http-port", c.http_port, "HTTP port for /health and /metrics")->envname("HTTP_PORT");
  app.add_option("--store", c.store, "Store: cql (Cassandra/ScyllaDB with Redis) or embedded (SQLite, one process)")
      ->envname("STORE");
  app.add_option("--embedded-path", c.embedded_path, "The embedded store's database file (its folder must exist)")
      ->envname("EMBEDDED_PATH");
  app.add_option("--scylla-hosts", hosts, "Database contact points, comma-separated (host or host:port)")->envname("SCYLLA_HOSTS");
  app.add_option("--scylla-port", c.db_port, "CQL port for hosts given without one")->envname("SCYLLA_PORT");
  app.add_option("--scylla-keyspace", c.db_keyspace, "Keyspace (created if missing)")->envname("SCYLLA_KEYSPACE");
  app.add_option("--scylla-username", c.db_username, "Database user (PasswordAuthenticator)")->envname("SCYLLA_USERNAME");
  app.add_option("--scylla-password", c.db_password, "Database password")->envname("SCYLLA_PASSWORD");
  app.add_option("--scylla-replication", c.db_replication,
                 "Keyspace replication: SimpleStrategy:RF or NetworkTopologyStrategy:dc=RF[,dc=RF]")
      ->envname("SCYLLA_REPLICATION");
  app.add_option("--scylla-consistency", c.db_consistency, "Consistency of reads and writes")->envname("SCYLLA_CONSISTENCY");
  app.add_option("--scylla-serial-consistency", c.db_serial_consistency, "Serial consistency of LWTs: SERIAL or LOCAL_SERIAL")
      ->envname("SCYLLA_SERIAL_CONSISTENCY");
  app.add_option("--scylla-timeout-ms", db_timeout_ms, "Client-side timeout of one database request")->envname("SCYLLA_TIMEOUT_MS");
  app.add_option("--scylla-connect-timeout-ms", db_connect_timeout_ms, "Timeout of one database connection attempt")
      ->envname("SCYLLA_CONNECT_TIMEOUT_MS");
  app.add_option("--scylla-connections", c.db_connections_per_host, "Connections per database host")->envname("SCYLLA_CONNECTIONS");
  app.add_option("--scylla-local-dc", c.db_local_dc, "Preferred datacenter (empty: the first contact point's)")
      ->envname("SCYLLA_LOCAL_DC");
  app.add_option("--scylla-token-aware", c.db_token_aware,
                 "Send each statement to a replica of its partition, LWTs to the first (on/off)")
      ->envname("SCYLLA_TOKEN_AWARE");
  app.add_option("--scylla-heartbeat-ms", db_heartbeat_ms,
                 "Heartbeat on an idle database connection; unanswered as long, it is dropped (0: off)")
      ->envname("SCYLLA_HEARTBEAT_MS");
  app.add_option("--scylla-password-file", db_password_file, "File holding the database password")
      ->envname("SCYLLA_PASSWORD_FILE");
  app.add_option("--scylla-tls", c.db_tls, "TLS to the database nodes (on/off)")->envname("SCYLLA_TLS");
  app.add_option("--scylla-tls-ca-file", c.db_tls_ca_file, "CA certificates (PEM) the nodes' certificates chain to")
      ->envname("SCYLLA_TLS_CA_FILE");
  app.add_option("--scylla-tls-cert-file", c.db_tls_cert_file, "Client certificate (PEM), if the nodes ask for one")
      ->envname("SCYLLA_TLS_CERT_FILE");
  app.add_option("--scylla-tls-key-file", c.db_tls_key_file, "Private key (PEM) of the client certificate")
      ->envname("SCYLLA_TLS_KEY_FILE");
  app.add_option("--scylla-tls-verify-hostname", c.db_tls_verify_hostname,
                 "The node's certificate must name the address dialled (on/off)")
      ->envname("SCYLLA_TLS_VERIFY_HOSTNAME");
  app.add_option("--redis-addr", redis_addr, "Redis host:port")->envname("REDIS_ADDR");
  app.add_option("--redis-username", c.redis_username, "Redis ACL user (empty: default user)")->envname("REDIS_USERNAME");
  app.add_option("--redis-password", c.redis_password, "Redis password (empty: no AUTH)")->envname("REDIS_PASSWORD");
  app.add_option("--redis-db", c.redis_db, "Redis database number")->envname("REDIS_DB");
  app.add_option("--redis-timeout-ms", redis_timeout_ms, "Timeout of one Redis command; past it the pre-lock is skipped")
      ->envname("REDIS_TIMEOUT_MS");
  app.add_option("--prelock", c.prelock, "Redis pre-locks and taken-seat markers in front of the database (on/off)")
      ->envname("PRELOCK");
  app.add_option("--edge-short-circuit", c.edge_short_circuit,
                 "Refuse holds of seats known taken without a database round trip (on/off)")
      ->envname("EDGE_SHORT_CIRCUIT");
  app.add_option("--hold-ttl", hold_ttl, "Default hold duration, seconds")->envname("HOLD_TTL_SECONDS");
  app.add_option("--hold-ttl-min", hold_ttl_min, "Shortest hold a request may ask for, seconds")->envname("HOLD_TTL_MIN_SECONDS");
  app.add_option("--hold-ttl-max", hold_ttl_max, "Longest hold a request may ask for, seconds")->envname("HOLD_TTL_MAX_SECONDS");
  app.add_option("--max-holds-per-user", c.max_holds_per_user, "Live holds one user may have per organisation")
      ->envname("MAX_HOLDS_PER_USER");
  app.add_option("--seatmap-cache", c.seatmap_cache, "Seat-map snapshot cache (on/off; off: every read loads)")
      ->envname("SEATMAP_CACHE");
  app.add_option("--seatmap-cache-ttl-ms", seatmap_ttl_ms, "Seat-map snapshot cache lifetime (0: no cache)")
      ->envname("SEATMAP_CACHE_TTL_MS");
  app.add_option("--seatmap-trust-ms", seatmap_trust_ms,
                 "How long a cached seat map kept honest by the change feed may refuse holds")
      ->envname("SEATMAP_TRUST_MS");
  app.add_option("--seatmap-cache-bytes", c.seatmap_cache_bytes,
                 "Memory of the seat-map caches, bytes (> 0; snapshots 3/4, answers 1/4; least recently used go)")
      ->envname("SEATMAP_CACHE_BYTES");
  app.add_option("--seatmap-not-found-ttl-ms", seatmap_not_found_ttl_ms,
                 "How long an unknown trip is answered NOT_FOUND without the database (0: never)")
      ->envname("SEATMAP_NOT_FOUND_TTL_MS");
  app.add_option("--watch-heartbeat-ms", watch_heartbeat_ms, "WatchSeatMap: a heartbeat after this long without events")
      ->envname("WATCH_HEARTBEAT_MS");
  app.add_option("--watch-refresh-ms", watch_refresh_ms,
                 "WatchSeatMap: full maps from the database this often while other instances cannot be heard")
      ->envname("WATCH_REFRESH_MS");
  app.add_option("--watch-max-behind", c.watch_max_behind,
                 "WatchSeatMap: events waiting for a slow reader before it gets a full map instead")
      ->envname("WATCH_MAX_BEHIND");
  app.add_option("--watch-max-watchers", c.watch_max_watchers,
                 "WatchSeatMap: streams per instance (more: RESOURCE_EXHAUSTED)")
      ->envname("WATCH_MAX_WATCHERS");
  app.add_option("--marker-ttl-ms", marker_ttl_ms, "Longest life of a Redis taken-seat marker")->envname("MARKER_TTL_MS");
  app.add_option("--clock-skew-tolerance-ms", skew_ms,
                 "Clock skew tolerated against the database; expired holds are reclaimed this long after expiry")
      ->envname("CLOCK_SKEW_TOLERANCE_MS");
  app.add_option("--repair-min-age-ms", repair_min_age_ms,
                 "Age at which an unfinished operation is finished or undone by the repairer")
      ->envname("REPAIR_MIN_AGE_MS");
  app.add_option("--repair-interval-ms", repair_interval_ms, "How often the repairer looks for unfinished operations")
      ->envname("REPAIR_INTERVAL_MS");
  app.add_option("--admission-control", c.admission_control,
                 "Bound the work in flight per class and turn away calls that waited too long (on/off)")
      ->envname("ADMISSION_CONTROL");
  app.add_option("--admission-reads-in-flight", c.admission_reads_in_flight,
                 "Reads (seat maps, availability, waitlists) running at once")
      ->envname("ADMISSION_READS_IN_FLIGHT");
  app.add_option("--admission-holds-in-flight", c.admission_holds_in_flight,
                 "New holds (past the edge) and waitlist joins at the database at once")
      ->envname("ADMISSION_HOLDS_IN_FLIGHT");
  app.add_option("--admission-lifecycle-in-flight", c.admission_lifecycle_in_flight,
                 "Confirms, releases, cancels and operator calls running at once")
      ->envname("ADMISSION_LIFECYCLE_IN_FLIGHT");
  app.add_option("--admission-queue", c.admission_queue, "Calls of one class that may wait for a slot")
      ->envname("ADMISSION_QUEUE");
  app.add_option("--admission-adaptive", c.admission_adaptive,
                 "Slots adapt to the database's service time, up to the *-in-flight settings (on/off)")
      ->envname("ADMISSION_ADAPTIVE");
  app.add_option("--admission-io-backlog", c.admission_io_backlog,
                 "Calls waiting for the io thread past which reads are turned away at once")
      ->envname("ADMISSION_IO_BACKLOG");
  app.add_option("--admission-queue-ms", admission_queue_ms,
                 "How long a call may wait, from its arrival, before its work starts; past it RESOURCE_EXHAUSTED")
      ->envname("ADMISSION_QUEUE_MS");
  app.add_option("--shutdown-grace-seconds", grace, "How long in-flight calls may finish on SIGTERM")
      ->envname("SHUTDOWN_GRACE_SECONDS");
  app.add_option("--log-level", c.log_level, "trace|debug|info|warn|error|critical|off")->envname("LOG_LEVEL");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    parsed.help_text = app.help();
    return parsed;
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(e.what());
  }

  c.db_hosts.clear();
  for (absl::string_view h : absl::StrSplit(hosts, ',', absl::SkipWhitespace())) {
    c.db_hosts.emplace_back(absl::StripAsciiWhitespace(h));
  }
  auto redis = ParseHostPort(redis_addr, 6379);
  if (!redis.ok()) return absl::InvalidArgumentError(absl::StrCat("redis-addr: ", redis.status().message()));
  c.redis = *redis;
  c.db_request_timeout = std::chrono::milliseconds(db_timeout_ms);
  c.db_heartbeat = std::chrono::milliseconds(db_heartbeat_ms);
  if (!db_password_file.empty()) {
    std::ifstream in(db_password_file);
    if (!in) return absl::InvalidArgumentError(absl::StrCat("scylla-password-file: cannot open ", db_password_file));
    std::ostringstream secret;
    secret << in.rdbuf();
    c.db_password = std::string(absl::StripTrailingAsciiWhitespace(secret.str()));
  }
  c.db_connect_timeout = std::chrono::milliseconds(db_connect_timeout_ms);
  c.redis_timeout = std::chrono::milliseconds(redis_timeout_ms);
  c.hold_ttl_default = std::chrono::seconds(hold_ttl);
  c.hold_ttl_min = std::chrono::seconds(hold_ttl_min);
  c.hold_ttl_max = std::chrono::seconds(hold_ttl_max);
  c.seatmap_cache_ttl = std::chrono::milliseconds(seatmap_ttl_ms);
  c.seatmap_trust = std::chrono::milliseconds(seatmap_trust_ms);
  c.seatmap_not_found_ttl = std::chrono::milliseconds(seatmap_not_found_ttl_ms);
  c.marker_ttl = std::chrono::milliseconds(marker_ttl_ms);
  c.watch_heartbeat = std::chrono::milliseconds(watch_heartbeat_ms);
  c.watch_refresh = std::chrono::milliseconds(watch_refresh_ms);
  c.admission_queue_budget = std::chrono::milliseconds(admission_queue_ms);
  c.clock_skew_tolerance = std::chrono::milliseconds(skew_ms);
  c.repair_min_age = std::chrono::milliseconds(repair_min_age_ms);
  c.repair_interval = std::chrono::milliseconds(repair_interval_ms);
  c.shutdown_grace = std::chrono::seconds(grace);
  for (const std::string& h : c.db_hosts) {
    auto hp = ParseHostPort(h, c.db_port);
    if (!hp.ok()) return absl::InvalidArgumentError(absl::StrCat("scylla-hosts: ", hp.status().message()));
  }
  if (absl::Status s = Validate(c); !s.ok()) return s;
  return parsed;
}

}  // namespace inventory
