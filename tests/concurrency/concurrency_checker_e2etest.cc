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
// $TEST_TMPDIR/checker-<pid>-ops.log.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/test_env.h"
#include "common/test_process.h"
#include "cql/session.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "testing_health.h"
#include "inventory/v1/inventory.grpc.pb.h"
#include "testing/redis_server.h"

namespace inventory {
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
constexpr int64_t kInf = std::numeric_limits<int64_t>::max();

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Station(int i) { return std::string(1, static_cast<char>('A' + i)); }
std::string SeatId(int index) {
  return absl::StrCat(index / kColumns + 1, std::string(1, static_cast<char>('A' + index % kColumns)));
}
std::vector<std::string> AllSeats() {
  std::vector<std::string> out;
  for (int i = 0; i < kRows * kColumns; ++i) out.push_back(SeatId(i));
  return out;
}
std::string UserId(int i) { return absl::StrCat("user-", i); }
std::string BookingIdOf(const std::string& hold_id) { return "bk-" + hold_id; }

// ---------------------------------------------------------------- the log --

enum class Kind { kHold, kConfirm, kRelease, kCancel };
const char* KindName(Kind k) {
  switch (k) {
    case Kind::kHold:
      return "hold";
    case Kind::kConfirm:
      return "confirm";
    case Kind::kRelease:
      return "release";
    case Kind::kCancel:
      return "cancel";
  }
  return "?";
}

// Acknowledged success, acknowledged refusal (OK + success=false),
// acknowledged rejection (a definitive gRPC error such as FAILED_PRECONDITION),
// or unknown (the call may or may not have taken effect).
enum class Outcome { kSuccess, kRefused, kRejected, kUnknown };

std::string CodeName(grpc::StatusCode c) {
  switch (c) {
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    default:
      return absl::StrCat("code ", static_cast<int>(c));
  }
}

bool UnknownCode(grpc::StatusCode c) {
  return c == grpc::StatusCode::UNAVAILABLE || c == grpc::StatusCode::DEADLINE_EXCEEDED ||
         c == grpc::StatusCode::CANCELLED || c == grpc::StatusCode::UNKNOWN || c == grpc::StatusCode::INTERNAL ||
         c == grpc::StatusCode::ABORTED || c == grpc::StatusCode::RESOURCE_EXHAUSTED;
}

// The server may still be working on a call the client gave up on.
bool MayStillRun(grpc::StatusCode c) {
  return c == grpc::StatusCode::DEADLINE_EXCEEDED || c == grpc::StatusCode::CANCELLED ||
         c == grpc::StatusCode::UNKNOWN;
}

struct Op {
  uint64_t seq = 0;
  int client = 0;
  int instance = 0;
  Kind kind = Kind::kHold;
  std::string user;
  std::string hold_id;  // hold: set on success; others: the hold acted on
  std::vector<std::string> seats;
  int first = 0, last = 0;
  int duration_s = 0;  // hold
  int64_t request_start_ms = 0;  // hold: start of the first attempt of this request
  int64_t start_ms = 0, end_ms = 0;
  Outcome outcome = Outcome::kUnknown;
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string message;
  v1::FailureReason reason = v1::FAILURE_REASON_UNSPECIFIED;
  int64_t expires_at_ms = 0;  // hold success
  std::string booking_id;     // confirm success
  int released_count = 0;
  bool no_effect = false;  // sent to the killed instance after it died: provably did nothing
  std::string note;        // what the client meant (e.g. "after expiry")

  std::string Describe() const {
    std::string o;
    switch (outcome) {
      case Outcome::kSuccess:
        o = "SUCCESS";
        break;
      case Outcome::kRefused:
        o = absl::StrCat("refused(", v1::FailureReason_Name(reason), ")");
        break;
      case Outcome::kRejected:
        o = absl::StrCat("rejected(", CodeName(code), ": ", message, ")");
        break;
      case Outcome::kUnknown:
        o = absl::StrCat("UNKNOWN(", CodeName(code), ": ", message, ")");
        break;
    }
    return absl::StrCat("#", seq, " ", KindName(kind), " client ", client, " via inst", instance, " user ", user,
                        " hold ", hold_id.empty() ? "-" : hold_id, " seats [", absl::StrJoin(seats, ","), "]",
                        kind == Kind::kHold ? absl::StrCat(" seg ", first, "..", last) : std::string(), " t=[",
                        start_ms, ",", end_ms, "] -> ", o,
                        expires_at_ms ? absl::StrCat(" expires ", expires_at_ms) : "", note.empty() ? "" : " ", note,
                        no_effect ? " (instance dead)" : "");
  }
};

// --------------------------------------------------------- the instances --

struct Shared {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<v1::InventoryService::Stub>> stubs;
  std::atomic<bool> alive[kInstances];
  // Calls in flight per instance (all, and confirm/release/cancel), so the
  // SIGKILL can be aimed at a moment when it cuts some.
  std::atomic<int> inflight[kInstances];
  std::atomic<int> inflight_followups[kInstances];
  std::atomic<int64_t> killed_at_ms{0};  // after SIGKILL was delivered and reaped
  std::atomic<int64_t> load_end_ms{0};
  std::atomic<int> kept_bookings{0};
  std::atomic<uint64_t> seq{0};
};

// ---------------------------------------------------------------- clients --

class Client {
 public:
  Client(int index, uint64_t seed, Shared& shared)
      : index_(index), home_(index % kInstances), rng_(seed * 1000003ULL + static_cast<uint64_t>(index)), s_(shared) {}

  void Run() {
    while (NowMs() < s_.load_end_ms.load()) {
      CancelDue(false);
      OneJourney();
    }
    CancelDue(true);  // the bookings meant to be cancelled are cancelled
  }

  std::vector<Op>& ops() { return ops_; }

 private:
  struct Booking {
    std::string user, hold_id, booking_id;
    int64_t due_ms;
  };

  int Pick(int after = -1) {
    for (int i = 0; i < kInstances; ++i) {
      // Clients of a dead instance spread over the others.
      const int step = 1 + (index_ / kInstances) % 2;
      const int candidate = after < 0 ? (home_ + i * step) % kInstances : (after + 1 + i) % kInstances;
      if (s_.alive[candidate].load()) return candidate;
    }
    return 0;
  }
  int Rand(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  double Unit() { return std::uniform_real_distribution<double>(0, 1)(rng_); }
  void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

  Op Begin(Kind kind, int instance, const std::string& user) {
    Op op;
    op.seq = s_.seq.fetch_add(1) + 1;
    op.client = index_;
    op.instance = instance;
    op.kind = kind;
    op.user = user;
    const int64_t killed = s_.killed_at_ms.load();
    op.start_ms = NowMs();
    op.no_effect = instance == kKilledInstance && killed != 0 && op.start_ms > killed;
    return op;
  }
  void Finish(Op& op, const grpc::Status& st) {
    op.end_ms = NowMs();
    op.code = st.error_code();
    if (!st.ok()) {
      op.message = st.error_message().substr(0, 120);
      op.outcome = UnknownCode(st.error_code()) ? Outcome::kUnknown : Outcome::kRejected;
    }
  }
  template <typename Method, typename Req, typename Resp>
  grpc::Status Call(int instance, Method method, const Req& req, Resp* resp) {
    constexpr bool kFollowup = !std::is_same_v<Req, v1::HoldSeatsRequest>;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 20s);
    s_.inflight[instance].fetch_add(1);
    if (kFollowup) s_.inflight_followups[instance].fetch_add(1);
    grpc::Status st = (s_.stubs[static_cast<size_t>(instance)].get()->*method)(&ctx, req, resp);
    if (kFollowup) s_.inflight_followups[instance].fetch_sub(1);
    s_.inflight[instance].fetch_sub(1);
    return st;
  }

