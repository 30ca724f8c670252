// Admission control: how much work of each class runs at once, and how long
// a call may wait for its turn before it is turned away.
//
// Three classes, each with its own slots, so that one cannot take another's:
//  - kRead: seat maps, availability, a user's waitlist;
//  - kHold: a new hold's database work (a hold refused at the edge, by the
//    cached seat map or by Redis, never asks: it costs almost nothing), and
//    joining a waitlist;
//  - kLifecycle: confirm, release, cancel (money is already moving), and the
//    operator's calls (trip loading, blocking seats). Its own slots mean a
//    storm of new holds never delays them.
//
// A call asks for a slot of its class when its database work would begin.
// Its queue time counts from when the call arrived (gRPC handed it over), so
// it includes the time spent waiting for the io thread: a call that already
// waited `queue_budget` is turned away at once, without work. Otherwise it
// takes a free slot, or waits in its class's FIFO queue (at most `max_queue`
// waiters) until a slot frees, its queue budget is spent, or its deadline
// passes. A call turned away gets RESOURCE_EXHAUSTED with a hint of when to
// come back (RetryAfterMs); one whose deadline passed, DEADLINE_EXCEEDED.
// Neither touched the database.
//
// The door. Before all that, a call must reach the io thread: gRPC hands it
// over on its own threads and it waits in the io thread's queue. When the
// io thread is the bottleneck (CPU), that queue is where time goes. A read
// arriving while at least `door_min_backlog` calls wait for the io thread and
// the calls lately started there waited more than half the queue budget for
// it (or while `max_io_backlog` wait, whatever they cost) is turned away at
// once, on gRPC's thread, without costing the io thread anything
// (EnterDoor). Holds and lifecycle calls always go in: a hold may be refused
// at the edge for almost nothing, and is admitted (or not) there.
//
// Adaptive slots. How many calls the database serves best at once depends on
// the machine, the cluster and the moment, so with `adaptive` each class's
// limit moves between 2 and its `max_in_flight`, the way TCP Vegas sizes a
// window: from each window of answers it estimates how many calls were
// queueing (limit x (1 - shortest / recent service time)); fewer than
// `alpha` while the slots were all taken: a quarter more slots; more than
// `beta`: a tenth fewer. The limit starts at 8 (the first service times
// measured are then the database's own, not a queue's). The shortest service
// time is re-learned slowly (it may rise by 0.2 % a window), so a database
// that became slower for good is followed.
//
// A standing queue. A queue that has had waiters for 100 ms and let none
// through within 5 ms in that time is overload rather than a burst: when it
// starts standing, those waiting in it are turned away, and while it stands
// a call waits in it at most 5 ms (then RESOURCE_EXHAUSTED), so the calls
// that run are not those that waited longest, and the answered calls'
// latency stays close to the database's own. A slot busy for long with
// nobody waiting is not a standing queue.
//
// Disabled, every call is admitted at once (still counted), to measure what
// the mechanism saves.
//
// Threading: EnterDoor, LeaveDoor and door_shed may be called from any
// thread; everything else REQUIRES the service's io thread (not locked).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace inventory::service {

enum class WorkClass : uint8_t { kRead = 0, kHold = 1, kLifecycle = 2 };
inline constexpr int kWorkClassCount = 3;
const char* WorkClassName(WorkClass c);

struct AdmissionOptions {
  bool enabled = true;
  // Calls of each class whose database work runs at once (by WorkClass).
  std::array<int, kWorkClassCount> max_in_flight{128, 64, 64};
  // Calls of each class that may wait for a slot.
  std::array<int, kWorkClassCount> max_queue{512, 512, 512};
  // The longest a call may wait, from its arrival, before its work starts.
  std::chrono::milliseconds queue_budget{100};
  // The door (reads only): turned away while this many calls wait for the io
  // thread, or while `door_min_backlog` do and their wait for it is long.
  int max_io_backlog = 4096;
  int door_min_backlog = 64;
  // Slots adapt to the service time between 2 and max_in_flight (else
  // max_in_flight always).
  bool adaptive = false;
  double alpha = 3;
  double beta = 6;
};

struct AdmissionClassStats {
  uint64_t admitted = 0;        // started at once or after waiting
  uint64_t queued = 0;          // of those, waited for a slot
  uint64_t shed_queue_full = 0;  // turned away: the queue was full
  uint64_t shed_queue_time = 0;  // turned away: waited past the budget
  uint64_t deadline_exceeded = 0;  // the caller's deadline passed before the work started
  int64_t in_flight = 0;          // now (gauge)
  int64_t waiting = 0;            // now (gauge)
  int64_t limit = 0;              // slots now (gauge)
  uint64_t standing_waits = 0;    // calls that queued while the queue stood (waited briefly)
};

