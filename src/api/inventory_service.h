// gRPC adapter of inventory.v1.InventoryService (callback API).
//
// Holds only the translation between the wire messages and the service layer;
// the wiring to configuration and back ends lives in app/. Methods not yet
// implemented answer UNIMPLEMENTED through the generated base class.
#pragma once

#include "inventory/v1/inventory.grpc.pb.h"

namespace inventory::api {

class InventoryService final : public inventory::v1::InventoryService::CallbackService {
 public:
  InventoryService() = default;
  InventoryService(const InventoryService&) = delete;
  InventoryService& operator=(const InventoryService&) = delete;
};

}  // namespace inventory::api
