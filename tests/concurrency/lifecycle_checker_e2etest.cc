// The checker's proving ground for "one truth per seat": scenarios that race
// calls on one hold, cut operations at every step, stall Redis while seats
// are freed, skew an instance's clock, load a trip too big for one page, and
// audit every refusal. Each scenario starts its own instances (and Redis) on
// a keyspace of its own, logs every call, reads the database directly at the
// end, and fails naming every violation.
//
// Each check was seen to fail against the service before this work (run the
// same test with INVENTORY_CHECKER_INVENTORYD=<older inventoryd>; settings
// the older build does not know are passed as environment variables, which it
// ignores).
//
// Environment: INVENTORY_TEST_CQL_HOST/PORT; INVENTORY_CHECKER_SEED (printed);
// INVENTORY_CHECKER_SCALE (default 1.0) stretches rounds and durations.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "checker_audit.h"
#include "checker_calls.h"
#include "checker_cluster.h"
#include "checker_db.h"
#include "checker_log.h"
#include "checker_rules.h"
#include "checker_workload.h"
#include "common/test_env.h"
#include "common/test_http.h"
#include "cql_fault_proxy.h"
#include "inventory/v1/inventory.grpc.pb.h"

namespace inventory::checker {
namespace {

namespace v1 = ::inventory::v1;
using namespace std::chrono_literals;
using testing::CqlFaultProxy;

constexpr char kOrg[] = "org-lc";
// Every instance: quick Redis timeouts, short holds allowed, quiet logs.
const std::vector<std::string> kCommonArgs = {"--redis-timeout-ms", "100", "--hold-ttl-min", "1", "--log-level",
                                              "warn"};
// Settings an older build does not know go through the environment.
const std::vector<std::pair<std::string, std::string>> kCommonEnv = {{"REPAIR_MIN_AGE_MS", "5000"},
                                                                     {"REPAIR_INTERVAL_MS", "500"}};
constexpr int64_t kSkewToleranceMs = 1000;  // the service's default CLOCK_SKEW_TOLERANCE_MS

uint64_t EnvU64(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::strtoull(v, nullptr, 10);
}

double Scale() {
  const char* v = std::getenv("INVENTORY_CHECKER_SCALE");
  return v == nullptr || *v == '\0' ? 1.0 : std::max(0.1, std::atof(v));
}

void SleepMs(int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(std::max<int64_t>(ms, 0))); }

TripShape Trip(const std::string& id, int segments, int rows, int columns) {
  TripShape t;
  t.organization_id = kOrg;
  t.trip_id = id;
  t.segments = segments;
  t.seat_ids = GridSeatIds(rows, columns);
  t.columns = columns;
  t.vehicle_id = "bus-" + id;
  return t;
}

class LifecycleChecker : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = EnvU64("INVENTORY_CHECKER_SEED", std::random_device{}());
    rng_.seed(seed_);
    keyspace_ = absl::StrCat("inv_lc_", seed_ % 100000000ULL, "_", getpid(), "_", counter_++);
    std::printf("[checker] %s: seed %llu, keyspace %s, inventoryd %s\n",
                ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                static_cast<unsigned long long>(seed_), keyspace_.c_str(), Cluster::InventorydPath().c_str());
  }

  // Starts `instances` (their own options; the common flags and environment
  // are added) on this test's keyspace.
  void Start(std::vector<InstanceOptions> instances) {
    ClusterOptions options;
    options.keyspace = keyspace_;
    for (InstanceOptions& i : instances) {
      for (const auto& kv : kCommonEnv) i.env.push_back(kv);
    }
    options.instances = std::move(instances);
    options.common_args = kCommonArgs;
    options.log_prefix = "lifecycle";
    absl::StatusOr<std::unique_ptr<Cluster>> cluster = Cluster::Start(std::move(options));
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = std::move(*cluster);
  }

  int Rand(int lo, int hi) {
    std::lock_guard<std::mutex> lock(rng_mu_);
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }

  // Reads every seat (SERIAL) and the ledger of `users`.
  void ReadFinal(const TripShape& trip, const std::set<std::string>& users, Snapshot* snap,
                 std::map<std::string, LedgerEntry>* ledger, int64_t* read_ms) {
    Db db(trip);
    absl::Status connected = db.Connect(keyspace_);
    ASSERT_TRUE(connected.ok()) << connected;
    snap->final = true;
    *read_ms = NowMs();
    for (const std::string& seat : trip.seat_ids) {
      absl::StatusOr<SeatRead> r = db.ReadSeat(seat);
      for (int attempt = 0; !r.ok() && attempt < 5; ++attempt) {
        SleepMs(1000);
        r = db.ReadSeat(seat);
      }
      ASSERT_TRUE(r.ok()) << r.status();
      snap->seats.push_back(std::move(*r));
    }
    for (const std::string& user : users) {
      absl::StatusOr<std::vector<LedgerEntry>> entries = db.ReadLedger(user);
      ASSERT_TRUE(entries.ok()) << entries.status();
      for (LedgerEntry& e : *entries) (*ledger)[e.user + "|" + e.entry] = std::move(e);
    }
  }

  // Prints the summary, writes the log on failure, and fails with every
  // violation; drops the keyspace when all is well.
  void Report(const std::string& title, const std::vector<std::string>& lines, const std::vector<Op>& ops,
              const std::vector<std::string>& violations) {
    std::string summary = absl::StrCat("\n======== ", title, " ========\n");
    absl::StrAppend(&summary, "seed ", seed_, ", keyspace ", keyspace_, "\n");
    for (const std::string& l : lines) absl::StrAppend(&summary, l, "\n");
    std::map<std::string, int> outcomes;
    for (const Op& op : ops) {
      std::string key = KindName(op.kind);
      switch (op.outcome) {
        case Outcome::kSuccess:
          key += " success";
          break;
        case Outcome::kRefused:
          key += " refused " + v1::FailureReason_Name(op.reason);
          break;
        case Outcome::kRejected:
          key += " rejected '" + op.message.substr(0, 40) + "'";
          break;
        case Outcome::kUnknown:
          key += " unknown " + CodeName(op.code);
          break;
      }
      ++outcomes[key];
    }
    absl::StrAppend(&summary, "calls: ", ops.size(), "\n");
    for (const auto& [k, n] : outcomes) absl::StrAppend(&summary, "  ", k, ": ", n, "\n");
    absl::StrAppend(&summary, "violations: ", violations.size(), "\n");
    std::printf("%s", summary.c_str());
    std::fflush(stdout);
    if (!violations.empty()) {
      const std::string path = absl::StrCat(::testing::TempDir(), "/", keyspace_, "-ops.log");
      if (FILE* f = std::fopen(path.c_str(), "w")) {
        for (const Op& op : ops) std::fprintf(f, "%s\n", op.Describe().c_str());
        for (const std::string& v : violations) std::fprintf(f, "VIOLATION %s\n", v.c_str());
        std::fclose(f);
        std::printf("[checker] every call and violation written to %s\n", path.c_str());
      }
    }
    const size_t shown = std::min<size_t>(violations.size(), 25);
    for (size_t i = 0; i < shown; ++i) ADD_FAILURE() << "VIOLATION " << i + 1 << ": " << violations[i];
    EXPECT_TRUE(violations.empty()) << violations.size() << " violations; seed " << seed_ << ", keyspace "
                                    << keyspace_ << " kept";
    if (!HasFailure()) {
      Db db(TripShape{});
      if (db.Connect(keyspace_).ok()) (void)db.DropKeyspace();
    }
  }

  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  std::mutex rng_mu_;
  std::string keyspace_;
  std::unique_ptr<Cluster> cluster_;
  static inline int counter_ = 0;
};

