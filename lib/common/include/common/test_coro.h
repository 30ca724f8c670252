// Helpers for tests written as coroutines on an asio io_context.
//
// gtest's ASSERT_* macros `return`, which a coroutine cannot; CO_ASSERT_TRUE
// and CO_ASSERT_OK record the failure and `co_return` instead.
#pragma once

#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>

#define CO_ASSERT_TRUE(cond)                      \
  if (!(cond)) {                                  \
    ADD_FAILURE() << "CO_ASSERT_TRUE(" #cond ")"; \
    co_return;                                    \
  }
#define CO_ASSERT_OK(status_or)                                  \
  if (!(status_or).ok()) {                                       \
    ADD_FAILURE() << #status_or << ": " << (status_or).status(); \
    co_return;                                                   \
  }

namespace inventory::testing {

// Waits `d` on the current executor (a cancelled wait ends early, silently).
inline asio::awaitable<void> Sleep(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  asio::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

// Whole milliseconds of a steady-clock duration.
inline long Millis(std::chrono::steady_clock::duration d) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

}  // namespace inventory::testing
