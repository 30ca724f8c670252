// The intents of this instance's operations: recorded before an operation's
// first step, forgotten after its last.
//
// Forgetting is off the answer's path: Done() queues the intent and a
// background flush drops the queued ones every `flush_interval`, one request
// per partition of the store. An intent whose drop fails stays queued and is
// tried again; if the instance dies first, the repairer finds the intent,
// sees that its operation had finished, and drops it then. So a drop can
// only be late, never lost, and never costs a seat.
//
// Threading: one executor (the service's io thread); not locked.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "service/service_stats.h"
#include "storage/seat_store.h"

namespace inventory::service {

class IntentLog {
 public:
  using Clock = std::function<int64_t()>;

  // `store` and `stats` must outlive the log.
  IntentLog(storage::SeatStore& store, Clock clock, ServiceStats& stats,
            std::chrono::milliseconds flush_interval = std::chrono::milliseconds(200), size_t max_queued = 100000);

  // Records `intent` (created_at_ms set to now if 0; intent.key set).
  asio::awaitable<absl::Status> Record(storage::Intent& intent);
  // The operation of `key` is over: its intent will be dropped.
  void Done(storage::IntentKey key);
  // Drops every queued intent now (failed ones stay queued).
  asio::awaitable<void> Flush();

  // Flushes every flush_interval until Stop(), then once more.
  asio::awaitable<void> Run();
  void Stop();

  size_t queued() const { return queued_.size(); }
  storage::SeatStore& store() { return store_; }

 private:
  storage::SeatStore& store_;
  Clock clock_;
  ServiceStats& stats_;
  std::chrono::milliseconds flush_interval_;
  size_t max_queued_;
  std::vector<storage::IntentKey> queued_;
  bool stopping_ = false;
  std::unique_ptr<asio::steady_timer> timer_;
};

}  // namespace inventory::service
