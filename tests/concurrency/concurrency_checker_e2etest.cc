// The concurrency checker (DESIGN.md §6, the contracts of §2).
//
// Three inventoryd instances share one keyspace of the test Cassandra and one
// private redis-server. 32 client threads, spread over the instances, hold
// random seats (one to three) over random overlapping journeys of a trip with
// six segments, then confirm, release, cancel or abandon them, and record every
// call with its start and end time and what the service answered. Mid-run one
// instance is killed with SIGKILL, Redis is frozen (SIGSTOP) for a while and
// later killed and restarted on the same port. While the load runs, a reader
// takes snapshots of every seat's partition at SERIAL; after the load it waits
// past every hold's expiry and reads seat_segments and user_ledger DIRECTLY.
//
// What is checked (every violation is printed with seat, segment and ids):
//  1. No double sale: for every (seat, segment), the intervals during which an
//     acknowledged hold (and the booking it became) certainly owned the cell
//     never overlap.
//  2. Per snapshot: an acknowledged hold/booking inside its certain interval
//     owns exactly its seats on exactly its segments; an acknowledged confirm
//     means booked; after an acknowledged release (cancel) the hold (booking)
//     owns nothing; a live hold never covers only part of its journey on a
//     seat; held and booked rows agree with their ledger records; a live held
//     row without a ledger record belongs to a request still in flight or of
//     unknown outcome, never to one answered "refused".
//  3. Final state, all holds expired: no live hold anywhere (including those
//     left by the killed instance); every booked row belongs to a confirmed
//     booking; every confirmed booking owns all of its cells; the ledger
//     agrees with every acknowledged outcome.
//  4. The seats of holds left by the killed instance can be held again.
// Calls that end UNAVAILABLE / DEADLINE_EXCEEDED have an unknown outcome: they
// are excluded from the acknowledged-outcome checks, never from 1-3.
//
// Environment: INVENTORY_TEST_CQL_HOST/PORT (Cassandra), INVENTORY_CHECKER_SEED
// (RNG seed, printed at start), INVENTORY_CHECKER_LOAD_SECONDS (default 150;
// the whole test takes about 30 s more), INVENTORY_CHECKER_CORRUPT=1 (self-test:
// corrupts two rows directly before the final read; the test must then fail).
// On failure the keyspace is kept and every call is written to
// $TEST_TMPDIR/checker-<pid>-ops.log. INVENTORY_CHECKER_INVENTORYD runs the
// instances from another inventoryd binary (e.g. an older build).
//
// Built from the checker library: checker_log.h (the calls), checker_db.h
// (direct reads), checker_rules.h (the invariants), checker_cluster.h (the
// instances and Redis). This file holds the clients and the chaos timeline.
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
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "checker_audit.h"
#include "checker_cluster.h"
#include "checker_db.h"
#include "checker_log.h"
#include "checker_rules.h"
#include "checker_workload.h"
#include "common/test_env.h"
#include "inventory/v1/inventory.grpc.pb.h"

namespace inventory::checker {
namespace {

namespace v1 = ::inventory::v1;
using namespace std::chrono_literals;

constexpr char kOrg[] = "org-cc";
constexpr char kTrip[] = "trip-cc";
constexpr int kStops = 7;  // A..G: six segments
constexpr int kSegments = kStops - 1;
constexpr int kRows = 4;
constexpr int kColumns = 4;  // 16 seats
constexpr int kInstances = 3;
constexpr int kKilledInstance = 2;
constexpr int kClients = 32;
constexpr int kUsers = 12;  // fewer users than clients: the per-user limit (2) is hit
constexpr int kMinHoldSeconds = 3;
constexpr int kMaxHoldSeconds = 8;
constexpr int kMaxKeptBookings = 5;  // bookings never cancelled, so the trip does not fill up

std::string Station(int i) { return StationId(i); }
std::string SeatId(int index) { return GridSeatId(index, kColumns); }
std::string UserId(int i) { return absl::StrCat("user-", i); }

// The trip every client works on: A..G (six segments), 16 seats.
TripShape Trip() {
  TripShape trip;
  trip.organization_id = kOrg;
  trip.trip_id = kTrip;
  trip.segments = kSegments;
  trip.seat_ids = GridSeatIds(kRows, kColumns);
  trip.columns = kColumns;
  trip.vehicle_id = "bus-cc";
  return trip;
}

// --------------------------------------------------------- the instances --

class ConcurrencyChecker : public ::testing::Test {
 protected:
  std::unique_ptr<Cluster> cluster_;  // kills what still runs on destruction
  std::unique_ptr<Workload> workload_;
};

uint64_t EnvU64(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::strtoull(v, nullptr, 10);
}

TEST_F(ConcurrencyChecker, NoDoubleSaleAcrossInstancesUnderCrashAndRedisLoss) {
  const auto wall_start = std::chrono::steady_clock::now();
  auto since_start = [&wall_start] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  };
  const uint64_t seed = EnvU64("INVENTORY_CHECKER_SEED", std::random_device{}());
  const int load_seconds = static_cast<int>(EnvU64("INVENTORY_CHECKER_LOAD_SECONDS", 150));
  const std::string keyspace = absl::StrCat("inv_cc_", seed % 1000000000ULL, "_", getpid());
  std::printf("[checker] seed %llu (INVENTORY_CHECKER_SEED), load %d s, keyspace %s, Cassandra %s:%u\n",
              static_cast<unsigned long long>(seed), load_seconds, keyspace.c_str(), testing::CqlHost().c_str(),
              testing::CqlPort());

