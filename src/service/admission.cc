#include "service/admission.h"

#include <algorithm>
#include <string>

#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace inventory::service {

using SteadyClock = std::chrono::steady_clock;

const char* WorkClassName(WorkClass c) {
  switch (c) {
    case WorkClass::kRead:
      return "read";
    case WorkClass::kHold:
      return "hold";
    case WorkClass::kLifecycle:
      return "lifecycle";
  }
  return "unknown";
}

std::optional<int64_t> RetryAfterMs(const absl::Status& status) {
  auto payload = status.GetPayload(kRetryAfterPayload);
  int64_t ms = 0;
  if (!payload.has_value() || !absl::SimpleAtoi(std::string(*payload), &ms)) return std::nullopt;
  return ms;
}

Admission::Ticket::Ticket(Ticket&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)), class_(other.class_), started_(other.started_) {}

Admission::Ticket& Admission::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    Release();
    owner_ = std::exchange(other.owner_, nullptr);
    class_ = other.class_;
    started_ = other.started_;
  }
  return *this;
}

void Admission::Ticket::Release() {
  if (owner_ != nullptr) std::exchange(owner_, nullptr)->Done(class_, started_);
}

Admission::Admission(asio::any_io_executor executor, AdmissionOptions options)
    : executor_(std::move(executor)), options_(options) {}

Admission::~Admission() {
  for (Class& c : classes_) {
    for (const std::shared_ptr<Waiter>& w : c.queue) w->timer.cancel();
  }
}

bool Admission::EnterDoor(WorkClass c) {
  const int before = io_backlog_.fetch_add(1, std::memory_order_relaxed);
  if (!options_.enabled || c == WorkClass::kLifecycle || before < options_.max_io_backlog) return true;
  io_backlog_.fetch_sub(1, std::memory_order_relaxed);
  door_shed_[Index(c)].fetch_add(1, std::memory_order_relaxed);
  return false;
}

absl::Status Admission::DoorStatus() const {
  const int64_t hint = options_.queue_budget.count();
  absl::Status status = absl::ResourceExhaustedError(
      absl::StrCat("overloaded: too many calls waiting to run; retry after ", hint, " ms"));
  status.SetPayload(kRetryAfterPayload, absl::Cord(absl::StrCat(hint)));
  return status;
}

Admission::Ticket Admission::Grant(WorkClass c) {
  Class& k = classes_[Index(c)];
  ++k.stats.admitted;
  ++k.stats.in_flight;
  return Ticket(this, c, SteadyClock::now());
}

absl::Status Admission::Shed(WorkClass c, const char* why) {
  const Class& k = classes_[Index(c)];
  // Come back when the calls ahead, and this one, could have run: the queue
  // drained at the class's pace, never sooner than the queue budget.
  const double ahead = static_cast<double>(k.queue.size() + 1) /
                       static_cast<double>(std::max(1, options_.max_in_flight[Index(c)]));
  const auto hint = static_cast<int64_t>(std::clamp(ahead * k.mean_service_ms,
                                                    static_cast<double>(options_.queue_budget.count()), 5000.0));
  absl::Status status = absl::ResourceExhaustedError(
      absl::StrCat("overloaded: too many ", WorkClassName(c), " calls (", why, "); retry after ", hint, " ms"));
  status.SetPayload(kRetryAfterPayload, absl::Cord(absl::StrCat(hint)));
  return status;
}

asio::awaitable<absl::StatusOr<Admission::Ticket>> Admission::Admit(WorkClass c, const CallBudget& budget) {
  Class& k = classes_[Index(c)];
  const SteadyClock::time_point now = SteadyClock::now();
  if (budget.Expired(now)) {
    ++k.stats.deadline_exceeded;
    co_return absl::DeadlineExceededError("deadline passed before the call's work started");
  }
  if (!options_.enabled) co_return Grant(c);
  const SteadyClock::time_point give_up = budget.arrived + options_.queue_budget;
  if (now >= give_up) {
    ++k.stats.shed_queue_time;
    co_return Shed(c, "waited past the queue budget");
  }
  if (k.stats.in_flight < options_.max_in_flight[Index(c)] && k.queue.empty()) co_return Grant(c);
  if (static_cast<int>(k.queue.size()) >= options_.max_queue[Index(c)]) {
    ++k.stats.shed_queue_full;
    co_return Shed(c, "queue full");
  }
  auto waiter = std::make_shared<Waiter>(executor_);
  waiter->timer.expires_at(std::min(give_up, budget.deadline));
  k.queue.push_back(waiter);
  ++k.stats.queued;
  ++k.stats.waiting;
  std::error_code ec;
  co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (waiter->granted) {
    // Done() counted it in flight and took it off the queue.
    co_return Ticket(this, c, SteadyClock::now());
  }
  k.queue.erase(std::find(k.queue.begin(), k.queue.end(), waiter));
  --k.stats.waiting;
  if (budget.Expired(SteadyClock::now())) {
    ++k.stats.deadline_exceeded;
    co_return absl::DeadlineExceededError("deadline passed while waiting for the call's turn");
  }
  ++k.stats.shed_queue_time;
  co_return Shed(c, "waited past the queue budget");
}

void Admission::Done(WorkClass c, SteadyClock::time_point started) {
  Class& k = classes_[Index(c)];
  const double took_ms = std::chrono::duration<double, std::milli>(SteadyClock::now() - started).count();
  k.mean_service_ms = 0.9 * k.mean_service_ms + 0.1 * took_ms;
  --k.stats.in_flight;
  // The slot goes to the oldest waiter still waiting.
  if (!k.queue.empty() && k.stats.in_flight < options_.max_in_flight[Index(c)]) {
    std::shared_ptr<Waiter> next = std::move(k.queue.front());
    k.queue.pop_front();
    --k.stats.waiting;
    next->granted = true;
    ++k.stats.admitted;
    ++k.stats.in_flight;
    next->timer.cancel();
  }
}

}  // namespace inventory::service
