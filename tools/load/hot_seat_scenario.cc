#include "hot_seat_scenario.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <random>

namespace inventory::load {
namespace {

constexpr const char* kStations[] = {"A", "B", "C", "D"};
constexpr int64_t kSegmentSeconds = 3600;

}  // namespace

HotSeatScenario::HotSeatScenario(inventory::v1::InventoryService::StubInterface* stub,
                                 const ScenarioOptions& options)
    : stub_(stub), options_(options) {}

std::vector<std::string> HotSeatScenario::SeatIds() {
  std::vector<std::string> ids;
  for (int row = 1; row <= kRows; ++row) {
    for (int col = 0; col < kColumns; ++col) ids.push_back(fmt::format("{}{}", row, static_cast<char>('A' + col)));
  }
  return ids;
}

std::string HotSeatScenario::MakeTripId(int64_t unix_ms, uint32_t random) {
  return fmt::format("hot-{}-{:06x}", unix_ms, random & 0xffffffu);
}

inventory::v1::InitializeTripInventoryRequest HotSeatScenario::TripRequest(const std::string& trip_id,
                                                                           const std::string& organization_id,
                                                                           int64_t now_unix_seconds) {
  inventory::v1::InitializeTripInventoryRequest req;
  req.set_trip_id(trip_id);
  req.set_organization_id(organization_id);
  req.set_vehicle_id("load-bus-1");
  req.set_vehicle_type("bus");
  const int64_t departure = now_unix_seconds + 24 * 3600;
  for (int i = 0; i + 1 < static_cast<int>(std::size(kStations)); ++i) {
    auto* seg = req.add_segments();
    seg->set_segment_index(i);
    seg->set_from_station_id(kStations[i]);
    seg->set_to_station_id(kStations[i + 1]);
    seg->set_departure_time(departure + i * kSegmentSeconds);
    seg->set_arrival_time(departure + (i + 1) * kSegmentSeconds - 300);
  }
  auto* config = req.mutable_seat_config();
  config->set_total_seats(kRows * kColumns);
  for (int row = 1; row <= kRows; ++row) {
    for (int col = 0; col < kColumns; ++col) {
      auto* seat = config->add_seats();
      const std::string id = fmt::format("{}{}", row, static_cast<char>('A' + col));
      seat->set_seat_id(id);
      seat->set_seat_number(id);
      seat->set_row(row);
      seat->set_column(col + 1);
      seat->set_seat_type(col == 0 || col == kColumns - 1 ? "window" : "aisle");
      seat->set_seat_class("economy");
      seat->set_price_paisa(kPricePaisa);
    }
  }
  return req;
}

inventory::v1::HoldSeatsRequest HotSeatScenario::HoldRequest(const std::string& trip_id,
                                                             const std::string& organization_id,
                                                             const std::string& seat_id, int64_t n) {
  inventory::v1::HoldSeatsRequest req;
  req.set_trip_id(trip_id);
  req.set_organization_id(organization_id);
  req.add_seat_ids(seat_id);
  // Users are distinct within a run and across runs (the trip id is new
  // each run): a user who won an earlier run still has that hold, and the
  // per-user hold limit would otherwise refuse them here.
  req.set_user_id(fmt::format("user-{}-{}", trip_id, n));
  req.set_session_id(fmt::format("session-{}-{}", trip_id, n));
  req.set_hold_duration_seconds(kHoldSeconds);
  // from_station_id and to_station_id stay empty: the whole trip.
  return req;
}

grpc::Status HotSeatScenario::Prepare() {
  const std::vector<std::string> seats = SeatIds();
  if (std::find(seats.begin(), seats.end(), options_.seat_id) == seats.end()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        fmt::format("seat {} is not in the {}x{} layout (1A..{}{})", options_.seat_id, kRows,
                                    kColumns, kRows, static_cast<char>('A' + kColumns - 1)));
  }
  const auto now = std::chrono::system_clock::now();
  const int64_t unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  trip_id_ = MakeTripId(unix_ms, std::random_device{}());

  grpc::ClientContext context;
  context.set_deadline(now + options_.timeout);
  inventory::v1::InitializeTripInventoryResponse resp;
  grpc::Status status = stub_->InitializeTripInventory(
      &context, TripRequest(trip_id_, options_.organization_id, unix_ms / 1000), &resp);
  if (!status.ok()) {
    return grpc::Status(status.error_code(), fmt::format("InitializeTripInventory({}): {}: {}", trip_id_,
                                                         StatusCodeName(status.error_code()),
                                                         status.error_message()));
  }
  if (!resp.success()) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        fmt::format("InitializeTripInventory({}) answered success=false", trip_id_));
  }
  return grpc::Status::OK;
}

void HotSeatScenario::StartCall(int64_t n, grpc::ClientContext& context, std::function<void(Outcome)> done) {
  // Request and response live until the call's callback has run.
  struct Call {
    inventory::v1::HoldSeatsRequest request;
    inventory::v1::HoldSeatsResponse response;
  };
  auto call = std::make_shared<Call>();
  call->request = HoldRequest(trip_id_, options_.organization_id, options_.seat_id, n);
  stub_->async()->HoldSeats(&context, &call->request, &call->response,
                            [call, done = std::move(done)](grpc::Status status) {
                              done(ClassifyHoldSeats(status, call->response));
                            });
}

std::vector<std::pair<std::string, std::string>> HotSeatScenario::Details() const {
  return {{"trip", trip_id_}, {"organization", options_.organization_id}, {"seat", options_.seat_id}};
}

std::vector<std::string> HotSeatScenario::Check(const OutcomeTally& tally, int64_t completed) const {
  std::vector<std::string> why;
  if (completed > 0 && tally.success() != 1) {
    why.push_back(fmt::format("expected exactly 1 successful hold of seat {}, got {}", options_.seat_id,
                              tally.success()));
  }
  if (tally.errors() > 0) why.push_back(fmt::format("{} requests ended in a gRPC error", tally.errors()));
  if (tally.other_refusal() > 0) {
    why.push_back(fmt::format("{} refusals were neither contention nor not-available", tally.other_refusal()));
  }
  return why;
}

}  // namespace inventory::load
