#include "watch_scenario.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>
#include <grpcpp/support/client_callback.h>

#include "funnel_scenario.h"
#include "report.h"

namespace inventory::load {
namespace {

namespace v1 = inventory::v1;
using Clock = DeliveryTracker::Clock;

constexpr uint64_t kSeatSalt = 0x7761746368736561ull;
constexpr uint64_t kActionSalt = 0x7761746368616374ull;
// Deadline of the trip's creation and of the watchers' first full maps.
constexpr std::chrono::seconds kSetupTimeout{60};
constexpr std::chrono::milliseconds kComparePeriod{100};
constexpr size_t kMaxExamples = 5;
constexpr int kOpeningAtOnce = 64;

std::string_view StatusName(v1::SeatStatus status) {
  switch (status) {
    case v1::SEAT_STATUS_AVAILABLE:
      return "available";
    case v1::SEAT_STATUS_HELD:
      return "held";
    case v1::SEAT_STATUS_BOOKED:
      return "booked";
    case v1::SEAT_STATUS_BLOCKED:
      return "blocked";
    default:
      return "unknown";
  }
}

double Millis(int64_t micros) { return static_cast<double>(micros) / 1000.0; }

bool AllDelivered(const DeliveryTracker::Totals& totals) { return totals.delivered >= totals.expected; }

}  // namespace

// One WatchSeatMap stream and its copy of the map. The reactor's callbacks
// come one at a time (gRPC never runs two of one stream at once); the copy
// is also read by the main thread's comparison, hence its lock.
class WatchScenario::Watcher final : public grpc::ClientReadReactor<v1::SeatMapEvent> {
 public:
  Watcher(WatchScenario& owner, int index, size_t seats) : owner_(owner), index_(index) {
    copy.assign(seats, v1::SEAT_STATUS_UNSPECIFIED);
  }

  void Start(v1::InventoryService::StubInterface* stub, v1::WatchSeatMapRequest request) {
    request_ = std::move(request);
    stub->async()->WatchSeatMap(&context_, &request_, this);
    StartRead(&event_);
    StartCall();
  }

  void Cancel() { context_.TryCancel(); }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the stream is over: OnDone follows
    owner_.Apply(*this, event_, Clock::now());
    StartRead(&event_);
  }

  void OnDone(const grpc::Status& status) override { owner_.OnWatcherDone(*this, status); }

  int index() const { return index_; }

  // Written by Apply (under mu), read by the comparison (under mu) and by
  // progress notes (atomics).
  std::mutex mu;
  std::vector<v1::SeatStatus> copy;
  int64_t version = 0;
  bool has_map = false;
  std::atomic<int64_t> events{0};
  std::atomic<int64_t> change_events{0};
  std::atomic<int64_t> seat_changes{0};
  std::atomic<int64_t> full_maps[4] = {0, 0, 0, 0};  // by FullMapReason (0: unspecified)
  std::atomic<int64_t> heartbeats{0};
  std::atomic<int64_t> stale{0};
  std::atomic<int64_t> protocol_errors{0};

 private:
  WatchScenario& owner_;
  const int index_;
  grpc::ClientContext context_;
  v1::WatchSeatMapRequest request_;
  v1::SeatMapEvent event_;
};

// One change in flight: its seat, action, and the RPC's request and answer.
struct WatchScenario::Call {
  int seat = 0;
  Action action = Action::kHold;
  int32_t change = 0;
  Slot::State before = Slot::State::kFree;
  std::function<void(Outcome)> done;
  v1::HoldSeatsRequest hold_request;
  v1::HoldSeatsResponse hold_response;
  v1::ConfirmBookingRequest confirm_request;
  v1::ConfirmBookingResponse confirm_response;
  v1::ReleaseSeatsRequest release_request;
  v1::ReleaseSeatsResponse release_response;
  v1::CancelBookingRequest cancel_request;
  v1::CancelBookingResponse cancel_response;
};

WatchScenario::WatchScenario(v1::InventoryService::StubInterface* stub, const ScenarioOptions& options)
    : stub_(stub), options_(options) {}

