#include "funnel_scenario.h"

#include <fmt/format.h>

#include <algorithm>

#include <grpcpp/client_context.h>

namespace inventory::load {
namespace {

// Salts that keep the journey and the seat choice of one flow independent.
constexpr uint64_t kJourneyFirstSalt = 0x6a6f75726e657931ull;
constexpr uint64_t kJourneyLastSalt = 0x6a6f75726e657932ull;
constexpr uint64_t kSeatSalt = 0x736561747069636bull;

const std::vector<std::string>& Stations() {
  static const std::vector<std::string> kStations = {"A", "B", "C", "D"};
  return kStations;
}

Outcome StepError(std::string_view step, const grpc::Status& status) {
  return Outcome{OutcomeKind::kError, status.error_code(), fmt::format("{}: {}", step, status.error_message())};
}

}  // namespace

// One flow's state: every request, response and context of its steps, kept
// alive by the callbacks that hold the shared_ptr until the flow ends.
struct FunnelScenario::Flow {
  int64_t n = 0;
  Journey journey;
  std::string trip_id;
  std::string seat_id;
  std::function<void(Outcome)> done;

  inventory::v1::GetSeatMapRequest map_request;
  inventory::v1::GetSeatMapResponse map_response;

  grpc::ClientContext hold_context;
  inventory::v1::HoldSeatsRequest hold_request;
  inventory::v1::HoldSeatsResponse hold_response;

