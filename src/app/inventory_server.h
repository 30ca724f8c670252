// Wires configuration, back ends and the gRPC server together.
//
// Start() connects to the database (retrying until `startup_timeout`),
// applies schema migrations, connects Redis (a Redis that does not answer is
// logged and tolerated: it only speeds things up), and starts the gRPC server
// with the health service and server reflection, the health monitor, and the
// HTTP listener (GET /health, /health/live, /health/ready, /metrics). The
// gRPC health status of "" and of the inventory service follows readiness
// (health/readiness.h): SERVING while ready, NOT_SERVING otherwise, updated
// by the monitor on the io thread. Shutdown() stops accepting,
// lets in-flight calls finish within the grace period, then closes the back
// ends. This is the only code the tests do not link; they run the binary.
#pragma once

#include <grpcpp/grpcpp.h>

#include <asio/io_context.hpp>

#include <memory>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "api/inventory_service.h"
#include "api/request_metrics.h"
#include "config/config.h"

namespace cql {
class Session;
}
namespace redis {
class Client;
}
namespace inventory::storage {
class CqlSeatStore;
class SeatStore;
class SqliteSeatStore;
}
namespace inventory::service {
class ClockGuard;
class Inventory;
}  // namespace inventory::service
namespace inventory::cache {
class ChangeFeed;
class EdgeGuard;
}  // namespace inventory::cache
namespace inventory::http {
class HttpServer;
}

namespace inventory {

class HealthMonitor;

class InventoryServer {
 public:
  explicit InventoryServer(Config config);
  ~InventoryServer();
  InventoryServer(const InventoryServer&) = delete;
  InventoryServer& operator=(const InventoryServer&) = delete;

  // REQUIRES: called once, before Shutdown().
  absl::Status Start();

  // Idempotent; safe to call when Start() failed half-way.
  void Shutdown();

  int grpc_port() const { return grpc_port_; }
  int http_port() const { return http_port_; }

 private:
  absl::Status ConnectDatabase();
  absl::Status OpenEmbeddedStore();
  void ConnectRedis();
  absl::Status StartService();
  absl::Status StartGrpc();
  void StartHealth();
  absl::Status StartHttp();
  void StopHttp();

  Config config_;
  asio::io_context io_;
  std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread io_thread_;
  std::unique_ptr<cql::Session> db_;
  std::unique_ptr<redis::Client> redis_;
  // The change feed blocks on its reads: it has a Redis connection of its own.
  std::unique_ptr<redis::Client> feed_redis_;
  std::unique_ptr<service::ClockGuard> clock_;
  // The store: the CQL one (cql_store_ set) or the embedded one.
  std::unique_ptr<storage::SeatStore> store_;
  storage::CqlSeatStore* cql_store_ = nullptr;
  storage::SqliteSeatStore* embedded_store_ = nullptr;
  std::unique_ptr<cache::EdgeGuard> edge_;
  std::unique_ptr<cache::ChangeFeed> feed_;
  std::unique_ptr<service::Inventory> inventory_;
  std::unique_ptr<service::Admission> admission_;
  api::RequestMetrics request_metrics_;
  std::unique_ptr<api::InventoryService> service_;
  std::unique_ptr<HealthMonitor> health_;
  std::unique_ptr<http::HttpServer> http_;
  std::unique_ptr<grpc::Server> grpc_;
  int grpc_port_ = 0;
  int http_port_ = 0;
  bool shut_down_ = false;
};

}  // namespace inventory