WatchScenario::~WatchScenario() { EndStreams(std::chrono::seconds(10)); }

TripLayout WatchScenario::Layout(int seats) {
  TripLayout layout;
  layout.stations = {"A", "B", "C", "D"};
  layout.columns = kColumns;
  layout.rows = std::max(1, seats / kColumns);
  return layout;
}

v1::SeatStatus WatchScenario::TargetStatus(Action action) {
  switch (action) {
    case Action::kHold:
      return v1::SEAT_STATUS_HELD;
    case Action::kConfirm:
      return v1::SEAT_STATUS_BOOKED;
    case Action::kRelease:
    case Action::kCancel:
      return v1::SEAT_STATUS_AVAILABLE;
  }
  return v1::SEAT_STATUS_UNSPECIFIED;
}

std::string_view WatchScenario::ActionName(Action action) {
  switch (action) {
    case Action::kHold:
      return "hold";
    case Action::kConfirm:
      return "confirm";
    case Action::kRelease:
      return "release";
    case Action::kCancel:
      return "cancel";
  }
  return "?";
}

int WatchScenario::SeatIndex(const std::string& seat_id) const {
  auto it = seat_index_.find(seat_id);
  return it == seat_index_.end() ? -1 : it->second;
}

grpc::Status WatchScenario::Prepare() {
  trip_id_ = MakeRunTag("watch");
  const v1::InitializeTripInventoryRequest trip =
      GridTripRequest(trip_id_, options_.organization_id, Layout(options_.seats), NowUnixSeconds());
  const std::chrono::milliseconds setup = std::max<std::chrono::milliseconds>(options_.timeout, kSetupTimeout);
  if (grpc::Status status = CreateTrip(stub_, trip, setup); !status.ok()) return status;
  for (const v1::SeatDefinition& seat : trip.seat_config().seats()) {
    seat_index_.emplace(seat.seat_id(), static_cast<int>(seat_ids_.size()));
    seat_ids_.push_back(seat.seat_id());
  }
  slots_.assign(seat_ids_.size(), Slot{});
  tracker_ = std::make_unique<DeliveryTracker>(static_cast<int>(seat_ids_.size()), options_.watchers);
  if (options_.watchers == 0) return grpc::Status::OK;
  if (options_.watch_targets.empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "watch: no address to watch on");
  }

  // Watcher i goes to target i % T; every kWatchersPerChannel watchers of a
  // target get a channel of their own (a distinct argument keeps gRPC from
  // sharing one connection between them).
  const auto targets = static_cast<int>(options_.watch_targets.size());
  std::vector<std::vector<v1::InventoryService::Stub*>> stubs_by_target(static_cast<size_t>(targets));
  for (int i = 0; i < options_.watchers; ++i) {
    const int t = i % targets;
    const int k = i / targets;
    auto& stubs = stubs_by_target[static_cast<size_t>(t)];
    if (k % kWatchersPerChannel == 0) {
      grpc::ChannelArguments args;
      args.SetInt("inventory_load.watch_channel", static_cast<int>(channels_.size()));
      channels_.push_back(grpc::CreateCustomChannel(options_.watch_targets[static_cast<size_t>(t)],
                                                    grpc::InsecureChannelCredentials(), args));
      watch_stubs_.push_back(v1::InventoryService::NewStub(channels_.back()));
      stubs.push_back(watch_stubs_.back().get());
    }
    watchers_.push_back(std::make_unique<Watcher>(*this, i, seat_ids_.size()));
  }
  v1::WatchSeatMapRequest request;
  request.set_trip_id(trip_id_);
  request.set_organization_id(options_.organization_id);
  // At most kOpeningAtOnce streams wait for their first map at a time:
  // opening one is admitted like a read, and a thousand at once would queue.
  const Clock::time_point give_up = Clock::now() + setup;
  std::unique_lock lock(streams_mu_);
  for (int i = 0; i < options_.watchers; ++i) {
    if (!streams_cv_.wait_until(lock, give_up, [&] { return started_ + ended_ > i - kOpeningAtOnce; })) break;
    lock.unlock();
    const int t = i % targets;
    const int k = i / targets;
    v1::InventoryService::Stub* stub =
        stubs_by_target[static_cast<size_t>(t)][static_cast<size_t>(k / kWatchersPerChannel)];
    watchers_[static_cast<size_t>(i)]->Start(stub, request);
    ++opened_;
    lock.lock();
  }
  const bool ready = streams_cv_.wait_until(lock, give_up, [&] { return started_ + ended_ >= opened_; }) &&
                     opened_ == options_.watchers;
  if (ready && ended_ == 0) return grpc::Status::OK;
  const int missing = options_.watchers - started_;
  lock.unlock();
  std::string first;
  {
    std::lock_guard figures(mu_);
    first = first_end_;
  }
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      fmt::format("watch: {} of {} watchers got no first full map within {} s{}", missing,
                                  options_.watchers, setup.count() / 1000,
                                  first.empty() ? "" : fmt::format(" (a stream ended: {})", first)));
}

