// Options for a cql::Session and for individual requests.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cql/consistency.h"

namespace cql {

// TLS to the nodes (their client_encryption_options). The node's certificate
// chain is verified against ca_file; with verify_hostname the certificate must
// also name the address or host name dialled (subjectAltName IP or DNS).
struct TlsOptions {
  bool enabled = false;
  std::string ca_file;    // PEM; required when enabled
  std::string cert_file;  // optional client certificate (PEM), for require_client_auth
  std::string key_file;   // its private key (PEM)
  bool verify_hostname = true;
};

struct SessionOptions {
  // Contact points: "host", "host:port", "[ipv6]:port" or a bare IPv6
  // address; names are resolved on every (re)connect. The rest of the
  // cluster is discovered from them (discover_peers).
  std::vector<std::string> contact_points{"127.0.0.1"};
  // Port of contact points that name none, and of discovered nodes whose
  // system tables name none (system.peers).
  uint16_t port = 9042;
  // When both are set and the server sends AUTHENTICATE, they are sent to
  // org.apache.cassandra.auth.PasswordAuthenticator (SASL PLAIN).
  std::string username;
  std::string password;
  // If non-empty, every connection issues USE "<keyspace>" after STARTUP.
  std::string keyspace;
  // Bounds TCP connect plus the TLS, OPTIONS/STARTUP/AUTH handshake.
  std::chrono::milliseconds connect_timeout{5000};
  // Default client-side timeout per request (QueryOptions::timeout overrides).
  std::chrono::milliseconds request_timeout{10000};
  // Connections to each node (ScyllaDB: at least one per shard).
  int connections_per_host = 1;
  // Consistency used when QueryOptions::consistency is unset.
  Consistency default_consistency = Consistency::kLocalQuorum;
  // Reconnect backoff after a failed connect: doubles from min up to max,
  // with up to 50 % random jitter subtracted.
  std::chrono::milliseconds reconnect_backoff_min{100};
  std::chrono::milliseconds reconnect_backoff_max{5000};
  // Learn the other nodes from system.local / system.peers(_v2) and follow
  // TOPOLOGY_CHANGE / STATUS_CHANGE / SCHEMA_CHANGE events on a control
  // connection. False: only the contact points are used (e.g. behind a proxy).
  bool discover_peers = true;
  // Nodes of this datacenter are preferred; other datacenters are used only
  // when no local node is up. Empty: the datacenter of the first contact
  // point that answers.
  std::string local_datacenter;
  // Route each statement to a replica of its partition (LWTs and SERIAL
  // reads to the first live replica). False: round robin over live nodes.
  bool token_aware = true;
  // An idle connection sends OPTIONS after this long; one that does not
  // answer within heartbeat_timeout is closed. 0 disables heartbeats.
  std::chrono::milliseconds heartbeat_interval{5000};
  std::chrono::milliseconds heartbeat_timeout{5000};
  // DDL waits until every live node reports the same schema_version.
  std::chrono::milliseconds schema_agreement_timeout{20000};
  TlsOptions tls;
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
  // May the statement be sent again to another node after it may have been
  // executed (connection lost or timed out after sending)? Unset: SELECTs
  // are, everything else is not. Conditional statements (LWT) never are:
  // their unknown outcome is the caller's to settle (a SERIAL read).
  std::optional<bool> idempotent;
};

}  // namespace cql
