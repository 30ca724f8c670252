// Scenario "watch": many readers keep a live seat map (WatchSeatMap) while
// the trip's seats change, and every reader's copy must end equal to the
// service's map.
//
// Prepare creates a fresh trip of `seats` seats (rows of kColumns) over
// kSegments segments, then opens `watchers` WatchSeatMap streams of the
// whole journey with gRPC's callback client (one ClientReadReactor each),
// spread round robin over `watch_targets` (kWatchersPerChannel streams per
// channel, each channel its own connection), at most 64 of them waiting for
// their first full map at a time, and waits until each has it. Each watcher keeps a copy: replaced by every full map,
// patched by every `changes` event whose version is above the copy's.
//
// Request n is one change of a seat picked from n among those with no
// change in flight, sent through the runner's stub (the first target):
// a free seat is held (600 s, a user of its own), a held one confirmed or
// released (even or odd by n), a booked one cancelled — so the changes can
// go on as long as the run. A seat whose change failed is not used again,
// except when it was turned away (RESOURCE_EXHAUSTED: nothing was done).
//
// Measured (DeliveryTracker): each change's delivery to each watcher, from
// the change's answer (and from its request) to the event that showed the
// seat's new status; the
// events each watcher received, full maps by reason, heartbeats. After the
// load, AfterLoad compares every copy with a fresh GetSeatMap of the first
// target, again every 100 ms until all match and every change has reached
// every watcher, or ScenarioOptions::timeout has passed (watchers of other
// instances hear changes up to a second late; changes folded into a full map
// never arrive on their own), then ends the streams.
//
// Expected: no change failed or was refused, every stream lasted the run,
// and every copy equals the map.
//
// Thread-safety: StartCall runs on the runner's dispatch thread, its
// callbacks and the watchers' on gRPC threads; the seats' driver state is
// under a mutex, each watcher's copy under its own, counters are atomics.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "delivery_tracker.h"
#include "inventory/v1/inventory.grpc.pb.h"
#include "scenario.h"
#include "trip_setup.h"

namespace inventory::load {

class WatchScenario final : public Scenario {
 public:
  static constexpr std::string_view kName = "watch";
  static constexpr int kColumns = 10;
  static constexpr int kSegments = 3;
  static constexpr int kMinSeats = 10;
  static constexpr int kMaxSeats = 2000;
  static constexpr int kMaxWatchers = 100000;
  static constexpr int kWatchersPerChannel = 100;
  static constexpr int32_t kHoldSeconds = 600;

  // What request n does to the seat it picked, by the seat's state.
  enum class Action { kHold, kConfirm, kRelease, kCancel };

  // `stub` must outlive the scenario. Uses organization_id, timeout, seats,
  // watchers and watch_targets (empty: nothing to watch on; Prepare fails
  // if watchers > 0).
  WatchScenario(inventory::v1::InventoryService::StubInterface* stub, const ScenarioOptions& options);
  // Ends the streams still open and waits for them.
  ~WatchScenario() override;
  WatchScenario(const WatchScenario&) = delete;
  WatchScenario& operator=(const WatchScenario&) = delete;

  grpc::Status Prepare() override;
  void StartCall(int64_t n, grpc::ClientContext& context, std::function<void(Outcome)> done) override;
  std::vector<std::pair<std::string, std::string>> Details() const override;
  std::vector<std::string> Check(const OutcomeTally& tally, int64_t completed) const override;
  void AfterLoad() override;
  std::string ProgressNote() const override;
  std::string ReportText() const override;
  nlohmann::ordered_json ReportJson() const override;

  // --- Pure parts, public for tests. ---

  // Stops A..D, seats / kColumns rows of kColumns.
  static TripLayout Layout(int seats);
  // A seat's status after `action`.
  static inventory::v1::SeatStatus TargetStatus(Action action);
  static std::string_view ActionName(Action action);

  // Figures of the run so far (complete once AfterLoad returned).
  struct Figures {
    int watchers = 0;
    int64_t changes_answered[4] = {0, 0, 0, 0};  // by Action
    int64_t changes_failed = 0;       // errors and refusals: the seat is not used again
    int64_t changes_turned_away = 0;  // RESOURCE_EXHAUSTED (not counted as failed): the seat is as it was
    int64_t no_idle_seat = 0;  // requests that found every seat busy
    int64_t events_min = 0, events_max = 0, events_total = 0;
    int64_t change_events = 0, seat_changes = 0;
    int64_t full_maps_start = 0, full_maps_behind = 0, full_maps_refresh = 0, full_maps_other = 0;
    int64_t heartbeats = 0;
    int64_t stale_events = 0;  // changes whose version was not above the copy's
    int64_t protocol_errors = 0;  // a change before any full map, a seat the trip does not have
    int64_t ended_early = 0;      // streams that ended before AfterLoad ended them
    std::string first_end;        // how the first of them ended
    DeliveryTracker::Totals delivery;
    // The final comparison.
    bool compared = false;
    std::string compare_error;  // GetSeatMap failed
    int64_t mismatched_watchers = 0, mismatched_seats = 0;
    std::vector<std::string> mismatch_examples;
    std::chrono::milliseconds settle{0};  // from the end of the load to the last comparison
  };
  Figures TakeFigures() const;

 private:
  class Watcher;
  struct Slot {
    enum class State { kFree, kHeld, kBooked, kBusy, kLost };
    State state = State::kFree;
    std::string user_id;
    std::string hold_id;
    std::string booking_id;
    int64_t round = 0;
  };
  struct Call;

  // A watcher's event, on its reactor's thread.
  void Apply(Watcher& watcher, const inventory::v1::SeatMapEvent& event, DeliveryTracker::Clock::time_point at);
  void OnWatcherDone(Watcher& watcher, const grpc::Status& status);
  void OnChangeDone(const std::shared_ptr<Call>& call, const grpc::Status& status);
  // Compares every copy with `map`; counts the watchers and seats that differ.
  void Compare(const inventory::v1::GetSeatMapResponse& map, int64_t& watchers, int64_t& seats,
               std::vector<std::string>* examples) const;
  // Cancels every stream and waits (up to `wait`) until all have ended.
  void EndStreams(std::chrono::milliseconds wait);
  int SeatIndex(const std::string& seat_id) const;

  inventory::v1::InventoryService::StubInterface* const stub_;
  const ScenarioOptions options_;
  std::string trip_id_;
  std::vector<std::string> seat_ids_;
  std::unordered_map<std::string, int> seat_index_;
  std::unique_ptr<DeliveryTracker> tracker_;

  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<inventory::v1::InventoryService::Stub>> watch_stubs_;
  std::vector<std::unique_ptr<Watcher>> watchers_;
  std::atomic<bool> ending_{false};
  mutable std::mutex streams_mu_;
  std::condition_variable streams_cv_;
  int opened_ = 0;   // watchers whose call was started (by Prepare's thread only)
  int started_ = 0;  // watchers that got their first full map
  int ended_ = 0;

  mutable std::mutex mu_;  // the seats' driver state and the final figures
  std::vector<Slot> slots_;
  int64_t changes_answered_[4] = {0, 0, 0, 0};
  int64_t changes_failed_ = 0;
  int64_t changes_turned_away_ = 0;
  int64_t no_idle_seat_ = 0;
  int64_t ended_early_ = 0;
  std::string first_end_;
  bool compared_ = false;
  std::string compare_error_;
  int64_t mismatched_watchers_ = 0, mismatched_seats_ = 0;
  std::vector<std::string> mismatch_examples_;
  std::chrono::milliseconds settle_{0};
};

}  // namespace inventory::load