// --- 1. Racing calls on the same hold --------------------------------------

// Rounds of two calls on one fresh hold, sent to different instances a few
// milliseconds apart: confirm ∥ release, confirm ∥ cancel, confirm(A) ∥
// confirm(B), release ∥ release. Then another user tries to take the seats.
// Exactly one of two exclusive calls may win, and the database must agree
// with every answer: a confirmed booking owns its seats (nobody else gets
// them), a released hold has no live booking.
TEST_F(LifecycleChecker, RacingCallsOnTheSameHoldHaveOneWinnerAndTheTruthSaysWhich) {
  Start(std::vector<InstanceOptions>(3));
  const TripShape trip = Trip("race", 3, 10, 4);
  ASSERT_TRUE(cluster_->CreateTrip(trip, 0).ok());
  Calls calls(*cluster_, trip);
  constexpr int kWorkers = 8;
  const int rounds = static_cast<int>(1200 * Scale());
  std::atomic<int> next_round{0};
  std::mutex mu;
  std::vector<std::string> wrong;  // answers that contradict each other
  std::set<std::string> users;
  std::map<std::string, int> race_counts;
  auto worker = [&](int w) {
    std::mt19937_64 rng(seed_ * 31 + static_cast<uint64_t>(w));
    auto rand = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    // Each worker races on its own five seats, so rounds do not meet.
    std::vector<std::string> mine;
    for (int i = 0; i < 5; ++i) mine.push_back(trip.seat_ids[static_cast<size_t>(w * 5 + i)]);
    for (int round = next_round.fetch_add(1); round < rounds; round = next_round.fetch_add(1)) {
      const int kind = round % 4;
      const std::string user = absl::StrCat("race-", round);
      const std::string taker = absl::StrCat("taker-", round);
      {
        std::lock_guard<std::mutex> lock(mu);
        users.insert(user);
        users.insert(taker);
      }
      std::vector<std::string> seats = {mine[static_cast<size_t>(rand(0, 4))]};
      if (rand(0, 1) == 1) {
        const std::string other = mine[static_cast<size_t>(rand(0, 4))];
        if (other != seats[0]) seats.push_back(other);
      }
      const int a = rand(0, 2), b = (a + rand(1, 2)) % 3;
      Op held = calls.Hold(rand(0, 2), user, seats, 0, trip.segments - 1, 30, "race hold");
      if (held.outcome != Outcome::kSuccess) continue;
      const std::string& hold = held.hold_id;
      const std::string booking = BookingIdOf(hold);
      Op first, second;
      auto call = [&](int which, int instance) -> Op {
        SleepMs(rand(0, 8));
        switch (kind * 2 + which) {
          case 0:  // confirm ∥ release
            return calls.Confirm(instance, user, hold, seats, "ord-" + hold, "race");
          case 1:
            return calls.Release(instance, user, hold, seats, "race");
          case 2:  // confirm ∥ cancel
            return calls.Confirm(instance, user, hold, seats, "ord-" + hold, "race");
          case 3:
            return calls.Cancel(instance, user, hold, booking, "race");
          case 4:  // confirm(A) ∥ confirm(B)
            return calls.Confirm(instance, user, hold, seats, "ordA-" + hold, "race");
          case 5:
            return calls.Confirm(instance, user, hold, seats, "ordB-" + hold, "race");
          case 6:  // release ∥ release
          default:
            return calls.Release(instance, user, hold, seats, "race");
        }
      };
      std::thread t1([&] { first = call(0, a); });
      second = call(1, b);
      t1.join();
      const bool s1 = first.outcome == Outcome::kSuccess, s2 = second.outcome == Outcome::kSuccess;
      std::string contradiction;
      if (kind == 0 && s1 && s2) contradiction = "confirm and release both answered success";
      if (kind == 2 && s1 && s2) contradiction = "confirms of two orders both answered success";
      if (!contradiction.empty()) {
        std::lock_guard<std::mutex> lock(mu);
        wrong.push_back(absl::StrCat(contradiction, ":\n    ", first.Describe(), "\n    ", second.Describe()));
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        ++race_counts[absl::StrCat(kind == 0   ? "confirm||release"
                                   : kind == 1 ? "confirm||cancel"
                                   : kind == 2 ? "confirm(A)||confirm(B)"
                                               : "release||release",
                                   ": ", s1 ? "won" : "lost", "/", s2 ? "won" : "lost")];
      }
      // Another user tries to take the seats.
      Op take = calls.Hold(rand(0, 2), taker, seats, 0, trip.segments - 1, 30, "taker");
      // Clean up so the worker's seats are free for its next round.
      std::string booking_to_cancel;
      for (const Op* op : {&first, &second}) {
        if (op->kind == Kind::kConfirm && op->outcome == Outcome::kSuccess) booking_to_cancel = op->booking_id;
      }
      const bool cancelled =
          (first.kind == Kind::kCancel && first.outcome == Outcome::kSuccess && first.released_count > 0) ||
          (second.kind == Kind::kCancel && second.outcome == Outcome::kSuccess && second.released_count > 0);
      if (!booking_to_cancel.empty() && !cancelled) {
        calls.Cancel(rand(0, 2), user, hold, booking_to_cancel, "cleanup");
      } else if (booking_to_cancel.empty()) {
        calls.Release(rand(0, 2), user, hold, seats, "cleanup");
        // A booking the answers did not show (a cut confirm) is cancelled too.
        calls.Cancel(rand(0, 2), user, hold, booking, "cleanup");
      }
      if (take.outcome == Outcome::kSuccess) calls.Release(rand(0, 2), taker, take.hold_id, seats, "cleanup");
    }
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) threads.emplace_back(worker, w);
  for (std::thread& t : threads) t.join();
  SleepMs(2000);  // background drops and announcements settle

  const std::vector<Op> ops = calls.ops();
  Snapshot final_snap;
  std::map<std::string, LedgerEntry> ledger;
  int64_t read_ms = 0;
  ReadFinal(trip, users, &final_snap, &ledger, &read_ms);
  Checker checker(trip, ops, ledger);
  for (const std::string& w : wrong) checker.Violation("CONTRADICTORY ANSWERS: " + w);
  checker.CheckAnswers();
  checker.CheckNoDoubleSale();
  checker.CheckSnapshot(final_snap, ops);
  CheckLedgerAgrees(ledger, checker);
  CheckSettled(final_snap, read_ms, ledger, checker);
  std::vector<std::string> lines = {absl::StrCat(rounds, " rounds on 3 instances, 8 workers")};
  for (const auto& [k, n] : race_counts) lines.push_back(absl::StrCat("  ", k, ": ", n));
  Report("racing calls on one hold", lines, ops, checker.violations());
}