  // One traveller: hold, then confirm / release / let expire.
  void OneJourney() {
    const std::string user = UserId(Rand(0, kUsers - 1));
    // Journey: some requests name no stations (the whole trip).
    int a = 0, b = kStops - 1;
    bool whole = Unit() < 0.15;
    if (!whole) {
      a = Rand(0, kStops - 2);
      b = Rand(a + 1, kStops - 1);
    }
    // Seats: one to three, distinct, biased to the front rows.
    const double r = Unit();
    const int count = r < 0.5 ? 1 : (r < 0.85 ? 2 : 3);
    std::set<int> chosen;
    while (static_cast<int>(chosen.size()) < count) {
      chosen.insert(Unit() < 0.4 ? Rand(0, 5) : Rand(0, kRows * kColumns - 1));
    }
    std::vector<std::string> seats;
    for (int i : chosen) seats.push_back(SeatId(i));
    std::shuffle(seats.begin(), seats.end(), rng_);
    const int duration = Rand(kMinHoldSeconds, kMaxHoldSeconds);

    v1::HoldSeatsRequest req;
    req.set_trip_id(kTrip);
    req.set_organization_id(kOrg);
    req.set_user_id(user);
    req.set_session_id(absl::StrCat("s-", index_, "-", ++sessions_));
    if (!whole) {
      req.set_from_station_id(Station(a));
      req.set_to_station_id(Station(b));
    }
    for (const std::string& s : seats) req.add_seat_ids(s);
    req.set_hold_duration_seconds(duration);

    std::optional<Op> held;
    int instance = Pick();
    int64_t request_start = 0;
    for (int attempt = 0; attempt < 2; ++attempt) {  // an unknown outcome is retried once (same request)
      Op op = Begin(Kind::kHold, instance, user);
      op.seats = seats;
      op.first = a;
      op.last = b - 1;
      op.duration_s = duration;
      if (attempt == 0) request_start = op.start_ms;
      op.request_start_ms = request_start;
      if (attempt > 0) op.note = "retry";
      v1::HoldSeatsResponse resp;
      grpc::Status st = Call(instance, &v1::InventoryService::Stub::HoldSeats, req, &resp);
      Finish(op, st);
      if (st.ok()) {
        if (resp.success()) {
          op.outcome = Outcome::kSuccess;
          op.hold_id = resp.hold_id();
          op.expires_at_ms = resp.expires_at() * 1000;
          std::set<std::string> got(resp.held_seat_ids().begin(), resp.held_seat_ids().end());
          if (got != std::set<std::string>(seats.begin(), seats.end())) op.note += " HELD-SEATS-MISMATCH";
        } else {
          op.outcome = Outcome::kRefused;
          op.reason = resp.reason();
        }
      }
      ops_.push_back(op);
      if (op.outcome == Outcome::kSuccess) held = op;
      if (op.outcome != Outcome::kUnknown) break;
      SleepMs(100);
      instance = Pick(instance);
    }
    if (!held.has_value()) {
      SleepMs(Rand(50, 300));  // a refused traveller looks again a little later
      return;
    }
    const std::string hold_id = held->hold_id;
    const double next = Unit();
    SleepMs(Rand(0, 1200));  // the traveller thinks
    if (next < 0.50) {
      std::optional<std::string> booking = Confirm(user, hold_id, seats, "");
      if (booking.has_value() && Unit() < 0.08) (void)Confirm(user, hold_id, seats, "again");  // idempotent
      if (booking.has_value()) {
        int kept = s_.kept_bookings.load();
        bool keep = false;
        if (Unit() < 0.3) {
          while (kept < kMaxKeptBookings && !s_.kept_bookings.compare_exchange_weak(kept, kept + 1)) {
          }
          keep = kept < kMaxKeptBookings;
        }
        if (!keep) bookings_.push_back({user, hold_id, *booking, NowMs() + Rand(0, 4000)});
      } else if (Unit() < 0.5) {
        Release(user, hold_id, seats, "after failed confirm");
      }
    } else if (next < 0.80) {
      Release(user, hold_id, seats, "");
      const double extra = Unit();
      if (extra < 0.10) {
        Release(user, hold_id, seats, "again");
      } else if (extra < 0.16) {
        (void)Confirm(user, hold_id, seats, "after release");
      }
    } else if (next < 0.86) {
      // Confirm once the hold has expired: must be refused.
      const int64_t wait = held->expires_at_ms + 400 - NowMs();
      if (wait > 0 && NowMs() + wait < s_.load_end_ms.load()) {
        SleepMs(static_cast<int>(wait));
        (void)Confirm(user, hold_id, seats, "after expiry");
      }
    }
    // else: abandoned, left to expire
  }

  // Unknown outcomes are retried (idempotent) on another instance, as an
  // order flow would, until a definitive answer or four attempts.
  std::optional<std::string> Confirm(const std::string& user, const std::string& hold_id,
                                     const std::vector<std::string>& seats, const std::string& note) {
    v1::ConfirmBookingRequest req;
    req.set_hold_id(hold_id);
    req.set_user_id(user);
    req.set_organization_id(kOrg);
    req.set_order_id("ord-" + hold_id);
    for (const std::string& s : seats) {
      v1::PassengerSeat* p = req.add_passengers();
      p->set_seat_id(s);
      p->set_passenger_name("P " + s);
      p->set_passenger_nid("N-" + s);
    }
    int instance = Pick();
    for (int attempt = 0; attempt < 4; ++attempt) {
      Op op = Begin(Kind::kConfirm, instance, user);
      op.hold_id = hold_id;
      op.seats = seats;
      op.note = attempt > 0 ? absl::StrCat(note, " retry") : note;
      v1::ConfirmBookingResponse resp;
      grpc::Status st = Call(instance, &v1::InventoryService::Stub::ConfirmBooking, req, &resp);
      Finish(op, st);
      if (st.ok()) {
        if (resp.success()) {
          op.outcome = Outcome::kSuccess;
          op.booking_id = resp.booking_id();
          std::set<std::string> got;
          for (const v1::ConfirmedSeat& c : resp.confirmed_seats()) got.insert(c.seat_id());
          if (got != std::set<std::string>(seats.begin(), seats.end())) op.note += " CONFIRMED-SEATS-MISMATCH";
        } else {
          op.outcome = Outcome::kRefused;
          op.reason = resp.reason();
        }
      }
      ops_.push_back(op);
      if (op.outcome == Outcome::kSuccess) return op.booking_id;
      if (op.outcome != Outcome::kUnknown) return std::nullopt;
      SleepMs(200);
      instance = Pick(instance);
    }
    return std::nullopt;
  }

