// redis::ClientStats — counters of one redis::Client, for metrics export.
//
// A snapshot copied out of the client (Client::stats()); values only grow.
#pragma once

#include <cstdint>

namespace redis {

struct ClientStats {
  // Commands written to a connection on behalf of callers, counting an
  // EVALSHA and its EVAL fallback as two. Connection set-up commands (AUTH,
  // SELECT, PING) are not counted. Calls that fail before reaching a
  // connection (fail-fast while disconnected) are not counted.
  uint64_t commands_sent = 0;
  // Socket writes; commands_sent / writes is the write batching factor.
  uint64_t writes = 0;
  // Commands whose caller got DEADLINE_EXCEEDED.
  uint64_t timeouts = 0;
  // Calls failed immediately because the client was disconnected and backing
  // off (no connect attempt in progress).
  uint64_t fail_fast = 0;
  // EVALSHA answered NOSCRIPT and retried as EVAL.
  uint64_t noscript_fallbacks = 0;
  // Successful and failed connect attempts (including AUTH/SELECT).
  uint64_t connects = 0;
  uint64_t connect_failures = 0;
  // Established connections lost (I/O error, EOF, protocol error, stuck).
  uint64_t disconnects = 0;
};

}  // namespace redis
