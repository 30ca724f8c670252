#include "seat_map_scenario.h"

#include <fmt/format.h>

#include <memory>

#include <grpcpp/client_context.h>

namespace inventory::load {

SeatMapScenario::SeatMapScenario(inventory::v1::InventoryService::StubInterface* stub,
                                 const ScenarioOptions& options)
    : stub_(stub), options_(options) {}

TripLayout SeatMapScenario::Layout() {
  TripLayout layout;
  layout.stations = {"A", "B", "C", "D", "E", "F"};
  layout.rows = kRows;
  layout.columns = kColumns;
  return layout;
}

inventory::v1::HoldSeatsRequest SeatMapScenario::SetUpHold(const std::string& trip_id,
                                                           const std::string& organization_id, int i) {
  const std::vector<std::string> stations = Layout().stations;
  inventory::v1::HoldSeatsRequest req;
  req.set_trip_id(trip_id);
  req.set_organization_id(organization_id);
  req.add_seat_ids(GridSeatIdAt(i * (kSeats / kHeldSeats), kColumns));
  req.set_from_station_id(stations[static_cast<size_t>(i % kSegments)]);
  req.set_to_station_id(stations[static_cast<size_t>(i % kSegments) + 1]);
  req.set_user_id(fmt::format("seatmap-{}-{}", trip_id, i));
  req.set_session_id(fmt::format("seatmap-session-{}-{}", trip_id, i));
  req.set_hold_duration_seconds(kHoldSeconds);
  return req;
}

inventory::v1::GetSeatMapRequest SeatMapScenario::MapRequest(const std::string& trip_id,
                                                             const std::string& organization_id) {
  inventory::v1::GetSeatMapRequest req;
  req.set_trip_id(trip_id);
  req.set_organization_id(organization_id);
  // from_station_id and to_station_id stay empty: the whole trip.
  return req;
}

int SeatMapScenario::CountSeats(const inventory::v1::GetSeatMapResponse& map) {
  int seats = 0;
  for (const inventory::v1::SeatRow& row : map.rows()) seats += row.seats_size();
  return seats;
}

Outcome SeatMapScenario::ClassifySeatMap(const grpc::Status& status, const inventory::v1::GetSeatMapResponse& map,
                                         int expected_seats) {
  if (!status.ok()) return Outcome{OutcomeKind::kError, status.error_code(), status.error_message()};
  const int seats = CountSeats(map);
  if (seats != expected_seats) {
    return Outcome{OutcomeKind::kOtherRefusal, grpc::StatusCode::OK,
                   fmt::format("seat map has {} seats, expected {}", seats, expected_seats)};
  }
  return Outcome{OutcomeKind::kSuccess, grpc::StatusCode::OK, ""};
}

grpc::Status SeatMapScenario::Prepare() {
  trip_id_ = MakeRunTag("seatmap");
  grpc::Status status = CreateTrip(
      stub_, GridTripRequest(trip_id_, options_.organization_id, Layout(), NowUnixSeconds()), options_.timeout);
  if (!status.ok()) return status;
  for (int i = 0; i < kHeldSeats; ++i) {
    const inventory::v1::HoldSeatsRequest req = SetUpHold(trip_id_, options_.organization_id, i);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + options_.timeout);
    inventory::v1::HoldSeatsResponse resp;
    status = stub_->HoldSeats(&context, req, &resp);
    if (!status.ok()) {
      return grpc::Status(status.error_code(), fmt::format("HoldSeats({} of {}): {}: {}", req.seat_ids(0), trip_id_,
                                                           StatusCodeName(status.error_code()),
                                                           status.error_message()));
    }
    if (!resp.success()) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          fmt::format("HoldSeats({} of {}) was refused: {}", req.seat_ids(0), trip_id_,
                                      resp.failure_reason()));
    }
  }
  return grpc::Status::OK;
}

void SeatMapScenario::StartCall(int64_t, grpc::ClientContext& context, std::function<void(Outcome)> done) {
  struct Call {
    inventory::v1::GetSeatMapRequest request;
    inventory::v1::GetSeatMapResponse response;
  };
  auto call = std::make_shared<Call>();
  call->request = MapRequest(trip_id_, options_.organization_id);
  stub_->async()->GetSeatMap(&context, &call->request, &call->response,
                             [call, done = std::move(done)](grpc::Status status) {
                               done(ClassifySeatMap(status, call->response, kSeats));
                             });
}

std::vector<std::pair<std::string, std::string>> SeatMapScenario::Details() const {
  return {{"trip", trip_id_},
          {"organization", options_.organization_id},
          {"seats", fmt::format("{} ({} x {}), {} held in set-up", kSeats, kRows, kColumns, kHeldSeats)},
          {"segments", fmt::format("{} (A-B-C-D-E-F), every map over all of them", kSegments)}};
}

std::vector<std::string> SeatMapScenario::Check(const OutcomeTally& tally, int64_t completed) const {
  std::vector<std::string> why;
  if (tally.errors() > 0) why.push_back(fmt::format("{} requests ended in a gRPC error", tally.errors()));
  const uint64_t wrong = tally.total() - tally.success() - tally.errors();
  if (wrong > 0) why.push_back(fmt::format("{} seat maps did not have {} seats", wrong, kSeats));
  if (why.empty() && tally.success() != static_cast<uint64_t>(completed)) {
    why.push_back(fmt::format("{} of {} seat maps were answered as expected", tally.success(), completed));
  }
  return why;
}

}  // namespace inventory::load
