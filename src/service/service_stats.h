// Exact counters of the service's parts, for the metrics endpoint.
//
// One struct, shared by reference by the parts that count (the hold gate,
// the announcer, the lifecycle, the repairer, the intent log). Every counter
// only grows, so a benchmark can divide the differences of two readings.
//
// Threading: written and read on the service's io thread only.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace inventory::service {

// What the repairer did with an intent it found.
enum class RepairKind : uint8_t {
  kNothing = 0,           // the operation had finished; only the intent was dropped
  kHoldAbandoned = 1,     // a hold that never finished: fenced, its seats freed
  kReleaseFinished = 2,   // a release cut short, finished
  kConfirmCommitted = 3,  // a confirm cut short, carried to its booking
  kConfirmAborted = 4,    // a confirm that lost a seat, undone
  kCancelFinished = 5,    // a cancel cut short, finished
};
inline constexpr int kRepairKindCount = 6;
std::string_view RepairKindName(RepairKind kind);

struct ServiceStats {
  // The hold gate (in front of the database).
  uint64_t prelock_acquired = 0;
  uint64_t prelock_contended = 0;
  uint64_t prelock_skipped = 0;      // Redis down or slow: went straight to the LWT
  uint64_t edge_rejections = 0;      // a Redis "taken" marker
  uint64_t seatmap_rejections = 0;   // the cached seat map shows the seat taken
  uint64_t inflight_rejections = 0;  // answered from another request for the seat in flight here
  uint64_t inflight_waits = 0;       // requests that waited for one in flight here
  // Serialized seat-map answers: built, or reused as they were.
  uint64_t seatmap_answers_built = 0;
  uint64_t seatmap_answers_reused = 0;
  // Announcements to Redis (markers, the change stream).
  uint64_t announcements_sent = 0;
  uint64_t announcements_failed = 0;   // queued for a retry
  uint64_t announcements_retried = 0;  // delivered by a retry
  uint64_t announcements_dropped = 0;  // the retry queue overflowed
  uint64_t announcements_queued = 0;   // now (gauge)
  // The change feed (other instances' changes applied here).
  uint64_t feed_changes_applied = 0;
  uint64_t feed_gaps = 0;
  uint64_t feed_losses = 0;
  // Intents and repairs.
  uint64_t intents_recorded = 0;
  uint64_t intents_dropped = 0;
  uint64_t intent_drop_failures = 0;
  std::array<uint64_t, kRepairKindCount> repairs{};
  uint64_t repair_failures = 0;
  uint64_t repair_windows_scanned = 0;
  uint64_t repair_backlog = 0;             // intents found but not yet repaired (gauge)
  int64_t repair_oldest_pending_ms = 0;    // age of the oldest of them (gauge)
};

}  // namespace inventory::service
