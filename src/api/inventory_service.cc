#include "api/inventory_service.h"

#include <grpcpp/support/proto_buffer_reader.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "api/seat_map_stream.h"

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

namespace {

service::CallBudget BudgetOf(grpc::CallbackServerContext* ctx, std::chrono::steady_clock::time_point arrived) {
  service::CallBudget budget;
  budget.arrived = arrived;
  const auto deadline = ctx->deadline();
  if (deadline != std::chrono::system_clock::time_point::max()) {
    const auto left = deadline - std::chrono::system_clock::now();
    budget.deadline = std::chrono::steady_clock::now() +
                      std::chrono::duration_cast<std::chrono::steady_clock::duration>(left);
  }
  budget.cancelled = [ctx] { return ctx->IsCancelled(); };
  return budget;
}

// A service-layer error as the gRPC status; a call the client cancelled is
// CANCELLED, not a back-end fault.
grpc::Status StatusOfCall(grpc::CallbackServerContext* ctx, const absl::Status& status) {
  if (status.code() == absl::StatusCode::kCancelled && ctx->IsCancelled()) {
    return grpc::Status(grpc::StatusCode::CANCELLED, std::string(status.message()));
  }
  if (std::optional<int64_t> hint = service::RetryAfterMs(status); hint.has_value()) {
    ctx->AddTrailingMetadata(std::string(service::kRetryAfterPayload), absl::StrCat(*hint));
  }
  return ToGrpcStatus(status);
}

}  // namespace

bool InventoryService::TurnedAwayAtTheDoor(Ctx* ctx, Method method, service::WorkClass work,
                                           std::chrono::steady_clock::time_point arrived,
                                           grpc::ServerUnaryReactor* reactor) {
  if (admission_ == nullptr || admission_->EnterDoor(work)) return false;
  Finish(reactor, method, arrived, StatusOfCall(ctx, admission_->DoorStatus()), {CallOutcome::Kind::kError, 0});
  return true;
}

asio::awaitable<grpc::Status> InventoryService::Admit(Ctx* ctx, std::optional<service::WorkClass> work,
                                                      const service::CallBudget& budget,
                                                      std::optional<service::Admission::Ticket>* ticket) {
  if (budget.Expired(std::chrono::steady_clock::now())) {
    co_return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline passed before the call's work started");
  }
  if (budget.Cancelled()) co_return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled before its work started");
  if (!work.has_value() || admission_ == nullptr) co_return grpc::Status::OK;
  absl::StatusOr<service::Admission::Ticket> admitted = co_await admission_->Admit(*work, budget);
  if (!admitted.ok()) co_return StatusOfCall(ctx, admitted.status());
  // The caller may have gone while it waited: its turn goes unused.
  if (budget.Cancelled()) co_return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled while waiting for its turn");
  ticket->emplace(std::move(*admitted));
  co_return grpc::Status::OK;
}

template <typename Request, typename Response, typename Call>
grpc::ServerUnaryReactor* InventoryService::Dispatch(Method method, std::optional<service::WorkClass> work, Ctx* ctx,
                                                     const Request* request, Response* response, Call call) {
  const auto arrived = std::chrono::steady_clock::now();
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  // A hold (admitted inside) is a hold at the door too.
  if (TurnedAwayAtTheDoor(ctx, method, work.value_or(service::WorkClass::kHold), arrived, reactor)) return reactor;
  // The request and response live until Finish(); the coroutine borrows them.
  asio::co_spawn(
      executor_,
      [this, method, work, ctx, arrived, request, response, reactor, call]() -> asio::awaitable<void> {
        if (admission_ != nullptr) admission_->LeaveDoor(arrived);
        const service::CallBudget budget = BudgetOf(ctx, arrived);
        std::optional<service::Admission::Ticket> ticket;
        grpc::Status status = co_await Admit(ctx, work, budget, &ticket);
        CallOutcome outcome{CallOutcome::Kind::kError, 0};
        if (status.ok()) {
          absl::StatusOr<Response> result = co_await call(inventory_, *request, budget);
          if (result.ok()) {
            *response = std::move(*result);
            outcome = OutcomeOf(*response);
          } else {
            status = StatusOfCall(ctx, result.status());
          }
        }
        ticket.reset();
        Finish(reactor, method, arrived, status, outcome);
      },
      asio::detached);
  return reactor;
}

// A method whose call is `Inventory::Name(request)`, admitted as `Work`.
#define INVENTORY_DISPATCH(Name, Req, Resp, Work)                                                                \
  grpc::ServerUnaryReactor* InventoryService::Name(Ctx* ctx, const v1::Req* request, v1::Resp* response) {       \
    return Dispatch(api::Method::k##Name, service::WorkClass::Work, ctx, request, response,                      \
                    [](service::Inventory& inventory, const v1::Req& r, const service::CallBudget&) {            \
                      return inventory.Name(r);                                                                  \
                    });                                                                                          \
  }

INVENTORY_DISPATCH(CheckAvailability, CheckAvailabilityRequest, CheckAvailabilityResponse, kRead)
INVENTORY_DISPATCH(BatchCheckAvailability, BatchCheckRequest, BatchCheckResponse, kRead)
INVENTORY_DISPATCH(GetUserWaitlist, GetUserWaitlistRequest, GetUserWaitlistResponse, kRead)
INVENTORY_DISPATCH(JoinWaitlist, JoinWaitlistRequest, JoinWaitlistResponse, kHold)
INVENTORY_DISPATCH(ReleaseSeats, ReleaseSeatsRequest, ReleaseSeatsResponse, kLifecycle)
INVENTORY_DISPATCH(ConfirmBooking, ConfirmBookingRequest, ConfirmBookingResponse, kLifecycle)
INVENTORY_DISPATCH(CancelBooking, CancelBookingRequest, CancelBookingResponse, kLifecycle)
INVENTORY_DISPATCH(UpdateInventory, UpdateInventoryRequest, UpdateInventoryResponse, kLifecycle)

