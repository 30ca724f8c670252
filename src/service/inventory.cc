#include "service/inventory.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include <asio/co_spawn.hpp>
#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "absl/strings/str_cat.h"
#include "common/gather.h"
#include "cql/uuid.h"
#include "domain/journey.h"
#include "domain/trip.h"
#include "service/seat_map_view.h"

namespace inventory::service {
namespace {

using domain::SeatStatus;
using domain::SegmentRange;

constexpr char kContentionText[] = "seat query contention - please retry";
constexpr char kNotAvailableText[] = "some seats not available";
constexpr char kLimitText[] = "maximum concurrent holds exceeded";
constexpr char kPassengerMismatchText[] = "passenger count does not match seat count";

absl::Status Invalid(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", std::string(what)));
}

absl::Status CheckId(std::string_view field, const std::string& value) { return domain::ValidateId(field, value); }

absl::Status CheckOptionalText(std::string_view field, const std::string& value) {
  if (value.size() > domain::kMaxIdLength) return Invalid(field, "too long");
  return absl::OkStatus();
}

// Same organisation, user, session, trip, journey and seats => same key.
std::string RequestKey(const v1::HoldSeatsRequest& r, SegmentRange range) {
  std::vector<std::string> seats(r.seat_ids().begin(), r.seat_ids().end());
  std::sort(seats.begin(), seats.end());
  std::string key = absl::StrCat(r.organization_id().size(), ":", r.organization_id(), r.user_id().size(), ":",
                                 r.user_id(), r.session_id().size(), ":", r.session_id(), r.trip_id().size(), ":",
                                 r.trip_id(), range.first, "-", range.last);
  for (const std::string& s : seats) absl::StrAppend(&key, "|", s.size(), ":", s);
  return key;
}

void Refuse(v1::HoldSeatsResponse* out, v1::FailureReason reason, const char* text,
            const std::vector<std::string>& seats) {
  out->set_success(false);
  out->set_reason(reason);
  out->set_failure_reason(text);
  out->clear_failed_seat_ids();
  for (const std::string& s : seats) out->add_failed_seat_ids(s);
}

int64_t Seconds(int64_t ms) { return ms / 1000; }

// The passengers of a confirm, one per held seat: they must name exactly the
// held seats (or name none, one each, in order). nullopt: they do not match.
std::optional<std::vector<storage::Passenger>> MatchPassengers(const v1::ConfirmBookingRequest& r,
                                                               const std::vector<std::string>& seats) {
  if (r.passengers_size() != static_cast<int>(seats.size())) return std::nullopt;
  std::set<std::string> named;
  for (const v1::PassengerSeat& p : r.passengers()) {
    if (!p.seat_id().empty()) named.insert(p.seat_id());
  }
  const bool all_named = named.size() == seats.size();
  if (!named.empty() && !all_named) return std::nullopt;
  for (const std::string& s : named) {
    if (std::find(seats.begin(), seats.end(), s) == seats.end()) return std::nullopt;
  }
  std::vector<storage::Passenger> out;
  for (size_t i = 0; i < seats.size(); ++i) {
    const v1::PassengerSeat* p = &r.passengers(static_cast<int>(i));
    if (all_named) {
      for (const v1::PassengerSeat& q : r.passengers()) {
        if (q.seat_id() == seats[i]) p = &q;
      }
    }
    out.push_back({seats[i], p->passenger_nid(), p->passenger_name()});
  }
  return out;
}

}  // namespace

Inventory::Inventory(storage::SeatStore& store, cache::EdgeGuard* edge, cache::ChangeFeed* feed, ClockGuard& clock,
                     InventoryOptions options)
    : store_(store),
      feed_(feed),
      options_(std::move(options)),
      clock_(clock),
      cache_(store, feed,
             SnapshotCacheOptions{options_.seatmap_cache_ttl, options_.seatmap_cache, options_.seatmap_trust,
                                  options_.seatmap_cache_bytes - options_.seatmap_cache_bytes / 4,
                                  options_.seatmap_not_found_ttl},
             [this] { return clock_.Now(); }, stats_),
      announcer_(cache_, edge, AnnouncerOptions{options_.booked_marker_ttl},
                 [this] { return clock_.Now(); }, stats_),
      intents_(store, [this] { return clock_.Now(); }, stats_),
      lifecycle_(store, intents_, announcer_, clock_, stats_, options_.max_holds_per_user),
      gate_(cache_, edge, clock_, GateOptions{options_.edge_short_circuit, options_.prelock_ttl}, stats_),
      repairer_(store, lifecycle_, [this] { return clock_.Now(); }, options_.repair, stats_),
      answers_(options_.seatmap_cache_bytes / 4),
      watch_(cache_, clock_, options_.watch) {
  cache_.set_listener([this](const storage::TripRef& trip, const std::vector<domain::SeatChange>* changes) {
    watch_.OnSnapshotChanged(trip, changes);
  });
}

Inventory::~Inventory() = default;

void Inventory::Spawn(std::function<asio::awaitable<void>()> loop) {
  ++running_;
  asio::co_spawn(all_stopped_->get_executor(), std::move(loop), [this](std::exception_ptr) {
    if (--running_ == 0 && all_stopped_ != nullptr) all_stopped_->cancel();
  });
}

asio::awaitable<void> Inventory::CheckClock() {
  const int64_t sent = clock_.Now();
  absl::StatusOr<int64_t> db = co_await store_.DatabaseNowMs();
  const int64_t received = clock_.Now();
  if (!db.ok()) co_return;  // the last measurement ages; past its limit nothing is reclaimed
  clock_.Record(*db, sent, received);
  const bool allowed = clock_.ReclaimAllowed();
  if (!allowed && !skew_warned_) {
    spdlog::warn("clock=skewed skew_ms={} uncertainty_ms={} tolerance_ms={} (expired holds are not reclaimed "
                 "here until the clock is back within the tolerance)",
                 clock_.skew_ms().value_or(0), clock_.uncertainty_ms(), clock_.tolerance_ms());
    skew_warned_ = true;
  } else if (allowed && skew_warned_) {
    spdlog::info("clock=ok skew_ms={} tolerance_ms={}", clock_.skew_ms().value_or(0), clock_.tolerance_ms());
    skew_warned_ = false;
  }
}

asio::awaitable<void> Inventory::ClockLoop() {
  while (!stopping_) {
    clock_timer_->expires_after(options_.clock_check_interval);
    asio::error_code ec;
    co_await clock_timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!stopping_) co_await CheckClock();
  }
}