void WatchScenario::Apply(Watcher& w, const v1::SeatMapEvent& event, Clock::time_point at) {
  w.events.fetch_add(1, std::memory_order_relaxed);
  bool first_map = false;
  {
    std::lock_guard lock(w.mu);
    switch (event.event_case()) {
      case v1::SeatMapEvent::kFullMap: {
        const int reason = event.full_map_reason();
        w.full_maps[reason >= 0 && reason < 4 ? reason : 0].fetch_add(1, std::memory_order_relaxed);
        std::vector<v1::SeatStatus> next(w.copy.size(), v1::SEAT_STATUS_UNSPECIFIED);
        for (const v1::SeatRow& row : event.full_map().rows()) {
          for (const v1::SeatCell& cell : row.seats()) {
            const int seat = SeatIndex(cell.seat_id());
            if (seat < 0) {
              w.protocol_errors.fetch_add(1, std::memory_order_relaxed);
              continue;
            }
            next[static_cast<size_t>(seat)] = cell.status();
          }
        }
        for (size_t s = 0; s < next.size() && w.has_map; ++s) {
          if (next[s] != w.copy[s]) {
            tracker_->Observe(w.index(), static_cast<int>(s), next[s], at, DeliveryTracker::Match::kNewest);
          }
        }
        first_map = !w.has_map;
        w.copy = std::move(next);
        w.version = event.version();
        w.has_map = true;
        break;
      }
      case v1::SeatMapEvent::kChanges: {
        if (!w.has_map) {
          w.protocol_errors.fetch_add(1, std::memory_order_relaxed);
          break;
        }
        if (event.version() <= w.version) {
          w.stale.fetch_add(1, std::memory_order_relaxed);
          break;
        }
        w.change_events.fetch_add(1, std::memory_order_relaxed);
        for (const v1::SeatStatusChange& change : event.changes().seats()) {
          const int seat = SeatIndex(change.seat_id());
          if (seat < 0) {
            w.protocol_errors.fetch_add(1, std::memory_order_relaxed);
            continue;
          }
          w.seat_changes.fetch_add(1, std::memory_order_relaxed);
          w.copy[static_cast<size_t>(seat)] = change.status();
          tracker_->Observe(w.index(), seat, change.status(), at);
        }
        w.version = event.version();
        break;
      }
      case v1::SeatMapEvent::kHeartbeat:
        w.heartbeats.fetch_add(1, std::memory_order_relaxed);
        break;
      default:
        w.protocol_errors.fetch_add(1, std::memory_order_relaxed);
        break;
    }
  }
  if (first_map) {
    std::lock_guard lock(streams_mu_);
    ++started_;
    streams_cv_.notify_all();
  }
}

