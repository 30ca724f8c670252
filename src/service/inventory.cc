#include "service/inventory.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/gather.h"
#include "cql/uuid.h"
#include "domain/journey.h"
#include "domain/trip.h"

namespace inventory::service {
namespace {

using domain::SeatStatus;
using domain::SegmentRange;

constexpr char kContentionText[] = "seat query contention - please retry";
constexpr char kNotAvailableText[] = "some seats not available";
constexpr char kLimitText[] = "maximum concurrent holds exceeded";
constexpr char kPassengerMismatchText[] = "passenger count does not match seat count";
// Serialized seat-map answers kept at most (one per trip and journey read).
constexpr size_t kMaxSeatMapAnswers = 4096;

absl::Status Invalid(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", std::string(what)));
}

absl::Status CheckId(std::string_view field, const std::string& value) { return domain::ValidateId(field, value); }

absl::Status CheckOptionalText(std::string_view field, const std::string& value) {
  if (value.size() > domain::kMaxIdLength) return Invalid(field, "too long");
  return absl::OkStatus();
}

v1::SeatStatus ToProto(SeatStatus s) {
  switch (s) {
    case SeatStatus::kAvailable:
      return v1::SEAT_STATUS_AVAILABLE;
    case SeatStatus::kHeld:
      return v1::SEAT_STATUS_HELD;
    case SeatStatus::kBooked:
      return v1::SEAT_STATUS_BOOKED;
    case SeatStatus::kBlocked:
      return v1::SEAT_STATUS_BLOCKED;
  }
  return v1::SEAT_STATUS_UNSPECIFIED;
}

std::string CellKey(const std::string& org, const std::string& trip, const std::string& seat, int segment) {
  return absl::StrCat(org.size(), ":", org, trip.size(), ":", trip, seat.size(), ":", seat, "#", segment);
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

std::vector<cache::SeatSegment> Cells(const std::vector<std::string>& seats, SegmentRange range) {
  std::vector<cache::SeatSegment> cells;
  for (const std::string& seat : seats) {
    for (int s = range.first; s <= range.last; ++s) cells.push_back({seat, s});
  }
  return cells;
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

// A hold's booking id is derived from it: confirming the same hold twice can
// only ever produce one booking.
std::string BookingIdFor(const std::string& hold_id) { return absl::StrCat("bk-", hold_id); }

}  // namespace

Inventory::Inventory(storage::SeatStore& store, cache::EdgeGuard* edge, InventoryOptions options, Clock clock)
    : store_(store),
      edge_(edge),
      options_(std::move(options)),
      clock_(std::move(clock)),
      cache_(store, options_.seatmap_cache_ttl, options_.seatmap_cache) {}

void Inventory::WarnEdgeSkipped(const absl::Status& why) {
  const int64_t now = clock_();
  if (now - last_edge_warning_ms_ < 10000) return;
  spdlog::warn("edge=skipped holds_without_prelock={} reason=\"{}\" (Redis did not answer; the database decides alone)",
               stats_.prelock_skipped - skipped_at_last_warning_, std::string(why.message()));
  last_edge_warning_ms_ = now;
  skipped_at_last_warning_ = stats_.prelock_skipped;
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
    fresh->loaded_at_ms = clock_();
    fresh->trip = trip;
    fresh->IndexSeats();
    cache_.Seed({trip.organization_id, trip.trip_id}, std::move(fresh));
  } else {
    AfterChange({trip.organization_id, trip.trip_id});
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
  const int64_t now = clock_();
  const std::string key = absl::StrCat(r.organization_id().size(), ":", r.organization_id(), r.trip_id(), "#",
                                       range->first, "-", range->last);
  if (options_.seatmap_cache) {
    auto it = seatmap_answers_.find(key);
    if (it != seatmap_answers_.end() && it->second.snapshot == t && it->second.version == t->version &&
        now < it->second.valid_until_ms) {
      ++stats_.seatmap_answers_reused;
      co_return it->second.bytes;
    }
  }
  int64_t valid_until = 0;
  auto bytes = std::make_shared<const std::string>(BuildSeatMap(*t, *range, now, &valid_until).SerializeAsString());
  ++stats_.seatmap_answers_built;
  if (options_.seatmap_cache) {
    // Bounded: answers of trips nobody reads any more go all at once.
    if (seatmap_answers_.size() >= kMaxSeatMapAnswers) seatmap_answers_.clear();
    seatmap_answers_[key] = SeatMapAnswer{t, t->version, valid_until, bytes};
  }
  co_return bytes;
}

v1::GetSeatMapResponse Inventory::BuildSeatMap(const domain::TripSnapshot& t, SegmentRange range, int64_t now,
                                             int64_t* valid_until_ms) const {
  *valid_until_ms = std::numeric_limits<int64_t>::max();
  v1::GetSeatMapResponse out;
  out.set_vehicle_id(t.trip.vehicle_id);
  out.set_vehicle_type(t.trip.vehicle_type);
  std::vector<size_t> order(t.trip.seats.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&t](size_t a, size_t b) {
    const domain::SeatDefinition& x = t.trip.seats[a];
    const domain::SeatDefinition& y = t.trip.seats[b];
    return x.row != y.row ? x.row < y.row : x.column < y.column;
  });
  int32_t max_row = 0, max_col = 0;
  v1::SeatRow* row = nullptr;
  for (size_t i : order) {
    const domain::SeatDefinition& s = t.trip.seats[i];
    max_row = std::max(max_row, s.row);
    max_col = std::max(max_col, s.column);
    if (row == nullptr || row->row_number() != s.row) {
      row = out.add_rows();
      row->set_row_number(s.row);
    }
    domain::JourneyStatus js = domain::StatusOver(t.states[i], range, now);
    v1::SeatCell* cell = row->add_seats();
    cell->set_seat_id(s.seat_id);
    cell->set_seat_number(s.seat_number);
    cell->set_column(s.column);
    cell->set_seat_type(s.seat_type);
    cell->set_seat_class(s.seat_class);
    cell->set_status(ToProto(js.status));
    cell->set_price_paisa(s.price_paisa);
    cell->set_is_accessible(s.is_accessible);
    cell->set_has_power(s.has_power);
    cell->set_is_exit_row(s.is_exit_row);
    if (js.status == SeatStatus::kHeld) cell->set_hold_expires_at(Seconds(js.hold_expires_at_ms));
    for (int seg = range.first; seg <= range.last; ++seg) {
      const domain::SegmentState& st = t.states[i][static_cast<size_t>(seg)];
      if (st.status == SeatStatus::kHeld && st.expires_at_ms > now) {
        *valid_until_ms = std::min(*valid_until_ms, st.expires_at_ms);
      }
    }
  }
  out.set_total_rows(max_row);
  out.set_total_columns(max_col);
  auto* colors = out.mutable_legend()->mutable_status_colors();
  (*colors)["available"] = "#2E7D32";
  (*colors)["held"] = "#F9A825";
  (*colors)["booked"] = "#C62828";
  (*colors)["blocked"] = "#616161";
  std::map<std::string, int> classes;
  for (const domain::SeatDefinition& s : t.trip.seats) classes.emplace(s.seat_class, 0);
  static const char* const kPalette[] = {"#1565C0", "#6A1B9A", "#00838F", "#EF6C00", "#AD1457", "#4E342E"};
  size_t n = 0;
  for (const auto& [name, unused] : classes) {
    (*out.mutable_legend()->mutable_class_colors())[name] = kPalette[n++ % 6];
  }
  return out;
}


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
  domain::Availability a = domain::ComputeAvailability(t, *range, r.seat_class(), r.passengers(), clock_());
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

asio::awaitable<absl::StatusOr<v1::HoldSeatsResponse>> Inventory::HoldSeats(const v1::HoldSeatsRequest& r) {
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
  // The trip's definition never changes and the seat states are only the
  // first guess of the conditional writes: any cached snapshot will do, and
  // a storm of holds does not reload the trip each time the cache expires.
  SnapshotCache::Peeked cached = cache_.Peek({r.organization_id(), r.trip_id()});
  if (cached.snapshot == nullptr) {
    absl::StatusOr<SnapshotCache::SnapshotPtr> snap = co_await Snapshot(r.organization_id(), r.trip_id());
    if (!snap.ok()) co_return snap.status();
    cached = {*snap, true};
  }
  const SnapshotCache::SnapshotPtr snapshot = cached.snapshot;
  absl::StatusOr<SegmentRange> range =
      domain::ResolveJourney(snapshot->stations, r.from_station_id(), r.to_station_id());
  if (!range.ok()) co_return range.status();
  for (const std::string& s : r.seat_ids()) {
    if (snapshot->SeatIndex(s) < 0) co_return Invalid("seat_ids", absl::StrCat("unknown seat '", s, "'"));
  }
  const std::vector<std::string> seats(r.seat_ids().begin(), r.seat_ids().end());
  const std::string request_key = RequestKey(r, *range);
  v1::HoldSeatsResponse out;

  // The fresh seat map already shows some seat taken by someone else.
  if (options_.edge_short_circuit && cached.fresh) {
    const int64_t now = clock_();
    std::vector<std::string> taken;
    for (const std::string& seat : seats) {
      const auto& states = snapshot->states[static_cast<size_t>(snapshot->SeatIndex(seat))];
      if (domain::TakenForUser(states, *range, r.user_id(), now)) taken.push_back(seat);
    }
    if (!taken.empty()) {
      ++stats_.seatmap_rejections;
      Refuse(&out, v1::FAILURE_REASON_NOT_AVAILABLE, kNotAvailableText, taken);
      co_return out;
    }
  }

  // L0: a request for any of these (seat, segment) cells is already in flight
  // on this instance.
  std::vector<std::string> cells;
  if (options_.edge_short_circuit) {
    std::vector<std::string> busy;
    for (const std::string& seat : seats) {
      bool seat_busy = false;
      for (int s = range->first; s <= range->last; ++s) {
        std::string key = CellKey(r.organization_id(), r.trip_id(), seat, s);
        if (inflight_.count(key)) seat_busy = true;
        cells.push_back(std::move(key));
      }
      if (seat_busy) busy.push_back(seat);
    }
    if (!busy.empty()) {
      ++stats_.inflight_rejections;
      Refuse(&out, v1::FAILURE_REASON_CONTENTION, kContentionText, busy);
      co_return out;
    }
    for (const std::string& c : cells) inflight_.insert(c);
  }
  struct Leave {
    std::set<std::string>& set;
    const std::vector<std::string>& cells;
    ~Leave() {
      for (const std::string& c : cells) set.erase(c);
    }
  } leave{inflight_, cells};

  // L1: Redis pre-locks and "taken" markers, one round trip.
  const cache::TripKey trip_key{r.organization_id(), r.trip_id()};
  std::vector<cache::SeatSegment> edge_cells = Cells(seats, *range);
  const std::string token = cql::Uuid::Random().ToString();
  bool locked = false;
  if (edge_ != nullptr && options_.prelock) {
    absl::StatusOr<cache::LockResult> lock =
        co_await edge_->Acquire(trip_key, edge_cells, r.user_id(), token, options_.prelock_ttl);
    if (!lock.ok()) {
      ++stats_.prelock_skipped;
      WarnEdgeSkipped(lock.status());
    } else if (lock->outcome == cache::LockOutcome::kTaken) {
      ++stats_.edge_rejections;
      Refuse(&out, v1::FAILURE_REASON_NOT_AVAILABLE, kNotAvailableText, lock->seats);
      co_return out;
    } else if (lock->outcome == cache::LockOutcome::kContended) {
      ++stats_.prelock_contended;
      Refuse(&out, v1::FAILURE_REASON_CONTENTION, kContentionText, lock->seats);
      co_return out;
    } else {
      ++stats_.prelock_acquired;
      locked = true;
    }
  }

  absl::StatusOr<v1::HoldSeatsResponse> answer =
      co_await HoldInDatabase(r, *snapshot, *range, request_key, seats, duration,
                              options_.edge_short_circuit && cached.fresh);

  if (locked) {
    std::vector<cache::Marker> markers;
    if (answer.ok() && answer->success() && options_.edge_short_circuit) {
      for (const cache::SeatSegment& c : edge_cells) {
        markers.push_back({c, false, r.user_id(), answer->hold_id(), answer->expires_at() * 1000});
      }
      (void)co_await edge_->MarkAndRelease(trip_key, std::move(markers), edge_cells, token);
    } else {
      (void)co_await edge_->Release(trip_key, edge_cells, token);
    }
  }
  co_return answer;
}

asio::awaitable<absl::StatusOr<v1::HoldSeatsResponse>> Inventory::HoldInDatabase(
    const v1::HoldSeatsRequest& r, const domain::TripSnapshot& snapshot, SegmentRange range,
    const std::string& request_key, const std::vector<std::string>& seats, int64_t duration, bool trust_snapshot) {
  const storage::TripRef trip{r.organization_id(), r.trip_id()};
  const int64_t now = clock_();
  storage::HoldRecord hold;
  hold.hold_id = cql::Uuid::Random().ToString();
  hold.organization_id = r.organization_id();
  hold.user_id = r.user_id();
  hold.trip_id = r.trip_id();
  hold.session_id = r.session_id();
  hold.request_key = request_key;
  hold.seat_ids = seats;
  hold.range = range;
  hold.created_at_ms = now;
  // Whole seconds, so that expires_at answered in seconds is exact.
  hold.expires_at_ms = (now / 1000 + duration) * 1000;

  // One conditional write per seat, all in parallel. A fresh snapshot's
  // states phrase the first conditions (and a seat it shows taken is refused
  // without a write); otherwise the store starts from "free" and learns from
  // the database, so a stale snapshot can never refuse a seat by itself.
  std::vector<asio::awaitable<absl::StatusOr<storage::SeatClaim>>> claims;
  for (const std::string& seat : seats) {
    const int index = snapshot.SeatIndex(seat);
    std::vector<domain::SegmentState> believed;
    if (trust_snapshot) believed = snapshot.states[static_cast<size_t>(index)];
    claims.push_back(store_.HoldSeat(trip, seat, range, hold.hold_id, hold.user_id, hold.expires_at_ms,
                                     std::move(believed)));
  }
  std::vector<absl::StatusOr<storage::SeatClaim>> results = co_await Gather(std::move(claims));

  std::vector<std::string> won, lost;
  std::set<std::string> holders;
  absl::Status error = absl::OkStatus();
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].ok()) {
      if (error.ok()) error = results[i].status();
      continue;
    }
    if (results[i]->applied) {
      won.push_back(seats[i]);
    } else {
      lost.push_back(seats[i]);
      // Only a hold of this very user can be this request's earlier self.
      const std::string& holder_user = results[i]->holder_user_id;
      if (!results[i]->holder_hold_id.empty() && (holder_user.empty() || holder_user == r.user_id())) {
        holders.insert(results[i]->holder_hold_id);
      } else {
        holders.insert("");  // held by someone else, booked or blocked: not a retry
      }
    }
  }
  auto release_won = [&]() -> asio::awaitable<void> {
    std::vector<asio::awaitable<absl::StatusOr<bool>>> undo;
    for (const std::string& seat : won) undo.push_back(store_.ReleaseSeat(trip, seat, range, hold.hold_id));
    (void)co_await Gather(std::move(undo));
  };
  if (!error.ok() || !lost.empty()) {
    co_await release_won();
    if (!won.empty()) AfterChange(trip);
    if (!error.ok()) co_return error;
    // A retry of a request that already holds these seats gets its hold back.
    if (holders.size() == 1 && !holders.begin()->empty() && lost.size() == seats.size()) {
      absl::StatusOr<std::optional<storage::HoldRecord>> first =
          co_await store_.GetHold(r.organization_id(), r.user_id(), *holders.begin());
      if (first.ok() && first->has_value() && (*first)->request_key == request_key &&
          (*first)->state == storage::HoldRecord::State::kActive && (*first)->expires_at_ms > now) {
        v1::HoldSeatsResponse out;
        out.set_success(true);
        out.set_hold_id((*first)->hold_id);
        for (const std::string& s : (*first)->seat_ids) out.add_held_seat_ids(s);
        out.set_expires_at(Seconds((*first)->expires_at_ms));
        co_return out;
      }
    }
    v1::HoldSeatsResponse out;
    Refuse(&out, v1::FAILURE_REASON_NOT_AVAILABLE, kNotAvailableText, lost);
    co_return out;
  }

  // Every seat is ours: store the durable hold record, within the user's
  // limit of live holds.
  absl::StatusOr<storage::LimitOutcome> slot = co_await store_.RecordHoldWithinLimit(hold, options_.max_holds_per_user);
  if (!slot.ok() || *slot == storage::LimitOutcome::kLimitReached) {
    co_await release_won();
    AfterChange(trip);
    if (!slot.ok()) co_return slot.status();
    v1::HoldSeatsResponse out;
    out.set_success(false);
    out.set_reason(v1::FAILURE_REASON_HOLD_LIMIT_REACHED);
    out.set_failure_reason(kLimitText);
    co_return out;
  }
  AfterHold(hold);
  v1::HoldSeatsResponse out;
  out.set_success(true);
  out.set_hold_id(hold.hold_id);
  for (const std::string& s : seats) out.add_held_seat_ids(s);
  out.set_expires_at(Seconds(hold.expires_at_ms));
  co_return out;
}