// --- 2. Faults between steps ------------------------------------------------

// The random workload with two instances behind proxies that cut connections
// (before or after the request reached Cassandra) and delay answers, and a
// third instance SIGKILLed mid-run. Long holds, so that a seat stranded by a
// cut operation would still be held when the database is read, long after
// every operation ended: every held row must then belong to an active hold,
// every booked row to a confirmed booking, and nothing may be half-done.
TEST_F(LifecycleChecker, OperationsCutAtEveryStepAreFinishedOrUndone) {
  const double scale = Scale();
  CqlFaultProxy proxy0(testing::CqlHost(), testing::CqlPort(), seed_);
  CqlFaultProxy proxy1(testing::CqlHost(), testing::CqlPort(), seed_ + 1);
  std::vector<InstanceOptions> instances(3);
  instances[0].cql_host = instances[1].cql_host = "127.0.0.1";
  instances[0].cql_port = proxy0.port();
  instances[1].cql_port = proxy1.port();
  // Requests give up sooner than the proxy's longest delay.
  instances[0].args = instances[1].args = {"--scylla-timeout-ms", "1000"};
  Start(instances);
  const TripShape trip = Trip("faults", 4, 12, 4);
  ASSERT_TRUE(cluster_->CreateTrip(trip, 2).ok());

  WorkloadOptions w;
  w.trip = trip;
  w.users = 16;
  w.min_hold_seconds = 150;
  w.max_hold_seconds = 200;
  w.killed_instance = 2;
  w.p_confirm = 0.55;
  w.p_release = 0.45;
  w.p_late_confirm = 0;
  Workload workload(*cluster_, w);
  CqlFaultProxy::FaultOptions faults;
  faults.cut_before = 0.01;
  faults.cut_after = 0.03;
  faults.delay = 0.03;
  faults.delay_min_ms = 50;
  faults.delay_max_ms = 1500;
  proxy0.SetFaults(faults);
  proxy1.SetFaults(faults);

  const int64_t load_ms = static_cast<int64_t>(45000 * scale);
  const int64_t load_start = NowMs();
  workload.load_end_ms.store(load_start + load_ms);
  Clients clients(workload, 24, seed_);
  // The SIGKILL, aimed at a moment with calls in flight on instance 2.
  SleepMs(load_ms / 2);
  int cut = 0;
  for (const int64_t until = NowMs() + 5000; NowMs() < until;) {
    cut = workload.inflight(2).load();
    if (workload.inflight_followups(2).load() > 0 || cut >= 3) break;
    std::this_thread::sleep_for(200us);
  }
  cluster_->Kill(2);
  workload.killed_at_ms.store(NowMs());
  workload.alive(2).store(false);
  const std::vector<Op> ops = clients.Join();
  proxy0.SetFaults({});
  proxy1.SetFaults({});
  int64_t last_end = 0;
  for (const Op& op : ops) last_end = std::max(last_end, op.end_ms);
  // Long after every operation ended (well past the repairer's bound), yet
  // before the holds expire.
  const int64_t settle_ms = 25000;
  SleepMs(last_end + settle_ms - NowMs());

  std::set<std::string> users;
  for (int u = 0; u < w.users; ++u) users.insert(absl::StrCat(w.user_prefix, u));
  Snapshot final_snap;
  std::map<std::string, LedgerEntry> ledger;
  int64_t read_ms = 0;
  ReadFinal(trip, users, &final_snap, &ledger, &read_ms);
  Checker checker(trip, ops, ledger);
  checker.CheckAnswers();
  checker.CheckNoDoubleSale();
  checker.CheckSnapshot(final_snap, ops);
  CheckLedgerAgrees(ledger, checker);
  CheckSettled(final_snap, read_ms, ledger, checker);
  std::string repairs = "repairs on the surviving instances:";
  for (int i = 0; i < 2; ++i) {
    std::optional<testing::HttpAnswer> page = cluster_->HttpGet(i, "/metrics");
    if (!page.has_value()) continue;
    for (const char* kind : {"hold_abandoned", "release_finished", "confirm_committed", "confirm_aborted",
                             "cancel_finished", "nothing"}) {
      const double n = testing::MetricValue(page->body, absl::StrCat("inventory_repairs_total{kind=\"", kind, "\"}"));
      if (n > 0) absl::StrAppend(&repairs, " inst", i, " ", kind, " ", n, ";");
    }
  }
  const std::vector<std::string> lines = {
      absl::StrCat("load ", load_ms / 1000, " s, 24 clients, 3 instances (0 and 1 behind fault proxies, 2 killed)"),
      absl::StrCat("proxy 0: ", proxy0.requests_seen(), " requests, ", proxy0.cuts_before(), " cut before, ",
                   proxy0.cuts_after(), " cut after, ", proxy0.delayed(), " delayed"),
      absl::StrCat("proxy 1: ", proxy1.requests_seen(), " requests, ", proxy1.cuts_before(), " cut before, ",
                   proxy1.cuts_after(), " cut after, ", proxy1.delayed(), " delayed"),
      absl::StrCat("SIGKILL with ", cut, " calls in flight; database read ", (read_ms - last_end) / 1000,
                   " s after the last answer"),
      repairs};
  Report("operations cut at every step", lines, ops, checker.violations());
}