void WatchScenario::OnWatcherDone(Watcher& w, const grpc::Status& status) {
  if (!ending_.load()) {
    std::lock_guard lock(mu_);
    ++ended_early_;
    if (first_end_.empty()) {
      first_end_ = fmt::format("watcher {}: {} {}", w.index(), StatusCodeName(status.error_code()),
                               status.error_message());
    }
  }
  std::lock_guard lock(streams_mu_);
  ++ended_;
  streams_cv_.notify_all();
}

void WatchScenario::StartCall(int64_t n, grpc::ClientContext& context, std::function<void(Outcome)> done) {
  auto call = std::make_shared<Call>();
  call->done = std::move(done);
  std::string user_id;
  std::string hold_id;
  std::string booking_id;
  int64_t round = 0;
  {
    std::lock_guard lock(mu_);
    const size_t seats = slots_.size();
    const size_t start = FunnelScenario::Mix(n, kSeatSalt) % seats;
    size_t pick = seats;
    for (size_t i = 0; i < seats && pick == seats; ++i) {
      const Slot::State state = slots_[(start + i) % seats].state;
      if (state == Slot::State::kFree || state == Slot::State::kHeld || state == Slot::State::kBooked) {
        pick = (start + i) % seats;
      }
    }
    if (pick == seats) {
      ++no_idle_seat_;
      call->done(Outcome{OutcomeKind::kContention, grpc::StatusCode::OK, "every seat had a change in flight"});
      return;
    }
    Slot& slot = slots_[pick];
    call->seat = static_cast<int>(pick);
    call->before = slot.state;
    switch (slot.state) {
      case Slot::State::kFree:
        call->action = Action::kHold;
        slot.round += 1;
        slot.user_id = fmt::format("w-{}-{}-{}", trip_id_, pick, slot.round);
        break;
      case Slot::State::kHeld:
        call->action = FunnelScenario::Mix(n, kActionSalt) % 2 == 0 ? Action::kConfirm : Action::kRelease;
        break;
      default:
        call->action = Action::kCancel;
        break;
    }
    slot.state = Slot::State::kBusy;
    user_id = slot.user_id;
    hold_id = slot.hold_id;
    booking_id = slot.booking_id;
    round = slot.round;
  }
  call->change = tracker_->Begin(call->seat, TargetStatus(call->action));
  const std::string& seat_id = seat_ids_[static_cast<size_t>(call->seat)];
  auto on_done = [this, call](grpc::Status status) { OnChangeDone(call, status); };
  switch (call->action) {
    case Action::kHold: {
      v1::HoldSeatsRequest& req = call->hold_request;
      req.set_trip_id(trip_id_);
      req.set_organization_id(options_.organization_id);
      req.add_seat_ids(seat_id);
      req.set_user_id(user_id);
      req.set_session_id(fmt::format("ws-{}-{}-{}", trip_id_, call->seat, round));
      req.set_hold_duration_seconds(kHoldSeconds);
      stub_->async()->HoldSeats(&context, &req, &call->hold_response, std::move(on_done));
      break;
    }
    case Action::kConfirm: {
      v1::ConfirmBookingRequest& req = call->confirm_request;
      req.set_hold_id(hold_id);
      req.set_order_id(fmt::format("wo-{}-{}-{}", trip_id_, call->seat, round));
      req.set_user_id(user_id);
      req.set_organization_id(options_.organization_id);
      v1::PassengerSeat* passenger = req.add_passengers();
      passenger->set_seat_id(seat_id);
      passenger->set_passenger_nid(fmt::format("NID-{}-{}", call->seat, round));
      passenger->set_passenger_name(fmt::format("Watcher {} {}", call->seat, round));
      stub_->async()->ConfirmBooking(&context, &req, &call->confirm_response, std::move(on_done));
      break;
    }
    case Action::kRelease: {
      v1::ReleaseSeatsRequest& req = call->release_request;
      req.set_hold_id(hold_id);
      req.set_user_id(user_id);
      req.set_organization_id(options_.organization_id);
      stub_->async()->ReleaseSeats(&context, &req, &call->release_response, std::move(on_done));
      break;
    }
    case Action::kCancel: {
      v1::CancelBookingRequest& req = call->cancel_request;
      req.set_booking_id(booking_id);
      req.set_user_id(user_id);
      req.set_organization_id(options_.organization_id);
      req.set_reason("inventory-load watch");
      stub_->async()->CancelBooking(&context, &req, &call->cancel_response, std::move(on_done));
      break;
    }
  }
}

