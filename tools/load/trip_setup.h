// Building and creating the fresh trips that the spread, seatmap and funnel
// scenarios load against: a grid layout of seats "R<row>C<column>" (two
// digits each, 1-based) over a line of stops, one segment between
// consecutive stops.
//
// The request builders are pure; CreateTrip makes one blocking call on the
// stub. Thread-safe (no shared state).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <grpcpp/support/status.h>

#include "inventory/v1/inventory.grpc.pb.h"

namespace inventory::load {

struct TripLayout {
  std::vector<std::string> stations;  // >= 2 stops: stations.size() - 1 segments
  int rows = 1;
  int columns = 1;
  int64_t price_paisa = 50000;
};

// "R01C01" for row 1, column 1; "R50C20" for row 50, column 20.
std::string GridSeatId(int row, int column);

// The seat at `index` (0-based, row-major) of a layout `columns` wide:
// index 0 is R01C01, index `columns` is R02C01.
std::string GridSeatIdAt(int index, int columns);

// "<prefix>-<unix_ms>-<6 hex digits of random>": unique-looking per run.
std::string FormatRunTag(std::string_view prefix, int64_t unix_ms, uint32_t random);

// FormatRunTag with the current time and a random number.
std::string MakeRunTag(std::string_view prefix);

// The definition of a trip of `layout`; segment i departs a day after
// `now_unix_seconds` plus i hours. Seats are economy, "window" in the first
// and last column and "aisle" elsewhere, in row-major order.
inventory::v1::InitializeTripInventoryRequest GridTripRequest(const std::string& trip_id,
                                                              const std::string& organization_id,
                                                              const TripLayout& layout, int64_t now_unix_seconds);

// Sends `request` with a deadline of `timeout` and turns anything but an OK,
// success=true answer into a non-OK status naming the call and the trip.
grpc::Status CreateTrip(inventory::v1::InventoryService::StubInterface* stub,
                        const inventory::v1::InitializeTripInventoryRequest& request,
                        std::chrono::milliseconds timeout);

// Current time in unix seconds.
int64_t NowUnixSeconds();

}  // namespace inventory::load