asio::awaitable<void> Inventory::Start() {
  const asio::any_io_executor ex = co_await asio::this_coro::executor;
  all_stopped_ = std::make_unique<asio::steady_timer>(ex);
  clock_timer_ = std::make_unique<asio::steady_timer>(ex);
  co_await CheckClock();
  if (clock_.skew_ms().has_value()) {
    spdlog::info("clock=measured skew_ms={} uncertainty_ms={} tolerance_ms={} reclaim={}", *clock_.skew_ms(),
                 clock_.uncertainty_ms(), clock_.tolerance_ms(), clock_.ReclaimAllowed() ? "allowed" : "refused");
  }
  if (feed_ != nullptr) feed_->Start(&cache_);
  Spawn([this] { return repairer_.Run(); });
  Spawn([this] { return announcer_.Run(); });
  Spawn([this] { return intents_.Run(); });
  Spawn([this] { return ClockLoop(); });
  Spawn([this] { return watch_.Run(); });
}

asio::awaitable<void> Inventory::Stop() {
  if (all_stopped_ == nullptr || stopping_) co_return;
  stopping_ = true;
  watch_.Stop();
  repairer_.Stop();
  announcer_.Stop();
  intents_.Stop();
  clock_timer_->cancel();
  if (feed_ != nullptr) co_await feed_->Stop();
  while (running_ > 0) {
    all_stopped_->expires_at(asio::steady_timer::time_point::max());
    asio::error_code ec;
    co_await all_stopped_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<absl::StatusOr<SnapshotCache::SnapshotPtr>> Inventory::Snapshot(const std::string& org,
                                                                               const std::string& trip) {
  storage::TripRef ref{org, trip};
  co_return co_await cache_.Get(std::move(ref));
}

// --- Trips ---

asio::awaitable<absl::StatusOr<v1::InitializeTripInventoryResponse>> Inventory::InitializeTrip(
    const v1::InitializeTripInventoryRequest& r) {
  domain::TripDefinition trip;
  trip.organization_id = r.organization_id();
  trip.trip_id = r.trip_id();
  trip.vehicle_id = r.vehicle_id();
  trip.vehicle_type = r.vehicle_type().empty() ? "bus" : r.vehicle_type();
  for (const v1::SegmentDefinition& s : r.segments()) {
    trip.segments.push_back({s.segment_index(), s.from_station_id(), s.to_station_id(), s.departure_time(),
                             s.arrival_time()});
  }
  for (const v1::SeatDefinition& s : r.seat_config().seats()) {
    trip.seats.push_back({s.seat_id(), s.seat_number(), s.row(), s.column(), s.seat_type(), s.seat_class(),
                          s.price_paisa(), s.is_accessible(), s.has_power(), s.is_exit_row()});
  }
  if (absl::Status s = domain::ValidateTrip(trip); !s.ok()) co_return s;
  if (r.seat_config().total_seats() != 0 && r.seat_config().total_seats() != r.seat_config().seats_size()) {
    co_return Invalid("seat_config.total_seats", "does not match the number of seats listed");
  }
  absl::StatusOr<storage::CreateTripOutcome> outcome = co_await store_.CreateTrip(trip);
  if (!outcome.ok()) co_return outcome.status();
  if (*outcome == storage::CreateTripOutcome::kConflict) {
    co_return absl::AlreadyExistsError(
        absl::StrCat("trip '", trip.trip_id, "' already exists with a different definition"));
  }
  if (*outcome == storage::CreateTripOutcome::kCreated) {
    // Every seat was just written free: the snapshot is known without a read.
    auto fresh = std::make_shared<domain::TripSnapshot>();
    fresh->stations = trip.Stations();
    fresh->states.assign(trip.seats.size(), std::vector<domain::SegmentState>(trip.segments.size()));
    fresh->loaded_at_ms = clock_.Now();
    fresh->trip = trip;
    fresh->IndexSeats();
    storage::TripRef ref{trip.organization_id, trip.trip_id};
    co_await cache_.Seed(std::move(ref), std::move(fresh));
  } else {
    cache_.Invalidate({trip.organization_id, trip.trip_id});
  }
  v1::InitializeTripInventoryResponse out;
  out.set_success(true);
  if (*outcome == storage::CreateTripOutcome::kCreated) {
    out.set_segments_created(static_cast<int32_t>(trip.segments.size()));
    out.set_seats_created(static_cast<int32_t>(trip.seats.size()));
  }
  co_return out;
}

// --- Seat map and availability ---

asio::awaitable<absl::StatusOr<std::shared_ptr<const std::string>>> Inventory::GetSeatMapBytes(
    const v1::GetSeatMapRequest& r) {
  if (absl::Status s = CheckId("trip_id", r.trip_id()); !s.ok()) co_return s;
  if (absl::Status s = CheckId("organization_id", r.organization_id()); !s.ok()) co_return s;
  absl::StatusOr<SnapshotCache::SnapshotPtr> snap = co_await Snapshot(r.organization_id(), r.trip_id());
  if (!snap.ok()) co_return snap.status();
  const SnapshotCache::SnapshotPtr& t = *snap;
  absl::StatusOr<SegmentRange> range = domain::ResolveJourney(t->stations, r.from_station_id(), r.to_station_id());
  if (!range.ok()) co_return range.status();
  // Expiry as this instance decides it (see ClockGuard), so that the map
  // shows what a hold would meet.
  const int64_t now = clock_.ReclaimNow();
  const std::string key = absl::StrCat(r.organization_id().size(), ":", r.organization_id(), r.trip_id(), "#",
                                       range->first, "-", range->last);
  if (options_.seatmap_cache) {
    if (std::shared_ptr<const std::string> reused = answers_.Find(key, t, now); reused != nullptr) {
      ++stats_.seatmap_answers_reused;
      co_return reused;
    }
  }
  int64_t valid_until = 0;
  auto bytes = std::make_shared<const std::string>(BuildSeatMap(*t, *range, now, &valid_until).SerializeAsString());
  ++stats_.seatmap_answers_built;
  if (options_.seatmap_cache) answers_.Put(key, t, valid_until, bytes);
  co_return bytes;
}

asio::awaitable<absl::Status> Inventory::WatchSeatMap(const v1::WatchSeatMapRequest& r,
                                                     std::shared_ptr<SeatMapWatcher> watcher) {
  if (absl::Status s = CheckId("trip_id", r.trip_id()); !s.ok()) co_return s;
  if (absl::Status s = CheckId("organization_id", r.organization_id()); !s.ok()) co_return s;
  absl::StatusOr<SnapshotCache::SnapshotPtr> snap = co_await Snapshot(r.organization_id(), r.trip_id());
  if (!snap.ok()) co_return snap.status();
  absl::StatusOr<SegmentRange> range =
      domain::ResolveJourney((*snap)->stations, r.from_station_id(), r.to_station_id());
  if (!range.ok()) co_return range.status();
  storage::TripRef trip{r.organization_id(), r.trip_id()};
  co_return watch_.Add(trip, *range, *snap, std::move(watcher));
}

void Inventory::StopWatching(const SeatMapWatcher* watcher) { watch_.Remove(watcher); }

asio::awaitable<absl::StatusOr<v1::CheckAvailabilityResponse>> Inventory::CheckAvailability(
    const v1::CheckAvailabilityRequest& r) {
  if (absl::Status s = CheckId("trip_id", r.trip_id()); !s.ok()) co_return s;
  if (absl::Status s = CheckId("organization_id", r.organization_id()); !s.ok()) co_return s;
  if (r.passengers() < 0 || r.passengers() > kMaxPassengers) {
    co_return Invalid("passengers", absl::StrCat("must be 0..", kMaxPassengers));
  }
  if (absl::Status s = CheckOptionalText("seat_class", r.seat_class()); !s.ok()) co_return s;
  absl::StatusOr<SnapshotCache::SnapshotPtr> snap = co_await Snapshot(r.organization_id(), r.trip_id());
  if (!snap.ok()) co_return snap.status();
  const domain::TripSnapshot& t = **snap;
  absl::StatusOr<SegmentRange> range = domain::ResolveJourney(t.stations, r.from_station_id(), r.to_station_id());
  if (!range.ok()) co_return range.status();
  domain::Availability a = domain::ComputeAvailability(t, *range, r.seat_class(), r.passengers(), clock_.ReclaimNow());
  v1::CheckAvailabilityResponse out;
  out.set_is_available(a.is_available);
  out.set_available_seats(a.available);
  out.set_price_paisa(a.cheapest_price_paisa);
  out.set_checked_at(Seconds(t.loaded_at_ms));
  for (const domain::SeatDefinition* s : a.free_seats) {
    v1::SeatAvailability* seat = out.add_seats();
    seat->set_seat_id(s->seat_id);
    seat->set_seat_number(s->seat_number);
    seat->set_seat_class(s->seat_class);
    seat->set_status(v1::SEAT_STATUS_AVAILABLE);
    seat->set_seat_type(s->seat_type);
    seat->set_price_paisa(s->price_paisa);
  }
  co_return out;
}

asio::awaitable<absl::StatusOr<v1::BatchCheckResponse>> Inventory::BatchCheckAvailability(
    const v1::BatchCheckRequest& r) {
  if (r.requests_size() == 0) co_return Invalid("requests", "at least one");
  if (r.requests_size() > kMaxBatchChecks) co_return Invalid("requests", absl::StrCat("at most ", kMaxBatchChecks));
  v1::BatchCheckResponse out;
  for (const v1::CheckAvailabilityRequest& one : r.requests()) {
    absl::StatusOr<v1::CheckAvailabilityResponse> answer = co_await CheckAvailability(one);
    if (answer.ok()) {
      *out.add_results() = std::move(*answer);
      out.add_errors("");
    } else {
      out.add_results();
      out.add_errors(answer.status().ToString());
    }
  }
  co_return out;
}

// --- Holds ---

asio::awaitable<absl::StatusOr<v1::HoldSeatsResponse>> Inventory::HoldSeats(const v1::HoldSeatsRequest& r,
                                                                             const CallBudget& budget) {
  if (absl::Status s = CheckId("trip_id", r.trip_id()); !s.ok()) co_return s;
  if (absl::Status s = CheckId("organization_id", r.organization_id()); !s.ok()) co_return s;
  if (absl::Status s = CheckId("user_id", r.user_id()); !s.ok()) co_return s;
  if (absl::Status s = CheckOptionalText("session_id", r.session_id()); !s.ok()) co_return s;
  if (r.seat_ids_size() == 0) co_return Invalid("seat_ids", "at least one seat");
  if (r.seat_ids_size() > kMaxSeatsPerHold) co_return Invalid("seat_ids", absl::StrCat("at most ", kMaxSeatsPerHold));
  std::set<std::string> distinct;
  for (const std::string& s : r.seat_ids()) {
    if (absl::Status st = CheckId("seat_ids", s); !st.ok()) co_return st;
    if (!distinct.insert(s).second) co_return Invalid("seat_ids", absl::StrCat("duplicate seat '", s, "'"));
  }
  const int64_t duration = r.hold_duration_seconds() == 0 ? options_.hold_ttl_default.count()
                                                          : r.hold_duration_seconds();
  if (duration < options_.hold_ttl_min.count() || duration > options_.hold_ttl_max.count()) {
    co_return Invalid("hold_duration_seconds", absl::StrCat("must be 0 (default ", options_.hold_ttl_default.count(),
                                                            ") or within [", options_.hold_ttl_min.count(), ", ",
                                                            options_.hold_ttl_max.count(), "]"));
  }
  // The trip's definition never changes and seat states only phrase the
  // first conditions: any cached snapshot will do, and a storm of holds does
  // not reload the trip each time the cache expires.
  const storage::TripRef trip{r.organization_id(), r.trip_id()};
  SnapshotCache::SnapshotPtr snapshot = cache_.Peek(trip).snapshot;
  if (snapshot == nullptr) {
    absl::StatusOr<SnapshotCache::SnapshotPtr> loaded = co_await Snapshot(r.organization_id(), r.trip_id());
    if (!loaded.ok()) co_return loaded.status();
    snapshot = *loaded;
  }
  absl::StatusOr<SegmentRange> range =
      domain::ResolveJourney(snapshot->stations, r.from_station_id(), r.to_station_id());
  if (!range.ok()) co_return range.status();
  for (const std::string& s : r.seat_ids()) {
    if (snapshot->SeatIndex(s) < 0) co_return Invalid("seat_ids", absl::StrCat("unknown seat '", s, "'"));
  }
  std::vector<std::string> seats(r.seat_ids().begin(), r.seat_ids().end());
  v1::HoldSeatsResponse out;

  // Refusals without the database, one request per seat at a time.
  HoldGate::Request entry{trip, r.user_id(), seats, *range};
  HoldGate::Verdict verdict = co_await gate_.Enter(std::move(entry));
  if (verdict.kind == HoldGate::Verdict::Kind::kTaken) {
    Refuse(&out, v1::FAILURE_REASON_NOT_AVAILABLE, kNotAvailableText, verdict.seats);
    co_return out;
  }
  if (verdict.kind == HoldGate::Verdict::Kind::kContended) {
    Refuse(&out, v1::FAILURE_REASON_CONTENTION, kContentionText, verdict.seats);
    co_return out;
  }
  // The database's turn: admitted, and only for a caller still waiting.
  std::optional<Admission::Ticket> ticket;
  absl::Status admitted = absl::OkStatus();
  if (budget.Cancelled()) {
    admitted = absl::CancelledError("cancelled before the hold's database work");
  } else if (admission_ != nullptr) {
    absl::StatusOr<Admission::Ticket> t = co_await admission_->Admit(WorkClass::kHold, budget);
    if (t.ok()) ticket.emplace(std::move(*t));
    admitted = t.status();
    // The caller may have gone while it waited: its turn goes unused.
    if (admitted.ok() && budget.Cancelled()) {
      ticket.reset();
      admitted = absl::CancelledError("cancelled while waiting for the hold's turn");
    }
  }
  if (!admitted.ok()) {
    // Nothing was written: the pre-locks go, and requests waiting on this
    // one go on by themselves.
    std::vector<domain::SeatChange> no_changes;
    std::vector<domain::SeatChange> no_facts;
    co_await announcer_.Announce(trip, std::move(no_changes), std::move(no_facts), std::move(verdict.lease));
    HoldGate::Outcome went_on;
    gate_.Leave(verdict, std::move(went_on));
    co_return admitted;
  }

  HoldRequest request;
  request.trip = trip;
  request.user_id = r.user_id();
  request.session_id = r.session_id();
  request.request_key = RequestKey(r, *range);
  request.seats = seats;
  request.range = *range;
  request.duration_s = duration;
  request.believed = std::move(verdict.believed);
  request.lease = std::move(verdict.lease);
  absl::StatusOr<HoldResult> held = co_await lifecycle_.Hold(std::move(request));
  HoldGate::Outcome outcome;
  if (held.ok() && held->kind == HoldResult::Kind::kHeld) outcome.won = true;
  if (held.ok() && held->kind == HoldResult::Kind::kNotAvailable) outcome.takers = held->takers;
  gate_.Leave(verdict, std::move(outcome));
  if (!held.ok()) co_return held.status();
  switch (held->kind) {
    case HoldResult::Kind::kHeld:
      out.set_success(true);
      out.set_hold_id(held->hold.hold_id);
      for (const std::string& s : held->hold.seat_ids) out.add_held_seat_ids(s);
      out.set_expires_at(Seconds(held->hold.expires_at_ms));
      break;
    case HoldResult::Kind::kNotAvailable:
      Refuse(&out, v1::FAILURE_REASON_NOT_AVAILABLE, kNotAvailableText, held->refused_seats);
      break;
    case HoldResult::Kind::kLimitReached:
      out.set_success(false);
      out.set_reason(v1::FAILURE_REASON_HOLD_LIMIT_REACHED);
      out.set_failure_reason(kLimitText);
      break;
  }
  co_return out;
}

asio::awaitable<absl::StatusOr<v1::ReleaseSeatsResponse>> Inventory::ReleaseSeats(const v1::ReleaseSeatsRequest& r) {
  if (absl::Status s = CheckId("hold_id", r.hold_id()); !s.ok()) co_return s;
  if (absl::Status s = CheckId("user_id", r.user_id()); !s.ok()) co_return s;
  if (absl::Status s = CheckId("organization_id", r.organization_id()); !s.ok()) co_return s;
  absl::StatusOr<std::optional<storage::HoldRecord>> found =
      co_await store_.GetHold(r.organization_id(), r.user_id(), r.hold_id(), false);
  if (!found.ok()) co_return found.status();
  v1::ReleaseSeatsResponse out;
  if (!found->has_value()) {
    out.set_success(false);
    out.set_reason(v1::FAILURE_REASON_HOLD_NOT_FOUND);
    co_return out;
  }
  absl::StatusOr<ReleaseResult> released = co_await lifecycle_.Release(std::move(**found));
  if (!released.ok()) co_return released.status();
  switch (released->kind) {
    case ReleaseResult::Kind::kReleased:
      out.set_success(true);
      out.set_released_count(released->released);
      break;
    case ReleaseResult::Kind::kConfirmed:
      out.set_success(false);  // it became a booking: CancelBooking undoes it
      out.set_reason(v1::FAILURE_REASON_HOLD_CONFIRMED);
      break;
    case ReleaseResult::Kind::kNotFound:
      out.set_success(false);
      out.set_reason(v1::FAILURE_REASON_HOLD_NOT_FOUND);
      break;
  }
  co_return out;
}

// --- Bookings ---

asio::awaitable<absl::StatusOr<v1::ConfirmBookingResponse>> Inventory::ConfirmBooking(
    const v1::ConfirmBookingRequest& r) {
  if (absl::Status s = CheckId("hold_id", r.hold_id()); !s.ok()) co_return s;
  if (absl::Status s = CheckId("order_id", r.order_id()); !s.ok()) co_return s;
  if (absl::Status s = CheckId("user_id", r.user_id()); !s.ok()) co_return s;
  if (absl::Status s = CheckId("organization_id", r.organization_id()); !s.ok()) co_return s;
  if (r.passengers_size() > kMaxPassengers) co_return Invalid("passengers", "too many");
  for (const v1::PassengerSeat& p : r.passengers()) {
    if (p.passenger_name().size() > domain::kMaxTextLength || p.passenger_nid().size() > domain::kMaxTextLength ||
        p.seat_id().size() > domain::kMaxIdLength) {
      co_return Invalid("passengers", "field too long");
    }
  }
  absl::StatusOr<std::optional<storage::HoldRecord>> found =
      co_await store_.GetHold(r.organization_id(), r.user_id(), r.hold_id(), false);
  if (!found.ok()) co_return found.status();
  if (!found->has_value()) co_return absl::FailedPreconditionError("hold not found");
  const storage::HoldRecord& hold = **found;

  // Passengers must name exactly the held seats (or name none, one each).
  std::optional<std::vector<storage::Passenger>> passengers = MatchPassengers(r, hold.seat_ids);
  if (!passengers.has_value()) {
    v1::ConfirmBookingResponse out;
    out.set_success(false);
    out.set_reason(v1::FAILURE_REASON_PASSENGER_MISMATCH);
    out.set_failure_reason(kPassengerMismatchText);
    co_return out;
  }

  // The booking to create if the confirm begins now.
  storage::BookingRecord proposed;
  proposed.booking_id = BookingIdFor(hold.hold_id);
  proposed.hold_id = hold.hold_id;
  proposed.order_id = r.order_id();
  proposed.organization_id = hold.organization_id;
  proposed.user_id = hold.user_id;
  proposed.trip_id = hold.trip_id;
  proposed.seat_ids = hold.seat_ids;
  proposed.passengers = std::move(*passengers);
  proposed.range = hold.range;
  proposed.created_at_ms = clock_.Now();
  if (domain::ForConfirm(hold.state, hold.order_id == r.order_id(), hold.expires_at_ms <= clock_.Now()) ==
      domain::ConfirmStep::kBegin) {
    absl::StatusOr<SnapshotCache::SnapshotPtr> snap = co_await Snapshot(hold.organization_id, hold.trip_id);
    if (!snap.ok()) co_return snap.status();
    for (size_t i = 0; i < hold.seat_ids.size(); ++i) {
      const int index = (*snap)->SeatIndex(hold.seat_ids[i]);
      proposed.seat_numbers.push_back(index >= 0 ? (*snap)->trip.seats[static_cast<size_t>(index)].seat_number : "");
      proposed.ticket_ids.push_back(absl::StrCat("tk-", hold.hold_id, "-", i + 1));
    }
  }
  absl::StatusOr<ConfirmResult> confirmed = co_await lifecycle_.Confirm(hold, std::move(proposed));
  if (!confirmed.ok()) co_return confirmed.status();
  switch (confirmed->kind) {
    case ConfirmResult::Kind::kConfirmed:
      break;
    case ConfirmResult::Kind::kExpired:
      co_return absl::FailedPreconditionError("hold expired");
    case ConfirmResult::Kind::kOtherOrder:
      co_return absl::FailedPreconditionError("hold already confirmed for another order");
    case ConfirmResult::Kind::kNotFound:
      co_return absl::FailedPreconditionError("hold not found");
  }
  const storage::BookingRecord& b = confirmed->booking;
  v1::ConfirmBookingResponse out;
  out.set_success(true);
  out.set_booking_id(b.booking_id);
  for (size_t i = 0; i < b.seat_ids.size(); ++i) {
    v1::ConfirmedSeat* seat = out.add_confirmed_seats();
    seat->set_seat_id(b.seat_ids[i]);
    if (i < b.seat_numbers.size()) seat->set_seat_number(b.seat_numbers[i]);
    if (i < b.ticket_ids.size()) seat->set_ticket_id(b.ticket_ids[i]);
  }
  co_return out;
}

asio::awaitable<absl::StatusOr<v1::CancelBookingResponse>> Inventory::CancelBooking(
    const v1::CancelBookingRequest& r) {
  if (absl::Status s = CheckId("booking_id", r.booking_id()); !s.ok()) co_return s;
  if (absl::Status s = CheckId("user_id", r.user_id()); !s.ok()) co_return s;
  if (absl::Status s = CheckId("organization_id", r.organization_id()); !s.ok()) co_return s;
  absl::StatusOr<std::optional<storage::BookingRecord>> found =
      co_await store_.GetBooking(r.organization_id(), r.user_id(), r.booking_id());
  if (!found.ok()) co_return found.status();
  v1::CancelBookingResponse out;
  if (!found->has_value()) {
    out.set_success(false);
    out.set_failure(v1::FAILURE_REASON_BOOKING_NOT_FOUND);
    out.set_failure_reason("booking not found");
    co_return out;
  }
  absl::StatusOr<CancelResult> cancelled = co_await lifecycle_.Cancel(std::move(**found));
  if (!cancelled.ok()) co_return cancelled.status();
  out.set_success(true);
  out.set_released_count(cancelled->released);
  co_return out;
}

// --- Operator updates ---

asio::awaitable<absl::StatusOr<v1::UpdateInventoryResponse>> Inventory::UpdateInventory(
    const v1::UpdateInventoryRequest& r) {
  if (absl::Status s = CheckId("trip_id", r.trip_id()); !s.ok()) co_return s;
  if (absl::Status s = CheckId("organization_id", r.organization_id()); !s.ok()) co_return s;
  if (r.updates_size() == 0) co_return Invalid("updates", "at least one");
  if (r.updates_size() > kMaxSeatUpdates) co_return Invalid("updates", absl::StrCat("at most ", kMaxSeatUpdates));
  absl::StatusOr<SnapshotCache::SnapshotPtr> snap = co_await Snapshot(r.organization_id(), r.trip_id());
  if (!snap.ok()) co_return snap.status();
  std::set<std::string> seen;
  for (int i = 0; i < r.updates_size(); ++i) {
    const v1::SeatUpdate& u = r.updates(i);
    const std::string field = absl::StrCat("updates[", i, "]");
    if ((*snap)->SeatIndex(u.seat_id()) < 0) co_return Invalid(field + ".seat_id", absl::StrCat("unknown seat '", u.seat_id(), "'"));
    if (!seen.insert(u.seat_id()).second) co_return Invalid(field + ".seat_id", "duplicate");
    if (u.new_status() != v1::SEAT_STATUS_BLOCKED && u.new_status() != v1::SEAT_STATUS_AVAILABLE) {
      co_return Invalid(field + ".new_status", "only SEAT_STATUS_BLOCKED or SEAT_STATUS_AVAILABLE");
    }
    if (u.reason().size() > domain::kMaxTextLength) co_return Invalid(field + ".reason", "too long");
  }
  const storage::TripRef trip{r.organization_id(), r.trip_id()};
  const int segments = static_cast<int>((*snap)->trip.segments.size());
  std::vector<asio::awaitable<absl::StatusOr<bool>>> changes;
  for (const v1::SeatUpdate& u : r.updates()) {
    changes.push_back(
        store_.SetBlocked(trip, u.seat_id(), segments, u.new_status() == v1::SEAT_STATUS_BLOCKED, u.reason()));
  }
  std::vector<absl::StatusOr<bool>> changed = co_await Gather(std::move(changes));
  std::vector<domain::SeatChange> announced;
  for (int i = 0; i < r.updates_size(); ++i) {
    const absl::StatusOr<bool>& c = changed[static_cast<size_t>(i)];
    if (!c.ok() || !*c) continue;
    domain::SeatChange change;
    change.seat_id = r.updates(i).seat_id();
    change.range = {0, segments - 1};
    change.kind = r.updates(i).new_status() == v1::SEAT_STATUS_BLOCKED ? domain::SeatChange::Kind::kBlocked
                                                                       : domain::SeatChange::Kind::kUnblocked;
    announced.push_back(std::move(change));
  }
  std::vector<domain::SeatChange> no_facts;
  EdgeLease no_lease;
  co_await announcer_.Announce(trip, std::move(announced), std::move(no_facts), std::move(no_lease));
  v1::UpdateInventoryResponse out;
  for (int i = 0; i < r.updates_size(); ++i) {
    const absl::StatusOr<bool>& c = changed[static_cast<size_t>(i)];
    if (!c.ok()) co_return c.status();
    if (*c) {
      out.add_updated_seat_ids(r.updates(i).seat_id());
    } else {
      out.add_skipped_seat_ids(r.updates(i).seat_id());
    }
  }
  out.set_updated_count(out.updated_seat_ids_size());
  out.set_success(true);
  co_return out;
}

// --- Waitlist ---

asio::awaitable<absl::StatusOr<v1::JoinWaitlistResponse>> Inventory::JoinWaitlist(const v1::JoinWaitlistRequest& r) {
  if (absl::Status s = CheckId("trip_id", r.trip_id()); !s.ok()) co_return s;
  if (absl::Status s = CheckId("user_id", r.user_id()); !s.ok()) co_return s;
  if (absl::Status s = CheckId("organization_id", r.organization_id()); !s.ok()) co_return s;
  if (absl::Status s = CheckOptionalText("seat_class", r.seat_class()); !s.ok()) co_return s;
  if (r.requested_seats() < 1 || r.requested_seats() > kMaxWaitlistSeats) {
    co_return Invalid("requested_seats", absl::StrCat("must be 1..", kMaxWaitlistSeats));
  }
  absl::StatusOr<SnapshotCache::SnapshotPtr> snap = co_await Snapshot(r.organization_id(), r.trip_id());
  if (!snap.ok()) co_return snap.status();
  storage::WaitlistEntry entry;
  entry.organization_id = r.organization_id();
  entry.trip_id = r.trip_id();
  entry.user_id = r.user_id();
  entry.seat_class = r.seat_class();
  entry.requested_seats = r.requested_seats();
  absl::StatusOr<storage::WaitlistEntry> joined = co_await store_.JoinWaitlist(std::move(entry));
  if (!joined.ok()) co_return joined.status();
  v1::JoinWaitlistResponse out;
  out.set_success(true);
  out.set_position(joined->position);
  out.set_entry_id(joined->entry_id);
  out.set_message(absl::StrCat("on the waitlist at position ", joined->position));
  co_return out;
}

asio::awaitable<absl::StatusOr<v1::GetUserWaitlistResponse>> Inventory::GetUserWaitlist(
    const v1::GetUserWaitlistRequest& r) {
  if (absl::Status s = CheckId("user_id", r.user_id()); !s.ok()) co_return s;
  if (absl::Status s = CheckOptionalText("organization_id", r.organization_id()); !s.ok()) co_return s;
  absl::StatusOr<std::vector<storage::WaitlistEntry>> entries =
      co_await store_.UserWaitlist(r.user_id(), r.organization_id());
  if (!entries.ok()) co_return entries.status();
  v1::GetUserWaitlistResponse out;
  for (const storage::WaitlistEntry& e : *entries) {
    v1::WaitlistEntry* w = out.add_entries();
    w->set_trip_id(e.trip_id);
    w->set_organization_id(e.organization_id);
    w->set_seat_class(e.seat_class);
    w->set_requested_seats(e.requested_seats);
    w->set_status(e.status);
    w->set_entry_id(e.entry_id);
    w->set_position(e.position);
    const std::time_t secs = static_cast<std::time_t>(e.created_at_ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    w->set_created_at(buf);
  }
  co_return out;
}

}  // namespace inventory::service
