#include "service/repairer.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "absl/strings/str_cat.h"

namespace inventory::service {

Repairer::Repairer(storage::SeatStore& store, Lifecycle& lifecycle, Clock clock, RepairerOptions options,
                   ServiceStats& stats)
    : store_(store),
      lifecycle_(lifecycle),
      clock_(std::move(clock)),
      options_(options),
      stats_(stats),
      window_ms_(std::max<int64_t>(1, store.IntentWindowMs())) {}

asio::awaitable<absl::Status> Repairer::Start() {
  absl::StatusOr<std::optional<int64_t>> progress = co_await store_.RepairedBefore();
  if (!progress.ok()) co_return progress.status();
  const int64_t now = clock_();
  const int64_t oldest = Window(now - options_.max_lookback.count());
  next_window_ = progress->has_value() ? std::max(**progress, oldest) : Window(now - options_.first_lookback.count());
  progress_written_ = progress->value_or(-1);
  started_ = true;
  spdlog::info("repairer=started from_window={} ({} s ago) window_ms={}", next_window_,
               (now - next_window_ * window_ms_) / 1000, window_ms_);
  co_return absl::OkStatus();
}

asio::awaitable<absl::Status> Repairer::Read(int64_t window) {
  absl::StatusOr<std::vector<storage::Intent>> found = co_await store_.IntentsIn(window);
  if (!found.ok()) co_return found.status();
  ++stats_.repair_windows_scanned;
  for (storage::Intent& intent : *found) {
    const std::string id = absl::StrCat(intent.key.window, "/", intent.key.shard, "/", intent.key.id);
    pending_.try_emplace(id, Pending{std::move(intent), 0});
  }
  co_return absl::OkStatus();
}

asio::awaitable<void> Repairer::Tick() {
  if (!started_) {
    absl::Status s = co_await Start();
    if (!s.ok()) {
      ++stats_.repair_failures;
      co_return;
    }
  }
  const int64_t now = clock_();
  // Windows whose every intent is at least min_age old.
  const int64_t due_before = Window(now - options_.min_age.count());
  int reads = 0;
  while (next_window_ < due_before && reads < options_.max_windows) {
    absl::Status read = co_await Read(next_window_);
    if (!read.ok()) {
      ++stats_.repair_failures;
      break;  // this window again next tick
    }
    second_looks_[next_window_] = now + options_.second_look.count();
    ++next_window_;
    ++reads;
  }
  for (auto it = second_looks_.begin(); it != second_looks_.end() && reads < options_.max_windows;) {
    if (it->second > now) {
      ++it;
      continue;
    }
    absl::Status read = co_await Read(it->first);
    ++reads;
    if (!read.ok()) {
      ++stats_.repair_failures;
      break;
    }
    it = second_looks_.erase(it);
  }

  // Repair what was found, oldest first, bounded per tick.
  std::vector<std::string> due;
  for (const auto& [id, p] : pending_) {
    if (p.retry_at_ms <= now) due.push_back(id);
  }
  std::sort(due.begin(), due.end(), [this](const std::string& a, const std::string& b) {
    return pending_.at(a).intent.created_at_ms < pending_.at(b).intent.created_at_ms;
  });
  int repaired = 0;
  for (const std::string& id : due) {
    if (repaired >= options_.max_repairs || stopping_) break;
    ++repaired;
    storage::Intent intent = pending_.at(id).intent;
    absl::StatusOr<RepairKind> done = co_await lifecycle_.Repair(intent);
    if (done.ok()) {
      if (*done != RepairKind::kNothing) {
        spdlog::info("repair={} intent={} hold={} age_s={}", std::string(RepairKindName(*done)), intent.key.id,
                     intent.hold_id, (clock_() - intent.created_at_ms) / 1000);
      }
      pending_.erase(id);
    } else {
      ++stats_.repair_failures;
      pending_.at(id).retry_at_ms = clock_() + options_.retry_after.count();
      spdlog::warn("repair=failed intent={} hold={} error=\"{}\" (retried later)", intent.key.id, intent.hold_id,
                   std::string(done.status().message()));
    }
  }
  stats_.repair_backlog = pending_.size();
  int64_t oldest = 0;
  int64_t repaired_before = next_window_;
  for (const auto& [id, p] : pending_) {
    oldest = std::max(oldest, now - p.intent.created_at_ms);
    repaired_before = std::min(repaired_before, p.intent.key.window);
  }
  if (!second_looks_.empty()) repaired_before = std::min(repaired_before, second_looks_.begin()->first);
  stats_.repair_oldest_pending_ms = oldest;

  // Share the progress now and then.
  if (repaired_before > progress_written_ && now - last_progress_ms_ >= options_.progress_every.count()) {
    absl::Status shared = co_await store_.SetRepairedBefore(repaired_before);
    if (shared.ok()) {
      progress_written_ = repaired_before;
      last_progress_ms_ = now;
    }
  }
}

asio::awaitable<void> Repairer::Run() {
  timer_ = std::make_unique<asio::steady_timer>(co_await asio::this_coro::executor);
  while (!stopping_) {
    co_await Tick();
    timer_->expires_after(options_.interval);
    asio::error_code ec;
    co_await timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

void Repairer::Stop() {
  stopping_ = true;
  if (timer_ != nullptr) timer_->cancel();
}

}  // namespace inventory::service
