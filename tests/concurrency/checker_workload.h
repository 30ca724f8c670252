// The checker's random workload: client threads, each a stream of
// travellers who hold one to three seats over random journeys of a trip,
// then confirm, release, cancel, confirm after expiry, or abandon their
// holds — every call logged as an Op with its start and end time and what
// the service answered. Unknown outcomes are retried as an order flow would.
//
// Workload is what the clients share (the cluster, which instances are
// alive, calls in flight, the end of the load); Client is one thread's
// stream; Clients runs several and gathers their calls. Test code only.
#pragma once

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "checker_cluster.h"
#include "checker_db.h"
#include "checker_log.h"
#include "inventory/v1/inventory.grpc.pb.h"

namespace inventory::checker {

namespace v1 = ::inventory::v1;

struct WorkloadOptions {
  TripShape trip;
  int users = 12;                  // user ids <user_prefix>0 … ; fewer than clients: the per-user limit is hit
  std::string user_prefix = "user-";
  int min_hold_seconds = 3;
  int max_hold_seconds = 8;
  int max_kept_bookings = 5;       // bookings never cancelled, so the trip does not fill up
  int killed_instance = -1;        // calls to it after killed_at_ms provably did nothing
  // What a traveller does with a hold: confirm it, release it, try to
  // confirm it after it expired; the rest abandon it (it expires).
  double p_confirm = 0.50;
  double p_release = 0.30;
  double p_late_confirm = 0.06;
};

class Workload {
 public:
  Workload(Cluster& cluster, WorkloadOptions options)
      : cluster_(cluster),
        options_(std::move(options)),
        n_(cluster.size()),
        alive_(new std::atomic<bool>[static_cast<size_t>(n_)]),
        inflight_(new std::atomic<int>[static_cast<size_t>(n_)]),
        inflight_followups_(new std::atomic<int>[static_cast<size_t>(n_)]) {
    for (int i = 0; i < n_; ++i) {
      alive_[static_cast<size_t>(i)].store(true);
      inflight_[static_cast<size_t>(i)].store(0);
      inflight_followups_[static_cast<size_t>(i)].store(0);
    }
  }
  Cluster& cluster() { return cluster_; }
  const WorkloadOptions& options() const { return options_; }
  int instances() const { return n_; }
  std::atomic<bool>& alive(int i) { return alive_[static_cast<size_t>(i)]; }
  // Calls in flight per instance (all, and confirm/release/cancel), so a
  // SIGKILL can be aimed at a moment when it cuts some.
  std::atomic<int>& inflight(int i) { return inflight_[static_cast<size_t>(i)]; }
  std::atomic<int>& inflight_followups(int i) { return inflight_followups_[static_cast<size_t>(i)]; }

  std::atomic<int64_t> killed_at_ms{0};  // after SIGKILL was delivered and reaped
  std::atomic<int64_t> load_end_ms{0};
  std::atomic<int> kept_bookings{0};
  std::atomic<uint64_t> seq{0};

