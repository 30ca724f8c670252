// ClientCore — the state behind redis::Client: the connection state machine
// (idle -> connecting -> ready | backoff -> connecting ... -> closed), the
// queue of calls waiting for a connect attempt, and the reconnect loop.
//
// Threading: every method except the constructor, strand(), options() and
// stats() REQUIRES the strand. Owned by std::shared_ptr: the Client holds
// one, and so does every coroutine running on its behalf, so the core lives
// until the last call and the reconnect loop have finished.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "call_group.h"
#include "connection.h"
#include "redis/client_options.h"
#include "redis/reply.h"
#include "redis/script.h"
#include "stats_counters.h"

namespace redis::internal {

class ClientCore : public std::enable_shared_from_this<ClientCore> {
 public:
  using Clock = std::chrono::steady_clock;

  ClientCore(const asio::any_io_executor& executor, ClientOptions options);
  ClientCore(const ClientCore&) = delete;
  ClientCore& operator=(const ClientCore&) = delete;

  const asio::any_io_executor& strand() const { return strand_; }
  const ClientOptions& options() const { return options_; }
  const std::string& address() const { return address_; }
  StatsCounters& stats() { return *stats_; }
  bool connected() const { return connected_.load(std::memory_order_relaxed); }

  // Sends the already-encoded commands (one string per command) as one batch
  // and waits for all replies or for `timeout`; returns one result per
  // command.
  asio::awaitable<std::vector<absl::StatusOr<Reply>>> Execute(
      std::vector<std::string> encoded, std::chrono::milliseconds timeout);

  // EVALSHA with a NOSCRIPT -> EVAL fallback; see Client::Eval.
  asio::awaitable<absl::StatusOr<Reply>> Eval(Script script,
                                              std::vector<std::string> keys,
                                              std::vector<std::string> args,
                                              std::chrono::milliseconds timeout);

  // See Client::Close.
  void Close();

 private:
  enum class State { kIdle, kConnecting, kReady, kBackoff, kClosed };
  struct Waiting {
    std::shared_ptr<CallGroup> group;
    std::vector<std::string> encoded;
  };

  asio::awaitable<std::vector<absl::StatusOr<Reply>>> ExecuteUntil(
      std::vector<std::string> encoded, Clock::time_point deadline,
      std::chrono::milliseconds timeout);
  void Submit(const std::shared_ptr<CallGroup>& group,
              std::vector<std::string>&& encoded);
  void SendTo(Connection& connection, const std::shared_ptr<CallGroup>& group,
              const std::vector<std::string>& encoded);
  void StartConnectLoop();
  asio::awaitable<void> ConnectLoop();
  void OnConnectionLost(Connection* connection, const absl::Status& status);
  void FailWaiting(const absl::Status& status);
  std::chrono::milliseconds Jitter(std::chrono::milliseconds d);

  asio::any_io_executor strand_;
  const ClientOptions options_;
  const std::string address_;
  std::shared_ptr<StatsCounters> stats_;

  State state_ = State::kIdle;
  std::atomic<bool> connected_{false};
  bool connect_loop_running_ = false;
  absl::Status last_error_;
  std::shared_ptr<Connection> connection_;  // set iff state_ == kReady
  std::shared_ptr<Connection> opening_;     // the attempt in progress
  std::deque<Waiting> waiting_;             // calls waiting for an attempt
  asio::steady_timer backoff_timer_;
  std::minstd_rand rng_;
};

}  // namespace redis::internal