grpc::ServerUnaryReactor* InventoryService::HoldSeats(Ctx* ctx, const v1::HoldSeatsRequest* request,
                                                      v1::HoldSeatsResponse* response) {
  // Admitted inside, after the edge: a hold refused there costs almost nothing.
  return Dispatch(Method::kHoldSeats, std::nullopt, ctx, request, response,
                  [](service::Inventory& inventory, const v1::HoldSeatsRequest& r, const service::CallBudget& b) {
                    return inventory.HoldSeats(r, b);
                  });
}

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
  if (TurnedAwayAtTheDoor(ctx, Method::kGetSeatMap, service::WorkClass::kRead, arrived, reactor)) return reactor;
  asio::co_spawn(
      executor_,
      [this, ctx, arrived, parsed, response, reactor]() -> asio::awaitable<void> {
        if (admission_ != nullptr) admission_->LeaveDoor(arrived);
        const service::CallBudget budget = BudgetOf(ctx, arrived);
        std::optional<service::Admission::Ticket> ticket;
        grpc::Status status = co_await Admit(ctx, service::WorkClass::kRead, budget, &ticket);
        CallOutcome outcome{CallOutcome::Kind::kError, 0};
        if (status.ok()) {
          absl::StatusOr<std::shared_ptr<const std::string>> bytes = co_await inventory_.GetSeatMapBytes(*parsed);
          if (bytes.ok()) {
            // The slice borrows the shared answer and lets go of it when gRPC is done.
            auto* keep = new std::shared_ptr<const std::string>(std::move(*bytes));
            grpc::Slice slice(
                const_cast<char*>((*keep)->data()), (*keep)->size(),
                [](void* p) { delete static_cast<std::shared_ptr<const std::string>*>(p); }, keep);
            *response = grpc::ByteBuffer(&slice, 1);
            outcome = {CallOutcome::Kind::kOk, 0};
          } else {
            status = StatusOfCall(ctx, bytes.status());
          }
        }
        ticket.reset();
        Finish(reactor, Method::kGetSeatMap, arrived, status, outcome);
      },
      asio::detached);
  return reactor;
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* InventoryService::WatchSeatMap(Ctx* ctx, const grpc::ByteBuffer* request) {
  const auto arrived = std::chrono::steady_clock::now();
  auto* stream = new SeatMapStream([this](std::shared_ptr<SeatMapStream::Outbox> outbox) {
    asio::post(executor_, [this, outbox] { inventory_.StopWatching(outbox.get()); });
  });
  std::shared_ptr<SeatMapStream::Outbox> outbox = stream->outbox();
  auto refuse = [this, arrived](SeatMapStream::Outbox& box, const grpc::Status& status) {
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - arrived;
    metrics_.Record(Method::kWatchSeatMap, status.error_code(), {CallOutcome::Kind::kError, 0}, took.count());
    box.EndWith(status);
    box.StartDone();
  };
  auto parsed = std::make_shared<v1::WatchSeatMapRequest>();
  grpc::ByteBuffer copy(*request);
  if (!grpc::SerializationTraits<v1::WatchSeatMapRequest>::Deserialize(&copy, parsed.get()).ok()) {
    refuse(*outbox, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "request: not a WatchSeatMapRequest"));
    return stream;
  }
  if (admission_ != nullptr && !admission_->EnterDoor(service::WorkClass::kRead)) {
    refuse(*outbox, StatusOfCall(ctx, admission_->DoorStatus()));
    return stream;
  }
  asio::co_spawn(
      executor_,
      [this, ctx, arrived, parsed, outbox, refuse]() -> asio::awaitable<void> {
        if (admission_ != nullptr) admission_->LeaveDoor(arrived);
        const service::CallBudget budget = BudgetOf(ctx, arrived);
        std::optional<service::Admission::Ticket> ticket;
        grpc::Status status = co_await Admit(ctx, service::WorkClass::kRead, budget, &ticket);
        if (status.ok()) {
          absl::Status started = co_await inventory_.WatchSeatMap(*parsed, outbox);
          if (!started.ok()) status = StatusOfCall(ctx, started);
        }
        ticket.reset();
        if (!status.ok()) {
          refuse(*outbox, status);
          co_return;
        }
        const std::chrono::duration<double> took = std::chrono::steady_clock::now() - arrived;
        metrics_.Record(Method::kWatchSeatMap, grpc::StatusCode::OK, {CallOutcome::Kind::kOk, 0}, took.count());
        outbox->StartDone();
      },
      asio::detached);
  return stream;
}

grpc::ServerUnaryReactor* InventoryService::InitializeTripInventory(Ctx* ctx,
                                                                    const v1::InitializeTripInventoryRequest* request,
                                                                    v1::InitializeTripInventoryResponse* response) {
  return Dispatch(Method::kInitializeTripInventory, service::WorkClass::kLifecycle, ctx, request, response,
                  [](service::Inventory& inventory, const v1::InitializeTripInventoryRequest& r,
                     const service::CallBudget&) { return inventory.InitializeTrip(r); });
}

#undef INVENTORY_DISPATCH

}  // namespace inventory::api
