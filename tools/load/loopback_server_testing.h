// For the load tool's gRPC tests: a server on an ephemeral loopback port
// serving a scripted service, and a stub connected to it.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "inventory/v1/inventory.grpc.pb.h"

namespace inventory::load::testing {

class LoopbackServer {
 public:
  // `service` must outlive the server.
  explicit LoopbackServer(grpc::Service& service) {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service);
    server_ = builder.BuildAndStart();
    if (server_ == nullptr || port <= 0) return;
    address_ = "127.0.0.1:" + std::to_string(port);
    stub_ = inventory::v1::InventoryService::NewStub(grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  }
  ~LoopbackServer() {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  // False when the server could not start; stub() is then null.
  bool ok() const { return stub_ != nullptr; }
  inventory::v1::InventoryService::Stub* stub() const { return stub_.get(); }
  // "127.0.0.1:<port>"; empty when the server could not start.
  const std::string& address() const { return address_; }

 private:
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::unique_ptr<inventory::v1::InventoryService::Stub> stub_;
};

}  // namespace inventory::load::testing