  std::printf("[checker] inventoryd %s\n", Cluster::InventorydPath().c_str());

  // Redis of our own, so that it can be frozen, killed and restarted, and the
  // instances (the first creates the schema).
  {
    ClusterOptions options;
    options.keyspace = keyspace;
    options.instances.resize(kInstances);
    options.common_args = {"--redis-timeout-ms", "100", "--hold-ttl-min", "1", "--log-level", "warn"};
    options.log_prefix = "checker";
    options.start_timeout = 120s;
    absl::StatusOr<std::unique_ptr<Cluster>> cluster = Cluster::Start(std::move(options));
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = std::move(*cluster);
  }
  {
    WorkloadOptions w;
    w.trip = Trip();
    w.users = kUsers;
    w.min_hold_seconds = kMinHoldSeconds;
    w.max_hold_seconds = kMaxHoldSeconds;
    w.max_kept_bookings = kMaxKeptBookings;
    w.killed_instance = kKilledInstance;
    workload_ = std::make_unique<Workload>(*cluster_, std::move(w));
  }
  Workload& shared_ = *workload_;
  redis::testing::RedisServer* redis = &cluster_->redis();
  std::printf("[checker] %d instances serving after %.1f s (logs %s ...)\n", kInstances, since_start(),
              cluster_->log_path(0).c_str());

  // The trip: A..G (six segments), 16 seats.
  const TripShape trip = Trip();
  {
    absl::Status created = cluster_->CreateTrip(trip, 0);
    ASSERT_TRUE(created.ok()) << created.message();
  }

  Db db(trip);
  {
    absl::Status connected = db.Connect(keyspace);
    ASSERT_TRUE(connected.ok()) << connected;
  }

  // --- the load ---
  const int64_t load_start = NowMs();
  shared_.load_end_ms.store(load_start + load_seconds * 1000LL);
  Clients clients(shared_, kClients, seed);

  // Snapshots of every seat while the load runs.
  std::vector<Snapshot> snapshots;
  int snapshot_read_errors = 0;
  std::thread reader([&] {
    int index = 0;
    while (NowMs() < shared_.load_end_ms.load()) {
      Snapshot snap;
      snap.index = ++index;
      for (const std::string& seat : trip.seat_ids) {
        absl::StatusOr<SeatRead> r = db.ReadSeat(seat);
        if (r.ok()) {
          snap.seats.push_back(std::move(*r));
        } else {
          ++snapshot_read_errors;
        }
      }
      snapshots.push_back(std::move(snap));
      std::this_thread::sleep_for(2500ms);
    }
  });

