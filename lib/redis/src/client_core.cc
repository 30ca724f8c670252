#include "client_core.h"

#include <algorithm>
#include <utility>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>

#include "absl/strings/str_cat.h"
#include "resp_writer.h"
#include "status_util.h"

namespace redis::internal {
ClientCore::ClientCore(const asio::any_io_executor& executor,
                       ClientOptions options)
    : strand_(asio::make_strand(executor)),
      options_(std::move(options)),
      address_(FormatAddress(options_)),
      stats_(std::make_shared<StatsCounters>()),
      backoff_timer_(strand_),
      rng_(std::random_device{}()) {}

asio::awaitable<std::vector<absl::StatusOr<Reply>>> ClientCore::Execute(
    std::vector<std::string> encoded, std::chrono::milliseconds timeout) {
  auto self = shared_from_this();
  co_return co_await ExecuteUntil(std::move(encoded), Clock::now() + timeout,
                                  timeout);
}

asio::awaitable<std::vector<absl::StatusOr<Reply>>> ClientCore::ExecuteUntil(
    std::vector<std::string> encoded, Clock::time_point deadline,
    std::chrono::milliseconds timeout) {
  auto self = shared_from_this();
  auto group = std::make_shared<CallGroup>(strand_, encoded.size(), deadline);
  if (Clock::now() >= deadline) {  // e.g. an EVAL fallback with no time left
    group->CompleteAll(absl::DeadlineExceededError(absl::StrCat(
        "redis ", address_, ": no reply within ", timeout.count(), " ms")));
    StatsCounters::Add(stats_->timeouts, group->size());
    co_return group->TakeResults();
  }
  Submit(group, std::move(encoded));
  if (!group->done()) co_await group->Wait();
  if (!group->done()) {
    const size_t abandoned = group->Abandon(absl::DeadlineExceededError(
        absl::StrCat("redis ", address_, ": no reply within ", timeout.count(),
                     " ms")));
    StatsCounters::Add(stats_->timeouts, abandoned);
    if (connection_ != nullptr && group->connection() == connection_.get()) {
      connection_->NoteAbandoned(abandoned);
    }
  }
  co_return group->TakeResults();
}

void ClientCore::Submit(const std::shared_ptr<CallGroup>& group,
                        std::vector<std::string>&& encoded) {
  switch (state_) {
    case State::kClosed:
      group->CompleteAll(
          absl::CancelledError(absl::StrCat("redis ", address_, ": client closed")));
      return;
    case State::kBackoff:
      // Fail fast: no attempt is in progress and the last one failed.
      StatsCounters::Add(stats_->fail_fast);
      group->CompleteAll(last_error_);
      return;
    case State::kReady:
      SendTo(*connection_, group, encoded);
      return;
    case State::kIdle:
      StartConnectLoop();
      [[fallthrough]];
    case State::kConnecting:
      waiting_.push_back(Waiting{group, std::move(encoded)});
      return;
  }
}

void ClientCore::SendTo(Connection& connection,
                        const std::shared_ptr<CallGroup>& group,
                        const std::vector<std::string>& encoded) {
  group->set_connection(&connection);
  for (size_t i = 0; i < encoded.size(); ++i) {
    connection.Enqueue(encoded[i], group, i);
  }
}

void ClientCore::StartConnectLoop() {
  if (state_ == State::kClosed) return;
  state_ = State::kConnecting;
  if (connect_loop_running_) return;
  connect_loop_running_ = true;
  asio::co_spawn(strand_, ConnectLoop(), asio::detached);
}

asio::awaitable<void> ClientCore::ConnectLoop() {
  auto self = shared_from_this();
  // Guard against a zero/negative configuration turning this into a busy loop.
  const std::chrono::milliseconds backoff_min =
      std::max(options_.reconnect_backoff_min, std::chrono::milliseconds(1));
  const std::chrono::milliseconds backoff_max =
      std::max(options_.reconnect_backoff_max, backoff_min);
  std::chrono::milliseconds backoff = backoff_min;
  while (state_ != State::kClosed) {
    state_ = State::kConnecting;
    auto connection = std::make_shared<Connection>(strand_, options_, stats_);
    opening_ = connection;
    absl::Status status = co_await connection->Open();
    opening_.reset();
    if (state_ == State::kClosed) {
      connection->Close(absl::CancelledError(
          absl::StrCat("redis ", address_, ": client closed")));
      break;
    }
    if (status.ok()) {
      StatsCounters::Add(stats_->connects);
      connection_ = connection;
      state_ = State::kReady;
      connected_.store(true, std::memory_order_relaxed);
      std::weak_ptr<ClientCore> weak = self;
      connection->Start([weak](Connection* c, const absl::Status& s) {
        if (auto core = weak.lock()) core->OnConnectionLost(c, s);
      });
      std::deque<Waiting> waiting = std::move(waiting_);
      waiting_.clear();
      for (Waiting& w : waiting) {
        if (w.group->abandoned()) continue;  // timed out while waiting
        SendTo(*connection, w.group, w.encoded);
      }
      break;
    }
    StatsCounters::Add(stats_->connect_failures);
    last_error_ = status;
    state_ = State::kBackoff;
    FailWaiting(status);
    backoff_timer_.expires_after(Jitter(backoff));
    asio::error_code ec;
    co_await backoff_timer_.async_wait(
        asio::redirect_error(asio::use_awaitable, ec));
    backoff = std::min(backoff * 2, backoff_max);
  }
  connect_loop_running_ = false;
}

void ClientCore::OnConnectionLost(Connection* connection,
                                  const absl::Status& status) {
  if (connection_.get() != connection) return;
  connection_.reset();
  connected_.store(false, std::memory_order_relaxed);
  StatsCounters::Add(stats_->disconnects);
  if (state_ == State::kClosed) return;
  last_error_ = status;
  StartConnectLoop();
}

void ClientCore::FailWaiting(const absl::Status& status) {
  std::deque<Waiting> waiting = std::move(waiting_);
  waiting_.clear();
  for (Waiting& w : waiting) w.group->CompleteAll(status);
}

std::chrono::milliseconds ClientCore::Jitter(std::chrono::milliseconds d) {
  if (d.count() <= 1) return d;
  std::uniform_int_distribution<int64_t> dist(d.count() / 2, d.count());
  return std::chrono::milliseconds(dist(rng_));
}

void ClientCore::Close() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  const absl::Status closed =
      absl::CancelledError(absl::StrCat("redis ", address_, ": client closed"));
  FailWaiting(closed);
  backoff_timer_.cancel();
  if (auto opening = std::move(opening_)) opening->Close(closed);
  if (auto connection = std::move(connection_)) {
    connected_.store(false, std::memory_order_relaxed);
    connection->Close(closed);
  }
}

