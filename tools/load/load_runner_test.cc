#include "load_runner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

namespace inventory::load {
namespace {

using namespace std::chrono_literals;

// Answers every call from a thread of its own after `delay` (or inline when
// `inline_done`), as gRPC would from its callback threads: request 0 wins,
// the rest are refused.
class FakeScenario final : public Scenario {
 public:
  explicit FakeScenario(std::chrono::milliseconds delay, bool inline_done = false)
      : delay_(delay), inline_done_(inline_done), completer_([this] { CompleteLoop(); }) {}
  ~FakeScenario() override {
    {
      std::lock_guard lock(mu_);
      quit_ = true;
    }
    cv_.notify_all();
    completer_.join();
  }

  grpc::Status Prepare() override { return grpc::Status::OK; }

  void StartCall(int64_t n, grpc::ClientContext& context, std::function<void(Outcome)> done) override {
    EXPECT_NE(context.deadline(), std::chrono::system_clock::time_point::max());
    Outcome outcome{n == 0 ? OutcomeKind::kSuccess : OutcomeKind::kNotAvailable, grpc::StatusCode::OK, ""};
    {
      std::lock_guard lock(mu_);
      EXPECT_TRUE(started_.insert(n).second) << "request " << n << " started twice";
      max_in_flight_ = std::max(max_in_flight_, ++in_flight_);
      if (!inline_done_) {
        pending_.push_back({std::chrono::steady_clock::now() + delay_, [this, done, outcome] {
                              {
                                std::lock_guard lock(mu_);
                                --in_flight_;
                              }
                              done(outcome);
                            }});
        cv_.notify_all();
        return;
      }
      --in_flight_;
    }
    done(outcome);
  }

  std::vector<std::pair<std::string, std::string>> Details() const override { return {}; }
  std::vector<std::string> Check(const OutcomeTally&, int64_t) const override { return {}; }

  std::set<int64_t> started() const {
    std::lock_guard lock(mu_);
    return started_;
  }
  int max_in_flight() const {
    std::lock_guard lock(mu_);
    return max_in_flight_;
  }

 private:
  struct Pending {
    std::chrono::steady_clock::time_point due;
    std::function<void()> run;
  };

  void CompleteLoop() {
    std::unique_lock lock(mu_);
    while (!quit_ || !pending_.empty()) {
      if (pending_.empty()) {
        cv_.wait(lock);
        continue;
      }
      if (pending_.front().due > std::chrono::steady_clock::now()) {
        cv_.wait_until(lock, pending_.front().due);
        continue;
      }
      Pending p = std::move(pending_.front());
      pending_.pop_front();
      lock.unlock();
      p.run();
      lock.lock();
    }
  }

