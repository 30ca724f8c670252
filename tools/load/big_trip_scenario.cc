#include "big_trip_scenario.h"

#include <fmt/format.h>

#include <memory>

#include <grpcpp/client_context.h>

#include "seat_map_scenario.h"

namespace inventory::load {

BigTripScenario::BigTripScenario(inventory::v1::InventoryService::StubInterface* stub,
                                 const ScenarioOptions& options)
    : stub_(stub), options_(options) {}

TripLayout BigTripScenario::Layout() {
  TripLayout layout;
  for (int i = 0; i <= kSegments; ++i) layout.stations.push_back(fmt::format("S{:02}", i));
  layout.rows = kRows;
  layout.columns = kColumns;
  return layout;
}

inventory::v1::HoldSeatsRequest BigTripScenario::ChangeRequest(const std::string& trip_id,
                                                               const std::string& organization_id, int64_t n) {
  const int64_t change = n / kChangeEvery;
  // Each pass over the seats moves to the next segment: no cell twice.
  const auto segment = static_cast<size_t>((change + change / kSeats) % kSegments);
  const std::vector<std::string> stations = Layout().stations;
  inventory::v1::HoldSeatsRequest req;
  req.set_trip_id(trip_id);
  req.set_organization_id(organization_id);
  // Past the last seat, the same seats again on the next segment.
  req.add_seat_ids(GridSeatIdAt(static_cast<int>(change % kSeats), kColumns));
  req.set_from_station_id(stations[segment]);
  req.set_to_station_id(stations[segment + 1]);
  req.set_user_id(fmt::format("big-{}-{}", trip_id, n));
  req.set_session_id(fmt::format("big-session-{}-{}", trip_id, n));
  req.set_hold_duration_seconds(kHoldSeconds);
  return req;
}

grpc::Status BigTripScenario::Prepare() {
  trip_id_ = MakeRunTag("big-trip");
  const std::chrono::milliseconds timeout = std::max<std::chrono::milliseconds>(options_.timeout, kTripLoadTimeout);
  return CreateTrip(stub_, GridTripRequest(trip_id_, options_.organization_id, Layout(), NowUnixSeconds()), timeout);
}

void BigTripScenario::StartCall(int64_t n, grpc::ClientContext& context, std::function<void(Outcome)> done) {
  if (IsChange(n)) {
    struct Hold {
      inventory::v1::HoldSeatsRequest request;
      inventory::v1::HoldSeatsResponse response;
    };
    auto call = std::make_shared<Hold>();
    call->request = ChangeRequest(trip_id_, options_.organization_id, n);
    stub_->async()->HoldSeats(&context, &call->request, &call->response,
                              [call, done = std::move(done)](grpc::Status status) {
                                done(ClassifyHoldSeats(status, call->response));
                              });
    return;
  }
  struct Map {
    inventory::v1::GetSeatMapRequest request;
    inventory::v1::GetSeatMapResponse response;
  };
  auto call = std::make_shared<Map>();
  call->request = SeatMapScenario::MapRequest(trip_id_, options_.organization_id);
  stub_->async()->GetSeatMap(&context, &call->request, &call->response,
                             [call, done = std::move(done)](grpc::Status status) {
                               done(SeatMapScenario::ClassifySeatMap(status, call->response, kSeats));
                             });
}

std::vector<std::pair<std::string, std::string>> BigTripScenario::Details() const {
  return {{"trip", trip_id_},
          {"organization", options_.organization_id},
          {"seats", fmt::format("{} ({} x {})", kSeats, kRows, kColumns)},
          {"segments", fmt::format("{}, every map over all of them", kSegments)},
          {"changes", fmt::format("one hold every {} requests", kChangeEvery)}};
}

std::vector<std::string> BigTripScenario::Check(const OutcomeTally& tally, int64_t completed) const {
  std::vector<std::string> why;
  if (tally.errors() > 0) why.push_back(fmt::format("{} requests ended in a gRPC error", tally.errors()));
  const uint64_t wrong = tally.total() - tally.success() - tally.errors();
  if (wrong > 0) why.push_back(fmt::format("{} answers were neither a complete map nor a held seat", wrong));
  if (why.empty() && tally.success() != static_cast<uint64_t>(completed)) {
    why.push_back(fmt::format("{} of {} requests were answered as expected", tally.success(), completed));
  }
  return why;
}

}  // namespace inventory::load