asio::awaitable<absl::StatusOr<Reply>> ClientCore::Eval(
    Script script, std::vector<std::string> keys, std::vector<std::string> args,
    std::chrono::milliseconds timeout) {
  auto self = shared_from_this();
  const Clock::time_point deadline = Clock::now() + timeout;
  std::vector<std::string_view> argv;
  argv.reserve(3 + keys.size() + args.size());
  const std::string numkeys = std::to_string(keys.size());
  argv.push_back("EVALSHA");
  argv.push_back(script.sha1());
  argv.push_back(numkeys);
  for (const auto& k : keys) argv.push_back(k);
  for (const auto& a : args) argv.push_back(a);

  std::vector<std::string> encoded(1);
  if (absl::Status s = AppendCommand(argv, &encoded[0]); !s.ok()) co_return s;
  auto results = co_await ExecuteUntil(std::move(encoded), deadline, timeout);
  absl::StatusOr<Reply> result = std::move(results[0]);
  if (!result.ok() || !result->is_error() ||
      result->error_code() != "NOSCRIPT") {
    co_return result;
  }
  // The server does not know the script (fresh server, SCRIPT FLUSH, or a
  // failover to a replica that never saw it): EVAL sends the source and
  // caches it, so later EVALSHAs hit again.
  StatsCounters::Add(stats_->noscript_fallbacks);
  argv[0] = "EVAL";
  argv[1] = script.source();
  encoded.assign(1, std::string());
  if (absl::Status s = AppendCommand(argv, &encoded[0]); !s.ok()) co_return s;
  results = co_await ExecuteUntil(std::move(encoded), deadline, timeout);
  co_return std::move(results[0]);
}

}  // namespace redis::internal
