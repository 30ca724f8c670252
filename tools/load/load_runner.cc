#include "load_runner.h"

#include <algorithm>
#include <memory>

#include <grpcpp/client_context.h>

namespace inventory::load {

LoadRunner::LoadRunner(Scenario& scenario, const RunOptions& options) : scenario_(scenario), options_(options) {}

LoadRunner::~LoadRunner() {
  Stop();
  if (dispatcher_.joinable()) dispatcher_.join();
  // The dispatcher ends only when every worker has retired, i.e. no call is
  // in flight any more, so no callback can touch this object after here.
}

void LoadRunner::Start() {
  std::lock_guard lock(mu_);
  started_at_ = Clock::now();
  last_answer_at_ = started_at_;
  if (options_.rate > 0) {
    dispatcher_ = std::thread([this] { OpenLoop(); });
    return;
  }
  active_workers_ = static_cast<int>(std::min<int64_t>(options_.workers, options_.requests));
  for (int w = 0; w < active_workers_; ++w) ready_.push(Ready{started_at_, w});
  if (active_workers_ == 0) finished_ = true;
  dispatcher_ = std::thread([this] { DispatchLoop(); });
}

void LoadRunner::Stop() {
  std::lock_guard lock(mu_);
  stopping_ = true;
  cv_.notify_all();
}

bool LoadRunner::Wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return done_cv_.wait_for(lock, timeout, [this] { return finished_; });
}

LoadRunner::Snapshot LoadRunner::TakeSnapshot() const {
  std::lock_guard lock(mu_);
  Snapshot s;
  s.completed = completed_;
  s.sent = next_request_;
  s.skipped = skipped_;
  s.answered = answered_;
  s.answered_latency = answered_latency_;
  s.timeline = timeline_;
  s.elapsed = (finished_ ? last_answer_at_ : Clock::now()) - started_at_;
  s.stopped = stopping_;
  s.tally = tally_;
  s.latency = latency_;
  return s;
}

void LoadRunner::DispatchLoop() {
  std::unique_lock lock(mu_);
  while (active_workers_ > 0) {
    if (ready_.empty()) {
      cv_.wait(lock);
      continue;
    }
    const Ready next = ready_.top();
    if (!stopping_ && next.due > Clock::now()) {
      cv_.wait_until(lock, next.due);
      continue;
    }
    ready_.pop();
    if (stopping_ || next_request_ >= options_.requests) {
      --active_workers_;  // this worker is done
      continue;
    }
    const int64_t n = next_request_++;
    lock.unlock();
    Send(n, next.worker, Clock::now());
    lock.lock();
  }
  finished_ = true;
  done_cv_.notify_all();
}

void LoadRunner::OpenLoop() {
  std::unique_lock lock(mu_);
  const bool tail = options_.tail_requests > 0 && options_.tail_rate > 0;
  const int64_t total = options_.requests + (tail ? options_.tail_requests : 0);
  auto due_at = [this](int64_t n) {
    double seconds = static_cast<double>(std::min(n, options_.requests)) / options_.rate;
    if (n > options_.requests) seconds += static_cast<double>(n - options_.requests) / options_.tail_rate;
    return started_at_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  };
  while (!stopping_ && next_request_ < total) {
    const int64_t n = next_request_;
    const Clock::time_point due = due_at(n);
    if (due > Clock::now()) {
      cv_.wait_until(lock, due);
      continue;
    }
    ++next_request_;
    if (in_flight_ >= options_.workers) {
      ++skipped_;  // the client's own limit: the service is not asked
      continue;
    }
    ++in_flight_;
    lock.unlock();
    Send(n, -1, due);
    lock.lock();
  }
  cv_.wait(lock, [this] { return in_flight_ == 0; });
  finished_ = true;
  done_cv_.notify_all();
}

void LoadRunner::Send(int64_t n, int worker, Clock::time_point started) {
  // The context lives until the call's callback has run (OnDone frees it).
  auto* context = new grpc::ClientContext();
  context->set_deadline(std::chrono::system_clock::now() + options_.timeout);
  scenario_.StartCall(n, *context, [this, context, worker, started](Outcome outcome) {
    delete context;
    OnDone(worker, started, std::move(outcome));
  });
}

void LoadRunner::OnDone(int worker, Clock::time_point started, Outcome outcome) {
  const Clock::time_point now = Clock::now();
  std::lock_guard lock(mu_);
  latency_.Record(now - started);
  const auto second = static_cast<size_t>(std::chrono::duration_cast<std::chrono::seconds>(now - started_at_).count());
  if (timeline_.size() <= second) timeline_.resize(second + 1);
  SecondBin& bin = timeline_[second];
  if (outcome.kind != OutcomeKind::kError) {
    answered_latency_.Record(now - started);
    bin.answered_latency.Record(now - started);
    answered_.Add(outcome);
    ++bin.answered;
  } else if (outcome.code == grpc::StatusCode::RESOURCE_EXHAUSTED) {
    ++bin.shed;
  } else if (outcome.code == grpc::StatusCode::DEADLINE_EXCEEDED) {
    ++bin.deadline;
  } else {
    ++bin.errors;
  }
  tally_.Add(outcome);
  ++completed_;
  last_answer_at_ = now;
  if (worker < 0) {
    --in_flight_;
  } else {
    ready_.push(Ready{now + options_.pause, worker});
  }
  cv_.notify_all();
}

}  // namespace inventory::load
