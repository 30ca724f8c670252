#include "app/health_monitor.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_join.h"

namespace inventory {
namespace {

// Answered by the node itself (system tables are local), whatever the
// replication of our keyspace.
constexpr char kProbe[] = "SELECT release_version FROM system.local";

std::string DegradedList(const health::Readiness& r) {
  std::vector<std::string> names;
  for (health::Degraded d : r.degraded) names.emplace_back(health::DegradedName(d));
  return names.empty() ? "none" : absl::StrJoin(names, ",");
}

}  // namespace

HealthMonitor::HealthMonitor(Probe probe, health::HealthRules rules, ReadParts read_parts, OnChange on_change)
    : probe_(std::move(probe)), rules_(rules), read_parts_(std::move(read_parts)), on_change_(std::move(on_change)) {}

HealthMonitor::Probe HealthMonitor::CqlProbe(cql::Session& session) {
  return [&session]() -> asio::awaitable<absl::Status> {
    cql::QueryOptions options;
    options.consistency = cql::Consistency::kOne;
    // A probe never outlives its interval: an answer later than that would
    // be too late to count anyway.
    options.timeout = health::HealthRules::kProbeInterval;
    std::vector<cql::Value> none;
    absl::StatusOr<cql::Result> answer = co_await session.Query(kProbe, std::move(none), options);
    co_return answer.status();
  };
}

asio::awaitable<void> HealthMonitor::Start() {
  const asio::any_io_executor ex = co_await asio::this_coro::executor;
  timer_.emplace(ex);
  co_await ProbeOnce();
  Publish();
  asio::co_spawn(ex, Run(), asio::detached);
}

void HealthMonitor::Stop() {
  stopping_ = true;
  if (timer_.has_value()) timer_->cancel();
}

asio::awaitable<void> HealthMonitor::ProbeOnce() {
  absl::Status answer = co_await probe_();
  if (answer.ok()) last_answer_ = Clock::now();
}

asio::awaitable<void> HealthMonitor::Run() {
  // Probes start an interval apart (back to back while each waits out its
  // timeout).
  Clock::time_point next = Clock::now();
  while (!stopping_) {
    next = std::max(next + health::HealthRules::kProbeInterval, Clock::now());
    timer_->expires_at(next);
    asio::error_code ec;
    co_await timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopping_) break;
    co_await ProbeOnce();
    if (stopping_) break;
    Publish();
  }
}

health::HealthInputs HealthMonitor::Inputs() const {
  health::HealthInputs in = read_parts_();
  if (last_answer_.has_value()) {
    in.database_answer_age = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - *last_answer_);
  }
  return in;
}

health::Readiness HealthMonitor::Assess() const { return health::Assess(Inputs(), rules_); }

void HealthMonitor::Publish() {
  const health::HealthInputs in = Inputs();
  health::Readiness now = health::Assess(in, rules_);
  const bool first = !published_.has_value();
  const bool ready_changed = first || published_->ready != now.ready;
  if (first || published_->degraded != now.degraded) {
    const std::string age = in.database_answer_age.has_value() ? std::to_string(in.database_answer_age->count())
                                                               : std::string("never");
    if (now.ready) {
      spdlog::info("health=ready degraded={} db_nodes_connected={} db_answer_age_ms={}", DegradedList(now),
                   in.database_nodes_connected, age);
    } else {
      spdlog::warn("health=not_ready degraded={} db_nodes_connected={} db_answer_age_ms={} "
                   "(gRPC health NOT_SERVING)",
                   DegradedList(now), in.database_nodes_connected, age);
    }
  }
  published_ = std::move(now);
  if (ready_changed) on_change_(published_->ready);
}

}  // namespace inventory
