// The transport of one WatchSeatMap call: a gRPC server write reactor and
// its outbox, the service::SeatMapWatcher the service layer sends to.
//
// The outbox keeps the serialized events not yet written, writes one at a
// time (each as a slice that borrows the shared bytes: an event published to
// a thousand watchers is serialized once), and finishes the call exactly
// once: when the service ends it, when the client cancels it, or when a
// write fails. The outbox is shared by the reactor and the service; the
// reactor (deleted by gRPC's OnDone) detaches from it first, after which the
// outbox answers every Send with 0 (gone).
//
// Threading: the outbox is called from the service's io thread and from
// gRPC's threads; one mutex guards it and every call into the reactor
// (gRPC never runs a reaction inline from StartWrite or Finish).
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "service/seat_map_watch.h"

namespace inventory::api {

class SeatMapStream final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  class Outbox final : public service::SeatMapWatcher {
   public:
    size_t Send(std::shared_ptr<const std::string> event) override;
    void Replace(std::shared_ptr<const std::string> event) override;
    void End(const absl::Status& status) override;
    void EndWith(const grpc::Status& status);
    // The call's start (admission, the first full map) is over. Until
    // then the call is not finished, whatever happens (the starter still
    // uses the call's context): a cancellation or an end waits for this.
    void StartDone();

   private:
    friend class SeatMapStream;
    // REQUIRES: mu_ held, a stream attached, no write in flight.
    void WriteNextLocked();
    // Finishes now, or after the write in flight. REQUIRES: mu_ held.
    void FinishLocked(const grpc::Status& status);
    void WriteDone(bool ok);
    void Cancelled();
    void Detach();

    std::mutex mu_;
    SeatMapStream* stream_ = nullptr;
    std::deque<std::shared_ptr<const std::string>> queue_;
    grpc::ByteBuffer buffer_;  // the write in flight
    bool writing_ = false;
    bool starting_ = true;
    std::optional<grpc::Status> after_start_;  // how the call ends once started
    bool finished_ = false;                   // Finish called, or to be called after the write
    std::optional<grpc::Status> finish_with_;  // to be called after the write in flight
  };

  // `on_done` runs once gRPC is done with the call (on a gRPC thread).
  explicit SeatMapStream(std::function<void(std::shared_ptr<Outbox>)> on_done);

  std::shared_ptr<Outbox> outbox() const { return outbox_; }

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  std::shared_ptr<Outbox> outbox_;
  std::function<void(std::shared_ptr<Outbox>)> on_done_;
};

}  // namespace inventory::api
