// Readiness — whether this instance should be sent traffic, and what about it
// is degraded. A pure rule over values its caller reads from the running
// parts (database session, probe, Redis client, clock guard, repairer), so
// that it is tested without any of them.
//
// THE RULE. An instance is READY while its database answers: the session
// has an open connection to at least one database node (cut off, it is not
// ready at once) AND the periodic database probe got an answer within the
// last `database_window` (3 probe intervals: one slow or lost probe, or a
// stall of a few seconds, does not flip readiness; a database that stops
// answering does within the window plus one interval). The session's
// quicker judgement of a node (HostInfo::up: stalled after 2 s without an
// answer) is deliberately not used, so that readiness does not flap with it.
// Nothing else decides readiness: without Redis the service still decides
// every hold in the database, a skewed clock only stops reclaiming expired
// holds, and a repair backlog does not stop new operations.
//
// DEGRADED names each part not working as it should, in this order:
//  * "database" — not ready (the rule above fails);
//  * "redis"    — the Redis connection is down (pre-locks, markers, the
//                 change feed and cache announcements are skipped);
//  * "clock"    — expired holds are not reclaimed here: the clock skew to
//                 the database is unknown, stale or beyond the tolerance;
//  * "repair"   — an unfinished operation has waited for the repairer for
//                 longer than `repair_max_age`.
//
// Threading: pure functions; no state.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace inventory::health {

enum class Degraded { kDatabase, kRedis, kClock, kRepair };

// "database", "redis", "clock", "repair".
std::string_view DegradedName(Degraded d);

// What the rule looks at, read on the thread that owns each part.
struct HealthInputs {
  int database_nodes_connected = 0;  // nodes with an open connection
  // How long ago the database probe last got an answer; nullopt if never.
  std::optional<std::chrono::milliseconds> database_answer_age;
  bool redis_connected = false;
  bool redis_used = true;  // false: the instance has no Redis (the embedded store)
  bool clock_reclaim_allowed = false;  // service::ClockGuard::ReclaimAllowed()
  uint64_t repair_backlog = 0;         // intents found and not yet repaired
  int64_t repair_oldest_pending_ms = 0;  // the age of the oldest of them
};

struct HealthRules {
  // The probe runs every kProbeInterval; an answer older than this window
  // makes the instance not ready.
  static constexpr std::chrono::milliseconds kProbeInterval{2000};
  std::chrono::milliseconds database_window = 3 * kProbeInterval;
  // A pending repair older than this is "repair" degraded. The service's
  // bound for repairing an abandoned operation is about REPAIR_MIN_AGE_MS ×
  // 1.5 + REPAIR_INTERVAL_MS; RepairMaxAge() gives twice that.
  std::chrono::milliseconds repair_max_age{62000};

  static std::chrono::milliseconds RepairMaxAge(std::chrono::milliseconds repair_min_age,
                                                std::chrono::milliseconds repair_interval) {
    return 3 * repair_min_age + 2 * repair_interval;
  }
};

struct Readiness {
  bool ready = false;
  std::vector<Degraded> degraded;  // in the order listed above; empty when all is well
};

Readiness Assess(const HealthInputs& in, const HealthRules& rules);

// The /health/ready body, one line of JSON:
// {"status":"ready"|"not_ready","degraded":["redis",...],
//  "database":{"nodes_connected":N,"answer_age_ms":A|null}}
std::string ReadinessJson(const Readiness& readiness, const HealthInputs& in);

}  // namespace inventory::health
