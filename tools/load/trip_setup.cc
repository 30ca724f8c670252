#include "trip_setup.h"

#include <fmt/format.h>

#include <random>

#include <grpcpp/client_context.h>

#include "outcome_tally.h"

namespace inventory::load {
namespace {

constexpr int64_t kSegmentSeconds = 3600;
constexpr int64_t kDwellSeconds = 300;

}  // namespace

std::string GridSeatId(int row, int column) { return fmt::format("R{:02}C{:02}", row, column); }

std::string GridSeatIdAt(int index, int columns) { return GridSeatId(index / columns + 1, index % columns + 1); }

std::string FormatRunTag(std::string_view prefix, int64_t unix_ms, uint32_t random) {
  return fmt::format("{}-{}-{:06x}", prefix, unix_ms, random & 0xffffffu);
}

std::string MakeRunTag(std::string_view prefix) {
  const int64_t unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  return FormatRunTag(prefix, unix_ms, std::random_device{}());
}

int64_t NowUnixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inventory::v1::InitializeTripInventoryRequest GridTripRequest(const std::string& trip_id,
                                                              const std::string& organization_id,
                                                              const TripLayout& layout, int64_t now_unix_seconds) {
  inventory::v1::InitializeTripInventoryRequest req;
  req.set_trip_id(trip_id);
  req.set_organization_id(organization_id);
  req.set_vehicle_id("load-bus-1");
  req.set_vehicle_type("bus");
  const int64_t departure = now_unix_seconds + 24 * 3600;
  for (size_t i = 0; i + 1 < layout.stations.size(); ++i) {
    auto* seg = req.add_segments();
    const int64_t index = static_cast<int64_t>(i);
    seg->set_segment_index(static_cast<int32_t>(i));
    seg->set_from_station_id(layout.stations[i]);
    seg->set_to_station_id(layout.stations[i + 1]);
    seg->set_departure_time(departure + index * kSegmentSeconds);
    seg->set_arrival_time(departure + (index + 1) * kSegmentSeconds - kDwellSeconds);
  }
  auto* config = req.mutable_seat_config();
  config->set_total_seats(layout.rows * layout.columns);
  for (int row = 1; row <= layout.rows; ++row) {
    for (int col = 1; col <= layout.columns; ++col) {
      auto* seat = config->add_seats();
      const std::string id = GridSeatId(row, col);
      seat->set_seat_id(id);
      seat->set_seat_number(id);
      seat->set_row(row);
      seat->set_column(col);
      seat->set_seat_type(col == 1 || col == layout.columns ? "window" : "aisle");
      seat->set_seat_class("economy");
      seat->set_price_paisa(layout.price_paisa);
    }
  }
  return req;
}

grpc::Status CreateTrip(inventory::v1::InventoryService::StubInterface* stub,
                        const inventory::v1::InitializeTripInventoryRequest& request,
                        std::chrono::milliseconds timeout) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  inventory::v1::InitializeTripInventoryResponse resp;
  const grpc::Status status = stub->InitializeTripInventory(&context, request, &resp);
  if (!status.ok()) {
    return grpc::Status(status.error_code(),
                        fmt::format("InitializeTripInventory({}): {}: {}", request.trip_id(),
                                    StatusCodeName(status.error_code()), status.error_message()));
  }
  if (!resp.success()) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        fmt::format("InitializeTripInventory({}) answered success=false", request.trip_id()));
  }
  return grpc::Status::OK;
}

}  // namespace inventory::load