  const std::chrono::milliseconds delay_;
  const bool inline_done_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> pending_;
  std::set<int64_t> started_;
  int in_flight_ = 0;
  int max_in_flight_ = 0;
  bool quit_ = false;
  std::thread completer_;
};

TEST(LoadRunnerTest, RunsEveryRequestOnceWithAtMostWorkersInFlight) {
  FakeScenario scenario(1ms);
  RunOptions options;
  options.workers = 8;
  options.requests = 200;
  options.pause = 0ms;
  LoadRunner runner(scenario, options);
  runner.Start();
  ASSERT_TRUE(runner.Wait(30s));
  const LoadRunner::Snapshot s = runner.TakeSnapshot();
  EXPECT_EQ(s.completed, 200);
  EXPECT_FALSE(s.stopped);
  EXPECT_EQ(s.tally.total(), 200u);
  EXPECT_EQ(s.tally.success(), 1u);
  EXPECT_EQ(s.tally.not_available(), 199u);
  EXPECT_EQ(s.latency.count(), 200u);
  EXPECT_GE(s.latency.min_micros(), 1000);  // every call took at least the fake's delay
  EXPECT_GT(s.elapsed, 0ns);
  const std::set<int64_t> started = scenario.started();
  ASSERT_EQ(started.size(), 200u);
  EXPECT_EQ(*started.begin(), 0);
  EXPECT_EQ(*started.rbegin(), 199);
  EXPECT_LE(scenario.max_in_flight(), 8);
  EXPECT_GE(scenario.max_in_flight(), 2);  // the workers did overlap
}

TEST(LoadRunnerTest, InlineAnswersAndMoreWorkersThanRequests) {
  FakeScenario scenario(0ms, /*inline_done=*/true);
  RunOptions options;
  options.workers = 50;
  options.requests = 10;
  options.pause = 0ms;
  LoadRunner runner(scenario, options);
  runner.Start();
  ASSERT_TRUE(runner.Wait(30s));
  EXPECT_EQ(runner.TakeSnapshot().completed, 10);
  EXPECT_EQ(scenario.started().size(), 10u);
}

TEST(LoadRunnerTest, PauseSpacesOneWorkersRequests) {
  FakeScenario scenario(0ms);
  RunOptions options;
  options.workers = 1;
  options.requests = 5;
  options.pause = 20ms;
  LoadRunner runner(scenario, options);
  const auto t0 = std::chrono::steady_clock::now();
  runner.Start();
  ASSERT_TRUE(runner.Wait(30s));
  // Four pauses between five sequential requests.
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 80ms);
  EXPECT_EQ(runner.TakeSnapshot().completed, 5);
}

TEST(LoadRunnerTest, StopLetsCallsInFlightFinishAndStartsNoMore) {
  FakeScenario scenario(5ms);
  RunOptions options;
  options.workers = 4;
  options.requests = 1'000'000;
  options.pause = 0ms;
  LoadRunner runner(scenario, options);
  runner.Start();
  std::this_thread::sleep_for(30ms);
  runner.Stop();
  ASSERT_TRUE(runner.Wait(30s));
  const LoadRunner::Snapshot s = runner.TakeSnapshot();
  EXPECT_TRUE(s.stopped);
  EXPECT_GT(s.completed, 0);
  EXPECT_LT(s.completed, 1'000'000);
  // Everything started was answered and counted.
  EXPECT_EQ(static_cast<int64_t>(scenario.started().size()), s.completed);
}

TEST(LoadRunnerTest, DestroyingARunningRunnerWaitsForCallsInFlight) {
  FakeScenario scenario(5ms);
  RunOptions options;
  options.workers = 4;
  options.requests = 1'000'000;
  options.pause = 0ms;
  {
    LoadRunner runner(scenario, options);
    runner.Start();
    std::this_thread::sleep_for(20ms);
  }
  SUCCEED();  // no use-after-free under ASan
}

TEST(LoadRunnerTest, OpenLoopSendsAtTheRateWhetherOrNotAnswersCame) {
  FakeScenario scenario(100ms);  // each answer takes 100 ms
  RunOptions options;
  options.rate = 200;  // one every 5 ms: about 20 in flight
  options.requests = 100;
  options.workers = 1000;
  LoadRunner runner(scenario, options);
  const auto start = std::chrono::steady_clock::now();
  runner.Start();
  ASSERT_TRUE(runner.Wait(30s));
  const auto took = std::chrono::steady_clock::now() - start;
  const LoadRunner::Snapshot s = runner.TakeSnapshot();
  EXPECT_EQ(s.completed, 100);
  EXPECT_EQ(s.sent, 100);
  EXPECT_EQ(s.skipped, 0);
  EXPECT_EQ(scenario.started().size(), 100u);
  // A closed loop with one caller would take 10 s; at the rate, about 0.6 s.
  EXPECT_GE(took, 450ms);
  EXPECT_LT(took, 5s);
  EXPECT_GE(scenario.max_in_flight(), 10);
  EXPECT_EQ(s.answered.total(), 100u);
  EXPECT_EQ(s.answered_latency.count(), 100u);
  int64_t binned = 0;
  for (const SecondBin& b : s.timeline) binned += b.answered + b.shed + b.deadline + b.errors;
  EXPECT_EQ(binned, 100);
}

TEST(LoadRunnerTest, OpenLoopSkipsWhatIsDueWhileTheClientLimitIsInFlight) {
  FakeScenario scenario(200ms);
  RunOptions options;
  options.rate = 500;
  options.requests = 100;
  options.workers = 5;
  LoadRunner runner(scenario, options);
  runner.Start();
  ASSERT_TRUE(runner.Wait(30s));
  const LoadRunner::Snapshot s = runner.TakeSnapshot();
  EXPECT_LE(scenario.max_in_flight(), 5);
  EXPECT_GT(s.skipped, 0);
  EXPECT_EQ(s.completed + s.skipped, 100);
}

TEST(LoadRunnerTest, OpenLoopTailFollowsAtItsOwnRate) {
  FakeScenario scenario(1ms);
  RunOptions options;
  options.rate = 1000;  // 50 in 50 ms
  options.requests = 50;
  options.tail_rate = 100;  // then 20 in 200 ms
  options.tail_requests = 20;
  options.workers = 1000;
  LoadRunner runner(scenario, options);
  const auto start = std::chrono::steady_clock::now();
  runner.Start();
  ASSERT_TRUE(runner.Wait(30s));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(runner.TakeSnapshot().completed, 70);
  EXPECT_GE(took, 230ms);
  EXPECT_LT(took, 3s);
}

}  // namespace
}  // namespace inventory::load