void WatchScenario::OnChangeDone(const std::shared_ptr<Call>& call, const grpc::Status& status) {
  const Clock::time_point now = Clock::now();
  Outcome outcome{OutcomeKind::kSuccess, grpc::StatusCode::OK, ""};
  bool success = false;
  std::string new_id;
  const std::string_view name = ActionName(call->action);
  if (!status.ok()) {
    outcome = Outcome{OutcomeKind::kError, status.error_code(), fmt::format("{}: {}", name, status.error_message())};
  } else {
    switch (call->action) {
      case Action::kHold:
        success = call->hold_response.success();
        new_id = call->hold_response.hold_id();
        if (!success) outcome = ClassifyHoldSeats(status, call->hold_response);
        break;
      case Action::kConfirm:
        success = call->confirm_response.success();
        new_id = call->confirm_response.booking_id();
        if (!success) outcome = FunnelScenario::ClassifyConfirm(status, call->confirm_response);
        break;
      case Action::kRelease:
        success = call->release_response.success();
        if (!success) outcome = FunnelScenario::ClassifyRelease(status, call->release_response);
        break;
      case Action::kCancel:
        success = call->cancel_response.success();
        if (!success) {
          outcome = Outcome{OutcomeKind::kOtherRefusal, grpc::StatusCode::OK,
                            fmt::format("CancelBooking: {}: {}",
                                        v1::FailureReason_Name(call->cancel_response.failure()),
                                        call->cancel_response.failure_reason())};
        }
        break;
    }
  }
  if (success) {
    tracker_->Answered(call->seat, call->change, now);
  } else {
    tracker_->Abandon(call->seat, call->change);
  }
  {
    std::lock_guard lock(mu_);
    Slot& slot = slots_[static_cast<size_t>(call->seat)];
    if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      // Turned away before any work: the seat is as it was.
      slot.state = call->before;
      ++changes_turned_away_;
    } else if (!success) {
      // Its state is not known for sure any more: leave it alone.
      slot.state = Slot::State::kLost;
      ++changes_failed_;
    } else {
      ++changes_answered_[static_cast<int>(call->action)];
      switch (call->action) {
        case Action::kHold:
          slot.state = Slot::State::kHeld;
          slot.hold_id = new_id;
          break;
        case Action::kConfirm:
          slot.state = Slot::State::kBooked;
          slot.booking_id = new_id;
          break;
        case Action::kRelease:
        case Action::kCancel:
          slot.state = Slot::State::kFree;
          break;
      }
    }
  }
  std::function<void(Outcome)> done = std::move(call->done);
  done(std::move(outcome));
}

void WatchScenario::Compare(const v1::GetSeatMapResponse& map, int64_t& watchers, int64_t& seats,
                            std::vector<std::string>* examples) const {
  std::vector<v1::SeatStatus> truth(seat_ids_.size(), v1::SEAT_STATUS_UNSPECIFIED);
  for (const v1::SeatRow& row : map.rows()) {
    for (const v1::SeatCell& cell : row.seats()) {
      const int seat = SeatIndex(cell.seat_id());
      if (seat >= 0) truth[static_cast<size_t>(seat)] = cell.status();
    }
  }
  watchers = 0;
  seats = 0;
  for (const auto& w : watchers_) {
    std::lock_guard lock(w->mu);
    int64_t differ = 0;
    for (size_t s = 0; s < truth.size(); ++s) {
      if (w->copy[s] == truth[s]) continue;
      ++differ;
      if (examples != nullptr && examples->size() < kMaxExamples) {
        examples->push_back(fmt::format("watcher {} shows {} {}, the map {}", w->index(), seat_ids_[s],
                                        StatusName(w->copy[s]), StatusName(truth[s])));
      }
    }
    if (differ > 0) ++watchers;
    seats += differ;
  }
}