// --- 3. Redis stalled while seats are freed ---------------------------------

// Holds and bookings are released and cancelled while Redis is frozen
// (SIGSTOP): the answers are success, but Redis could not be told. Once it
// answers again, other users must get those seats within the bound (60 s
// when Redis was away at the moment they were freed); every refusal in
// between is audited.
TEST_F(LifecycleChecker, SeatsFreedWhileRedisStallsAreHoldableAgainWithinTheBound) {
  Start(std::vector<InstanceOptions>(2));
  const TripShape trip = Trip("stall", 2, 6, 4);
  ASSERT_TRUE(cluster_->CreateTrip(trip, 0).ok());
  Calls calls(*cluster_, trip);
  std::set<std::string> users;
  struct Freed {
    std::vector<std::string> seats;
    int64_t freed_at = 0;
    bool taken = false;
  };
  std::vector<Freed> freed;
  // Eight users hold two seats each for five minutes; four confirm.
  std::vector<Op> holds;
  for (int i = 0; i < 8; ++i) {
    const std::string user = absl::StrCat("stall-", i);
    users.insert(user);
    std::vector<std::string> seats = {trip.seat_ids[static_cast<size_t>(2 * i)],
                                      trip.seat_ids[static_cast<size_t>(2 * i + 1)]};
    Op held = calls.Hold(i % 2, user, seats, 0, trip.segments - 1, 300, "long hold");
    ASSERT_EQ(held.outcome, Outcome::kSuccess) << held.Describe();
    if (i < 4) {
      Op confirmed = calls.Confirm((i + 1) % 2, user, held.hold_id, seats, "ord-" + held.hold_id);
      ASSERT_EQ(confirmed.outcome, Outcome::kSuccess) << confirmed.Describe();
      held.booking_id = confirmed.booking_id;
    }
    holds.push_back(held);
  }
  // Both instances know the seats taken (markers, seat maps).
  for (int i = 0; i < 2; ++i) {
    for (size_t s = 0; s < 16; ++s) {
      users.insert("warm-" + std::to_string(s));
      calls.Hold(i, "warm-" + std::to_string(s), {trip.seat_ids[s]}, 0, trip.segments - 1, 30, "warm-up");
    }
  }
  cluster_->redis().Freeze();
  const int64_t frozen_at = NowMs();
  for (size_t i = 0; i < holds.size(); ++i) {
    const Op& h = holds[i];
    Op op = i < 4 ? calls.Cancel(static_cast<int>(i % 2), h.user, h.hold_id, h.booking_id, "while Redis stalls")
                  : calls.Release(static_cast<int>(i % 2), h.user, h.hold_id, h.seats, "while Redis stalls");
    ASSERT_EQ(op.outcome, Outcome::kSuccess) << op.Describe();
    freed.push_back({h.seats, op.end_ms, false});
  }
  SleepMs(1000);
  cluster_->redis().Thaw();
  const int64_t thawed_at = NowMs();
  // Others try the freed seats on both instances until each is taken (or 70 s).
  int64_t took_longest = 0;
  const int64_t give_up = NowMs() + 70000;
  int attempt = 0;
  while (NowMs() < give_up) {
    bool all = true;
    for (Freed& f : freed) {
      if (f.taken) continue;
      all = false;
      for (const std::string& seat : f.seats) {
        const std::string user = absl::StrCat("prober-", attempt++);
        users.insert(user);
        Op probe = calls.Hold(attempt % 2, user, {seat}, 0, trip.segments - 1, 300, "probe");
        if (probe.outcome == Outcome::kSuccess) {
          f.taken = true;
          took_longest = std::max(took_longest, probe.end_ms - f.freed_at);
        }
      }
    }
    if (all) break;
    SleepMs(500);
  }
  const std::vector<Op> ops = calls.ops();
  Snapshot final_snap;
  std::map<std::string, LedgerEntry> ledger;
  int64_t read_ms = 0;
  ReadFinal(trip, users, &final_snap, &ledger, &read_ms);
  Checker checker(trip, ops, ledger);
  checker.CheckAnswers();
  checker.CheckNoDoubleSale();
  checker.CheckSnapshot(final_snap, ops);
  CheckLedgerAgrees(ledger, checker);
  AuditOptions audit;
  audit.degraded = {{frozen_at, thawed_at}};
  audit.skew_tolerance_ms = kSkewToleranceMs;
  const AuditCounts counts = AuditRefusals(ops, checker, audit);
  int untaken = 0;
  for (const Freed& f : freed) untaken += f.taken ? 0 : 1;
  if (untaken > 0) {
    checker.Violation(absl::StrCat(untaken, " of ", freed.size(),
                                   " freed holds/bookings' seats could not be held again within 70 s"));
  }
  Report("Redis stalled while seats are freed",
         {absl::StrCat("Redis frozen ", (thawed_at - frozen_at) / 1000.0, " s while 4 holds were released and 4 "
                       "bookings cancelled"),
          absl::StrCat("every freed seat held again by another user within ", took_longest, " ms of being freed"),
          absl::StrCat("refusals audited: ", counts.refusals_audited, ", of a free seat: ", counts.refusals_wrong)},
         ops, checker.violations());
}

