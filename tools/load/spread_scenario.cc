#include "spread_scenario.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>

namespace inventory::load {

SpreadScenario::SpreadScenario(inventory::v1::InventoryService::StubInterface* stub, const ScenarioOptions& options)
    : stub_(stub), options_(options) {}

int64_t SpreadScenario::TripCount(int64_t requests) {
  return std::max<int64_t>(1, (requests + kSeatsPerTrip - 1) / kSeatsPerTrip);
}

std::string SpreadScenario::TripId(const std::string& run_tag, int64_t index) {
  return fmt::format("{}-{}", run_tag, index);
}

TripLayout SpreadScenario::Layout() {
  TripLayout layout;
  layout.stations = {"A", "B", "C", "D"};
  layout.rows = kRows;
  layout.columns = kColumns;
  return layout;
}

inventory::v1::HoldSeatsRequest SpreadScenario::HoldRequest(const std::string& trip_id,
                                                            const std::string& organization_id, int64_t n) {
  inventory::v1::HoldSeatsRequest req;
  req.set_trip_id(trip_id);
  req.set_organization_id(organization_id);
  req.add_seat_ids(GridSeatIdAt(static_cast<int>(n % kSeatsPerTrip), kColumns));
  // One user per request (the per-user hold limit would refuse a reused
  // one); the trip id makes them distinct across runs too.
  req.set_user_id(fmt::format("u-{}-{}", trip_id, n));
  req.set_session_id(fmt::format("s-{}-{}", trip_id, n));
  req.set_hold_duration_seconds(kHoldSeconds);
  // from_station_id and to_station_id stay empty: the whole trip.
  return req;
}

grpc::Status SpreadScenario::Prepare() {
  const std::string run_tag = MakeRunTag("spread");
  const int64_t trips = TripCount(options_.requests);
  const std::chrono::milliseconds timeout = std::max<std::chrono::milliseconds>(options_.timeout, kTripLoadTimeout);
  const TripLayout layout = Layout();
  const int64_t now = NowUnixSeconds();
  trip_ids_.clear();
  for (int64_t i = 0; i < trips; ++i) {
    std::string trip_id = TripId(run_tag, i);
    const grpc::Status status =
        CreateTrip(stub_, GridTripRequest(trip_id, options_.organization_id, layout, now), timeout);
    if (!status.ok()) return status;
    trip_ids_.push_back(std::move(trip_id));
  }
  return grpc::Status::OK;
}

void SpreadScenario::StartCall(int64_t n, grpc::ClientContext& context, std::function<void(Outcome)> done) {
  const size_t trip = static_cast<size_t>(n / kSeatsPerTrip);
  if (n < 0 || trip >= trip_ids_.size()) {
    done(Outcome{OutcomeKind::kError, grpc::StatusCode::OUT_OF_RANGE,
                 fmt::format("request {} is beyond the {} prepared trips", n, trip_ids_.size())});
    return;
  }
  // Request and response live until the call's callback has run.
  struct Call {
    inventory::v1::HoldSeatsRequest request;
    inventory::v1::HoldSeatsResponse response;
  };
  auto call = std::make_shared<Call>();
  call->request = HoldRequest(trip_ids_[trip], options_.organization_id, n);
  stub_->async()->HoldSeats(&context, &call->request, &call->response,
                            [call, done = std::move(done)](grpc::Status status) {
                              done(ClassifyHoldSeats(status, call->response));
                            });
}

std::vector<std::pair<std::string, std::string>> SpreadScenario::Details() const {
  std::vector<std::pair<std::string, std::string>> details;
  details.emplace_back("trips", std::to_string(trip_ids_.size()));
  if (!trip_ids_.empty()) {
    details.emplace_back("first_trip", trip_ids_.front());
    if (trip_ids_.size() > 1) details.emplace_back("last_trip", trip_ids_.back());
  }
  details.emplace_back("organization", options_.organization_id);
  details.emplace_back("seats", fmt::format("{} per trip ({} x {})", kSeatsPerTrip, kRows, kColumns));
  details.emplace_back("segments", "3 (A-B-C-D), every hold over all of them");
  return details;
}

std::vector<std::string> SpreadScenario::Check(const OutcomeTally& tally, int64_t completed) const {
  std::vector<std::string> why;
  if (tally.success() == static_cast<uint64_t>(completed)) return why;
  why.push_back(fmt::format("expected every hold of a distinct seat to succeed, {} of {} did", tally.success(),
                            completed));
  if (tally.errors() > 0) why.push_back(fmt::format("{} requests ended in a gRPC error", tally.errors()));
  if (tally.contention() > 0) why.push_back(fmt::format("{} holds were refused for contention", tally.contention()));
  if (tally.not_available() > 0) {
    why.push_back(fmt::format("{} holds were refused as not available", tally.not_available()));
  }
  if (tally.other_refusal() > 0) why.push_back(fmt::format("{} holds met another refusal", tally.other_refusal()));
  return why;
}

}  // namespace inventory::load
