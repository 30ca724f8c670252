#include "api/inventory_service.h"

#include <grpcpp/support/proto_buffer_reader.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include <chrono>
#include <memory>

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

namespace {

// How an OK answer ended: its success flag and reason, when it has them.
template <typename Response>
CallOutcome OutcomeOf(const Response& response) {
  if constexpr (requires { response.success(); }) {
    if (response.success()) return {CallOutcome::Kind::kSuccess, 0};
    int reason = 0;
    if constexpr (requires { response.reason(); }) reason = static_cast<int>(response.reason());
    return {CallOutcome::Kind::kRefused, reason};
  } else {
    return {CallOutcome::Kind::kOk, 0};
  }
}

}  // namespace

void InventoryService::Finish(grpc::ServerUnaryReactor* reactor, Method method,
                              std::chrono::steady_clock::time_point arrived, const grpc::Status& status,
                              CallOutcome outcome) {
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - arrived;
  metrics_.Record(method, status.error_code(), outcome, took.count());
  reactor->Finish(status);
}

template <typename Request, typename Response, typename Call>
grpc::ServerUnaryReactor* InventoryService::Dispatch(Method method, Ctx* ctx, const Request* request,
                                                     Response* response, Call call) {
  const auto arrived = std::chrono::steady_clock::now();
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  // The request and response live until Finish(); the coroutine borrows them.
  asio::co_spawn(
      executor_,
      [this, method, arrived, request, response, reactor, call]() -> asio::awaitable<void> {
        absl::StatusOr<Response> result = co_await (inventory_.*call)(*request);
        grpc::Status status = grpc::Status::OK;
        CallOutcome outcome{CallOutcome::Kind::kError, 0};
        if (result.ok()) {
          *response = std::move(*result);
          outcome = OutcomeOf(*response);
        } else {
          status = ToGrpcStatus(result.status());
        }
        Finish(reactor, method, arrived, status, outcome);
      },
      asio::detached);
  return reactor;
}

#define INVENTORY_DISPATCH(Name, Req, Resp)                                                   \
  grpc::ServerUnaryReactor* InventoryService::Name(Ctx* ctx, const v1::Req* request,          \
                                                   v1::Resp* response) {                      \
    return Dispatch(api::Method::k##Name, ctx, request, response, &service::Inventory::Name); \
  }

INVENTORY_DISPATCH(CheckAvailability, CheckAvailabilityRequest, CheckAvailabilityResponse)
INVENTORY_DISPATCH(BatchCheckAvailability, BatchCheckRequest, BatchCheckResponse)
INVENTORY_DISPATCH(HoldSeats, HoldSeatsRequest, HoldSeatsResponse)
INVENTORY_DISPATCH(ReleaseSeats, ReleaseSeatsRequest, ReleaseSeatsResponse)
INVENTORY_DISPATCH(ConfirmBooking, ConfirmBookingRequest, ConfirmBookingResponse)
INVENTORY_DISPATCH(UpdateInventory, UpdateInventoryRequest, UpdateInventoryResponse)
INVENTORY_DISPATCH(JoinWaitlist, JoinWaitlistRequest, JoinWaitlistResponse)
INVENTORY_DISPATCH(GetUserWaitlist, GetUserWaitlistRequest, GetUserWaitlistResponse)
INVENTORY_DISPATCH(CancelBooking, CancelBookingRequest, CancelBookingResponse)

grpc::ServerUnaryReactor* InventoryService::GetSeatMap(Ctx* ctx, const grpc::ByteBuffer* request,
                                                       grpc::ByteBuffer* response) {
  const auto arrived = std::chrono::steady_clock::now();
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  auto parsed = std::make_shared<v1::GetSeatMapRequest>();
  grpc::ByteBuffer copy(*request);  // shares the slices; parsing consumes the copy
  if (!grpc::SerializationTraits<v1::GetSeatMapRequest>::Deserialize(&copy, parsed.get()).ok()) {
    Finish(reactor, Method::kGetSeatMap, arrived,
           grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "request: not a GetSeatMapRequest"),
           {CallOutcome::Kind::kError, 0});
    return reactor;
  }
  asio::co_spawn(
      executor_,
      [this, arrived, parsed, response, reactor]() -> asio::awaitable<void> {
        absl::StatusOr<std::shared_ptr<const std::string>> bytes = co_await inventory_.GetSeatMapBytes(*parsed);
        grpc::Status status = grpc::Status::OK;
        CallOutcome outcome{CallOutcome::Kind::kOk, 0};
        if (bytes.ok()) {
          // The slice borrows the shared answer and lets go of it when gRPC is done.
          auto* keep = new std::shared_ptr<const std::string>(std::move(*bytes));
          grpc::Slice slice(
              const_cast<char*>((*keep)->data()), (*keep)->size(),
              [](void* p) { delete static_cast<std::shared_ptr<const std::string>*>(p); }, keep);
          *response = grpc::ByteBuffer(&slice, 1);
        } else {
          status = ToGrpcStatus(bytes.status());
          outcome = {CallOutcome::Kind::kError, 0};
        }
        Finish(reactor, Method::kGetSeatMap, arrived, status, outcome);
      },
      asio::detached);
  return reactor;
}

grpc::ServerUnaryReactor* InventoryService::InitializeTripInventory(Ctx* ctx,
                                                                    const v1::InitializeTripInventoryRequest* request,
                                                                    v1::InitializeTripInventoryResponse* response) {
  return Dispatch(Method::kInitializeTripInventory, ctx, request, response, &service::Inventory::InitializeTrip);
}

#undef INVENTORY_DISPATCH

}  // namespace inventory::api