 private:
  Cluster& cluster_;
  const WorkloadOptions options_;
  const int n_;
  std::unique_ptr<std::atomic<bool>[]> alive_;
  std::unique_ptr<std::atomic<int>[]> inflight_;
  std::unique_ptr<std::atomic<int>[]> inflight_followups_;
};

class Client {
 public:
  Client(int index, uint64_t seed, Workload& workload)
    : index_(index),
      home_(index % workload.instances()),
      rng_(seed * 1000003ULL + static_cast<uint64_t>(index)),
      s_(workload),
      o_(workload.options()) {}

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
    for (int i = 0; i < s_.instances(); ++i) {
      // Clients of a dead instance spread over the others.
      const int step = 1 + (index_ / s_.instances()) % 2;
      const int candidate =
          after < 0 ? (home_ + i * step) % s_.instances() : (after + 1 + i) % s_.instances();
      if (s_.alive(candidate).load()) return candidate;
    }
    return 0;
  }
  int Rand(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  double Unit() { return std::uniform_real_distribution<double>(0, 1)(rng_); }
  void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

  Op Begin(Kind kind, int instance, const std::string& user) {
    const int64_t killed = s_.killed_at_ms.load();
    Op op = Op::Begin(s_.seq.fetch_add(1) + 1, index_, instance, kind, user);
    op.no_effect = instance == o_.killed_instance && killed != 0 && op.start_ms > killed;
    return op;
  }
  template <typename Method, typename Req, typename Resp>
  grpc::Status Call(int instance, Method method, const Req& req, Resp* resp) {
    constexpr bool kFollowup = !std::is_same_v<Req, v1::HoldSeatsRequest>;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    s_.inflight(instance).fetch_add(1);
    if (kFollowup) s_.inflight_followups(instance).fetch_add(1);
    grpc::Status st = (s_.cluster().stub(instance).*method)(&ctx, req, resp);
    if (kFollowup) s_.inflight_followups(instance).fetch_sub(1);
    s_.inflight(instance).fetch_sub(1);
    return st;
  }

  // One traveller: hold, then confirm / release / let expire.
  void OneJourney() {
    const std::string user = absl::StrCat(o_.user_prefix, Rand(0, o_.users - 1));
    // Journey: some requests name no stations (the whole trip).
    const int stops = o_.trip.segments + 1;
    int a = 0, b = stops - 1;
    bool whole = Unit() < 0.15;
    if (!whole) {
      a = Rand(0, stops - 2);
      b = Rand(a + 1, stops - 1);
    }
    // Seats: one to three, distinct, biased to the front rows.
    const double r = Unit();
    const int count = r < 0.5 ? 1 : (r < 0.85 ? 2 : 3);
    std::set<int> chosen;
    while (static_cast<int>(chosen.size()) < count) {
      const int seat_count = static_cast<int>(o_.trip.seat_ids.size());
      chosen.insert(Unit() < 0.4 ? Rand(0, std::min(5, seat_count - 1)) : Rand(0, seat_count - 1));
    }
    std::vector<std::string> seats;
    for (int i : chosen) seats.push_back(o_.trip.seat_ids[static_cast<size_t>(i)]);
    std::shuffle(seats.begin(), seats.end(), rng_);
    const int duration = Rand(o_.min_hold_seconds, o_.max_hold_seconds);

    v1::HoldSeatsRequest req;
    req.set_trip_id(o_.trip.trip_id);
    req.set_organization_id(o_.trip.organization_id);
    req.set_user_id(user);
    req.set_session_id(absl::StrCat("s-", index_, "-", ++sessions_));
    if (!whole) {
      req.set_from_station_id(StationId(a));
      req.set_to_station_id(StationId(b));
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
      op.Finish(st);
      op.TakeHoldAnswer(st, resp);
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
    if (next < o_.p_confirm) {
      std::optional<std::string> booking = Confirm(user, hold_id, seats, "");
      if (booking.has_value() && Unit() < 0.08) (void)Confirm(user, hold_id, seats, "again");  // idempotent
      if (booking.has_value()) {
        int kept = s_.kept_bookings.load();
        bool keep = false;
        if (Unit() < 0.3) {
          while (kept < o_.max_kept_bookings && !s_.kept_bookings.compare_exchange_weak(kept, kept + 1)) {
          }
          keep = kept < o_.max_kept_bookings;
        }
        if (!keep) bookings_.push_back({user, hold_id, *booking, NowMs() + Rand(0, 4000)});
      } else if (Unit() < 0.5) {
        Release(user, hold_id, seats, "after failed confirm");
      }
    } else if (next < o_.p_confirm + o_.p_release) {
      Release(user, hold_id, seats, "");
      const double extra = Unit();
      if (extra < 0.10) {
        Release(user, hold_id, seats, "again");
      } else if (extra < 0.16) {
        (void)Confirm(user, hold_id, seats, "after release");
      }
    } else if (next < o_.p_confirm + o_.p_release + o_.p_late_confirm) {
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
    req.set_organization_id(o_.trip.organization_id);
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
      op.Finish(st);
      op.TakeConfirmAnswer(st, resp);
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
    req.set_organization_id(o_.trip.organization_id);
    int instance = Pick();
    for (int attempt = 0; attempt < 4; ++attempt) {
      Op op = Begin(Kind::kRelease, instance, user);
      op.hold_id = hold_id;
      op.seats = seats;
      op.note = attempt > 0 ? absl::StrCat(note, " retry") : note;
      v1::ReleaseSeatsResponse resp;
      grpc::Status st = Call(instance, &v1::InventoryService::Stub::ReleaseSeats, req, &resp);
      op.Finish(st);
      op.TakeReleaseAnswer(st, resp);
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
    req.set_organization_id(o_.trip.organization_id);
    req.set_reason("checker");
    int instance = Pick();
    for (int attempt = 0; attempt < 4; ++attempt) {
      Op op = Begin(Kind::kCancel, instance, b.user);
      op.hold_id = b.hold_id;
      op.booking_id = b.booking_id;
      if (attempt > 0) op.note = "retry";
      v1::CancelBookingResponse resp;
      grpc::Status st = Call(instance, &v1::InventoryService::Stub::CancelBooking, req, &resp);
      op.Finish(st);
      op.TakeCancelAnswer(st, resp);
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
  Workload& s_;
  const WorkloadOptions& o_;
  int sessions_ = 0;
  std::vector<Booking> bookings_;
  std::vector<Op> ops_;
};

// `count` clients of `workload` (client i built as Client(i, seed, workload)),
// each running on a thread of its own from construction until the workload's
// load ends.
class Clients {
 public:
  Clients(Workload& workload, int count, uint64_t seed) {
    for (int i = 0; i < count; ++i) clients_.push_back(std::make_unique<Client>(i, seed, workload));
    for (auto& c : clients_) threads_.emplace_back([&c] { c->Run(); });
  }
  ~Clients() { JoinThreads(); }
  Clients(const Clients&) = delete;
  Clients& operator=(const Clients&) = delete;

  // Waits for every client to end; returns every call they made, by seq.
  // REQUIRES: called once.
  std::vector<Op> Join() {
    JoinThreads();
    std::vector<Op> ops;
    for (auto& c : clients_) {
      for (Op& op : c->ops()) ops.push_back(std::move(op));
    }
    std::sort(ops.begin(), ops.end(), [](const Op& a, const Op& b) { return a.seq < b.seq; });
    return ops;
  }

 private:
  void JoinThreads() {
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<std::thread> threads_;
};


}  // namespace inventory::checker