  void Release(const std::string& user, const std::string& hold_id, const std::vector<std::string>& seats,
               const std::string& note) {
    v1::ReleaseSeatsRequest req;
    req.set_hold_id(hold_id);
    req.set_user_id(user);
    req.set_organization_id(kOrg);
    int instance = Pick();
    for (int attempt = 0; attempt < 4; ++attempt) {
      Op op = Begin(Kind::kRelease, instance, user);
      op.hold_id = hold_id;
      op.seats = seats;
      op.note = attempt > 0 ? absl::StrCat(note, " retry") : note;
      v1::ReleaseSeatsResponse resp;
      grpc::Status st = Call(instance, &v1::InventoryService::Stub::ReleaseSeats, req, &resp);
      Finish(op, st);
      if (st.ok()) {
        op.outcome = resp.success() ? Outcome::kSuccess : Outcome::kRefused;
        op.reason = resp.reason();
        op.released_count = resp.released_count();
      }
      ops_.push_back(op);
      if (op.outcome != Outcome::kUnknown) return;
      SleepMs(200);
      instance = Pick(instance);
    }
  }

  void Cancel(const Booking& b) {
    v1::CancelBookingRequest req;
    req.set_booking_id(b.booking_id);
    req.set_user_id(b.user);
    req.set_organization_id(kOrg);
    req.set_reason("checker");
    int instance = Pick();
    for (int attempt = 0; attempt < 4; ++attempt) {
      Op op = Begin(Kind::kCancel, instance, b.user);
      op.hold_id = b.hold_id;
      op.booking_id = b.booking_id;
      if (attempt > 0) op.note = "retry";
      v1::CancelBookingResponse resp;
      grpc::Status st = Call(instance, &v1::InventoryService::Stub::CancelBooking, req, &resp);
      Finish(op, st);
      if (st.ok()) {
        op.outcome = resp.success() ? Outcome::kSuccess : Outcome::kRefused;
        op.reason = resp.failure();
        op.released_count = resp.released_count();
      }
      ops_.push_back(op);
      if (op.outcome != Outcome::kUnknown) return;
      SleepMs(200);
      instance = Pick(instance);
    }
  }

  void CancelDue(bool all) {
    const int64_t now = NowMs();
    for (size_t i = 0; i < bookings_.size();) {
      if (all || bookings_[i].due_ms <= now) {
        Booking b = bookings_[i];
        bookings_.erase(bookings_.begin() + static_cast<std::ptrdiff_t>(i));
        Cancel(b);
        if (Unit() < 0.05) Cancel(b);  // harmless twice
      } else {
        ++i;
      }
    }
  }

  const int index_;
  const int home_;
  std::mt19937_64 rng_;
  Shared& s_;
  int sessions_ = 0;
  std::vector<Booking> bookings_;
  std::vector<Op> ops_;
};

// ------------------------------------------------- the database, directly --

struct Cell {
  std::string status, hold_id, user_id, booking_id;
  int64_t expires_at_ms = 0;
  bool present = false;
};

// One read of one seat's partition (all segments) at SERIAL.
struct SeatRead {
  std::string seat;
  int64_t r0 = 0, r1 = 0;  // the read happened between these times
  std::vector<Cell> cells;  // by segment
};

struct Snapshot {
  int index = 0;
  bool final = false;
  std::vector<SeatRead> seats;
};

struct LedgerEntry {
  std::string user, entry, kind, state, hold_id, booking_id;
  std::vector<std::string> seat_ids;
  int first = 0, last = 0;
  int64_t expires_at_ms = 0;
};

template <typename T>
T RunSync(asio::io_context& io, asio::awaitable<T> aw) {
  std::optional<T> out;
  std::exception_ptr error;
  asio::co_spawn(
      io, [&out, aw = std::move(aw)]() mutable -> asio::awaitable<void> { out.emplace(co_await std::move(aw)); },
      [&](std::exception_ptr e) {
        error = e;
        io.stop();
      });
  io.restart();
  io.run();
  if (error) std::rethrow_exception(error);
  return std::move(*out);
}

inline void RunSyncVoid(asio::io_context& io, asio::awaitable<void> aw) {
  std::exception_ptr error;
  asio::co_spawn(io, std::move(aw), [&](std::exception_ptr e) {
    error = e;
    io.stop();
  });
  io.restart();
  io.run();
  if (error) std::rethrow_exception(error);
}

// Not thread-safe: one thread at a time.
class Db {
 public:
  ~Db() {
    if (session_) RunSyncVoid(io_, session_->Close());
    session_.reset();
  }

  absl::Status Connect(const std::string& keyspace) {
    keyspace_ = keyspace;
    cql::SessionOptions o;
    o.contact_points = {testing::CqlHost()};
    o.port = testing::CqlPort();
    o.connect_timeout = 10s;
    o.request_timeout = 30s;
    absl::StatusOr<std::unique_ptr<cql::Session>> s = RunSync(io_, cql::Session::Connect(io_.get_executor(), o));
    if (!s.ok()) return s.status();
    session_ = std::move(*s);
    return absl::OkStatus();
  }

  absl::StatusOr<SeatRead> ReadSeat(const std::string& seat) {
    SeatRead out;
    out.seat = seat;
    out.cells.resize(kSegments);
    cql::QueryOptions q;
    q.consistency = cql::Consistency::kSerial;
    q.timeout = 15s;
    std::vector<cql::Value> key = {cql::Value(std::string(kOrg)), cql::Value(std::string(kTrip)), cql::Value(seat)};
    out.r0 = NowMs();
    absl::StatusOr<cql::Result> rows = RunSync(
        io_, session_->Query(absl::StrCat("SELECT segment_index, status, hold_id, user_id, booking_id, expires_at "
                                          "FROM ",
                                          keyspace_,
                                          ".seat_segments WHERE organization_id = ? AND trip_id = ? AND seat_id = ?"),
                             std::move(key), q));
    out.r1 = NowMs();
    if (!rows.ok()) return rows.status();
    for (size_t i = 0; i < rows->row_count(); ++i) {
      const cql::Row r = rows->row(i);
      absl::StatusOr<int32_t> seg = r.GetInt("segment_index");
      if (!seg.ok() || *seg < 0 || *seg >= kSegments) continue;
      Cell& c = out.cells[static_cast<size_t>(*seg)];
      c.present = true;
      c.status = Str(r, "status");
      c.hold_id = Str(r, "hold_id");
      c.user_id = Str(r, "user_id");
      c.booking_id = Str(r, "booking_id");
      c.expires_at_ms = Ms(r, "expires_at");
    }
    return out;
  }