// The budget of one call: when it arrived and by when the caller needs its
// answer (time_point::max(): no deadline).
struct CallBudget {
  std::chrono::steady_clock::time_point arrived = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  // Whether the caller has gone away (may be null: never).
  std::function<bool()> cancelled;

  bool Expired(std::chrono::steady_clock::time_point now) const { return now >= deadline; }
  bool Cancelled() const { return cancelled && cancelled(); }
};

// The payload key of a RESOURCE_EXHAUSTED status that carries the hint, in
// milliseconds as decimal text; the gRPC layer sends it as trailing metadata.
inline constexpr char kRetryAfterPayload[] = "retry-after-ms";
// The hint in `status`, if any.
std::optional<int64_t> RetryAfterMs(const absl::Status& status);

class Admission {
 public:
  // A slot, given back when the ticket is destroyed (or Release()d).
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept;
    Ticket& operator=(Ticket&& other) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket() { Release(); }
    void Release();

   private:
    friend class Admission;
    Ticket(Admission* owner, WorkClass c, std::chrono::steady_clock::time_point started)
        : owner_(owner), class_(c), started_(started) {}
    Admission* owner_ = nullptr;
    WorkClass class_ = WorkClass::kRead;
    std::chrono::steady_clock::time_point started_;
  };

  Admission(asio::any_io_executor executor, AdmissionOptions options);
  ~Admission();
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;

  // A slot of class `c` for a call with `budget`, or RESOURCE_EXHAUSTED
  // (with a retry-after hint) / DEADLINE_EXCEEDED.
  asio::awaitable<absl::StatusOr<Ticket>> Admit(WorkClass c, const CallBudget& budget);

  // The door (any thread): whether a call of class `c` may queue for the io
  // thread. True: the caller REQUIRES LeaveDoor() once the call runs there.
  // False: turned away (counted); answer DoorStatus().
  bool EnterDoor(WorkClass c);
  // On the io thread, when the call starts there: `arrived` is when gRPC
  // handed it over.
  void LeaveDoor(std::chrono::steady_clock::time_point arrived);
  absl::Status DoorStatus() const;
  uint64_t door_shed(WorkClass c) const { return door_shed_[Index(c)].load(std::memory_order_relaxed); }
  int io_backlog() const { return io_backlog_.load(std::memory_order_relaxed); }

  const AdmissionClassStats& stats(WorkClass c) const { return classes_[Index(c)].stats; }
  const AdmissionOptions& options() const { return options_; }

 private:
  struct Waiter {
    explicit Waiter(asio::any_io_executor ex) : timer(ex) {}
    asio::steady_timer timer;
    bool granted = false;
    std::chrono::steady_clock::time_point enqueued;
  };
  struct Class {
    std::deque<std::shared_ptr<Waiter>> queue;
    AdmissionClassStats stats;
    // Mean time a slot is held (exponentially weighted), for the hint.
    double mean_service_ms = 5.0;
    // The adaptive limit's window.
    double window_sum_ms = 0;
    int window_count = 0;
    bool window_saturated = false;
    double shortest_ms = 0;  // 0: not measured yet
    // When a call last got through the queue within a short wait, and when
    // the queue last went from empty to waited in.
    std::chrono::steady_clock::time_point last_short_wait = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point nonempty_since = std::chrono::steady_clock::now();
    bool standing = false;
  };
  static size_t Index(WorkClass c) { return static_cast<size_t>(c); }
  void Done(WorkClass c, std::chrono::steady_clock::time_point started);
  void Adapt(Class& k, double took_ms, int max);
  static bool Standing(const Class& k, std::chrono::steady_clock::time_point now);
  absl::Status Shed(WorkClass c, const char* why);
  Ticket Grant(WorkClass c);

  asio::any_io_executor executor_;
  AdmissionOptions options_;
  std::array<Class, kWorkClassCount> classes_;
  std::atomic<int> io_backlog_{0};
  // How long calls lately waited for the io thread (exponentially weighted),
  // microseconds; written on the io thread, read at the door.
  std::atomic<int64_t> io_wait_us_{0};
  std::array<std::atomic<uint64_t>, kWorkClassCount> door_shed_{};
};

}  // namespace inventory::service
