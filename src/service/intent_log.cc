#include "service/intent_log.h"

#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

namespace inventory::service {

IntentLog::IntentLog(storage::SeatStore& store, Clock clock, ServiceStats& stats,
                     std::chrono::milliseconds flush_interval, size_t max_queued)
    : store_(store),
      clock_(std::move(clock)),
      stats_(stats),
      flush_interval_(flush_interval),
      max_queued_(max_queued) {}

asio::awaitable<absl::Status> IntentLog::Record(storage::Intent& intent) {
  if (intent.created_at_ms == 0) intent.created_at_ms = clock_();
  absl::Status recorded = co_await store_.RecordIntent(intent);
  if (recorded.ok()) ++stats_.intents_recorded;
  co_return recorded;
}

void IntentLog::Done(storage::IntentKey key) {
  // Past the bound the newest drops are left to the repairer (it drops an
  // intent whose operation has finished).
  if (queued_.size() < max_queued_) queued_.push_back(std::move(key));
}

asio::awaitable<void> IntentLog::Flush() {
  if (queued_.empty()) co_return;
  std::vector<storage::IntentKey> batch;
  batch.swap(queued_);
  const size_t n = batch.size();
  absl::Status dropped = co_await store_.DropIntents(batch);
  if (dropped.ok()) {
    stats_.intents_dropped += n;
    co_return;
  }
  ++stats_.intent_drop_failures;
  for (storage::IntentKey& k : batch) {
    if (queued_.size() < max_queued_) queued_.push_back(std::move(k));
  }
}

asio::awaitable<void> IntentLog::Run() {
  timer_ = std::make_unique<asio::steady_timer>(co_await asio::this_coro::executor);
  while (!stopping_) {
    timer_->expires_after(flush_interval_);
    asio::error_code ec;
    co_await timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_await Flush();
  }
  co_await Flush();
}

void IntentLog::Stop() {
  stopping_ = true;
  if (timer_ != nullptr) timer_->cancel();
}

}  // namespace inventory::service