// --- 4. Skewed clocks -------------------------------------------------------

// Instance 1's clock runs 0.5 s ahead (within the 1 s tolerance), instance
// 2's 3 s ahead (beyond it), by libfaketime. The trip is created on instance
// 2 and held at once elsewhere; then short holds are hammered near their
// expiry from every instance. No hold may be taken over before it really
// expired; instance 2 must refuse to reclaim and say so.
TEST_F(LifecycleChecker, SkewedClocksStealNothingAndTheOneTooFarOffSaysSo) {
  const char* faketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";
  if (access(faketime, R_OK) != 0) GTEST_FAIL() << faketime << " is missing (scripts/install-deps.sh installs it)";
  std::vector<InstanceOptions> instances(4);
  instances[1].env = {{"LD_PRELOAD", faketime}, {"FAKETIME", "+0.5"}, {"FAKETIME_DONT_FAKE_MONOTONIC", "1"}};
  instances[2].env = {{"LD_PRELOAD", faketime}, {"FAKETIME", "+3"}, {"FAKETIME_DONT_FAKE_MONOTONIC", "1"}};
  // Instance 3 asks the database every time (no edge), so what the database
  // holds decides its answers.
  instances[3].args = {"--prelock", "off", "--edge-short-circuit", "off"};
  Start(instances);
  const TripShape trip = Trip("skew", 3, 4, 4);
  ASSERT_TRUE(cluster_->CreateTrip(trip, 2).ok());
  Calls calls(*cluster_, trip);
  std::set<std::string> users;
  // Held at once, through an instance with a sound clock; the database must
  // show every hold, and a second hold of the seat must be refused.
  std::vector<Op> firsts;
  for (size_t s = 0; s < trip.seat_ids.size(); ++s) {
    const std::string a = "first-" + std::to_string(s);
    users.insert(a);
    firsts.push_back(calls.Hold(0, a, {trip.seat_ids[s]}, 0, trip.segments - 1, 30, "just after the load"));
  }
  Snapshot early;
  {
    Db db(trip);
    ASSERT_TRUE(db.Connect(keyspace_).ok());
    early.index = 1;
    for (const std::string& seat : trip.seat_ids) {
      absl::StatusOr<SeatRead> r = db.ReadSeat(seat);
      ASSERT_TRUE(r.ok()) << r.status();
      early.seats.push_back(std::move(*r));
    }
  }
  for (size_t s = 0; s < trip.seat_ids.size(); ++s) {
    const std::string b = "second-" + std::to_string(s);
    users.insert(b);
    Op second = calls.Hold(3, b, {trip.seat_ids[s]}, 0, trip.segments - 1, 30, "same seat");
    if (firsts[s].outcome == Outcome::kSuccess) {
      calls.Release(0, firsts[s].user, firsts[s].hold_id, {trip.seat_ids[s]}, "cleanup");
    }
    if (second.outcome == Outcome::kSuccess) calls.Release(3, b, second.hold_id, {trip.seat_ids[s]}, "cleanup");
  }
  // Short holds, hammered near their expiry.
  const int64_t until = NowMs() + static_cast<int64_t>(24000 * Scale());
  std::atomic<int> round{0};
  auto worker = [&](int w) {
    const std::string seat = trip.seat_ids[static_cast<size_t>(w)];
    while (NowMs() < until) {
      const int r = round.fetch_add(1);
      const std::string owner = absl::StrCat("owner-", w, "-", r);
      Op held = calls.Hold(r % 2, owner, {seat}, 0, trip.segments - 1, 2, "short hold");
      if (held.outcome != Outcome::kSuccess) {
        SleepMs(300);
        continue;
      }
      // From 2.5 s before its expiry to 1.5 s after, others try every 100 ms.
      SleepMs(held.expires_at_ms - 2500 - NowMs());
      int k = 0;
      while (NowMs() < held.expires_at_ms + 1500) {
        const std::string thief = absl::StrCat("thief-", w, "-", r, "-", k);
        Op steal = calls.Hold(k % 3 == 0 ? 1 : 2, thief, {seat}, 0, trip.segments - 1, 1, "near expiry");
        ++k;
        if (steal.outcome == Outcome::kSuccess) break;
        SleepMs(100);
      }
    }
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < 8; ++w) threads.emplace_back(worker, w);
  for (std::thread& t : threads) t.join();
  const std::vector<Op> ops = calls.ops();
  for (const Op& op : ops) users.insert(op.user);
  Snapshot final_snap;
  std::map<std::string, LedgerEntry> ledger;
  int64_t read_ms = 0;
  ReadFinal(trip, users, &final_snap, &ledger, &read_ms);
  Checker checker(trip, ops, ledger);
  checker.set_expiry_slack_ms(3000);  // instance 2 gives expiries on its clock, 3 s ahead
  checker.CheckAnswers();
  checker.CheckNoDoubleSale();
  checker.CheckSnapshot(early, ops);
  checker.CheckSnapshot(final_snap, ops);
  int second_holds = 0;
  for (const Op& op : ops) second_holds += op.note == "same seat" && op.outcome == Outcome::kSuccess;
  if (second_holds > 0) {
    checker.Violation(absl::StrCat(second_holds, " seats held twice just after a trip was loaded by an instance "
                                   "whose clock runs ahead (a hold hidden behind the trip's first rows)"));
  }
  // What each instance says of its clock (3 shares instance 0's).
  for (int i = 0; i < 3; ++i) {
    std::optional<testing::HttpAnswer> health = cluster_->HttpGet(i, "/health");
    std::optional<testing::HttpAnswer> metrics = cluster_->HttpGet(i, "/metrics");
    const std::string want = i == 2 ? "refused" : "allowed";
    if (!health.has_value() || health->body.find(absl::StrCat("\"reclaim\":\"", want, "\"")) == std::string::npos) {
      checker.Violation(absl::StrCat("instance ", i, " /health does not say reclaim ", want, ": ",
                                     health.has_value() ? health->body : "no answer"));
    }
    const double allowed = metrics.has_value() ? testing::MetricValue(metrics->body, "inventory_clock_reclaim_allowed")
                                               : -1;
    if (allowed != (i == 2 ? 0 : 1)) {
      checker.Violation(absl::StrCat("instance ", i, " inventory_clock_reclaim_allowed is ", allowed));
    }
  }
  if (cluster_->Log(2).find("clock=skewed") == std::string::npos) {
    checker.Violation("instance 2 (3 s ahead) did not log that its clock is beyond the tolerance");
  }
  AuditOptions audit;
  audit.skew_tolerance_ms = kSkewToleranceMs;
  audit.exempt_instances = {2};  // it says it refuses to reclaim
  const AuditCounts counts = AuditRefusals(ops, checker, audit);
  int steals = 0;
  for (const Op& op : ops) steals += op.note == "near expiry" && op.outcome == Outcome::kSuccess;
  Report("skewed clocks",
         {"instance 1 +0.5 s (within the tolerance), instance 2 +3 s (beyond it); trip loaded by instance 2",
          absl::StrCat("holds taken over after expiry: ", steals, "; refusals audited (instances 0, 1): ",
                       counts.refusals_audited, ", of a free seat: ", counts.refusals_wrong)},
         ops, checker.violations());
}