  // Chaos, on a timeline relative to the load.
  auto at = [&](double fraction) {
    const int64_t t = load_start + static_cast<int64_t>(fraction * load_seconds * 1000);
    while (NowMs() < t) std::this_thread::sleep_for(50ms);
  };
  std::vector<std::string> timeline;
  auto mark = [&](const std::string& what) {
    char line[256];
    std::snprintf(line, sizeof(line), "t=%6.1fs %s", static_cast<double>(NowMs() - load_start) / 1000.0, what.c_str());
    timeline.push_back(line);
    std::printf("[checker] %s\n", timeline.back().c_str());
    std::fflush(stdout);
  };
  int64_t frozen_at = 0, thawed_at = 0, redis_killed_at = 0, redis_back_at = 0;
  at(0.20);
  redis->Freeze();
  frozen_at = NowMs();
  mark("Redis frozen (SIGSTOP)");
  at(0.20 + 6.0 / load_seconds);
  redis->Thaw();
  thawed_at = NowMs();
  mark("Redis thawed (SIGCONT)");
  at(0.40);
  // Aim: a moment with a confirm/release/cancel, or several calls, in flight
  // on the instance (at most 5 s later).
  int cut_inflight = 0;
  for (const int64_t aim_until = NowMs() + 5000; NowMs() < aim_until;) {
    cut_inflight = shared_.inflight(kKilledInstance).load();
    if (shared_.inflight_followups(kKilledInstance).load() > 0 || cut_inflight >= 4) break;
    std::this_thread::sleep_for(200us);
  }
  cluster_->Kill(kKilledInstance);
  shared_.killed_at_ms.store(NowMs());
  shared_.alive(kKilledInstance).store(false);
  mark(absl::StrCat("instance ", kKilledInstance, " killed (SIGKILL) with ", cut_inflight, " calls in flight"));
  at(0.60);
  redis->Stop();
  redis_killed_at = NowMs();
  mark("Redis killed (SIGKILL)");
  at(0.60 + 12.0 / load_seconds);
  absl::Status restarted = redis->Restart();
  redis_back_at = NowMs();
  mark(absl::StrCat("Redis restarted on the same port: ", restarted.ToString()));
  EXPECT_TRUE(restarted.ok()) << restarted;

  const std::vector<Op> ops = clients.Join();
  reader.join();
  const int64_t load_done = NowMs();
  mark("load finished");

  WaitPastEveryExpiry(ops);
  mark("every hold has expired");

  // Self-test of the checker (INVENTORY_CHECKER_CORRUPT=1): break two
  // invariants behind the service's back; the test must then fail naming them.
  if (EnvU64("INVENTORY_CHECKER_CORRUPT", 0) != 0) {
    std::set<std::string> confirmed, cancelled;
    for (const Op& op : ops) {
      if (op.kind == Kind::kConfirm && op.outcome == Outcome::kSuccess) confirmed.insert(op.hold_id);
      if (op.kind == Kind::kCancel) cancelled.insert(op.hold_id);
    }
    for (const Op& op : ops) {
      if (op.kind != Kind::kHold || op.outcome != Outcome::kSuccess || !confirmed.count(op.hold_id) ||
          cancelled.count(op.hold_id)) {
        continue;
      }
      std::vector<cql::Value> key = {cql::Value(std::string(kOrg)), cql::Value(std::string(kTrip)),
                                     cql::Value(op.seats[0]), cql::Value(static_cast<int32_t>(op.first))};
      absl::Status w = db.Write("UPDATE " + db.keyspace() +
                                    ".seat_segments SET status = 'available', booking_id = null WHERE "
                                    "organization_id = ? AND trip_id = ? AND seat_id = ? AND segment_index = ?",
                                std::move(key));
      mark(absl::StrCat("CORRUPTION: freed seat ", op.seats[0], " segment ", op.first, " of kept booking bk-",
                        op.hold_id, ": ", w.ToString()));
      break;
    }
    std::vector<cql::Value> key = {cql::Value(std::string("fake-hold")), cql::Value(UserId(0)),
                                   cql::Value::TimestampMillis(NowMs() + 60000), cql::Value(std::string(kOrg)),
                                   cql::Value(std::string(kTrip)), cql::Value(SeatId(15)),
                                   cql::Value(static_cast<int32_t>(kSegments - 1))};
    absl::Status w = db.Write("UPDATE " + db.keyspace() +
                                  ".seat_segments SET status = 'held', hold_id = ?, user_id = ?, expires_at = ? "
                                  "WHERE organization_id = ? AND trip_id = ? AND seat_id = ? AND segment_index = ?",
                              std::move(key));
    mark(absl::StrCat("CORRUPTION: live hold 'fake-hold' on seat ", SeatId(15), " segment ", kSegments - 1, ": ",
                      w.ToString()));
  }

  // --- the database, directly ---
  int64_t final_read_ms = 0;
  absl::StatusOr<Snapshot> final_read = db.ReadFinal(&final_read_ms);
  ASSERT_TRUE(final_read.ok()) << final_read.status();
  const Snapshot& final_snap = *final_read;
  std::vector<std::string> users;
  for (int u = 0; u < kUsers; ++u) users.push_back(UserId(u));
  absl::StatusOr<std::map<std::string, LedgerEntry>> ledger_read = db.ReadLedgers(users);
  ASSERT_TRUE(ledger_read.ok()) << ledger_read.status();
  const std::map<std::string, LedgerEntry>& ledger = *ledger_read;

