// CallGroup — the replies one caller is waiting for (one for Command/Eval, N
// for a Pipeline), plus the timer that bounds the wait.
//
// Each command of the group occupies one FIFO slot on a connection (or on
// the client's wait-for-connect queue) that points back at the group. When
// the caller's deadline passes first, the caller Abandon()s the group: its
// pending slots stay in the FIFO (the server will still answer them, in
// order) but their replies are dropped on arrival.
//
// Threading: all methods REQUIRE the client's strand. Owned by
// std::shared_ptr, shared by the waiting caller and the FIFO slots.
#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "redis/reply.h"

namespace redis::internal {

class CallGroup {
 public:
  using Clock = std::chrono::steady_clock;

  CallGroup(const asio::any_io_executor& strand, size_t size,
            Clock::time_point deadline);
  CallGroup(const CallGroup&) = delete;
  CallGroup& operator=(const CallGroup&) = delete;

  size_t size() const { return results_.size(); }
  size_t pending() const { return pending_; }
  bool done() const { return pending_ == 0; }
  bool abandoned() const { return abandoned_; }

  // Delivers the result of command `index`. Ignored if that command already
  // has a result (e.g. the group was abandoned). Wakes the waiter when the
  // last result arrives.
  void Complete(size_t index, absl::StatusOr<Reply> result);
  // Completes every command still pending with `status`.
  void CompleteAll(const absl::Status& status);

  // Suspends until done() or the deadline, whichever is first. At most one
  // waiter.
  asio::awaitable<void> Wait();

  // Gives up on the pending commands: each gets `status`, later results are
  // dropped. Returns how many were pending.
  size_t Abandon(const absl::Status& status);

  // Moves the results out. REQUIRES: done().
  std::vector<absl::StatusOr<Reply>> TakeResults();

  // Identity of the connection the commands were written to (compared, never
  // dereferenced); nullptr while not written.
  const void* connection() const { return connection_; }
  void set_connection(const void* connection) { connection_ = connection; }

 private:
  asio::steady_timer timer_;
  std::vector<absl::StatusOr<Reply>> results_;
  std::vector<bool> filled_;
  size_t pending_;
  bool abandoned_ = false;
  const void* connection_ = nullptr;
};

}  // namespace redis::internal