// --- 5. A trip bigger than a page -------------------------------------------

// 64 segments × 2,000 seats: 128,000 rows, far beyond one page of a read.
// Another instance loads it from the database: every seat must show free,
// and holds anywhere on it must succeed.
TEST_F(LifecycleChecker, ATripOf64SegmentsAnd2000SeatsIsReadWhole) {
  Start(std::vector<InstanceOptions>(2));
  const TripShape trip = Trip("big", 64, 80, 25);
  ASSERT_EQ(trip.seat_ids.size(), 2000u);
  const int64_t t0 = NowMs();
  ASSERT_TRUE(cluster_->CreateTrip(trip, 0).ok());
  const int64_t loaded_ms = NowMs() - t0;
  Calls calls(*cluster_, trip);
  std::vector<std::string> violations;
  // The seat map through the other instance, over the whole trip.
  v1::GetSeatMapRequest map_req;
  map_req.set_trip_id(trip.trip_id);
  map_req.set_organization_id(kOrg);
  v1::GetSeatMapResponse map;
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 60s);
    grpc::Status st = cluster_->stub(1).GetSeatMap(&ctx, map_req, &map);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  int shown = 0, not_free = 0;
  std::vector<std::string> examples;
  for (const v1::SeatRow& row : map.rows()) {
    for (const v1::SeatCell& cell : row.seats()) {
      ++shown;
      if (cell.status() != v1::SEAT_STATUS_AVAILABLE) {
        ++not_free;
        if (examples.size() < 5) examples.push_back(absl::StrCat(cell.seat_id(), " ", v1::SeatStatus_Name(cell.status())));
      }
    }
  }
  if (shown != 2000) violations.push_back(absl::StrCat("the seat map shows ", shown, " seats of 2000"));
  if (not_free > 0) {
    violations.push_back(absl::StrCat(not_free, " free seats shown as not free by a seat map loaded from the "
                                      "database (e.g. ", absl::StrJoin(examples, ", "), ")"));
  }
  v1::CheckAvailabilityRequest check;
  check.set_trip_id(trip.trip_id);
  check.set_organization_id(kOrg);
  v1::CheckAvailabilityResponse avail;
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 60s);
    ASSERT_TRUE(cluster_->stub(1).CheckAvailability(&ctx, check, &avail).ok());
  }
  if (avail.available_seats() != 2000) {
    violations.push_back(absl::StrCat("CheckAvailability says ", avail.available_seats(), " of 2000 seats are free"));
  }
  // Holds all over the trip, on the last segments, through the other instance.
  for (int i = 0; i < 40; ++i) {
    const std::string seat = trip.seat_ids[static_cast<size_t>((i * 53 + 17) % 2000)];
    calls.Hold(1, "big-" + std::to_string(i), {seat}, 60, 63, 120, "far seat, last segments");
  }
  const std::vector<Op> ops = calls.ops();
  int refused = 0;
  for (const Op& op : ops) {
    if (op.outcome != Outcome::kSuccess) {
      ++refused;
      violations.push_back("a hold of a free seat of the big trip failed: " + op.Describe());
    }
  }
  Report("a trip of 64 segments and 2,000 seats",
         {absl::StrCat("loaded in ", loaded_ms, " ms; seat map from the other instance: ", shown, " seats, ",
                       not_free, " not free; holds: ", ops.size() - static_cast<size_t>(refused), " of ", ops.size(),
                       " succeeded")},
         ops, violations);
}