  absl::StatusOr<std::vector<LedgerEntry>> ReadLedger(const std::string& user) {
    cql::QueryOptions q;
    q.consistency = cql::Consistency::kQuorum;
    q.timeout = 15s;
    std::vector<cql::Value> key = {cql::Value(std::string(kOrg)), cql::Value(user)};
    absl::StatusOr<cql::Result> rows = RunSync(
        io_, session_->Query(absl::StrCat("SELECT entry, kind, state, hold_id, booking_id, seat_ids, first_segment, "
                                          "last_segment, expires_at FROM ",
                                          keyspace_, ".user_ledger WHERE organization_id = ? AND user_id = ?"),
                             std::move(key), q));
    if (!rows.ok()) return rows.status();
    std::vector<LedgerEntry> out;
    for (size_t i = 0; i < rows->row_count(); ++i) {
      const cql::Row r = rows->row(i);
      LedgerEntry e;
      e.user = user;
      e.entry = Str(r, "entry");
      e.kind = Str(r, "kind");
      e.state = Str(r, "state");
      e.hold_id = Str(r, "hold_id");
      e.booking_id = Str(r, "booking_id");
      if (!r.IsNull("seat_ids")) {
        absl::StatusOr<std::vector<cql::Value>> list = r.GetList("seat_ids");
        if (list.ok()) {
          for (const cql::Value& v : *list) e.seat_ids.push_back(v.text());
        }
      }
      e.first = Int(r, "first_segment");
      e.last = Int(r, "last_segment");
      e.expires_at_ms = Ms(r, "expires_at");
      out.push_back(std::move(e));
    }
    return out;
  }

  // Writes directly (the self-test's deliberate corruption).
  absl::Status Write(const std::string& text, std::vector<cql::Value> values) {
    cql::QueryOptions q;
    q.consistency = cql::Consistency::kQuorum;
    q.timeout = 15s;
    absl::StatusOr<cql::Result> r = RunSync(io_, session_->Query(text, std::move(values), q));
    return r.status();
  }
  const std::string& keyspace() const { return keyspace_; }

  absl::Status DropKeyspace() {
    cql::QueryOptions q;
    q.timeout = 120s;
    absl::StatusOr<cql::Result> r =
        RunSync(io_, session_->Query("DROP KEYSPACE IF EXISTS " + keyspace_, std::vector<cql::Value>(), q));
    return r.status();
  }

 private:
  static std::string Str(const cql::Row& r, std::string_view c) {
    if (r.IsNull(c)) return "";
    absl::StatusOr<std::string> v = r.GetString(c);
    return v.ok() ? *v : "";
  }
  static int32_t Int(const cql::Row& r, std::string_view c) {
    if (r.IsNull(c)) return -1;
    absl::StatusOr<int32_t> v = r.GetInt(c);
    return v.ok() ? *v : -1;
  }
  static int64_t Ms(const cql::Row& r, std::string_view c) {
    if (r.IsNull(c)) return 0;
    absl::StatusOr<cql::Timestamp> v = r.GetTimestamp(c);
    return v.ok() ? v->time_since_epoch().count() : 0;
  }

  asio::io_context io_;
  std::unique_ptr<cql::Session> session_;
  std::string keyspace_;
};

// ------------------------------------------------------------ the checker --

// An acknowledged hold and everything that was done to it (and to the
// booking it became).
struct Lineage {
  std::string hold_id, user;
  std::vector<std::string> seats;
  int first = 0, last = 0;
  int instance = 0;        // that acknowledged the hold
  int64_t acked_ms = kInf;  // earliest acknowledgement
  int64_t expires_at_ms = 0;
  std::vector<const Op*> ops;  // every op on this hold, the hold itself included

  bool confirm_acked = false;
  int64_t confirm_acked_end = kInf;
  bool release_acked = false;  // success=true
  int64_t release_acked_end = kInf;
  bool cancel_acked = false;  // success=true
  int64_t cancel_acked_end = kInf;
  int64_t first_release_start = kInf;  // any attempt that may have had an effect
  int64_t first_cancel_start = kInf;
  int64_t first_confirm_start = kInf;
  bool confirm_unknown = false, release_unknown = false, cancel_unknown = false;
  bool may_still_run = false;  // a call the client gave up on may still be at work

  // Until when the hold (or its booking) certainly owns its cells.
  int64_t OwnedUntil() const {
    return confirm_acked ? first_cancel_start : std::min(expires_at_ms, first_release_start);
  }
  bool Covers(const std::string& seat, int segment) const {
    return segment >= first && segment <= last && std::find(seats.begin(), seats.end(), seat) != seats.end();
  }
  std::string History() const {
    std::string out = absl::StrCat("    lineage ", hold_id, " (user ", user, ", seats [", absl::StrJoin(seats, ","),
                                   "], segments ", first, "..", last, ", acked by inst", instance, " at ", acked_ms,
                                   ", expires ", expires_at_ms, ", owned until ",
                                   OwnedUntil() == kInf ? std::string("end") : std::to_string(OwnedUntil()), ")\n");
    for (const Op* op : ops) absl::StrAppend(&out, "      ", op->Describe(), "\n");
    return out;
  }
};

class Checker {
 public:
  Checker(const std::vector<Op>& ops, const std::map<std::string, LedgerEntry>& ledger, int64_t killed_at_ms)
      : ops_(ops), ledger_(ledger), killed_at_ms_(killed_at_ms) {
    for (const Op& op : ops_) {
      if (op.kind == Kind::kHold && op.outcome == Outcome::kSuccess) {
        Lineage& l = lineages_[op.hold_id];
        if (l.hold_id.empty()) {
          l.hold_id = op.hold_id;
          l.user = op.user;
          l.seats = op.seats;
          l.first = op.first;
          l.last = op.last;
          l.expires_at_ms = op.expires_at_ms;
          l.instance = op.instance;
        }
        if (op.end_ms < l.acked_ms) {
          l.acked_ms = op.end_ms;
          l.instance = op.instance;
        }
        l.ops.push_back(&op);
      }
    }
    for (const Op& op : ops_) {
      if (op.kind == Kind::kHold) continue;
      auto it = lineages_.find(op.hold_id);
      if (it == lineages_.end()) {
        Violation(absl::StrCat("client acted on a hold it never had acknowledged: ", op.Describe()));
        continue;
      }
      Lineage& l = it->second;
      l.ops.push_back(&op);
      if (MayStillRun(op.code)) l.may_still_run = true;
      const bool effect = !op.no_effect;
      switch (op.kind) {
        case Kind::kConfirm:
          if (effect) l.first_confirm_start = std::min(l.first_confirm_start, op.start_ms);
          if (op.outcome == Outcome::kSuccess) {
            l.confirm_acked = true;
            l.confirm_acked_end = std::min(l.confirm_acked_end, op.end_ms);
          }
          if (op.outcome == Outcome::kUnknown && effect) l.confirm_unknown = true;
          break;
        case Kind::kRelease:
          if (effect) l.first_release_start = std::min(l.first_release_start, op.start_ms);
          if (op.outcome == Outcome::kSuccess) {
            l.release_acked = true;
            l.release_acked_end = std::min(l.release_acked_end, op.end_ms);
          }
          if (op.outcome == Outcome::kUnknown && effect) l.release_unknown = true;
          break;
        case Kind::kCancel:
          if (effect) l.first_cancel_start = std::min(l.first_cancel_start, op.start_ms);
          if (op.outcome == Outcome::kSuccess) {
            l.cancel_acked = true;
            l.cancel_acked_end = std::min(l.cancel_acked_end, op.end_ms);
          }
          if (op.outcome == Outcome::kUnknown && effect) l.cancel_unknown = true;
          break;
        case Kind::kHold:
          break;
      }
    }
    for (auto& [id, l] : lineages_) {
      std::sort(l.ops.begin(), l.ops.end(), [](const Op* a, const Op* b) { return a->seq < b->seq; });
    }
  }

