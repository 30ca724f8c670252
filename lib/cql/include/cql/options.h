// Options for a cql::Session and for individual requests.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cql/consistency.h"

namespace cql {

struct SessionOptions {
  // Host names or IP addresses; each gets connections_per_host connections.
  std::vector<std::string> contact_points{"127.0.0.1"};
  uint16_t port = 9042;
  // When both are set and the server sends AUTHENTICATE, they are sent to
  // org.apache.cassandra.auth.PasswordAuthenticator (SASL PLAIN).
  std::string username;
  std::string password;
  // If non-empty, every connection issues USE "<keyspace>" after STARTUP.
  std::string keyspace;
  // Bounds TCP connect plus the OPTIONS/STARTUP/AUTH handshake.
  std::chrono::milliseconds connect_timeout{5000};
  // Default client-side timeout per request (QueryOptions::timeout overrides).
  std::chrono::milliseconds request_timeout{10000};
  int connections_per_host = 1;
  // Consistency used when QueryOptions::consistency is unset.
  Consistency default_consistency = Consistency::kLocalQuorum;
  // Reconnect backoff after a failed connect: doubles from min up to max.
  std::chrono::milliseconds reconnect_backoff_min{100};
  std::chrono::milliseconds reconnect_backoff_max{5000};
};

struct QueryOptions {
  // Commit consistency; SessionOptions::default_consistency if unset. Use
  // kSerial/kLocalSerial here for a linearizable read of LWT-written data.
  std::optional<Consistency> consistency;
  // Consistency of the Paxos phase of conditional statements (SERIAL or
  // LOCAL_SERIAL); the server defaults to SERIAL when unset.
  std::optional<Consistency> serial_consistency;
  // Rows per page; <= 0 disables paging (QUERY/EXECUTE only).
  int32_t page_size = 5000;
  // Resume from a previous Result::paging_state() (QUERY/EXECUTE only).
  std::string paging_state;
  // Client-chosen write timestamp in microseconds since the epoch.
  std::optional<int64_t> default_timestamp;
  // Client-side timeout; SessionOptions::request_timeout if unset.
  std::optional<std::chrono::milliseconds> timeout;
};

}  // namespace cql
