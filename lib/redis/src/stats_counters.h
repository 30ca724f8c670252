// StatsCounters — the live, thread-safe counters behind redis::ClientStats.
//
// Shared (std::shared_ptr) between a ClientCore and its Connections, so a
// connection winding down after its client is gone can still count.
// Increments are relaxed: the counters are for metrics, not synchronisation.
#pragma once

#include <atomic>
#include <cstdint>

#include "redis/client_stats.h"

namespace redis::internal {

struct StatsCounters {
  std::atomic<uint64_t> commands_sent{0};
  std::atomic<uint64_t> writes{0};
  std::atomic<uint64_t> timeouts{0};
  std::atomic<uint64_t> fail_fast{0};
  std::atomic<uint64_t> noscript_fallbacks{0};
  std::atomic<uint64_t> connects{0};
  std::atomic<uint64_t> connect_failures{0};
  std::atomic<uint64_t> disconnects{0};

  static void Add(std::atomic<uint64_t>& counter, uint64_t n = 1) {
    counter.fetch_add(n, std::memory_order_relaxed);
  }

  ClientStats Snapshot() const {
    ClientStats s;
    s.commands_sent = commands_sent.load(std::memory_order_relaxed);
    s.writes = writes.load(std::memory_order_relaxed);
    s.timeouts = timeouts.load(std::memory_order_relaxed);
    s.fail_fast = fail_fast.load(std::memory_order_relaxed);
    s.noscript_fallbacks = noscript_fallbacks.load(std::memory_order_relaxed);
    s.connects = connects.load(std::memory_order_relaxed);
    s.connect_failures = connect_failures.load(std::memory_order_relaxed);
    s.disconnects = disconnects.load(std::memory_order_relaxed);
    return s;
  }
};

}  // namespace redis::internal
