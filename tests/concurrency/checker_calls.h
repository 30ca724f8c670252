// Single calls for the checker's scenarios, each logged as an Op (start and
// end times, what the service answered) in one log shared by many threads.
// The random workload (checker_workload.h) has its own clients; these are
// for scenarios that script their calls (races, probes, storms).
//
// Thread-safe. Test code only.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "checker_cluster.h"
#include "checker_db.h"
#include "checker_log.h"

namespace inventory::checker {

class Calls {
 public:
  // `cluster` must outlive this.
  Calls(Cluster& cluster, TripShape trip) : cluster_(cluster), trip_(std::move(trip)) {}

  // HoldSeats of `seats` over segments first..last (stations StationId(first)
  // to StationId(last + 1)) for `duration_s` seconds, via `instance`.
  Op Hold(int instance, const std::string& user, const std::vector<std::string>& seats, int first, int last,
          int duration_s, const std::string& note = "");
  // ConfirmBooking of `hold_id` for `order`, one passenger per seat.
  Op Confirm(int instance, const std::string& user, const std::string& hold_id, const std::vector<std::string>& seats,
             const std::string& order, const std::string& note = "");
  Op Release(int instance, const std::string& user, const std::string& hold_id, const std::vector<std::string>& seats,
             const std::string& note = "");
  Op Cancel(int instance, const std::string& user, const std::string& hold_id, const std::string& booking_id,
            const std::string& note = "");

  // Every call so far, by seq.
  std::vector<Op> ops() const;
  const TripShape& trip() const { return trip_; }

 private:
  // A numbered Op begun now; Log appends a finished one to the log and
  // returns it.
  Op Begin(Kind kind, int instance, const std::string& user);
  Op Log(Op op);

  Cluster& cluster_;
  const TripShape trip_;
  mutable std::mutex mu_;
  uint64_t seq_ = 0;
  std::vector<Op> ops_;
};

}  // namespace inventory::checker
