// Test helper: waits until an inventoryd child answers the standard gRPC
// health check with the wanted status. Link inventory_health_proto.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <string>
#include <thread>

#include "common/test_process.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace inventory::testing {

using HealthStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

// Polls `target` ("host:port") every 200 ms until `service` ("" = the whole
// server) reports `want`, `timeout` passes, or `process` (if given) exits.
// Returns the last status seen (UNKNOWN when nothing answered).
inline HealthStatus WaitForHealth(const std::string& target, std::chrono::milliseconds timeout,
                                  ChildProcess* process = nullptr, const std::string& service = "",
                                  HealthStatus want = grpc::health::v1::HealthCheckResponse::SERVING) {
  auto stub = grpc::health::v1::Health::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  HealthStatus last = grpc::health::v1::HealthCheckResponse::UNKNOWN;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    grpc::health::v1::HealthCheckResponse resp;
    if (stub->Check(&ctx, req, &resp).ok()) {
      last = resp.status();
      if (last == want) return last;
    }
    if (process != nullptr && process->Wait(std::chrono::milliseconds(0)).has_value()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return last;
}

}  // namespace inventory::testing