  grpc::ClientContext last_context;  // confirm or release
  inventory::v1::ConfirmBookingRequest confirm_request;
  inventory::v1::ConfirmBookingResponse confirm_response;
  inventory::v1::ReleaseSeatsRequest release_request;
  inventory::v1::ReleaseSeatsResponse release_response;
};

FunnelScenario::FunnelScenario(inventory::v1::InventoryService::StubInterface* stub, const ScenarioOptions& options)
    : stub_(stub), options_(options) {}

int64_t FunnelScenario::TripCount(int64_t requests) {
  return std::max<int64_t>(kMinTrips, (requests + kFlowsPerTrip - 1) / kFlowsPerTrip);
}

TripLayout FunnelScenario::Layout() {
  TripLayout layout;
  layout.stations = Stations();
  layout.rows = kRows;
  layout.columns = kColumns;
  return layout;
}

uint64_t FunnelScenario::Mix(int64_t n, uint64_t salt) {
  uint64_t z = static_cast<uint64_t>(n) + salt + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

FunnelScenario::Journey FunnelScenario::PickJourney(int64_t n) {
  Journey j;
  j.first = static_cast<int>(Mix(n, kJourneyFirstSalt) % kSegments);
  j.last = j.first + static_cast<int>(Mix(n, kJourneyLastSalt) % static_cast<uint64_t>(kSegments - j.first));
  return j;
}

std::optional<std::string> FunnelScenario::PickSeat(const inventory::v1::GetSeatMapResponse& map, int64_t n) {
  std::vector<const std::string*> free;
  for (const inventory::v1::SeatRow& row : map.rows()) {
    for (const inventory::v1::SeatCell& cell : row.seats()) {
      if (cell.status() == inventory::v1::SEAT_STATUS_AVAILABLE) free.push_back(&cell.seat_id());
    }
  }
  if (free.empty()) return std::nullopt;
  return *free[Mix(n, kSeatSalt) % free.size()];
}

std::string FunnelScenario::UserId(const std::string& run_tag, int64_t n) { return fmt::format("f-{}-{}", run_tag, n); }

inventory::v1::GetSeatMapRequest FunnelScenario::MapRequest(const std::string& trip_id,
                                                            const std::string& organization_id, Journey journey) {
  inventory::v1::GetSeatMapRequest req;
  req.set_trip_id(trip_id);
  req.set_organization_id(organization_id);
  req.set_from_station_id(Stations()[static_cast<size_t>(journey.first)]);
  req.set_to_station_id(Stations()[static_cast<size_t>(journey.last) + 1]);
  return req;
}

inventory::v1::HoldSeatsRequest FunnelScenario::HoldRequest(const std::string& trip_id,
                                                            const std::string& organization_id,
                                                            const std::string& run_tag, int64_t n, Journey journey,
                                                            const std::string& seat_id) {
  inventory::v1::HoldSeatsRequest req;
  req.set_trip_id(trip_id);
  req.set_organization_id(organization_id);
  req.set_from_station_id(Stations()[static_cast<size_t>(journey.first)]);
  req.set_to_station_id(Stations()[static_cast<size_t>(journey.last) + 1]);
  req.add_seat_ids(seat_id);
  req.set_user_id(UserId(run_tag, n));
  req.set_session_id(fmt::format("fs-{}-{}", run_tag, n));
  req.set_hold_duration_seconds(kHoldSeconds);
  return req;
}

inventory::v1::ConfirmBookingRequest FunnelScenario::ConfirmRequest(const std::string& organization_id,
                                                                    const std::string& run_tag, int64_t n,
                                                                    const std::string& hold_id,
                                                                    const std::string& seat_id) {
  inventory::v1::ConfirmBookingRequest req;
  req.set_hold_id(hold_id);
  req.set_order_id(fmt::format("o-{}-{}", run_tag, n));
  req.set_user_id(UserId(run_tag, n));
  req.set_organization_id(organization_id);
  inventory::v1::PassengerSeat* passenger = req.add_passengers();
  passenger->set_seat_id(seat_id);
  passenger->set_passenger_nid(fmt::format("NID-{}", n));
  passenger->set_passenger_name(fmt::format("Passenger {}", n));
  return req;
}

inventory::v1::ReleaseSeatsRequest FunnelScenario::ReleaseRequest(const std::string& organization_id,
                                                                  const std::string& run_tag, int64_t n,
                                                                  const std::string& hold_id) {
  inventory::v1::ReleaseSeatsRequest req;
  req.set_hold_id(hold_id);
  req.set_user_id(UserId(run_tag, n));
  req.set_organization_id(organization_id);
  return req;
}

Outcome FunnelScenario::ClassifyConfirm(const grpc::Status& status,
                                        const inventory::v1::ConfirmBookingResponse& response) {
  if (!status.ok()) return StepError("ConfirmBooking", status);
  if (response.success()) return Outcome{OutcomeKind::kSuccess, grpc::StatusCode::OK, ""};
  return Outcome{OutcomeKind::kOtherRefusal, grpc::StatusCode::OK,
                 fmt::format("ConfirmBooking: {}: {}", inventory::v1::FailureReason_Name(response.reason()),
                             response.failure_reason())};
}

Outcome FunnelScenario::ClassifyRelease(const grpc::Status& status,
                                        const inventory::v1::ReleaseSeatsResponse& response) {
  if (!status.ok()) return StepError("ReleaseSeats", status);
  if (response.success()) return Outcome{OutcomeKind::kSuccess, grpc::StatusCode::OK, ""};
  return Outcome{OutcomeKind::kOtherRefusal, grpc::StatusCode::OK,
                 fmt::format("ReleaseSeats: {}", inventory::v1::FailureReason_Name(response.reason()))};
}

grpc::Status FunnelScenario::Prepare() {
  run_tag_ = MakeRunTag("funnel");
  const int64_t trips = TripCount(options_.requests);
  const TripLayout layout = Layout();
  const int64_t now = NowUnixSeconds();
  trip_ids_.clear();
  for (int64_t i = 0; i < trips; ++i) {
    std::string trip_id = fmt::format("{}-{}", run_tag_, i);
    const grpc::Status status =
        CreateTrip(stub_, GridTripRequest(trip_id, options_.organization_id, layout, now), options_.timeout);
    if (!status.ok()) return status;
    trip_ids_.push_back(std::move(trip_id));
  }
  return grpc::Status::OK;
}

void FunnelScenario::StartCall(int64_t n, grpc::ClientContext& context, std::function<void(Outcome)> done) {
  auto flow = std::make_shared<Flow>();
  flow->n = n;
  flow->journey = PickJourney(n);
  flow->trip_id = trip_ids_[static_cast<size_t>(n % static_cast<int64_t>(trip_ids_.size()))];
  flow->done = std::move(done);
  flow->map_request = MapRequest(flow->trip_id, options_.organization_id, flow->journey);
  // Step 1 on the runner's context (its deadline is already set).
  stub_->async()->GetSeatMap(&context, &flow->map_request, &flow->map_response,
                             [this, flow](grpc::Status status) { OnSeatMap(flow, status); });
}

void FunnelScenario::OnSeatMap(std::shared_ptr<Flow> flow, const grpc::Status& status) {
  if (!status.ok()) return Finish(*flow, StepError("GetSeatMap", status));
  std::optional<std::string> seat = PickSeat(flow->map_response, flow->n);
  if (!seat.has_value()) {
    no_free_seat_.fetch_add(1, std::memory_order_relaxed);
    return Finish(*flow, Outcome{OutcomeKind::kNotAvailable, grpc::StatusCode::OK, "no free seat on the map"});
  }
  flow->seat_id = std::move(*seat);
  flow->hold_request =
      HoldRequest(flow->trip_id, options_.organization_id, run_tag_, flow->n, flow->journey, flow->seat_id);
  flow->hold_context.set_deadline(std::chrono::system_clock::now() + options_.timeout);
  Flow* raw = flow.get();
  stub_->async()->HoldSeats(&raw->hold_context, &raw->hold_request, &raw->hold_response,
                            [this, flow = std::move(flow)](grpc::Status hold_status) { OnHold(flow, hold_status); });
}

void FunnelScenario::OnHold(std::shared_ptr<Flow> flow, const grpc::Status& status) {
  if (!status.ok()) return Finish(*flow, StepError("HoldSeats", status));
  if (!flow->hold_response.success()) {
    Outcome refused = ClassifyHoldSeats(status, flow->hold_response);
    if (refused.kind == OutcomeKind::kNotAvailable) lost_race_.fetch_add(1, std::memory_order_relaxed);
    return Finish(*flow, std::move(refused));
  }
  const std::string& hold_id = flow->hold_response.hold_id();
  flow->last_context.set_deadline(std::chrono::system_clock::now() + options_.timeout);
  Flow* raw = flow.get();
  if (Confirms(flow->n)) {
    raw->confirm_request = ConfirmRequest(options_.organization_id, run_tag_, raw->n, hold_id, raw->seat_id);
    stub_->async()->ConfirmBooking(&raw->last_context, &raw->confirm_request, &raw->confirm_response,
                                   [this, flow = std::move(flow)](grpc::Status confirm_status) {
                                     Outcome outcome = ClassifyConfirm(confirm_status, flow->confirm_response);
                                     if (outcome.kind == OutcomeKind::kSuccess) {
                                       confirmed_.fetch_add(1, std::memory_order_relaxed);
                                     }
                                     Finish(*flow, std::move(outcome));
                                   });
  } else {
    raw->release_request = ReleaseRequest(options_.organization_id, run_tag_, raw->n, hold_id);
    stub_->async()->ReleaseSeats(&raw->last_context, &raw->release_request, &raw->release_response,
                                 [this, flow = std::move(flow)](grpc::Status release_status) {
                                   Outcome outcome = ClassifyRelease(release_status, flow->release_response);
                                   if (outcome.kind == OutcomeKind::kSuccess) {
                                     released_.fetch_add(1, std::memory_order_relaxed);
                                   }
                                   Finish(*flow, std::move(outcome));
                                 });
  }
}

void FunnelScenario::Finish(Flow& flow, Outcome outcome) {
  finished_.fetch_add(1, std::memory_order_relaxed);
  std::function<void(Outcome)> done = std::move(flow.done);
  done(std::move(outcome));
}

std::vector<std::pair<std::string, std::string>> FunnelScenario::Details() const {
  std::vector<std::pair<std::string, std::string>> details;
  details.emplace_back("run", run_tag_);
  details.emplace_back("trips", std::to_string(trip_ids_.size()));
  if (!trip_ids_.empty()) {
    details.emplace_back("first_trip", trip_ids_.front());
    details.emplace_back("last_trip", trip_ids_.back());
  }
  details.emplace_back("organization", options_.organization_id);
  details.emplace_back("seats", fmt::format("{} per trip ({} x {})", kSeatsPerTrip, kRows, kColumns));
  details.emplace_back("segments", "3 (A-B-C-D), journeys of 1 to 3");
  if (finished_.load(std::memory_order_relaxed) > 0) {
    details.emplace_back("confirmed", std::to_string(confirmed_.load(std::memory_order_relaxed)));
    details.emplace_back("released", std::to_string(released_.load(std::memory_order_relaxed)));
    details.emplace_back("no_free_seat", std::to_string(no_free_seat_.load(std::memory_order_relaxed)));
    details.emplace_back("seat_taken_first", std::to_string(lost_race_.load(std::memory_order_relaxed)));
  }
  return details;
}

std::vector<std::string> FunnelScenario::Check(const OutcomeTally& tally, int64_t completed) const {
  std::vector<std::string> why;
  if (tally.errors() > 0) why.push_back(fmt::format("{} flows ended in a gRPC error", tally.errors()));
  if (tally.other_refusal() > 0) {
    why.push_back(fmt::format("{} flows met an unexpected refusal (see other refusals)", tally.other_refusal()));
  }
  if (completed > 0 && 2 * tally.success() < static_cast<uint64_t>(completed)) {
    const double percent = 100.0 * static_cast<double>(tally.success()) / static_cast<double>(completed);
    why.push_back(fmt::format("only {} of {} flows completed ({:.1f} %), expected at least 50 %", tally.success(),
                              completed, percent));
  }
  return why;
}

}  // namespace inventory::load
