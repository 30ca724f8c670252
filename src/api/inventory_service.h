// gRPC adapter of inventory.v1.InventoryService (callback API).
//
// Each call is handed to the service layer as a coroutine on the service's
// executor (the io_context thread that owns the database and Redis clients);
// its result is written into the response and the call finished from there.
// absl::Status codes map onto gRPC codes here, in one place.
//
// Before any work: a call whose deadline has passed is answered
// DEADLINE_EXCEEDED and a cancelled one CANCELLED, neither touching the
// database; then the call asks service::Admission for a slot of its class
// (HoldSeats asks inside the service, after the edge, so that holds refused
// there are never turned away). A call turned away is RESOURCE_EXHAUSTED with
// the trailing metadata `retry-after-ms` (decimal milliseconds).
#pragma once

#include <asio/any_io_executor.hpp>

#include <chrono>
#include <optional>

#include "absl/status/status.h"
#include "api/request_metrics.h"
#include "inventory/v1/inventory.grpc.pb.h"
#include "service/admission.h"
#include "service/inventory.h"

namespace inventory::api {

// The gRPC status for a service-layer error. Back-end faults that are not
// the caller's doing (a database server or protocol error) become
// UNAVAILABLE, never INTERNAL: the caller should retry.
grpc::Status ToGrpcStatus(const absl::Status& status);

// GetSeatMap is a raw method: its answer is sent as the bytes the service
// layer keeps serialized (see service::Inventory::GetSeatMapBytes), not
// re-serialized per call.
// WatchSeatMap is raw too: each event is serialized once for all its
// watchers (see api/seat_map_stream.h).
class InventoryService final
    : public inventory::v1::InventoryService::WithRawCallbackMethod_WatchSeatMap<
          inventory::v1::InventoryService::WithRawCallbackMethod_GetSeatMap<
              inventory::v1::InventoryService::CallbackService>> {
 public:
  // `inventory` and `metrics` must outlive the service; `executor` is the
  // one it runs on (metrics are recorded there too).
  // `admission` too (may be null: every call admitted).
  InventoryService(service::Inventory& inventory, RequestMetrics& metrics, service::Admission* admission,
                   asio::any_io_executor executor)
      : inventory_(inventory), metrics_(metrics), admission_(admission), executor_(std::move(executor)) {}
  InventoryService(const InventoryService&) = delete;
  InventoryService& operator=(const InventoryService&) = delete;

  using Ctx = grpc::CallbackServerContext;
  grpc::ServerUnaryReactor* CheckAvailability(Ctx*, const v1::CheckAvailabilityRequest*,
                                              v1::CheckAvailabilityResponse*) override;
  grpc::ServerUnaryReactor* BatchCheckAvailability(Ctx*, const v1::BatchCheckRequest*,
                                                   v1::BatchCheckResponse*) override;
  grpc::ServerUnaryReactor* HoldSeats(Ctx*, const v1::HoldSeatsRequest*, v1::HoldSeatsResponse*) override;
  grpc::ServerUnaryReactor* ReleaseSeats(Ctx*, const v1::ReleaseSeatsRequest*, v1::ReleaseSeatsResponse*) override;
  grpc::ServerUnaryReactor* ConfirmBooking(Ctx*, const v1::ConfirmBookingRequest*,
                                           v1::ConfirmBookingResponse*) override;
  grpc::ServerUnaryReactor* GetSeatMap(Ctx*, const grpc::ByteBuffer* request, grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* InitializeTripInventory(Ctx*, const v1::InitializeTripInventoryRequest*,
                                                    v1::InitializeTripInventoryResponse*) override;
  grpc::ServerUnaryReactor* UpdateInventory(Ctx*, const v1::UpdateInventoryRequest*,
                                            v1::UpdateInventoryResponse*) override;
  grpc::ServerUnaryReactor* JoinWaitlist(Ctx*, const v1::JoinWaitlistRequest*, v1::JoinWaitlistResponse*) override;
  grpc::ServerUnaryReactor* GetUserWaitlist(Ctx*, const v1::GetUserWaitlistRequest*,
                                            v1::GetUserWaitlistResponse*) override;
  grpc::ServerUnaryReactor* CancelBooking(Ctx*, const v1::CancelBookingRequest*, v1::CancelBookingResponse*) override;
  // Admitted as a read until its first full map is queued; then it costs
  // no slot (the watchers' own limit bounds it).
  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchSeatMap(Ctx*, const grpc::ByteBuffer* request) override;

 private:
  // Records the call's metrics (latency from `arrived`) and answers it.
  void Finish(grpc::ServerUnaryReactor* reactor, Method method, std::chrono::steady_clock::time_point arrived,
              const grpc::Status& status, CallOutcome outcome);
  // Runs `call(inventory, request, budget)` for the call, after admission
  // as `work` (nullopt: the call admits itself).
  template <typename Request, typename Response, typename Call>
  grpc::ServerUnaryReactor* Dispatch(Method method, std::optional<service::WorkClass> work, Ctx* ctx,
                                     const Request* request, Response* response, Call call);
  // On gRPC's thread, before the call is handed to the io thread: true when
  // the door turned it away (then it is answered and finished).
  bool TurnedAwayAtTheDoor(Ctx* ctx, Method method, service::WorkClass work,
                           std::chrono::steady_clock::time_point arrived, grpc::ServerUnaryReactor* reactor);
  // The checks before a call's work: deadline, cancellation, a slot of
  // `work` (put in `ticket`). Not OK (trailing metadata set): the call ends
  // with that status.
  asio::awaitable<grpc::Status> Admit(Ctx* ctx, std::optional<service::WorkClass> work,
                                      const service::CallBudget& budget,
                                      std::optional<service::Admission::Ticket>* ticket);

  service::Inventory& inventory_;
  RequestMetrics& metrics_;
  service::Admission* admission_;
  asio::any_io_executor executor_;
};

}  // namespace inventory::api
