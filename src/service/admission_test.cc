#include "service/admission.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

namespace inventory::service {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

AdmissionOptions Small(int in_flight, int queue, std::chrono::milliseconds budget) {
  AdmissionOptions o;
  o.max_in_flight = {in_flight, in_flight, in_flight};
  o.max_queue = {queue, queue, queue};
  o.queue_budget = budget;
  return o;
}

// One call: asks for a slot, keeps it for `hold`, records how it ended.
struct Call {
  absl::Status status;
  bool done = false;
  SteadyClock::time_point started;
};

void Spawn(asio::io_context& io, Admission& admission, WorkClass c, CallBudget budget,
           std::chrono::milliseconds hold, Call* call) {
  asio::co_spawn(
      io,
      [&admission, c, budget, hold, call]() -> asio::awaitable<void> {
        absl::StatusOr<Admission::Ticket> ticket = co_await admission.Admit(c, budget);
        call->status = ticket.status();
        call->started = SteadyClock::now();
        if (ticket.ok()) {
          asio::steady_timer t(co_await asio::this_coro::executor, hold);
          co_await t.async_wait(asio::use_awaitable);
        }
        call->done = true;
      },
      asio::detached);
}

TEST(AdmissionTest, AtMostMaxInFlightRunAndTheRestWaitInOrder) {
  asio::io_context io;
  Admission admission(io.get_executor(), Small(2, 10, 1000ms));
  std::vector<Call> calls(5);
  for (Call& c : calls) Spawn(io, admission, WorkClass::kHold, CallBudget{}, 30ms, &c);
  io.run_for(5ms);
  EXPECT_EQ(admission.stats(WorkClass::kHold).in_flight, 2);
  EXPECT_EQ(admission.stats(WorkClass::kHold).waiting, 3);
  io.run();
  for (const Call& c : calls) EXPECT_TRUE(c.status.ok()) << c.status;
  // FIFO: each waiter started after the one before it.
  EXPECT_LE(calls[2].started, calls[3].started);
  EXPECT_LE(calls[3].started, calls[4].started);
  EXPECT_GE(calls[4].started - calls[0].started, 50ms);
  const AdmissionClassStats& s = admission.stats(WorkClass::kHold);
  EXPECT_EQ(s.admitted, 5u);
  EXPECT_EQ(s.queued, 3u);
  EXPECT_EQ(s.in_flight, 0);
  EXPECT_EQ(s.waiting, 0);
}

TEST(AdmissionTest, AFullQueueTurnsAwayAtOnceWithAHint) {
  asio::io_context io;
  Admission admission(io.get_executor(), Small(1, 1, 1000ms));
  Call running, waiting, turned_away;
  Spawn(io, admission, WorkClass::kRead, CallBudget{}, 50ms, &running);
  Spawn(io, admission, WorkClass::kRead, CallBudget{}, 1ms, &waiting);
  Spawn(io, admission, WorkClass::kRead, CallBudget{}, 1ms, &turned_away);
  io.run_for(5ms);
  ASSERT_TRUE(turned_away.done);
  EXPECT_EQ(turned_away.status.code(), absl::StatusCode::kResourceExhausted) << turned_away.status;
  std::optional<int64_t> hint = RetryAfterMs(turned_away.status);
  ASSERT_TRUE(hint.has_value());
  EXPECT_GE(*hint, 1000);  // never sooner than the queue budget
  EXPECT_LE(*hint, 5000);
  io.run();
  EXPECT_TRUE(running.status.ok());
  EXPECT_TRUE(waiting.status.ok());
  EXPECT_EQ(admission.stats(WorkClass::kRead).shed_queue_full, 1u);
}

TEST(AdmissionTest, AWaiterPastTheQueueBudgetIsTurnedAway) {
  asio::io_context io;
  Admission admission(io.get_executor(), Small(1, 10, 20ms));
  Call running, waiting;
  Spawn(io, admission, WorkClass::kLifecycle, CallBudget{}, 200ms, &running);
  Spawn(io, admission, WorkClass::kLifecycle, CallBudget{}, 1ms, &waiting);
  io.run_for(100ms);
  ASSERT_TRUE(waiting.done);
  EXPECT_EQ(waiting.status.code(), absl::StatusCode::kResourceExhausted) << waiting.status;
  EXPECT_TRUE(RetryAfterMs(waiting.status).has_value());
  EXPECT_EQ(admission.stats(WorkClass::kLifecycle).shed_queue_time, 1u);
  EXPECT_EQ(admission.stats(WorkClass::kLifecycle).waiting, 0);
  io.run();
}

TEST(AdmissionTest, ACallThatAlreadyWaitedItsBudgetIsTurnedAwayWithoutQueueing) {
  asio::io_context io;
  Admission admission(io.get_executor(), Small(8, 10, 50ms));
  Call late;
  CallBudget budget;
  budget.arrived = SteadyClock::now() - 60ms;  // it sat in the io thread's queue
  Spawn(io, admission, WorkClass::kRead, budget, 1ms, &late);
  io.run();
  EXPECT_EQ(late.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(admission.stats(WorkClass::kRead).shed_queue_time, 1u);
  EXPECT_EQ(admission.stats(WorkClass::kRead).admitted, 0u);
}

TEST(AdmissionTest, APassedDeadlineIsDeadlineExceededBeforeAndWhileWaiting) {
  asio::io_context io;
  Admission admission(io.get_executor(), Small(1, 10, 1000ms));
  Call expired, running, waiting;
  CallBudget past;
  past.deadline = SteadyClock::now() - 1ms;
  Spawn(io, admission, WorkClass::kHold, past, 1ms, &expired);
  Spawn(io, admission, WorkClass::kHold, CallBudget{}, 100ms, &running);
  CallBudget soon;
  soon.deadline = SteadyClock::now() + 20ms;
  Spawn(io, admission, WorkClass::kHold, soon, 1ms, &waiting);
  io.run();
  EXPECT_EQ(expired.status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(running.status.ok());
  EXPECT_EQ(waiting.status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(admission.stats(WorkClass::kHold).deadline_exceeded, 2u);
}

TEST(AdmissionTest, ClassesHaveTheirOwnSlots) {
  asio::io_context io;
  Admission admission(io.get_executor(), Small(1, 0, 1000ms));
  Call hold, second_hold, confirm;
  Spawn(io, admission, WorkClass::kHold, CallBudget{}, 50ms, &hold);
  Spawn(io, admission, WorkClass::kHold, CallBudget{}, 1ms, &second_hold);
  Spawn(io, admission, WorkClass::kLifecycle, CallBudget{}, 1ms, &confirm);
  io.run();
  EXPECT_TRUE(hold.status.ok());
  EXPECT_EQ(second_hold.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(confirm.status.ok()) << "a storm of holds must not take a confirm's slot";
}

TEST(AdmissionTest, TheDoorTurnsAwayReadsOnlyWhileTheIoThreadIsBehind) {
  asio::io_context io;
  AdmissionOptions o = Small(8, 10, 100ms);
  o.max_io_backlog = 100;
  o.door_min_backlog = 4;
  Admission admission(io.get_executor(), o);
  const auto now = SteadyClock::now();
  // Calls that waited 1 ms for the io thread: reads go in, up to the hard cap.
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(admission.EnterDoor(WorkClass::kRead)) << i;
  EXPECT_FALSE(admission.EnterDoor(WorkClass::kRead)) << "past max_io_backlog";
  for (int i = 0; i < 100; ++i) admission.LeaveDoor(now - 1ms);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(admission.EnterDoor(WorkClass::kRead)) << i;
  // Those 20 waited 200 ms for it (past half the budget): with 4 or more
  // waiting, reads are turned away; holds and lifecycle calls never.
  for (int i = 0; i < 20; ++i) admission.LeaveDoor(now - 200ms);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(admission.EnterDoor(WorkClass::kRead)) << i;
  EXPECT_FALSE(admission.EnterDoor(WorkClass::kRead));
  EXPECT_TRUE(admission.EnterDoor(WorkClass::kHold));
  EXPECT_TRUE(admission.EnterDoor(WorkClass::kLifecycle));
  EXPECT_EQ(admission.door_shed(WorkClass::kRead), 2u);
  EXPECT_EQ(admission.door_shed(WorkClass::kHold), 0u);
  EXPECT_EQ(RetryAfterMs(admission.DoorStatus()), 100);
  EXPECT_EQ(admission.io_backlog(), 6);
}

TEST(AdmissionTest, DisabledAdmitsEverythingAtOnce) {
  asio::io_context io;
  AdmissionOptions o = Small(1, 0, 1ms);
  o.enabled = false;
  Admission admission(io.get_executor(), o);
  std::vector<Call> calls(20);
  CallBudget late;
  late.arrived = SteadyClock::now() - 1s;
  for (Call& c : calls) Spawn(io, admission, WorkClass::kRead, late, 10ms, &c);
  io.run_for(5ms);
  EXPECT_EQ(admission.stats(WorkClass::kRead).in_flight, 20);
  io.run();
  for (const Call& c : calls) EXPECT_TRUE(c.status.ok());
}

TEST(AdmissionTest, AReleasedTicketGivesItsSlotAtOnce) {
  asio::io_context io;
  Admission admission(io.get_executor(), Small(1, 10, 1000ms));
  std::optional<SteadyClock::time_point> second_started;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        absl::StatusOr<Admission::Ticket> first = co_await admission.Admit(WorkClass::kRead, CallBudget{});
        EXPECT_TRUE(first.ok());
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
              absl::StatusOr<Admission::Ticket> second = co_await admission.Admit(WorkClass::kRead, CallBudget{});
              EXPECT_TRUE(second.ok());
              second_started = SteadyClock::now();
            },
            asio::detached);
        asio::steady_timer t(io, 10ms);
        co_await t.async_wait(asio::use_awaitable);
        EXPECT_FALSE(second_started.has_value());
        Admission::Ticket moved = std::move(*first);
        moved.Release();
        moved.Release();  // twice is harmless
      },
      asio::detached);
  io.run();
  EXPECT_TRUE(second_started.has_value());
  EXPECT_EQ(admission.stats(WorkClass::kRead).in_flight, 0);
}

// Clients keep `clients` calls going through `admission` for `calls` answers
// in all; each takes `service(running)` where `running` counts the calls
// being served at once.
void Serve(asio::io_context& io, Admission& admission, int clients, int calls,
           std::function<std::chrono::microseconds(int)> service) {
  auto running = std::make_shared<int>(0);
  auto done = std::make_shared<int>(0);
  for (int i = 0; i < clients; ++i) {
    asio::co_spawn(
        io,
        [&io, &admission, running, done, calls, service]() -> asio::awaitable<void> {
          while (*done < calls) {
            absl::StatusOr<Admission::Ticket> t = co_await admission.Admit(WorkClass::kHold, CallBudget{});
            if (!t.ok()) co_return;
            ++*running;
            asio::steady_timer work(io, service(*running));
            co_await work.async_wait(asio::use_awaitable);
            --*running;
            ++*done;
          }
        },
        asio::detached);
  }
  io.run();
  io.restart();
}

// Adaptive slots grow to the maximum while the service time does not depend
// on how many are served at once, and come down when it grows with them (a
// database that queues: 2 ms more for each call beyond the first). Service
// times of milliseconds keep timer jitter small beside them.
TEST(AdmissionTest, AdaptiveSlotsFollowTheServiceTime) {
  asio::io_context io;
  AdmissionOptions o = Small(16, 1000, 60s);
  o.adaptive = true;
  Admission admission(io.get_executor(), o);
  EXPECT_EQ(admission.stats(WorkClass::kHold).limit, 8);
  // Timers fire late on a busy machine and look like queueing now and then:
  // the limit gets a few rounds to reach the maximum.
  for (int round = 0; round < 5 && admission.stats(WorkClass::kHold).limit < 16; ++round) {
    Serve(io, admission, 32, 1200, [](int) { return std::chrono::microseconds(5000); });
  }
  EXPECT_EQ(admission.stats(WorkClass::kHold).limit, 16) << "the limit did not grow";
  Serve(io, admission, 32, 1500, [](int running) { return std::chrono::microseconds(2000 * std::max(1, running - 1)); });
  EXPECT_LE(admission.stats(WorkClass::kHold).limit, 11) << "the limit did not come down";
  EXPECT_GE(admission.stats(WorkClass::kHold).limit, 2);
}

TEST(AdmissionTest, FixedSlotsStayAtTheirMaximum) {
  asio::io_context io;
  AdmissionOptions o = Small(32, 1000, 60s);
  o.adaptive = false;
  Admission admission(io.get_executor(), o);
  Serve(io, admission, 64, 1000, [](int running) { return std::chrono::microseconds(1000 * std::max(1, running - 1)); });
  EXPECT_EQ(admission.stats(WorkClass::kHold).limit, 32);
}

// One slot held 20 ms, a call every 2 ms for 400 ms: the queue stands. Its
// waiters are then turned away after 5 ms, not the whole 1 s budget, so the
// calls that run did not wait long.
TEST(AdmissionTest, AStandingQueueLetsItsWaitersWaitOnlyBriefly) {
  asio::io_context io;
  AdmissionOptions o = Small(1, 1000, 1000ms);
  o.adaptive = false;
  Admission admission(io.get_executor(), o);
  std::vector<std::chrono::milliseconds> waits;  // of the calls that ran, after the first 200 ms
  const auto start = SteadyClock::now();
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 200; ++i) {
          asio::co_spawn(
              io,
              [&]() -> asio::awaitable<void> {
                const auto asked = SteadyClock::now();
                absl::StatusOr<Admission::Ticket> t = co_await admission.Admit(WorkClass::kRead, CallBudget{});
                if (!t.ok()) co_return;
                if (asked - start > 200ms) {
                  waits.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - asked));
                }
                asio::steady_timer work(io, 20ms);
                co_await work.async_wait(asio::use_awaitable);
              },
              asio::detached);
          asio::steady_timer gap(io, 2ms);
          co_await gap.async_wait(asio::use_awaitable);
        }
      },
      asio::detached);
  io.run();
  const AdmissionClassStats& s = admission.stats(WorkClass::kRead);
  EXPECT_GT(s.shed_queue_time, 100u) << "waiters of a standing queue must not wait the whole budget";
  ASSERT_FALSE(waits.empty());
  // About the 100 ms it takes to call the queue standing (more on a busy
  // machine), never the 1 s budget.
  EXPECT_LE(*std::max_element(waits.begin(), waits.end()), 400ms);
}

// A slot busy for 300 ms with nobody waiting is not a standing queue: the
// first call to wait then may wait its budget (here the 50 ms until the slot
// frees), not only 5 ms.
TEST(AdmissionTest, ALongBusySlotWithNobodyWaitingIsNotAStandingQueue) {
  asio::io_context io;
  AdmissionOptions o = Small(1, 10, 1000ms);
  Admission admission(io.get_executor(), o);
  Call busy, later;
  Spawn(io, admission, WorkClass::kHold, CallBudget{}, 350ms, &busy);
  asio::steady_timer pause(io, 300ms);
  pause.async_wait([&](std::error_code) { Spawn(io, admission, WorkClass::kHold, CallBudget{}, 1ms, &later); });
  io.run();
  EXPECT_TRUE(busy.status.ok());
  EXPECT_TRUE(later.status.ok()) << later.status;
  EXPECT_EQ(admission.stats(WorkClass::kHold).shed_queue_time, 0u);
}

}  // namespace
}  // namespace inventory::service