void WatchScenario::AfterLoad() {
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + options_.timeout;
  v1::GetSeatMapRequest request;
  request.set_trip_id(trip_id_);
  request.set_organization_id(options_.organization_id);
  std::string error;
  int64_t watchers = 0;
  int64_t seats = 0;
  std::vector<std::string> examples;
  while (true) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + options_.timeout);
    v1::GetSeatMapResponse map;
    const grpc::Status status = stub_->GetSeatMap(&context, request, &map);
    const bool last = Clock::now() + kComparePeriod >= deadline;
    if (!status.ok()) {
      error = fmt::format("GetSeatMap: {} {}", StatusCodeName(status.error_code()), status.error_message());
    } else {
      error.clear();
      examples.clear();
      Compare(map, watchers, seats, &examples);
      // Equal copies may still have a change and its undoing on the way:
      // done once every change has reached every watcher too (never, when
      // some were folded into full maps: then at the deadline).
      if (watchers == 0 && (tracker_ == nullptr || AllDelivered(tracker_->Take()))) break;
    }
    if (last) break;
    std::this_thread::sleep_for(kComparePeriod);
  }
  {
    std::lock_guard lock(mu_);
    compared_ = error.empty();
    compare_error_ = error;
    mismatched_watchers_ = watchers;
    mismatched_seats_ = seats;
    mismatch_examples_ = std::move(examples);
    settle_ = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  }
  EndStreams(std::chrono::seconds(10));
}

void WatchScenario::EndStreams(std::chrono::milliseconds wait) {
  ending_.store(true);
  for (int i = 0; i < opened_; ++i) watchers_[static_cast<size_t>(i)]->Cancel();
  std::unique_lock lock(streams_mu_);
  streams_cv_.wait_for(lock, wait, [&] { return ended_ >= opened_; });
}

WatchScenario::Figures WatchScenario::TakeFigures() const {
  Figures f;
  f.watchers = static_cast<int>(watchers_.size());
  bool first = true;
  for (const auto& w : watchers_) {
    const int64_t events = w->events.load(std::memory_order_relaxed);
    f.events_min = first ? events : std::min(f.events_min, events);
    f.events_max = std::max(f.events_max, events);
    first = false;
    f.events_total += events;
    f.change_events += w->change_events.load(std::memory_order_relaxed);
    f.seat_changes += w->seat_changes.load(std::memory_order_relaxed);
    f.full_maps_other += w->full_maps[v1::FULL_MAP_REASON_UNSPECIFIED].load(std::memory_order_relaxed);
    f.full_maps_start += w->full_maps[v1::FULL_MAP_REASON_START].load(std::memory_order_relaxed);
    f.full_maps_behind += w->full_maps[v1::FULL_MAP_REASON_BEHIND].load(std::memory_order_relaxed);
    f.full_maps_refresh += w->full_maps[v1::FULL_MAP_REASON_REFRESH].load(std::memory_order_relaxed);
    f.heartbeats += w->heartbeats.load(std::memory_order_relaxed);
    f.stale_events += w->stale.load(std::memory_order_relaxed);
    f.protocol_errors += w->protocol_errors.load(std::memory_order_relaxed);
  }
  if (tracker_ != nullptr) f.delivery = tracker_->Take();
  std::lock_guard lock(mu_);
  std::copy(std::begin(changes_answered_), std::end(changes_answered_), std::begin(f.changes_answered));
  f.changes_failed = changes_failed_;
  f.changes_turned_away = changes_turned_away_;
  f.no_idle_seat = no_idle_seat_;
  f.ended_early = ended_early_;
  f.first_end = first_end_;
  f.compared = compared_;
  f.compare_error = compare_error_;
  f.mismatched_watchers = mismatched_watchers_;
  f.mismatched_seats = mismatched_seats_;
  f.mismatch_examples = mismatch_examples_;
  f.settle = settle_;
  return f;
}