  const std::map<std::string, Lineage>& lineages() const { return lineages_; }
  const std::vector<std::string>& violations() const { return violations_; }
  int64_t checked_cells() const { return checked_cells_; }

  // What acknowledged answers say by themselves.
  void CheckAnswers() {
    for (const Op& op : ops_) {
      if (op.note.find("MISMATCH") != std::string::npos) Violation("answer does not match the request: " + op.Describe());
      if (op.kind == Kind::kHold && op.outcome == Outcome::kSuccess) {
        // A retried request may get the first attempt's hold back.
        const int64_t lo = (op.request_start_ms / 1000 + op.duration_s) * 1000 - 1000;
        const int64_t hi = (op.end_ms / 1000 + op.duration_s) * 1000 + 1000;
        if (op.expires_at_ms < lo || op.expires_at_ms > hi) {
          Violation(absl::StrCat("hold expires_at outside [", lo, ", ", hi, "]: ", op.Describe()));
        }
      }
    }
    for (const auto& [id, l] : lineages_) {
      for (const Op* op : l.ops) {
        if (op->kind == Kind::kConfirm && op->outcome == Outcome::kSuccess) {
          if (op->booking_id != BookingIdOf(id)) Violation("unexpected booking id: " + op->Describe());
          if (op->note.find("after expiry") != std::string::npos) {
            Violation("confirm after the hold expired succeeded:\n" + l.History());
          }
          if (l.release_acked && l.release_acked_end < op->start_ms) {
            Violation("confirm after an acknowledged release succeeded:\n" + l.History());
          }
        }
        if (op->kind == Kind::kRelease && op->outcome == Outcome::kSuccess && l.confirm_acked &&
            l.confirm_acked_end < op->start_ms) {
          Violation("release of a confirmed hold answered success:\n" + l.History());
        }
      }
    }
  }

  // 1. Certain-ownership intervals of acknowledged holds never overlap.
  void CheckNoDoubleSale() {
    std::map<std::pair<std::string, int>, std::vector<const Lineage*>> by_cell;
    for (const auto& [id, l] : lineages_) {
      if (l.OwnedUntil() <= l.acked_ms) continue;
      for (const std::string& seat : l.seats) {
        for (int s = l.first; s <= l.last; ++s) by_cell[{seat, s}].push_back(&l);
      }
    }
    for (auto& [cell, list] : by_cell) {
      std::sort(list.begin(), list.end(), [](const Lineage* a, const Lineage* b) { return a->acked_ms < b->acked_ms; });
      for (size_t i = 0; i < list.size(); ++i) {
        for (size_t j = i + 1; j < list.size() && list[j]->acked_ms < list[i]->OwnedUntil(); ++j) {
          Violation(absl::StrCat("DOUBLE SALE: seat ", cell.first, " segment ", cell.second,
                                 " owned by two acknowledged holds/bookings at once (from ", list[j]->acked_ms,
                                 " to ", std::min(list[i]->OwnedUntil(), list[j]->OwnedUntil()), ")\n",
                                 list[i]->History(), list[j]->History()));
        }
      }
    }
  }

  // 2./3. One snapshot against the log and the ledger.
  void CheckSnapshot(const Snapshot& snap, const std::vector<Op>& all_ops) {
    for (const SeatRead& read : snap.seats) {
      const std::string where = absl::StrCat(snap.final ? "final read" : absl::StrCat("snapshot ", snap.index),
                                             " of seat ", read.seat, " at [", read.r0, ",", read.r1, "]");
      for (int s = 0; s < kSegments; ++s) {
        ++checked_cells_;
        const Cell& c = read.cells[static_cast<size_t>(s)];
        if (!c.present) {
          Violation(absl::StrCat(where, ": no row for segment ", s));
          continue;
        }
        if (c.status != "available" && c.status != "held" && c.status != "booked" && c.status != "blocked") {
          Violation(absl::StrCat(where, " segment ", s, ": unknown status '", c.status, "'"));
        }
        if (c.status == "blocked") Violation(absl::StrCat(where, " segment ", s, ": blocked, nobody blocks here"));
      }
      CheckAcknowledged(read, where);
      CheckHeldRows(read, where, all_ops);
      CheckBookedRows(read, where, snap.final);
    }
  }

