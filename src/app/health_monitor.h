// HealthMonitor — keeps inventoryd's readiness current (the rule is in
// health/readiness.h). Every HealthRules::kProbeInterval it sends the
// database a probe (a read of system.local, which touches no table of ours;
// it is not counted in inventory_db_operations_total), notes when one was
// last answered, assesses readiness, and reports a change of it to
// `on_change` (and the first assessment, from Start()). A change of the
// degraded list is logged.
//
// Threading: every method, and `read_parts` and `on_change`, run on the
// session's executor (the service's io thread). Stop() must be called and
// the executor must have stopped running before the monitor is destroyed.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <optional>

#include "cql/options.h"
#include "cql/session.h"
#include "health/readiness.h"

namespace inventory {

class HealthMonitor {
 public:
  // Reads everything the rule needs but the probe's answer age.
  using ReadParts = std::function<health::HealthInputs()>;
  using OnChange = std::function<void(bool ready)>;
  // One question to the database, answered (OK) or not, within the probe
  // interval.
  using Probe = std::function<asio::awaitable<absl::Status>()>;

  HealthMonitor(Probe probe, health::HealthRules rules, ReadParts read_parts, OnChange on_change);
  // The probe of a CQL session (`session` must outlive the monitor): a read
  // of the node's own system table.
  static Probe CqlProbe(cql::Session& session);
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  // Probes once, reports the first assessment to `on_change`, then spawns
  // the periodic loop. REQUIRES: called once.
  asio::awaitable<void> Start();

  // Ends the loop: `on_change` is not called again. A probe in flight ends
  // within its timeout (at once when the session closes). Idempotent.
  void Stop();

  // The inputs as of now, and the readiness they give.
  health::HealthInputs Inputs() const;
  health::Readiness Assess() const;
  const health::HealthRules& rules() const { return rules_; }

 private:
  using Clock = std::chrono::steady_clock;

  asio::awaitable<void> ProbeOnce();
  asio::awaitable<void> Run();
  // Assesses and reports a change; logs a change of the degraded list.
  void Publish();

  Probe probe_;
  health::HealthRules rules_;
  ReadParts read_parts_;
  OnChange on_change_;
  std::optional<asio::steady_timer> timer_;
  std::optional<Clock::time_point> last_answer_;
  std::optional<health::Readiness> published_;
  bool stopping_ = false;
};

}  // namespace inventory
