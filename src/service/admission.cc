#include "service/admission.h"

#include <algorithm>
#include <string>

#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace inventory::service {

using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr int kAdaptiveStart = 8;

// RESOURCE_EXHAUSTED saying `what`, with the hint as its payload.
absl::Status Overloaded(absl::string_view what, int64_t hint_ms) {
  absl::Status status =
      absl::ResourceExhaustedError(absl::StrCat("overloaded: ", what, "; retry after ", hint_ms, " ms"));
  status.SetPayload(kRetryAfterPayload, absl::Cord(absl::StrCat(hint_ms)));
  return status;
}

// The queue stands when it has had waiters for kStandingAfter and none got
// through it within kShortWait in that time; its waiters then wait at most
// kShortWait.
constexpr std::chrono::milliseconds kShortWait{5};
constexpr std::chrono::milliseconds kStandingAfter{100};

}  // namespace

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
    : executor_(std::move(executor)), options_(options) {
  // Adaptive slots start few, so the first service times measured are the
  // database's own, and grow while nothing queues.
  for (int i = 0; i < kWorkClassCount; ++i) {
    const int max = options_.max_in_flight[static_cast<size_t>(i)];
    classes_[static_cast<size_t>(i)].stats.limit = options_.adaptive ? std::min(max, kAdaptiveStart) : max;
  }
}

Admission::~Admission() {
  for (Class& c : classes_) {
    for (const std::shared_ptr<Waiter>& w : c.queue) w->timer.cancel();
  }
}

bool Admission::EnterDoor(WorkClass c) {
  const int before = io_backlog_.fetch_add(1, std::memory_order_relaxed);
  if (!options_.enabled || c != WorkClass::kRead) return true;
  const bool slow = before >= options_.door_min_backlog &&
                    io_wait_us_.load(std::memory_order_relaxed) > options_.queue_budget.count() * 500;
  if (!slow && before < options_.max_io_backlog) return true;
  io_backlog_.fetch_sub(1, std::memory_order_relaxed);
  door_shed_[Index(c)].fetch_add(1, std::memory_order_relaxed);
  return false;
}

void Admission::LeaveDoor(SteadyClock::time_point arrived) {
  io_backlog_.fetch_sub(1, std::memory_order_relaxed);
  const int64_t waited =
      std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - arrived).count();
  const int64_t before = io_wait_us_.load(std::memory_order_relaxed);
  io_wait_us_.store(before + (waited - before) / 8, std::memory_order_relaxed);
}

absl::Status Admission::DoorStatus() const {
  const int64_t hint = options_.queue_budget.count();
  return Overloaded("too many calls waiting to run", hint);
}

bool Admission::Standing(const Class& k, SteadyClock::time_point now) {
  return !k.queue.empty() && now - std::max(k.nonempty_since, k.last_short_wait) > kStandingAfter;
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
                       static_cast<double>(std::max<int64_t>(1, k.stats.limit));
  const auto hint = static_cast<int64_t>(std::clamp(ahead * k.mean_service_ms,
                                                    static_cast<double>(options_.queue_budget.count()), 5000.0));
  return Overloaded(absl::StrCat("too many ", WorkClassName(c), " calls (", why, ")"), hint);
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
  if (k.stats.in_flight < k.stats.limit && k.queue.empty()) {
    k.last_short_wait = now;
    k.standing = false;
    co_return Grant(c);
  }
  if (static_cast<int>(k.queue.size()) >= options_.max_queue[Index(c)]) {
    ++k.stats.shed_queue_full;
    co_return Shed(c, "queue full");
  }
  auto waiter = std::make_shared<Waiter>(executor_);
  waiter->enqueued = now;
  // A standing queue (no call got through it quickly for a while) is
  // overload, not a burst: its waiters wait only briefly, so the calls
  // that run are not the ones that waited longest (CoDel's idea).
  if (k.queue.empty()) k.nonempty_since = now;
  const bool standing = Standing(k, now);
  if (standing && !k.standing) {
    // It has just become a standing queue: those waiting in it have waited
    // too long already and are turned away now.
    for (const std::shared_ptr<Waiter>& w : k.queue) w->timer.cancel();
  }
  k.standing = standing;
  if (standing) ++k.stats.standing_waits;
  waiter->timer.expires_at(std::min({give_up, budget.deadline, standing ? now + kShortWait : give_up}));
  k.queue.push_back(waiter);
  ++k.stats.queued;
  ++k.stats.waiting;
  std::error_code ec;
  co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (waiter->granted) {
    // Done() counted it in flight and took it off the queue.
    co_return Ticket(this, c, SteadyClock::now());
  }
  // Still queued unless Done() dropped it from a standing queue.
  if (auto it = std::find(k.queue.begin(), k.queue.end(), waiter); it != k.queue.end()) {
    k.queue.erase(it);
    --k.stats.waiting;
  }
  if (budget.Expired(SteadyClock::now())) {
    ++k.stats.deadline_exceeded;
    co_return absl::DeadlineExceededError("deadline passed while waiting for the call's turn");
  }
  ++k.stats.shed_queue_time;
  co_return Shed(c, "waited past the queue budget");
}

void Admission::Done(WorkClass c, SteadyClock::time_point started) {
  Class& k = classes_[Index(c)];
  const SteadyClock::time_point now = SteadyClock::now();
  const double took_ms = std::chrono::duration<double, std::milli>(now - started).count();
  k.mean_service_ms = 0.9 * k.mean_service_ms + 0.1 * took_ms;
  if (k.stats.in_flight >= k.stats.limit) k.window_saturated = true;
  if (options_.enabled && options_.adaptive) Adapt(k, took_ms, options_.max_in_flight[Index(c)]);
  --k.stats.in_flight;
  // Free slots (this one, and more if the limit grew) go to the oldest waiters.
  const bool standing = Standing(k, now);
  while (!k.queue.empty() && k.stats.in_flight < k.stats.limit) {
    std::shared_ptr<Waiter> next = std::move(k.queue.front());
    k.queue.pop_front();
    --k.stats.waiting;
    if (standing && now - next->enqueued > kShortWait) {
      next->timer.cancel();  // waited too long in a standing queue: turned away
      continue;
    }
    next->granted = true;
    if (now - next->enqueued <= kShortWait) {
      k.last_short_wait = now;
      k.standing = false;
    }
    ++k.stats.admitted;
    ++k.stats.in_flight;
    next->timer.cancel();
  }
}

void Admission::Adapt(Class& k, double took_ms, int max) {
  k.window_sum_ms += took_ms;
  ++k.window_count;
  // About one round of the slots per window, at least ten answers.
  if (k.window_count < std::max<int64_t>(10, k.stats.limit)) return;
  const double recent = std::max(1e-3, k.window_sum_ms / k.window_count);
  k.shortest_ms = k.shortest_ms == 0 ? recent : std::min(recent, k.shortest_ms * 1.002);
  const double queueing = static_cast<double>(k.stats.limit) * (1.0 - k.shortest_ms / recent);
  if (queueing < options_.alpha && k.window_saturated) {
    // Nothing queues and every slot was used: more, a quarter at a time.
    k.stats.limit = std::min<int64_t>(max, k.stats.limit + std::max<int64_t>(1, k.stats.limit / 4));
  } else if (queueing > options_.beta) {
    k.stats.limit = std::max<int64_t>(2, k.stats.limit - std::max<int64_t>(1, k.stats.limit / 10));
  }
  k.window_sum_ms = 0;
  k.window_count = 0;
  k.window_saturated = false;
}

}  // namespace inventory::service
