#include "redis/client.h"

#include <utility>

#include <asio/co_spawn.hpp>
#include <asio/dispatch.hpp>
#include <asio/use_awaitable.hpp>

#include "absl/strings/str_cat.h"
#include "client_core.h"
#include "resp_writer.h"
#include "status_util.h"

namespace redis {

Client::Client(asio::any_io_executor executor, ClientOptions options)
    : core_(std::make_shared<internal::ClientCore>(executor,
                                                   std::move(options))) {}

Client::~Client() { Close(); }

asio::awaitable<absl::StatusOr<Reply>> Client::Command(
    std::vector<std::string> argv) {
  co_return co_await Command(std::move(argv), core_->options().command_timeout);
}

asio::awaitable<absl::StatusOr<Reply>> Client::Command(
    std::vector<std::string> argv, std::chrono::milliseconds timeout) {
  std::vector<std::string> encoded(1);
  if (absl::Status s = internal::AppendCommand(
          std::span<const std::string>(argv), &encoded[0]);
      !s.ok()) {
    co_return s;
  }
  std::shared_ptr<internal::ClientCore> core = core_;
  // Hop onto the client's strand; the result comes back on our executor.
  std::vector<absl::StatusOr<Reply>> results = co_await asio::co_spawn(
      core->strand(), core->Execute(std::move(encoded), timeout),
      asio::use_awaitable);
  co_return std::move(results[0]);
}

asio::awaitable<std::vector<absl::StatusOr<Reply>>> Client::Pipeline(
    std::vector<std::vector<std::string>> commands) {
  if (commands.empty()) co_return std::vector<absl::StatusOr<Reply>>();
  std::vector<std::string> encoded(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    if (absl::Status s = internal::AppendCommand(
            std::span<const std::string>(commands[i]), &encoded[i]);
        !s.ok()) {
      co_return std::vector<absl::StatusOr<Reply>>(
          commands.size(),
          absl::InvalidArgumentError(
              absl::StrCat("pipeline command ", i, ": ", s.message())));
    }
  }
  std::shared_ptr<internal::ClientCore> core = core_;
  co_return co_await asio::co_spawn(
      core->strand(),
      core->Execute(std::move(encoded), core->options().command_timeout),
      asio::use_awaitable);
}

asio::awaitable<absl::StatusOr<Reply>> Client::Eval(
    Script script, std::vector<std::string> keys,
    std::vector<std::string> args) {
  std::shared_ptr<internal::ClientCore> core = core_;
  co_return co_await asio::co_spawn(
      core->strand(),
      core->Eval(std::move(script), std::move(keys), std::move(args),
                 core->options().command_timeout),
      asio::use_awaitable);
}

asio::awaitable<absl::Status> Client::Ping() {
  absl::StatusOr<Reply> reply = co_await Command("PING");
  if (!reply.ok()) co_return reply.status();
  if (reply->is_error()) {
    co_return internal::ServerErrorStatus(core_->address(), "PING", *reply);
  }
  if (!reply->is_simple_string() || reply->str() != "PONG") {
    co_return internal::Unavailable(
        core_->address(), "unexpected PING reply " + reply->DebugString());
  }
  co_return absl::OkStatus();
}

void Client::Close() {
  std::shared_ptr<internal::ClientCore> core = core_;
  asio::dispatch(core->strand(), [core] { core->Close(); });
}

ClientStats Client::stats() const { return core_->stats().Snapshot(); }

uint64_t Client::commands_sent() const {
  return core_->stats().commands_sent.load(std::memory_order_relaxed);
}

bool Client::connected() const { return core_->connected(); }

const ClientOptions& Client::options() const { return core_->options(); }

asio::any_io_executor Client::executor() const { return core_->strand(); }

}  // namespace redis