  // Final only: every confirmed booking in the ledger owns all its cells, and
  // the ledger agrees with acknowledged outcomes.
  void CheckFinalLedger(const Snapshot& final_snap, int64_t final_read_ms) {
    std::map<std::string, const SeatRead*> by_seat;
    for (const SeatRead& r : final_snap.seats) by_seat[r.seat] = &r;
    for (const auto& [key, e] : ledger_) {
      if (e.kind == "booking" && e.state == "confirmed") {
        const std::string hold = e.booking_id.substr(3);
        auto it = lineages_.find(hold);
        const bool tolerated = it != lineages_.end() && (it->second.cancel_unknown || it->second.may_still_run);
        for (const std::string& seat : e.seat_ids) {
          auto r = by_seat.find(seat);
          if (r == by_seat.end()) continue;
          for (int s = e.first; s <= e.last; ++s) {
            const Cell& c = r->second->cells[static_cast<size_t>(s)];
            if ((c.status != "booked" || c.booking_id != e.booking_id) && !tolerated) {
              Violation(absl::StrCat("confirmed booking ", e.booking_id, " (user ", e.user, ") does not own seat ",
                                     seat, " segment ", s, ": row is ", c.status, " hold=", c.hold_id,
                                     " booking=", c.booking_id, "\n",
                                     it != lineages_.end() ? it->second.History() : std::string()));
            }
          }
        }
      }
      if (e.kind == "live" && e.expires_at_ms > final_read_ms) {
        Violation(absl::StrCat("live-hold marker ", e.entry, " of ", e.user, " for hold ", e.hold_id,
                               " still counts until ", e.expires_at_ms, " after every hold expired"));
      }
    }
    for (const auto& [id, l] : lineages_) {
      const LedgerEntry* hold = Find(l.user, "hold#" + id);
      if (hold == nullptr) {
        Violation("acknowledged hold has no ledger record:\n" + l.History());
        continue;
      }
      if (std::set<std::string>(hold->seat_ids.begin(), hold->seat_ids.end()) !=
              std::set<std::string>(l.seats.begin(), l.seats.end()) ||
          hold->first != l.first || hold->last != l.last || hold->expires_at_ms != l.expires_at_ms) {
        Violation(absl::StrCat("ledger hold record differs from the acknowledged hold (ledger seats [",
                               absl::StrJoin(hold->seat_ids, ","), "] segments ", hold->first, "..", hold->last,
                               " expires ", hold->expires_at_ms, "):\n", l.History()));
      }
      if (l.confirm_acked && hold->state != "confirmed") {
        Violation(absl::StrCat("acknowledged confirm, ledger hold state '", hold->state, "':\n", l.History()));
      }
      if (l.release_acked && !l.confirm_acked && hold->state != "released" && !l.may_still_run) {
        Violation(absl::StrCat("acknowledged release, ledger hold state '", hold->state, "':\n", l.History()));
      }
      if (l.confirm_acked) {
        const LedgerEntry* booking = Find(l.user, "booking#" + BookingIdOf(id));
        if (booking == nullptr) {
          Violation("acknowledged booking has no ledger record:\n" + l.History());
          continue;
        }
        const bool any_cancel = l.first_cancel_start != kInf;
        if (!any_cancel && booking->state != "confirmed") {
          Violation(absl::StrCat("acknowledged, never cancelled booking has ledger state '", booking->state,
                                 "':\n", l.History()));
        }
        if (l.cancel_acked && booking->state != "cancelled") {
          Violation(absl::StrCat("acknowledged cancel, ledger booking state '", booking->state, "':\n",
                                 l.History()));
        }
      }
    }
  }

  void Violation(std::string text) { violations_.push_back(std::move(text)); }

 private:
  const LedgerEntry* Find(const std::string& user, const std::string& entry) const {
    auto it = ledger_.find(user + "|" + entry);
    return it == ledger_.end() ? nullptr : &it->second;
  }

  // Acknowledged holds/bookings inside their certain interval own exactly
  // their cells; after an acknowledged release/cancel they own none.
  void CheckAcknowledged(const SeatRead& read, const std::string& where) {
    for (const auto& [id, l] : lineages_) {
      const std::string booking = BookingIdOf(id);
      const bool has_seat = std::find(l.seats.begin(), l.seats.end(), read.seat) != l.seats.end();
      // Cells outside the hold's journey or seats never carry it.
      for (int s = 0; s < kSegments; ++s) {
        const Cell& c = read.cells[static_cast<size_t>(s)];
        const bool ours = (c.status == "held" && c.hold_id == id) || (c.status == "booked" && c.booking_id == booking);
        if (ours && !l.Covers(read.seat, s)) {
          Violation(absl::StrCat(where, " segment ", s, ": ", c.status, " by ", id,
                                 " outside its seats/journey\n", l.History()));
        }
      }
      if (!has_seat) continue;
      const bool certain = l.acked_ms <= read.r0 && read.r1 < l.OwnedUntil();
      const bool must_be_booked = l.confirm_acked && l.confirm_acked_end <= read.r0 && read.r1 < l.first_cancel_start;
      for (int s = l.first; s <= l.last; ++s) {
        const Cell& c = read.cells[static_cast<size_t>(s)];
        const bool held = c.status == "held" && c.hold_id == id;
        const bool booked = c.status == "booked" && c.booking_id == booking;
        if (certain && !held && !booked) {
          Violation(absl::StrCat(where, " segment ", s, ": acknowledged hold/booking ", id,
                                 " should own it, row is ", c.status, " hold=", c.hold_id, " booking=", c.booking_id,
                                 " user=", c.user_id, "\n", l.History()));
        } else if (must_be_booked && !booked) {
          Violation(absl::StrCat(where, " segment ", s, ": acknowledged booking ", booking,
                                 " should be booked, row is ", c.status, " hold=", c.hold_id,
                                 " booking=", c.booking_id, "\n", l.History()));
        }
        if (held && l.release_acked && l.release_acked_end <= read.r0 && !l.may_still_run) {
          Violation(absl::StrCat(where, " segment ", s, ": still held by ", id,
                                 " after its release was acknowledged\n", l.History()));
        }
        if (booked && l.release_acked && !l.confirm_acked && !l.confirm_unknown && !l.may_still_run &&
            l.release_acked_end <= read.r0) {
          Violation(absl::StrCat(where, " segment ", s, ": booked by ", booking,
                                 " though the hold was released and never confirmed\n", l.History()));
        }
        if (booked && l.cancel_acked && l.cancel_acked_end <= read.r0 && !l.may_still_run) {
          Violation(absl::StrCat(where, " segment ", s, ": still booked by ", booking,
                                 " after its cancel was acknowledged\n", l.History()));
        }
      }
    }
  }