std::vector<std::pair<std::string, std::string>> WatchScenario::Details() const {
  std::string targets;
  for (const std::string& t : options_.watch_targets) targets += fmt::format("{}{}", targets.empty() ? "" : ",", t);
  return {{"trip", trip_id_},
          {"organization", options_.organization_id},
          {"seats", fmt::format("{} ({} x {}), {} segments, watched whole", seat_ids_.size(),
                                Layout(options_.seats).rows, kColumns, kSegments)},
          {"watchers", fmt::format("{} over {}", options_.watchers, targets.empty() ? "-" : targets)},
          {"changes", "hold a free seat; confirm or release a held one; cancel a booked one"}};
}

std::string WatchScenario::ProgressNote() const {
  const Figures f = TakeFigures();
  return fmt::format("  watch: events {} (min {}/watcher)  behind {}  delivered p99 {:.1f} ms", f.events_total,
                     f.events_min, f.full_maps_behind, Millis(f.delivery.latency.PercentileMicros(99)));
}

std::vector<std::string> WatchScenario::Check(const OutcomeTally& tally, int64_t /*completed*/) const {
  const Figures f = TakeFigures();
  std::vector<std::string> why;
  if (tally.errors() > 0) why.push_back(fmt::format("{} changes ended in a gRPC error", tally.errors()));
  const uint64_t refused = tally.not_available() + tally.other_refusal() + tally.contention() -
                           static_cast<uint64_t>(f.no_idle_seat);
  if (refused > 0) why.push_back(fmt::format("{} changes were refused", refused));
  if (f.ended_early > 0) {
    why.push_back(fmt::format("{} of {} streams ended before the run did (first: {})", f.ended_early, f.watchers,
                              f.first_end));
  }
  if (f.protocol_errors > 0) {
    why.push_back(fmt::format("{} events were malformed (a change before the first full map, an unknown seat, no "
                              "event)",
                              f.protocol_errors));
  }
  if (!f.compare_error.empty()) why.push_back(fmt::format("the final comparison failed: {}", f.compare_error));
  if (f.mismatched_watchers > 0) {
    why.push_back(fmt::format("{} of {} watchers' copies differ from GetSeatMap ({} seats, {} ms after the load)",
                              f.mismatched_watchers, f.watchers, f.mismatched_seats, f.settle.count()));
  }
  return why;
}

std::string WatchScenario::ReportText() const {
  const Figures f = TakeFigures();
  const DeliveryTracker::Totals& d = f.delivery;
  const double watchers = std::max(1, f.watchers);
  std::string out = fmt::format("watch ({} watchers, {} seats)\n", f.watchers, seat_ids_.size());
  out += fmt::format("  {:<22}{:>10}   (hold {}, confirm {}, release {}, cancel {})\n", "changes answered",
                     d.answered, f.changes_answered[0], f.changes_answered[1], f.changes_answered[2],
                     f.changes_answered[3]);
  out += fmt::format("  {:<22}{:>10}   (turned away {}; no idle seat {})\n", "changes failed", f.changes_failed,
                     f.changes_turned_away, f.no_idle_seat);
  out += fmt::format("  {:<22}{:>10}   (per watcher min {}, mean {:.1f}, max {})\n", "events received",
                     f.events_total, f.events_min, static_cast<double>(f.events_total) / watchers, f.events_max);
  out += fmt::format("  {:<22}{:>10}   ({} seat changes; {} stale, ignored)\n", "change events", f.change_events,
                     f.seat_changes, f.stale_events);
  out += fmt::format("  {:<22}{:>10}   (start {}, behind {}, refresh {}, unspecified {})\n", "full maps",
                     f.full_maps_start + f.full_maps_behind + f.full_maps_refresh + f.full_maps_other,
                     f.full_maps_start, f.full_maps_behind, f.full_maps_refresh, f.full_maps_other);
  out += fmt::format("  {:<22}{:>10}\n", "heartbeats", f.heartbeats);
  out += fmt::format("  {:<22}{:>10}   of {} (change, watcher); {} seen before the answer, {} folded into a later "
                     "state\n",
                     "deliveries timed", d.delivered, d.expected, d.early, d.expected - d.delivered);
  out += fmt::format("  {:<22}{:>10.2f} p50  {:.2f} p90  {:.2f} p99  {:.2f} max   (from the change's answer)\n",
                     "delivery latency ms", Millis(d.latency.PercentileMicros(50)),
                     Millis(d.latency.PercentileMicros(90)), Millis(d.latency.PercentileMicros(99)),
                     Millis(d.latency.max_micros()));
  out += fmt::format("  {:<22}{:>10.2f} p50  {:.2f} p90  {:.2f} p99  {:.2f} max   (from the change's request)\n", "",
                     Millis(d.latency_from_send.PercentileMicros(50)),
                     Millis(d.latency_from_send.PercentileMicros(90)),
                     Millis(d.latency_from_send.PercentileMicros(99)), Millis(d.latency_from_send.max_micros()));
  if (!f.compare_error.empty()) {
    out += fmt::format("  {:<22}{}\n", "final comparison", f.compare_error);
  } else {
    out += fmt::format("  {:<22}{:>10}   watchers differ from GetSeatMap ({} seats; last compared {} ms after the "
                       "load)\n",
                       "final comparison", f.mismatched_watchers, f.mismatched_seats, f.settle.count());
  }
  for (const std::string& example : f.mismatch_examples) out += fmt::format("    {}\n", example);
  return out;
}

