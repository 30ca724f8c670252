#include "call_group.h"

#include <utility>

#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

namespace redis::internal {

CallGroup::CallGroup(const asio::any_io_executor& strand, size_t size,
                     Clock::time_point deadline)
    : timer_(strand, deadline),
      results_(size, absl::UnknownError("redis: no result")),
      filled_(size, false),
      pending_(size) {}

void CallGroup::Complete(size_t index, absl::StatusOr<Reply> result) {
  if (index >= filled_.size() || filled_[index]) return;
  filled_[index] = true;
  results_[index] = std::move(result);
  if (--pending_ == 0) timer_.cancel();
}

void CallGroup::CompleteAll(const absl::Status& status) {
  for (size_t i = 0; i < filled_.size() && pending_ > 0; ++i) {
    Complete(i, status);
  }
}

asio::awaitable<void> CallGroup::Wait() {
  // Complete() cancels the timer; if everything completed before we got
  // here there is nothing to wait for (a cancel with no wait pending is lost).
  if (done()) co_return;
  asio::error_code ec;
  co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

size_t CallGroup::Abandon(const absl::Status& status) {
  const size_t n = pending_;
  abandoned_ = true;
  CompleteAll(status);
  return n;
}

std::vector<absl::StatusOr<Reply>> CallGroup::TakeResults() {
  return std::move(results_);
}

}  // namespace redis::internal
