// redis::ClientOptions — how a redis::Client connects and how long it waits.
//
// Plain value; copied into the Client at construction.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace redis {

struct ClientOptions {
  // Server address. `host` may be a numeric IPv4/IPv6 address (used as is)
  // or a name (resolved on every connect attempt).
  std::string host = "127.0.0.1";
  uint16_t port = 6379;

  // Authentication, sent on every (re)connect before any other command:
  // `AUTH <password>` if only a password is set, `AUTH <username>
  // <password>` (Redis 6+ ACL) if both are. Nothing is sent if password is
  // empty.
  std::string username;
  std::string password;
  // `SELECT <db>` on every (re)connect when non-zero.
  int db = 0;

  // Bound on one connect attempt: resolve + TCP connect + AUTH/SELECT/PING.
  std::chrono::milliseconds connect_timeout{1000};
  // Default bound on one call (Command, Eval including its NOSCRIPT retry,
  // or a whole Pipeline), measured from the call, including any wait for a
  // connect attempt in progress. Exceeding it yields DEADLINE_EXCEEDED.
  std::chrono::milliseconds command_timeout{500};

  // Delay between reconnect attempts after a failed one: starts at
  // reconnect_backoff_min, doubles per failure up to reconnect_backoff_max,
  // with jitter (each delay is drawn from [d/2, d]). While waiting, calls
  // fail immediately with the last connect error.
  std::chrono::milliseconds reconnect_backoff_min{50};
  std::chrono::milliseconds reconnect_backoff_max{2000};

  // Stuck-connection detection, evaluated whenever a call times out. The
  // connection is dropped (its in-flight calls fail UNAVAILABLE, a reconnect
  // starts) if
  //  - it has had requests outstanding but produced no reply for
  //    `stall_timeout`, or
  //  - more than `max_abandoned_in_flight` timed-out requests are still
  //    waiting for their (to be discarded) replies.
  std::chrono::milliseconds stall_timeout{2000};
  size_t max_abandoned_in_flight = 1024;
};

}  // namespace redis