  // Held rows: agree with the ledger, never partial while live, and a live
  // hold without a ledger record must come from a request in flight or of
  // unknown outcome.
  void CheckHeldRows(const SeatRead& read, const std::string& where, const std::vector<Op>& all_ops) {
    std::map<std::string, std::vector<int>> segments_by_hold;
    for (int s = 0; s < kSegments; ++s) {
      const Cell& c = read.cells[static_cast<size_t>(s)];
      if (c.status == "held") segments_by_hold[c.hold_id].push_back(s);
    }
    for (const auto& [hold_id, segs] : segments_by_hold) {
      const Cell& c = read.cells[static_cast<size_t>(segs.front())];
      const bool live = c.expires_at_ms > read.r1;
      const LedgerEntry* record = Find(c.user_id, "hold#" + hold_id);
      auto lineage = lineages_.find(hold_id);
      std::optional<std::pair<int, int>> range;
      if (record != nullptr) {
        range = std::make_pair(record->first, record->last);
        if (std::find(record->seat_ids.begin(), record->seat_ids.end(), read.seat) == record->seat_ids.end()) {
          Violation(absl::StrCat(where, ": held by ", hold_id, " whose ledger record has no seat ", read.seat,
                                 " (seats [", absl::StrJoin(record->seat_ids, ","), "])"));
        }
      } else if (lineage != lineages_.end()) {
        range = std::make_pair(lineage->second.first, lineage->second.last);
      }
      for (int s : segs) {
        const Cell& x = read.cells[static_cast<size_t>(s)];
        if (range.has_value() && (s < range->first || s > range->second)) {
          Violation(absl::StrCat(where, " segment ", s, ": held by ", hold_id, " outside its journey ",
                                 range->first, "..", range->second));
        }
        if (x.user_id != c.user_id || x.expires_at_ms != c.expires_at_ms) {
          Violation(absl::StrCat(where, ": rows of hold ", hold_id, " disagree on user/expiry (", c.user_id, "/",
                                 c.expires_at_ms, " vs ", x.user_id, "/", x.expires_at_ms, ")"));
        }
      }
      if (!live) continue;
      // A live hold covers its whole journey on this seat (one batch).
      if (range.has_value()) {
        std::vector<int> want;
        for (int s = range->first; s <= range->second; ++s) want.push_back(s);
        if (segs != want) {
          Violation(absl::StrCat(where, ": PARTIAL HOLD ", hold_id, " (user ", c.user_id, ", live until ",
                                 c.expires_at_ms, ") holds segments [", absl::StrJoin(segs, ","), "] of ",
                                 range->first, "..", range->second,
                                 lineage != lineages_.end() ? "\n" + lineage->second.History() : std::string()));
        }
      } else if (segs.back() - segs.front() + 1 != static_cast<int>(segs.size())) {
        Violation(absl::StrCat(where, ": PARTIAL HOLD ", hold_id, " holds non-contiguous segments [",
                               absl::StrJoin(segs, ","), "]"));
      }
      if (record != nullptr || lineage != lineages_.end()) continue;
      // No record of this hold: which request wrote it? Match user, seat,
      // segments and the expiry the service computes.
      std::vector<const Op*> candidates;
      for (const Op& op : all_ops) {
        if (op.kind != Kind::kHold || op.user != c.user_id || op.no_effect) continue;
        if (std::find(op.seats.begin(), op.seats.end(), read.seat) == op.seats.end()) continue;
        if (op.first != segs.front() || op.last != segs.back()) continue;
        const int64_t lo = (op.start_ms / 1000 + op.duration_s) * 1000;
        const int64_t hi = (op.end_ms / 1000 + op.duration_s) * 1000;
        if (c.expires_at_ms < lo || c.expires_at_ms > hi) continue;
        candidates.push_back(&op);
      }
      bool explained = false;
      for (const Op* op : candidates) {
        const bool in_flight = op->start_ms <= read.r1 && op->end_ms >= read.r0;
        if (in_flight || op->outcome == Outcome::kUnknown) explained = true;
      }
      if (!explained) {
        std::string text = absl::StrCat(where, ": live hold ", hold_id, " (user ", c.user_id, ", segments ",
                                        segs.front(), "..", segs.back(), ", expires ", c.expires_at_ms,
                                        ") has no ledger record and no request in flight or of unknown outcome "
                                        "explains it (a refused request left seats held?)");
        for (const Op* op : candidates) absl::StrAppend(&text, "\n      candidate ", op->Describe());
        Violation(std::move(text));
      }
    }
  }

  // Booked rows: a booking record exists and covers the cell; per seat the
  // booking owns its whole journey (one batch); finally it is confirmed.
  void CheckBookedRows(const SeatRead& read, const std::string& where, bool final) {
    std::map<std::string, std::vector<int>> segments_by_booking;
    for (int s = 0; s < kSegments; ++s) {
      const Cell& c = read.cells[static_cast<size_t>(s)];
      if (c.status == "booked") segments_by_booking[c.booking_id].push_back(s);
    }
    for (const auto& [booking_id, segs] : segments_by_booking) {
      const Cell& c = read.cells[static_cast<size_t>(segs.front())];
      const LedgerEntry* record = Find(c.user_id, "booking#" + booking_id);
      auto lineage = lineages_.find(booking_id.size() > 3 ? booking_id.substr(3) : booking_id);
      const std::string history = lineage != lineages_.end() ? "\n" + lineage->second.History() : std::string();
      if (record == nullptr) {
        Violation(absl::StrCat(where, ": booked by ", booking_id, " (user ", c.user_id,
                               ") which has no booking record", history));
        continue;
      }
      if (std::find(record->seat_ids.begin(), record->seat_ids.end(), read.seat) == record->seat_ids.end()) {
        Violation(absl::StrCat(where, ": booked by ", booking_id, " whose record has no seat ", read.seat, history));
      }
      std::vector<int> want;
      for (int s = record->first; s <= record->last; ++s) want.push_back(s);
      if (segs != want) {
        Violation(absl::StrCat(where, ": PARTIAL BOOKING ", booking_id, " books segments [",
                               absl::StrJoin(segs, ","), "] of ", record->first, "..", record->last, history));
      }
      if (final && record->state != "confirmed") {
        Violation(absl::StrCat(where, ": seat booked (segments ", segs.front(), "..", segs.back(),
                               ") for booking ", booking_id, " whose state is '", record->state,
                               "': the seat is lost to sale", history));
      }
    }
  }

  const std::vector<Op>& ops_;
  const std::map<std::string, LedgerEntry>& ledger_;
  const int64_t killed_at_ms_;
  std::map<std::string, Lineage> lineages_;
  std::vector<std::string> violations_;
  int64_t checked_cells_ = 0;
};

// ---------------------------------------------------------------- the test --

class ConcurrencyChecker : public ::testing::Test {
 protected:
  void TearDown() override {
    for (auto& p : processes_) {
      if (p) {
        p->Signal(SIGKILL);
        p->Wait(10s);
      }
    }
  }

  bool WaitServing(int i, std::chrono::seconds timeout) {
    return testing::WaitForHealth(targets_[static_cast<size_t>(i)], timeout, processes_[static_cast<size_t>(i)].get()) ==
           grpc::health::v1::HealthCheckResponse::SERVING;
  }

  std::vector<std::unique_ptr<testing::ChildProcess>> processes_;
  std::vector<std::string> targets_;  // "127.0.0.1:<grpc port>" per instance
  Shared shared_;
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

  // Redis of our own, so that it can be frozen, killed and restarted.
  absl::StatusOr<std::unique_ptr<redis::testing::RedisServer>> redis_or =
      redis::testing::RedisServer::Start(redis::testing::RedisServer::Options{});
  ASSERT_TRUE(redis_or.ok()) << redis_or.status();
  std::unique_ptr<redis::testing::RedisServer> redis = std::move(*redis_or);