// --- 6. Every refusal tells the truth -----------------------------------------

// The random workload on two instances, no faults: a "not available" for a
// seat that was free from more than 1 s before the call until its answer is
// a violation (other instances must hear of freed seats within a second),
// and so is "contention" for a seat known taken.
TEST_F(LifecycleChecker, RefusalsAreTruthfulAcrossInstances) {
  Start(std::vector<InstanceOptions>(2));
  const TripShape trip = Trip("audit", 5, 5, 4);
  ASSERT_TRUE(cluster_->CreateTrip(trip, 0).ok());
  WorkloadOptions w;
  w.trip = trip;
  w.users = 14;
  w.min_hold_seconds = 3;
  w.max_hold_seconds = 10;
  Workload workload(*cluster_, w);
  const int64_t load_ms = static_cast<int64_t>(40000 * Scale());
  workload.load_end_ms.store(NowMs() + load_ms);
  const std::vector<Op> ops = Clients(workload, 16, seed_).Join();
  std::set<std::string> users;
  for (int u = 0; u < w.users; ++u) users.insert(absl::StrCat(w.user_prefix, u));
  Snapshot final_snap;
  std::map<std::string, LedgerEntry> ledger;
  int64_t read_ms = 0;
  ReadFinal(trip, users, &final_snap, &ledger, &read_ms);
  Checker checker(trip, ops, ledger);
  checker.CheckAnswers();
  checker.CheckNoDoubleSale();
  checker.CheckSnapshot(final_snap, ops);
  CheckLedgerAgrees(ledger, checker);
  AuditOptions audit;
  audit.skew_tolerance_ms = kSkewToleranceMs;
  const AuditCounts refusals = AuditRefusals(ops, checker, audit);
  const AuditCounts contention = AuditContention(ops, checker, audit);
  Report("every refusal tells the truth",
         {absl::StrCat("load ", load_ms / 1000, " s, 16 clients on 2 instances"),
          absl::StrCat("'not available' refusals audited: ", refusals.refusals_audited, ", for a seat free for more "
                       "than 1 s: ", refusals.refusals_wrong),
          absl::StrCat("'contention' answers audited: ", contention.contention_audited, ", for a seat known taken: ",
                       contention.contention_wrong)},
         ops, checker.violations());
}