nlohmann::ordered_json WatchScenario::ReportJson() const {
  const Figures f = TakeFigures();
  const DeliveryTracker::Totals& d = f.delivery;
  const LatencySummary latency = LatencySummary::From(d.latency);
  const LatencySummary from_send = LatencySummary::From(d.latency_from_send);
  return nlohmann::ordered_json{
      {"watchers", f.watchers},
      {"watch_targets", options_.watch_targets},
      {"seats", seat_ids_.size()},
      {"changes",
       {{"answered", d.answered},
        {"hold", f.changes_answered[0]},
        {"confirm", f.changes_answered[1]},
        {"release", f.changes_answered[2]},
        {"cancel", f.changes_answered[3]},
        {"failed", f.changes_failed},
        {"turned_away", f.changes_turned_away},
        {"no_idle_seat", f.no_idle_seat}}},
      {"events", {{"total", f.events_total}, {"per_watcher_min", f.events_min},
                  {"per_watcher_mean", static_cast<double>(f.events_total) / std::max(1, f.watchers)},
                  {"per_watcher_max", f.events_max}, {"change_events", f.change_events},
                  {"seat_changes", f.seat_changes}, {"stale", f.stale_events}}},
      {"full_maps", {{"start", f.full_maps_start}, {"behind", f.full_maps_behind},
                     {"refresh", f.full_maps_refresh}, {"unspecified", f.full_maps_other}}},
      {"heartbeats", f.heartbeats},
      {"protocol_errors", f.protocol_errors},
      {"streams_ended_early", f.ended_early},
      {"deliveries", {{"expected", d.expected}, {"timed", d.delivered}, {"before_answer", d.early}}},
      {"delivery_latency_ms",
       {{"count", latency.count},
        {"p50", Millis(latency.p50_us)},
        {"p90", Millis(latency.p90_us)},
        {"p99", Millis(latency.p99_us)},
        {"max", Millis(latency.max_us)},
        {"mean", latency.mean_us / 1000.0}}},
      {"delivery_latency_from_request_ms",
       {{"p50", Millis(from_send.p50_us)},
        {"p90", Millis(from_send.p90_us)},
        {"p99", Millis(from_send.p99_us)},
        {"max", Millis(from_send.max_us)}}},
      {"final_comparison",
       {{"compared", f.compared},
        {"error", f.compare_error},
        {"mismatched_watchers", f.mismatched_watchers},
        {"mismatched_seats", f.mismatched_seats},
        {"examples", f.mismatch_examples},
        {"settle_ms", f.settle.count()}}},
  };
}

}  // namespace inventory::load