  // Instances, one after another (the first creates the schema).
  std::vector<std::string> logs;
  for (int i = 0; i < kInstances; ++i) {
    const int port = testing::FreePort();
    logs.push_back(absl::StrCat(::testing::TempDir(), "/checker-", getpid(), "-inst", i, ".log"));
    processes_.push_back(std::make_unique<testing::ChildProcess>());
    ASSERT_TRUE(processes_.back()->Start(
        INVENTORYD_PATH,
        {"--grpc-port", std::to_string(port), "--http-port", std::to_string(testing::FreePort()), "--scylla-hosts",
         absl::StrCat(testing::CqlHost(), ":", testing::CqlPort()), "--redis-addr",
         absl::StrCat("127.0.0.1:", redis->port()), "--redis-timeout-ms", "100", "--scylla-keyspace", keyspace,
         "--listen-address", "127.0.0.1", "--hold-ttl-min", "1", "--log-level", "warn"},
        logs.back()));
    targets_.push_back(absl::StrCat("127.0.0.1:", port));
    shared_.channels.push_back(grpc::CreateChannel(targets_.back(), grpc::InsecureChannelCredentials()));
    shared_.stubs.push_back(v1::InventoryService::NewStub(shared_.channels.back()));
    shared_.alive[i].store(true);
    shared_.inflight[i].store(0);
    shared_.inflight_followups[i].store(0);
    // The first instance creates the schema alone; the others start together.
    if (i == 0 || i == kInstances - 1) {
      for (int j = i == 0 ? 0 : 1; j <= i; ++j) {
        ASSERT_TRUE(WaitServing(j, 120s)) << "instance " << j << " did not serve; log " << logs[static_cast<size_t>(j)]
                                          << ":\n" << processes_[static_cast<size_t>(j)]->Log();
      }
    }
  }
  std::printf("[checker] %d instances serving after %.1f s (logs %s ...)\n", kInstances, since_start(),
              logs[0].c_str());

  // The trip: A..G (six segments), 16 seats.
  {
    v1::InitializeTripInventoryRequest req;
    req.set_trip_id(kTrip);
    req.set_organization_id(kOrg);
    req.set_vehicle_id("bus-cc");
    req.set_vehicle_type("bus");
    for (int i = 0; i < kSegments; ++i) {
      v1::SegmentDefinition* s = req.add_segments();
      s->set_segment_index(i);
      s->set_from_station_id(Station(i));
      s->set_to_station_id(Station(i + 1));
      s->set_departure_time(1000 + i * 100);
      s->set_arrival_time(1050 + i * 100);
    }
    for (int i = 0; i < kRows * kColumns; ++i) {
      v1::SeatDefinition* s = req.mutable_seat_config()->add_seats();
      s->set_seat_id(SeatId(i));
      s->set_seat_number(SeatId(i));
      s->set_row(i / kColumns + 1);
      s->set_column(i % kColumns + 1);
      s->set_seat_type("aisle");
      s->set_seat_class("economy");
      s->set_price_paisa(50000);
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 60s);
    v1::InitializeTripInventoryResponse resp;
    grpc::Status st = shared_.stubs[0]->InitializeTripInventory(&ctx, req, &resp);
    ASSERT_TRUE(st.ok() && resp.success()) << st.error_message();
  }

  Db db;
  {
    absl::Status connected = db.Connect(keyspace);
    ASSERT_TRUE(connected.ok()) << connected;
  }

  // --- the load ---
  const int64_t load_start = NowMs();
  shared_.load_end_ms.store(load_start + load_seconds * 1000LL);
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) clients.push_back(std::make_unique<Client>(i, seed, shared_));
  for (auto& c : clients) threads.emplace_back([&c] { c->Run(); });

  // Snapshots of every seat while the load runs.
  std::vector<Snapshot> snapshots;
  int snapshot_read_errors = 0;
  std::thread reader([&] {
    int index = 0;
    while (NowMs() < shared_.load_end_ms.load()) {
      Snapshot snap;
      snap.index = ++index;
      for (const std::string& seat : AllSeats()) {
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
    cut_inflight = shared_.inflight[kKilledInstance].load();
    if (shared_.inflight_followups[kKilledInstance].load() > 0 || cut_inflight >= 4) break;
    std::this_thread::sleep_for(200us);
  }
  processes_[kKilledInstance]->Signal(SIGKILL);
  processes_[kKilledInstance]->Wait(10s);
  shared_.killed_at_ms.store(NowMs());
  shared_.alive[kKilledInstance].store(false);
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

  for (std::thread& t : threads) t.join();
  reader.join();
  const int64_t load_done = NowMs();
  mark("load finished");

  std::vector<Op> ops;
  for (auto& c : clients) {
    for (Op& op : c->ops()) ops.push_back(std::move(op));
  }
  std::sort(ops.begin(), ops.end(), [](const Op& a, const Op& b) { return a.seq < b.seq; });

  // Wait past the latest expiry any hold request could have set.
  int64_t latest_expiry = 0;
  for (const Op& op : ops) {
    if (op.kind == Kind::kHold) latest_expiry = std::max(latest_expiry, (op.end_ms / 1000 + op.duration_s + 1) * 1000);
  }
  while (NowMs() < latest_expiry + 1500) std::this_thread::sleep_for(100ms);
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
  Snapshot final_snap;
  final_snap.final = true;
  const int64_t final_read_ms = NowMs();
  for (const std::string& seat : AllSeats()) {
    absl::StatusOr<SeatRead> r = db.ReadSeat(seat);
    for (int attempt = 0; !r.ok() && attempt < 5; ++attempt) {
      std::this_thread::sleep_for(1s);
      r = db.ReadSeat(seat);
    }
    ASSERT_TRUE(r.ok()) << "final read of seat " << seat << ": " << r.status();
    final_snap.seats.push_back(std::move(*r));
  }
  std::map<std::string, LedgerEntry> ledger;
  for (int u = 0; u < kUsers; ++u) {
    absl::StatusOr<std::vector<LedgerEntry>> entries = db.ReadLedger(UserId(u));
    ASSERT_TRUE(entries.ok()) << entries.status();
    for (LedgerEntry& e : *entries) ledger[e.user + "|" + e.entry] = std::move(e);
  }

  Checker checker(ops, ledger, shared_.killed_at_ms.load());
  checker.CheckAnswers();
  checker.CheckNoDoubleSale();
  for (const Snapshot& s : snapshots) checker.CheckSnapshot(s, ops);
  checker.CheckSnapshot(final_snap, ops);
  checker.CheckFinalLedger(final_snap, final_read_ms);
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
        grpc::Status st = shared_.stubs[0]->HoldSeats(&ctx, req, &resp);
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
          (void)shared_.stubs[0]->ReleaseSeats(&rctx, rel, &rresp);
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
      << ", keyspace " << keyspace << " kept for inspection; instance logs " << logs[0] << " ...";

  for (int i = 0; i < kInstances; ++i) {
    if (i == kKilledInstance) continue;
    processes_[static_cast<size_t>(i)]->Signal(SIGTERM);
    processes_[static_cast<size_t>(i)]->Wait(30s);
  }
  if (!HasFailure()) {
    std::printf("[checker] passed after %.1f s; dropping keyspace %s\n", since_start(), keyspace.c_str());
    absl::Status dropped = db.DropKeyspace();
    if (!dropped.ok()) std::printf("[checker] could not drop keyspace %s: %s\n", keyspace.c_str(), dropped.ToString().c_str());
  }
}

}  // namespace
}  // namespace inventory