void Inventory::PatchSeats(const storage::TripRef& trip, const std::vector<std::string>& seats, SegmentRange range,
                           const std::function<void(domain::SegmentState&)>& change) {
  cache_.Update(trip, [&](domain::TripSnapshot& snapshot) {
    for (const std::string& seat : seats) {
      const int index = snapshot.SeatIndex(seat);
      if (index < 0) continue;
      std::vector<domain::SegmentState>& states = snapshot.states[static_cast<size_t>(index)];
      for (int s = range.first; s <= range.last && static_cast<size_t>(s) < states.size(); ++s) {
        change(states[static_cast<size_t>(s)]);
      }
    }
  });
}

void Inventory::AfterHold(const storage::HoldRecord& hold) {
  PatchSeats({hold.organization_id, hold.trip_id}, hold.seat_ids, hold.range, [&hold](domain::SegmentState& st) {
    st = domain::SegmentState{SeatStatus::kHeld, hold.hold_id, "", hold.expires_at_ms, hold.user_id};
  });
}

asio::awaitable<absl::StatusOr<v1::ReleaseSeatsResponse>> Inventory::ReleaseSeats(const v1::ReleaseSeatsRequest& r) {
  if (absl::Status s = CheckId("hold_id", r.hold_id()); !s.ok()) co_return s;
  if (absl::Status s = CheckId("user_id", r.user_id()); !s.ok()) co_return s;
  if (absl::Status s = CheckId("organization_id", r.organization_id()); !s.ok()) co_return s;
  absl::StatusOr<std::optional<storage::HoldRecord>> found =
      co_await store_.GetHold(r.organization_id(), r.user_id(), r.hold_id());
  if (!found.ok()) co_return found.status();
  v1::ReleaseSeatsResponse out;
  if (!found->has_value()) {
    out.set_success(false);
    out.set_reason(v1::FAILURE_REASON_HOLD_NOT_FOUND);
    co_return out;
  }
  const storage::HoldRecord& hold = **found;
  if (hold.state == storage::HoldRecord::State::kReleased) {
    out.set_success(true);  // released before: harmless
    co_return out;
  }
  if (hold.state == storage::HoldRecord::State::kConfirmed) {
    out.set_success(false);  // a booking now: CancelBooking undoes it
    out.set_reason(v1::FAILURE_REASON_HOLD_NOT_FOUND);
    co_return out;
  }
  const storage::TripRef trip{hold.organization_id, hold.trip_id};
  std::vector<asio::awaitable<absl::StatusOr<bool>>> frees;
  for (const std::string& seat : hold.seat_ids) frees.push_back(store_.ReleaseSeat(trip, seat, hold.range, hold.hold_id));
  std::vector<absl::StatusOr<bool>> freed = co_await Gather(std::move(frees));
  int count = 0;
  std::vector<std::string> released;
  for (size_t i = 0; i < freed.size(); ++i) {
    if (!freed[i].ok()) co_return freed[i].status();
    if (*freed[i]) {
      ++count;
      released.push_back(hold.seat_ids[i]);
    }
  }
  bool unbooked_any = false;
  // A confirm of this hold that was cut short may have booked some seats
  // under a pending booking: the release undoes that too.
  absl::StatusOr<std::optional<storage::BookingRecord>> pending =
      co_await store_.GetBooking(hold.organization_id, hold.user_id, BookingIdFor(hold.hold_id));
  if (!pending.ok()) co_return pending.status();
  if (pending->has_value() && (*pending)->state == storage::BookingRecord::State::kPending) {
    std::vector<asio::awaitable<absl::StatusOr<bool>>> unbooks;
    for (const std::string& seat : (*pending)->seat_ids) {
      unbooks.push_back(store_.UnbookSeat(trip, seat, hold.range, (*pending)->booking_id));
    }
    std::vector<absl::StatusOr<bool>> unbooked = co_await Gather(std::move(unbooks));
    for (const absl::StatusOr<bool>& u : unbooked) {
      if (!u.ok()) co_return u.status();
      count += *u ? 1 : 0;
      unbooked_any = unbooked_any || *u;
    }
    absl::Status cancelled = co_await store_.SetBookingState(**pending, storage::BookingRecord::State::kCancelled);
    if (!cancelled.ok()) co_return cancelled;
  }
  absl::Status finished = co_await store_.FinishHold(hold, storage::HoldRecord::State::kReleased, "");
  if (!finished.ok()) co_return finished;
  if (unbooked_any) {
    AfterChange(trip);  // rare: a cut-short confirm was undone too
  } else {
    PatchSeats(trip, released, hold.range, [&hold](domain::SegmentState& st) {
      if (st.status == SeatStatus::kHeld && st.hold_id == hold.hold_id) st = domain::SegmentState{};
    });
  }
  if (edge_ != nullptr) {
    cache::TripKey key{hold.organization_id, hold.trip_id};
    std::vector<cache::SeatSegment> cells = Cells(hold.seat_ids, hold.range);
    absl::Status unmarked = co_await edge_->Unmark(std::move(key), std::move(cells), hold.hold_id);
    (void)unmarked;  // markers also expire on their own
  }
  out.set_success(true);
  out.set_released_count(count);
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
      co_await store_.GetHold(r.organization_id(), r.user_id(), r.hold_id());
  if (!found.ok()) co_return found.status();
  if (!found->has_value() || (*found)->state == storage::HoldRecord::State::kReleased) {
    co_return absl::FailedPreconditionError("hold not found");
  }
  const storage::HoldRecord hold = **found;
  const std::string booking_id = BookingIdFor(hold.hold_id);
  auto answer_with = [](const storage::BookingRecord& b) {
    v1::ConfirmBookingResponse out;
    out.set_success(true);
    out.set_booking_id(b.booking_id);
    for (size_t i = 0; i < b.seat_ids.size(); ++i) {
      v1::ConfirmedSeat* seat = out.add_confirmed_seats();
      seat->set_seat_id(b.seat_ids[i]);
      if (i < b.seat_numbers.size()) seat->set_seat_number(b.seat_numbers[i]);
      if (i < b.ticket_ids.size()) seat->set_ticket_id(b.ticket_ids[i]);
    }
    return out;
  };
  if (hold.state == storage::HoldRecord::State::kConfirmed) {
    absl::StatusOr<std::optional<storage::BookingRecord>> booking =
        co_await store_.GetBooking(r.organization_id(), r.user_id(), booking_id);
    if (!booking.ok()) co_return booking.status();
    if (booking->has_value() && (*booking)->order_id == r.order_id() &&
        (*booking)->state == storage::BookingRecord::State::kConfirmed) {
      co_return answer_with(**booking);
    }
    co_return absl::FailedPreconditionError("hold already confirmed for another order");
  }
  if (hold.expires_at_ms <= clock_()) {
    // Expired. Only a confirm of this very order that was cut short (its
    // booking is still pending) may go on: it is finished below, or undone.
    absl::StatusOr<std::optional<storage::BookingRecord>> pending =
        co_await store_.GetBooking(r.organization_id(), r.user_id(), booking_id);
    if (!pending.ok()) co_return pending.status();
    if (!pending->has_value() || (*pending)->order_id != r.order_id() ||
        (*pending)->state != storage::BookingRecord::State::kPending) {
      co_return absl::FailedPreconditionError("hold expired");
    }
  }

  // Passengers must name exactly the held seats (or name none, one each).
  bool match = r.passengers_size() == static_cast<int>(hold.seat_ids.size());
  std::vector<storage::Passenger> passengers;
  if (match) {
    std::set<std::string> named;
    for (const v1::PassengerSeat& p : r.passengers()) {
      if (!p.seat_id().empty()) named.insert(p.seat_id());
    }
    const bool all_named = named.size() == hold.seat_ids.size();
    if (!named.empty() && !all_named) match = false;
    for (const std::string& s : named) {
      if (std::find(hold.seat_ids.begin(), hold.seat_ids.end(), s) == hold.seat_ids.end()) match = false;
    }
    for (size_t i = 0; match && i < hold.seat_ids.size(); ++i) {
      const std::string& seat = hold.seat_ids[i];
      const v1::PassengerSeat* p = &r.passengers(static_cast<int>(i));
      if (all_named) {
        for (const v1::PassengerSeat& q : r.passengers()) {
          if (q.seat_id() == seat) p = &q;
        }
      }
      passengers.push_back({seat, p->passenger_nid(), p->passenger_name()});
    }
  }
  if (!match) {
    v1::ConfirmBookingResponse out;
    out.set_success(false);
    out.set_reason(v1::FAILURE_REASON_PASSENGER_MISMATCH);
    out.set_failure_reason(kPassengerMismatchText);
    co_return out;
  }

  absl::StatusOr<SnapshotCache::SnapshotPtr> snap = co_await Snapshot(hold.organization_id, hold.trip_id);
  if (!snap.ok()) co_return snap.status();
  storage::BookingRecord booking;
  booking.booking_id = booking_id;
  booking.hold_id = hold.hold_id;
  booking.order_id = r.order_id();
  booking.organization_id = hold.organization_id;
  booking.user_id = hold.user_id;
  booking.trip_id = hold.trip_id;
  booking.seat_ids = hold.seat_ids;
  for (size_t i = 0; i < hold.seat_ids.size(); ++i) {
    const int index = (*snap)->SeatIndex(hold.seat_ids[i]);
    booking.seat_numbers.push_back(index >= 0 ? (*snap)->trip.seats[static_cast<size_t>(index)].seat_number : "");
    booking.ticket_ids.push_back(absl::StrCat("tk-", hold.hold_id, "-", i + 1));
  }
  booking.passengers = std::move(passengers);
  booking.range = hold.range;
  booking.created_at_ms = clock_();
  absl::StatusOr<storage::BookingRecord> stored = co_await store_.CreateBooking(booking);
  if (!stored.ok()) co_return stored.status();
  if (stored->order_id != r.order_id()) co_return absl::FailedPreconditionError("hold already confirmed for another order");

  const storage::TripRef trip{hold.organization_id, hold.trip_id};
  std::vector<asio::awaitable<absl::StatusOr<bool>>> books;
  for (const std::string& seat : hold.seat_ids) {
    books.push_back(store_.BookSeat(trip, seat, hold.range, hold.hold_id, booking_id));
  }
  std::vector<absl::StatusOr<bool>> booked = co_await Gather(std::move(books));
  bool all = true;
  absl::Status error = absl::OkStatus();
  for (const absl::StatusOr<bool>& b : booked) {
    if (!b.ok()) {
      if (error.ok()) error = b.status();
      all = false;
    } else if (!*b) {
      all = false;
    }
  }
  if (!all) {
    if (!error.ok()) co_return error;  // retrying the confirm completes it
    // The hold lost a seat (it expired and someone else took it): undo.
    std::vector<asio::awaitable<absl::StatusOr<bool>>> undo;
    for (size_t i = 0; i < hold.seat_ids.size(); ++i) {
      if (booked[i].ok() && *booked[i]) undo.push_back(store_.UnbookSeat(trip, hold.seat_ids[i], hold.range, booking_id));
    }
    (void)co_await Gather(std::move(undo));
    (void)co_await store_.SetBookingState(*stored, storage::BookingRecord::State::kCancelled);
    AfterChange(trip);
    co_return absl::FailedPreconditionError("hold expired");
  }
  absl::Status confirmed = co_await store_.SetBookingState(*stored, storage::BookingRecord::State::kConfirmed);
  if (!confirmed.ok()) co_return confirmed;
  absl::Status finished = co_await store_.FinishHold(hold, storage::HoldRecord::State::kConfirmed, booking_id);
  if (!finished.ok()) co_return finished;
  PatchSeats(trip, hold.seat_ids, hold.range, [&](domain::SegmentState& st) {
    st = domain::SegmentState{SeatStatus::kBooked, "", booking_id, 0, hold.user_id};
  });
  if (edge_ != nullptr) {
    std::vector<cache::Marker> markers;
    const int64_t until = clock_() + options_.booked_marker_ttl.count();
    for (const cache::SeatSegment& c : Cells(hold.seat_ids, hold.range)) {
      markers.push_back({c, true, hold.user_id, booking_id, until});
    }
    cache::TripKey key{hold.organization_id, hold.trip_id};
    std::vector<cache::SeatSegment> no_locks;
    std::string no_token;
    absl::Status marked = co_await edge_->MarkAndRelease(std::move(key), std::move(markers), std::move(no_locks),
                                                         std::move(no_token));
    (void)marked;  // a lost marker only costs a database round trip
  }
  co_return answer_with(*stored);
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
  const storage::BookingRecord& booking = **found;
  if (booking.state == storage::BookingRecord::State::kCancelled) {
    out.set_success(true);  // cancelled before: harmless
    co_return out;
  }
  const storage::TripRef trip{booking.organization_id, booking.trip_id};
  std::vector<asio::awaitable<absl::StatusOr<bool>>> frees;
  for (const std::string& seat : booking.seat_ids) {
    frees.push_back(store_.UnbookSeat(trip, seat, booking.range, booking.booking_id));
  }
  std::vector<absl::StatusOr<bool>> freed = co_await Gather(std::move(frees));
  int count = 0;
  std::vector<std::string> unbooked;
  for (size_t i = 0; i < freed.size(); ++i) {
    if (!freed[i].ok()) co_return freed[i].status();
    if (*freed[i]) {
      ++count;
      unbooked.push_back(booking.seat_ids[i]);
    }
  }
  absl::Status state = co_await store_.SetBookingState(booking, storage::BookingRecord::State::kCancelled);
  if (!state.ok()) co_return state;
  PatchSeats(trip, unbooked, booking.range, [&booking](domain::SegmentState& st) {
    if (st.status == SeatStatus::kBooked && st.booking_id == booking.booking_id) st = domain::SegmentState{};
  });
  if (edge_ != nullptr) {
    cache::TripKey key{booking.organization_id, booking.trip_id};
    std::vector<cache::SeatSegment> cells = Cells(booking.seat_ids, booking.range);
    absl::Status unmarked = co_await edge_->Unmark(std::move(key), std::move(cells), booking.booking_id);
    (void)unmarked;
  }
  out.set_success(true);
  out.set_released_count(count);
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
  AfterChange(trip);
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