// A sold seat, hammered by a crowd for longer than a cached seat map stays
// fresh: every answer must be "not available", never "please retry".
TEST_F(LifecycleChecker, ACrowdOnASoldSeatHearsNotAvailableNeverPleaseRetry) {
  Start(std::vector<InstanceOptions>(2));
  const TripShape trip = Trip("crowd", 2, 1, 4);
  ASSERT_TRUE(cluster_->CreateTrip(trip, 0).ok());
  Calls calls(*cluster_, trip);
  Op held = calls.Hold(0, "owner", {"1A"}, 0, 1, 600, "the sale");
  ASSERT_EQ(held.outcome, Outcome::kSuccess);
  Op sold = calls.Confirm(0, "owner", held.hold_id, {"1A"}, "ord-sale");
  ASSERT_EQ(sold.outcome, Outcome::kSuccess);
  SleepMs(1200);
  const int64_t until = NowMs() + static_cast<int64_t>(12000 * Scale());
  std::atomic<int> n{0};
  std::vector<std::thread> crowd;
  for (int t = 0; t < 96; ++t) {
    crowd.emplace_back([&, t] {
      while (NowMs() < until) {
        const int i = n.fetch_add(1);
        calls.Hold(t % 2, absl::StrCat("fan-", i), {"1A"}, 0, 1, 60, "crowd");
      }
    });
  }
  for (std::thread& t : crowd) t.join();
  const std::vector<Op> ops = calls.ops();
  const std::map<std::string, LedgerEntry> no_ledger;
  Checker checker(trip, ops, no_ledger);
  checker.CheckNoDoubleSale();
  AuditOptions audit;
  const AuditCounts contention = AuditContention(ops, checker, audit);
  int not_available = 0, other = 0;
  for (const Op& op : ops) {
    if (op.note != "crowd") continue;
    if (op.outcome == Outcome::kRefused && op.reason == v1::FAILURE_REASON_NOT_AVAILABLE) {
      ++not_available;
    } else if (!(op.outcome == Outcome::kRefused && op.reason == v1::FAILURE_REASON_CONTENTION)) {
      ++other;
      if (other <= 5) checker.Violation("a crowd request for the sold seat answered: " + op.Describe());
    }
  }
  Report("a crowd on a sold seat",
         {absl::StrCat(n.load(), " requests by 96 threads on 2 instances for ", 12 * Scale(), " s"),
          absl::StrCat("not available: ", not_available, "; contention for the seat known taken: ",
                       contention.contention_wrong, "; anything else: ", other)},
         ops, checker.violations());
}

}  // namespace
}  // namespace inventory::checker
