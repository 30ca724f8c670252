// Drives a Scenario: `workers` concurrent workers, each keeping one request
// in flight, until `requests` requests have been answered in total (closed
// loop); or, with a `rate`, an open loop: request n is due at n / rate
// seconds after the start whether or not earlier ones were answered (as
// users arrive in a sale), at most `workers` in flight (a due request past
// that is not sent and counted as skipped); its latency counts from when it
// was due, so a slow service is not hidden by the load slowing down with it.
//
// A worker starts a call, waits for its answer (asynchronously: the gRPC
// callback API, no thread per worker), records the latency and outcome,
// waits `pause`, and starts its next call. Calls are started from one
// dispatch thread owned by the runner, so a completion callback never starts
// a call itself and pauses need no timer per worker.
//
// Thread-safety: Start, Wait, Snapshot and Stop may be called from any one
// controlling thread; the counters are guarded by an internal mutex.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

#include "latency_histogram.h"
#include "outcome_tally.h"
#include "scenario.h"

namespace inventory::load {

struct RunOptions {
  int workers = 50;
  int64_t requests = 1000;
  std::chrono::milliseconds pause{10};
  std::chrono::milliseconds timeout{5000};  // deadline of each call
  double rate = 0;  // requests per second (open loop); 0: closed loop
  // Open loop: after `requests`, this many more at `tail_rate` (e.g. to see
  // how soon the service recovers once a surge ends).
  int64_t tail_requests = 0;
  double tail_rate = 0;
};

// The answers of one second of a run (by when they came).
struct SecondBin {
  int64_t answered = 0;  // OK status (success or refusal)
  int64_t shed = 0;      // RESOURCE_EXHAUSTED
  int64_t deadline = 0;  // DEADLINE_EXCEEDED
  int64_t errors = 0;    // any other error
  LatencyHistogram answered_latency;
};

class LoadRunner {
 public:
  // `scenario` must be prepared and outlive the runner.
  LoadRunner(Scenario& scenario, const RunOptions& options);
  // Stops and waits for in-flight calls.
  ~LoadRunner();
  LoadRunner(const LoadRunner&) = delete;
  LoadRunner& operator=(const LoadRunner&) = delete;

  // Starts the workers. REQUIRES: called once.
  void Start();

  // Starts no further calls; calls in flight still finish and are counted.
  void Stop();

  // Waits up to `timeout` for the run to end (all requests answered, or all
  // in-flight calls finished after Stop). True if it has ended.
  bool Wait(std::chrono::milliseconds timeout);

  struct Snapshot {
    int64_t completed = 0;
    int64_t sent = 0;
    int64_t skipped = 0;  // open loop: due while `workers` calls were in flight
    std::chrono::nanoseconds elapsed{0};  // first start to last answer (or now while running)
    bool stopped = false;
    OutcomeTally tally;
    LatencyHistogram latency;
    // Calls answered with an OK status (successes and refusals).
    OutcomeTally answered;
    LatencyHistogram answered_latency;
    std::vector<SecondBin> timeline;
  };
  Snapshot TakeSnapshot() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Ready {
    Clock::time_point due;
    int worker;
    bool operator>(const Ready& o) const { return due > o.due; }
  };

  void DispatchLoop();
  void OpenLoop();
  void Send(int64_t n, int worker, Clock::time_point started);
  void OnDone(int worker, Clock::time_point started, Outcome outcome);

  Scenario& scenario_;
  const RunOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;  // dispatch thread: a worker is ready, or stop
  std::condition_variable done_cv_;
  std::priority_queue<Ready, std::vector<Ready>, std::greater<Ready>> ready_;
  int64_t next_request_ = 0;
  int active_workers_ = 0;
  bool stopping_ = false;
  bool finished_ = false;
  Clock::time_point started_at_{};
  Clock::time_point last_answer_at_{};
  int64_t completed_ = 0;
  int64_t in_flight_ = 0;
  int64_t skipped_ = 0;
  OutcomeTally tally_;
  LatencyHistogram latency_;
  OutcomeTally answered_;
  LatencyHistogram answered_latency_;
  std::vector<SecondBin> timeline_;
  std::thread dispatcher_;
};

}  // namespace inventory::load