  Checker checker(trip, ops, ledger);
  checker.CheckAnswers();
  checker.CheckNoDoubleSale();
  for (const Snapshot& s : snapshots) checker.CheckSnapshot(s, ops);
  checker.CheckSnapshot(final_snap, ops);
  checker.CheckFinalLedger(final_snap, final_read_ms);
  CheckLedgerAgrees(ledger, checker);
  // Every refusal of a seat free for longer than the bound: 1 s, or 60 s for
  // seats freed while Redis was frozen or down.
  AuditOptions audit;
  audit.degraded = {{frozen_at, thawed_at}, {redis_killed_at, redis_back_at}};
  const AuditCounts audited = AuditRefusals(ops, checker, audit);
  for (const SeatRead& read : final_snap.seats) {
    for (int s = 0; s < kSegments; ++s) {
      const Cell& c = read.cells[static_cast<size_t>(s)];
      if (c.status == "held" && c.expires_at_ms > final_read_ms) {
        checker.Violation(absl::StrCat("final read: seat ", read.seat, " segment ", s, " still held by ", c.hold_id,
                                       " (user ", c.user_id, ") until ", c.expires_at_ms,
                                       " after every hold should have expired"));
      }
    }
  }

  // Holds left behind by the killed instance: acknowledged by it, live when
  // it died, never released or confirmed afterwards.
  std::map<std::string, const SeatRead*> final_by_seat;
  for (const SeatRead& r : final_snap.seats) final_by_seat[r.seat] = &r;
  const int64_t killed_at = shared_.killed_at_ms.load();
  int left_holds = 0, left_rows_stamped = 0, left_rows_taken_over = 0;
  std::vector<const Lineage*> left;
  for (const auto& [id, l] : checker.lineages()) {
    if (l.instance != kKilledInstance || l.confirm_acked || l.release_acked) continue;
    if (l.expires_at_ms <= killed_at || l.acked_ms > killed_at) continue;
    ++left_holds;
    left.push_back(&l);
    for (const std::string& seat : l.seats) {
      for (int s = l.first; s <= l.last; ++s) {
        const Cell& c = final_by_seat[seat]->cells[static_cast<size_t>(s)];
        if (c.status == "held" && c.hold_id == id) {
          ++left_rows_stamped;  // expired (checked above), so free
        } else {
          ++left_rows_taken_over;
        }
      }
    }
  }

  // Their seats can be held again, through a surviving instance.
  int probes = 0, probes_ok = 0, probes_skipped_booked = 0;
  std::vector<std::string> probe_warnings;
  for (const Lineage* l : left) {
    for (const std::string& seat : l->seats) {
      bool booked = false;
      for (int s = l->first; s <= l->last; ++s) {
        booked |= final_by_seat[seat]->cells[static_cast<size_t>(s)].status == "booked";
      }
      if (booked) {
        ++probes_skipped_booked;
        continue;
      }
      ++probes;
      const std::string user = absl::StrCat("probe-", probes);
      v1::HoldSeatsRequest req;
      req.set_trip_id(kTrip);
      req.set_organization_id(kOrg);
      req.set_user_id(user);
      req.set_session_id(user);
      req.set_from_station_id(Station(l->first));
      req.set_to_station_id(Station(l->last + 1));
      req.add_seat_ids(seat);
      req.set_hold_duration_seconds(2);
      std::string last_answer;
      bool ok = false;
      for (int attempt = 0; attempt < 5 && !ok; ++attempt) {
        if (attempt > 0) std::this_thread::sleep_for(1s);
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + 20s);
        v1::HoldSeatsResponse resp;
        grpc::Status st = cluster_->stub(0).HoldSeats(&ctx, req, &resp);
        ok = st.ok() && resp.success();
        last_answer = st.ok() ? absl::StrCat("success=", resp.success(), " reason=",
                                             v1::FailureReason_Name(resp.reason()), " ", resp.failure_reason())
                              : absl::StrCat("status ", static_cast<int>(st.error_code()), " ", st.error_message());
        if (ok) {
          grpc::ClientContext rctx;
          rctx.set_deadline(std::chrono::system_clock::now() + 20s);
          v1::ReleaseSeatsRequest rel;
          rel.set_hold_id(resp.hold_id());
          rel.set_user_id(user);
          rel.set_organization_id(kOrg);
          v1::ReleaseSeatsResponse rresp;
          (void)cluster_->stub(0).ReleaseSeats(&rctx, rel, &rresp);
        }
      }
      if (ok) {
        ++probes_ok;
      } else {
        probe_warnings.push_back(absl::StrCat("seat ", seat, " segments ", l->first, "..", l->last,
                                              " (left by hold ", l->hold_id, ") could not be held again: ",
                                              last_answer));
      }
    }
  }
  // A refusal while the database shows the cells free can only come from the
  // edge (a stale Redis marker); the database check above is the invariant.
  for (const std::string& w : probe_warnings) std::printf("[checker] WARNING %s\n", w.c_str());

