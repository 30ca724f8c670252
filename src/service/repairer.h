// The repairer: in every instance, it finds operations that never finished
// (their intents) and finishes or undoes them (Lifecycle::Repair).
//
// Intents are kept by creation time in windows (SeatStore::IntentWindowMs).
// A window is read once every intent in it is at least `min_age` old —
// older than any operation that is still running normally — and once more
// `second_look` later, for intents of instances whose clocks lag. Whatever a
// read finds is repaired, at most `max_repairs` per tick; an intent whose
// repair fails is tried again on later ticks (after `retry_after`). The
// progress every instance shares (SeatStore::RepairedBefore) moves forward
// past windows with nothing left, so an instance that starts picks up where
// the others are, and an operation cut while every instance was down is
// still found. Repairs are idempotent and decided by the database's
// conditions: instances repairing the same intent at once is harmless.
//
// Bound: an operation abandoned at time T (its instance died, or an error
// cut it) is finished or undone by about T + window + min_age + interval
// (10 s + 20 s + 1 s with the defaults), well inside the service's 60 s.
//
// Cost: with nothing to repair, one read per shard per window per look
// (0.8 reads a second with the defaults), per instance.
//
// Threading: one executor (the service's io thread); not locked.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "service/lifecycle.h"
#include "service/service_stats.h"
#include "storage/seat_store.h"

namespace inventory::service {

struct RepairerOptions {
  std::chrono::milliseconds interval{1000};
  std::chrono::milliseconds min_age{20000};
  std::chrono::milliseconds second_look{60000};
  std::chrono::milliseconds retry_after{5000};
  // Where a first start (no shared progress yet) begins looking.
  std::chrono::milliseconds first_lookback{std::chrono::hours(1)};
  // Never looks further back than this, whatever the shared progress says.
  std::chrono::milliseconds max_lookback{std::chrono::hours(24 * 7)};
  int max_repairs = 200;  // per tick
  int max_windows = 120;  // read per tick (a catch-up is spread over ticks)
  std::chrono::milliseconds progress_every{30000};
};

class Repairer {
 public:
  using Clock = std::function<int64_t()>;

  // Every reference must outlive the repairer.
  Repairer(storage::SeatStore& store, Lifecycle& lifecycle, Clock clock, RepairerOptions options,
           ServiceStats& stats);

  // One pass: reads due windows, repairs what it found (bounded). Errors are
  // counted and retried on a later pass.
  asio::awaitable<void> Tick();
  // Ticks every interval until Stop().
  asio::awaitable<void> Run();
  void Stop();

 private:
  struct Pending {
    storage::Intent intent;
    int64_t retry_at_ms = 0;
  };
  asio::awaitable<absl::Status> Start();
  asio::awaitable<absl::Status> Read(int64_t window);
  int64_t Window(int64_t ms) const { return ms / window_ms_; }

  storage::SeatStore& store_;
  Lifecycle& lifecycle_;
  Clock clock_;
  RepairerOptions options_;
  ServiceStats& stats_;
  int64_t window_ms_;
  bool started_ = false;
  // Windows before this one have had their first look.
  int64_t next_window_ = 0;
  // Windows waiting for their second look, by when it is due.
  std::map<int64_t, int64_t> second_looks_;
  // Intents found, not yet repaired, by intent id.
  std::map<std::string, Pending> pending_;
  int64_t last_progress_ms_ = 0;
  int64_t progress_written_ = -1;
  bool stopping_ = false;
  std::unique_ptr<asio::steady_timer> timer_;
};

}  // namespace inventory::service
