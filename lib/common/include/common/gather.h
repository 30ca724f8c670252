// Runs awaitables concurrently on the current executor and waits for all.
//
// REQUIRES: the current executor is single-threaded (an io_context run by one
// thread, or a strand): the shared bookkeeping is not locked. Results come
// back in the order of `tasks`. The awaitables must not throw.
#pragma once

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <memory>
#include <optional>
#include <vector>

namespace inventory {

template <typename T>
asio::awaitable<std::vector<T>> Gather(std::vector<asio::awaitable<T>> tasks) {
  auto executor = co_await asio::this_coro::executor;
  struct State {
    explicit State(asio::any_io_executor ex, size_t n) : results(n), remaining(n), done(ex) {}
    std::vector<std::optional<T>> results;
    size_t remaining;
    asio::steady_timer done;
  };
  auto state = std::make_shared<State>(executor, tasks.size());
  state->done.expires_at(asio::steady_timer::time_point::max());
  for (size_t i = 0; i < tasks.size(); ++i) {
    asio::co_spawn(
        executor,
        [state, i, task = std::move(tasks[i])]() mutable -> asio::awaitable<void> {
          state->results[i].emplace(co_await std::move(task));
          if (--state->remaining == 0) state->done.cancel();
        },
        asio::detached);
  }
  if (state->remaining > 0) {
    asio::error_code ec;
    co_await state->done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  std::vector<T> out;
  out.reserve(state->results.size());
  for (std::optional<T>& r : state->results) out.push_back(std::move(*r));
  co_return out;
}

}  // namespace inventory
