#include "api/inventory_service.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

namespace inventory::api {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  grpc::StatusCode code = static_cast<grpc::StatusCode>(status.code());
  switch (status.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kCancelled:
      code = grpc::StatusCode::UNAVAILABLE;
      break;
    default:
      break;
  }
  return grpc::Status(code, std::string(status.message()));
}

template <typename Request, typename Response, typename Method>
grpc::ServerUnaryReactor* InventoryService::Dispatch(Ctx* ctx, const Request* request, Response* response,
                                                     Method method) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  // The request and response live until Finish(); the coroutine borrows them.
  asio::co_spawn(
      executor_,
      [this, request, response, reactor, method]() -> asio::awaitable<void> {
        absl::StatusOr<Response> result = co_await (inventory_.*method)(*request);
        if (result.ok()) {
          *response = std::move(*result);
          reactor->Finish(grpc::Status::OK);
        } else {
          reactor->Finish(ToGrpcStatus(result.status()));
        }
      },
      asio::detached);
  return reactor;
}

#define INVENTORY_DISPATCH(Method, Req, Resp)                                                  \
  grpc::ServerUnaryReactor* InventoryService::Method(Ctx* ctx, const v1::Req* request,         \
                                                     v1::Resp* response) {                     \
    return Dispatch(ctx, request, response, &service::Inventory::Method);                      \
  }

INVENTORY_DISPATCH(CheckAvailability, CheckAvailabilityRequest, CheckAvailabilityResponse)
INVENTORY_DISPATCH(BatchCheckAvailability, BatchCheckRequest, BatchCheckResponse)
INVENTORY_DISPATCH(HoldSeats, HoldSeatsRequest, HoldSeatsResponse)
INVENTORY_DISPATCH(ReleaseSeats, ReleaseSeatsRequest, ReleaseSeatsResponse)
INVENTORY_DISPATCH(ConfirmBooking, ConfirmBookingRequest, ConfirmBookingResponse)
INVENTORY_DISPATCH(GetSeatMap, GetSeatMapRequest, GetSeatMapResponse)
INVENTORY_DISPATCH(UpdateInventory, UpdateInventoryRequest, UpdateInventoryResponse)
INVENTORY_DISPATCH(JoinWaitlist, JoinWaitlistRequest, JoinWaitlistResponse)
INVENTORY_DISPATCH(GetUserWaitlist, GetUserWaitlistRequest, GetUserWaitlistResponse)
INVENTORY_DISPATCH(CancelBooking, CancelBookingRequest, CancelBookingResponse)

grpc::ServerUnaryReactor* InventoryService::InitializeTripInventory(Ctx* ctx,
                                                                    const v1::InitializeTripInventoryRequest* request,
                                                                    v1::InitializeTripInventoryResponse* response) {
  return Dispatch(ctx, request, response, &service::Inventory::InitializeTrip);
}

#undef INVENTORY_DISPATCH

}  // namespace inventory::api