  // --- summary ---
  struct Counts {
    int total = 0, success = 0, unknown = 0, dead_instance = 0;
    std::map<std::string, int> refused, rejected, codes;
  };
  std::map<std::string, Counts> by_kind;
  std::map<std::string, int> errors_by_code;
  int contention = 0, per_instance[kInstances] = {0, 0, 0};
  for (const Op& op : ops) {
    Counts& c = by_kind[KindName(op.kind)];
    ++c.total;
    ++per_instance[op.instance];
    if (op.no_effect) ++c.dead_instance;
    switch (op.outcome) {
      case Outcome::kSuccess:
        ++c.success;
        break;
      case Outcome::kRefused:
        ++c.refused[v1::FailureReason_Name(op.reason)];
        if (op.reason == v1::FAILURE_REASON_CONTENTION) ++contention;
        break;
      case Outcome::kRejected:
        ++c.rejected[op.message.substr(0, 40)];
        break;
      case Outcome::kUnknown:
        ++c.unknown;
        break;
    }
    if (op.code != grpc::StatusCode::OK) {
      ++errors_by_code[CodeName(op.code)];
    }
  }
  int lineages_confirmed = 0, lineages_released = 0, lineages_cancelled = 0, lineages_kept = 0;
  for (const auto& [id, l] : checker.lineages()) {
    lineages_confirmed += l.confirm_acked;
    lineages_released += l.release_acked;
    lineages_cancelled += l.cancel_acked;
    lineages_kept += l.confirm_acked && l.first_cancel_start == kInf;
  }
  int booked_cells = 0, expired_held_cells = 0, free_cells = 0;
  for (const SeatRead& r : final_snap.seats) {
    for (const Cell& c : r.cells) {
      booked_cells += c.status == "booked";
      expired_held_cells += c.status == "held";
      free_cells += c.status == "available";
    }
  }
  // Holds and bookings go on while Redis is gone (fail open to the LWT).
  auto acked_between = [&ops](Kind kind, int64_t from, int64_t to) {
    int n = 0;
    for (const Op& op : ops) n += op.kind == kind && op.outcome == Outcome::kSuccess && op.start_ms >= from && op.end_ms <= to;
    return n;
  };
  int unknown_at_kill = 0;
  for (const Op& op : ops) {
    unknown_at_kill += op.instance == kKilledInstance && op.outcome == Outcome::kUnknown && !op.no_effect;
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  std::string summary = "\n================ concurrency checker summary ================\n";
  absl::StrAppend(&summary, "seed ", seed, ", ", kInstances, " instances, ", kClients, " clients, ", kUsers,
                  " users, trip of ", kSegments, " segments x ", kRows * kColumns, " seats, load ",
                  (load_done - load_start) / 1000.0, " s, wall ", wall, " s\n");
  for (const std::string& t : timeline) absl::StrAppend(&summary, "  ", t, "\n");
  int successes = 0, conflicts = 0, limits = 0, unknown = 0, rejected = 0;
  for (const Op& op : ops) {
    successes += op.outcome == Outcome::kSuccess;
    conflicts += op.outcome == Outcome::kRefused && op.reason == v1::FAILURE_REASON_NOT_AVAILABLE;
    limits += op.outcome == Outcome::kRefused && op.reason == v1::FAILURE_REASON_HOLD_LIMIT_REACHED;
    unknown += op.outcome == Outcome::kUnknown;
    rejected += op.outcome == Outcome::kRejected;
  }
  absl::StrAppend(&summary, "operations: ", ops.size(), " (per instance: ", per_instance[0], " / ", per_instance[1],
                  " / ", per_instance[2], "): ", successes, " successes, ", conflicts, " conflicts (seat taken), ",
                  contention, " contention answers, ", limits, " hold-limit answers, ", rejected,
                  " definitive errors, ", unknown, " unknown outcomes\n");
  for (const auto& [kind, c] : by_kind) {
    absl::StrAppend(&summary, "  ", kind, ": ", c.total, " calls, ", c.success, " succeeded, ", c.unknown,
                    " unknown outcome (", c.dead_instance, " to the dead instance)");
    for (const auto& [reason, n] : c.refused) absl::StrAppend(&summary, ", refused ", reason, " ", n);
    for (const auto& [msg, n] : c.rejected) absl::StrAppend(&summary, ", rejected '", msg, "' ", n);
    absl::StrAppend(&summary, "\n");
  }
  absl::StrAppend(&summary, "gRPC errors by code:");
  if (errors_by_code.empty()) absl::StrAppend(&summary, " none");
  for (const auto& [code, n] : errors_by_code) absl::StrAppend(&summary, " [", code, "] ", n, ";");
  absl::StrAppend(&summary, "\nacknowledged holds: ", checker.lineages().size(), " -> confirmed ", lineages_confirmed,
                  " (kept ", lineages_kept, ", cancelled ", lineages_cancelled, "), released ", lineages_released,
                  "\n");
  absl::StrAppend(&summary, "while Redis was frozen: ", acked_between(Kind::kHold, frozen_at, thawed_at),
                  " holds and ", acked_between(Kind::kConfirm, frozen_at, thawed_at),
                  " confirms acknowledged; while Redis was down: ",
                  acked_between(Kind::kHold, redis_killed_at, redis_back_at), " holds and ",
                  acked_between(Kind::kConfirm, redis_killed_at, redis_back_at), " confirms\n");
  absl::StrAppend(&summary, "calls cut by the SIGKILL (unknown outcome): ", unknown_at_kill, "\n");
  absl::StrAppend(&summary, "holds left by the killed instance: ", left_holds, " (", left_rows_stamped,
                  " cells still stamped, all expired; ", left_rows_taken_over,
                  " cells reclaimed by later requests since); re-hold probes ", probes_ok, "/", probes, " ok, ",
                  probes_skipped_booked, " skipped (booked since)\n");
  absl::StrAppend(&summary, "database reads: ", snapshots.size(), " mid-run snapshots (", snapshot_read_errors,
                  " seat reads failed) + final; ", checker.checked_cells(), " (seat, segment) rows checked; final: ",
                  booked_cells, " booked, ", expired_held_cells, " held-but-expired, ", free_cells, " available\n");
  absl::StrAppend(&summary, "'not available' refusals audited: ", audited.refusals_audited,
                  ", of a seat free for longer than the bound: ", audited.refusals_wrong, "\n");
  absl::StrAppend(&summary, "violations: ", checker.violations().size(), "\n");
  absl::StrAppend(&summary, "==============================================================\n");
  std::printf("%s", summary.c_str());
  std::fflush(stdout);

  if (!checker.violations().empty()) {
    const std::string path = absl::StrCat(::testing::TempDir(), "/checker-", getpid(), "-ops.log");
    if (FILE* f = std::fopen(path.c_str(), "w")) {
      for (const Op& op : ops) std::fprintf(f, "%s\n", op.Describe().c_str());
      for (const std::string& v : checker.violations()) std::fprintf(f, "VIOLATION %s\n", v.c_str());
      std::fclose(f);
      std::printf("[checker] every call and violation written to %s\n", path.c_str());
    }
  }
  const size_t shown = std::min<size_t>(checker.violations().size(), 40);
  for (size_t i = 0; i < shown; ++i) ADD_FAILURE() << "VIOLATION " << i + 1 << ": " << checker.violations()[i];
  EXPECT_TRUE(checker.violations().empty())
      << checker.violations().size() << " invariant violations (first " << shown << " above); seed " << seed
      << ", keyspace " << keyspace << " kept for inspection; instance logs " << cluster_->log_path(0) << " ...";

  for (int i = 0; i < kInstances; ++i) {
    if (i == kKilledInstance) continue;
    cluster_->Stop(i, 30s);
  }
  if (!HasFailure()) {
    std::printf("[checker] passed after %.1f s; dropping keyspace %s\n", since_start(), keyspace.c_str());
    absl::Status dropped = db.DropKeyspace();
    if (!dropped.ok()) std::printf("[checker] could not drop keyspace %s: %s\n", keyspace.c_str(), dropped.ToString().c_str());
  }
}

}  // namespace
}  // namespace inventory::checker
