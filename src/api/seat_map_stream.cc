#include "api/seat_map_stream.h"

#include <utility>

#include "api/inventory_service.h"

namespace inventory::api {

SeatMapStream::SeatMapStream(std::function<void(std::shared_ptr<Outbox>)> on_done)
    : outbox_(std::make_shared<Outbox>()), on_done_(std::move(on_done)) {
  outbox_->stream_ = this;
}

void SeatMapStream::OnWriteDone(bool ok) { outbox_->WriteDone(ok); }

void SeatMapStream::OnCancel() { outbox_->Cancelled(); }

void SeatMapStream::OnDone() {
  outbox_->Detach();
  on_done_(outbox_);
  delete this;
}

size_t SeatMapStream::Outbox::Send(std::shared_ptr<const std::string> event) {
  std::lock_guard lock(mu_);
  if (finished_ || stream_ == nullptr) return 0;
  queue_.push_back(std::move(event));
  if (!writing_) WriteNextLocked();
  return queue_.size() + (writing_ ? 1 : 0);
}

void SeatMapStream::Outbox::Replace(std::shared_ptr<const std::string> event) {
  std::lock_guard lock(mu_);
  if (finished_ || stream_ == nullptr) return;
  queue_.clear();
  queue_.push_back(std::move(event));
  if (!writing_) WriteNextLocked();
}

void SeatMapStream::Outbox::End(const absl::Status& status) { EndWith(ToGrpcStatus(status)); }

void SeatMapStream::Outbox::EndWith(const grpc::Status& status) {
  std::lock_guard lock(mu_);
  if (finished_ || stream_ == nullptr) return;
  queue_.clear();
  FinishLocked(status);
}

void SeatMapStream::Outbox::StartDone() {
  std::lock_guard lock(mu_);
  starting_ = false;
  if (after_start_.has_value() && stream_ != nullptr) {
    grpc::Status status = std::move(*after_start_);
    after_start_.reset();
    FinishLocked(status);
  }
}

void SeatMapStream::Outbox::WriteNextLocked() {
  auto* keep = new std::shared_ptr<const std::string>(std::move(queue_.front()));
  queue_.pop_front();
  grpc::Slice slice(
      const_cast<char*>((*keep)->data()), (*keep)->size(),
      [](void* p) { delete static_cast<std::shared_ptr<const std::string>*>(p); }, keep);
  buffer_ = grpc::ByteBuffer(&slice, 1);
  writing_ = true;
  stream_->StartWrite(&buffer_);
}

void SeatMapStream::Outbox::FinishLocked(const grpc::Status& status) {
  if (starting_) {
    if (!after_start_.has_value()) after_start_ = status;
    queue_.clear();
    return;
  }
  finished_ = true;
  if (writing_) {
    finish_with_ = status;  // one operation of a kind at a time: after the write
    return;
  }
  stream_->Finish(status);
}

void SeatMapStream::Outbox::WriteDone(bool ok) {
  std::lock_guard lock(mu_);
  writing_ = false;
  buffer_.Clear();
  if (stream_ == nullptr) return;
  if (finish_with_.has_value()) {
    grpc::Status status = std::move(*finish_with_);
    finish_with_.reset();
    stream_->Finish(status);
    return;
  }
  if (finished_) return;
  if (!ok) {  // the stream is broken: the client is gone
    queue_.clear();
    FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the stream could not be written"));
    return;
  }
  if (!queue_.empty()) WriteNextLocked();
}

void SeatMapStream::Outbox::Cancelled() {
  std::lock_guard lock(mu_);
  if (finished_ || stream_ == nullptr) return;
  queue_.clear();
  FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client"));
}

void SeatMapStream::Outbox::Detach() {
  std::lock_guard lock(mu_);
  stream_ = nullptr;
  finished_ = true;
  queue_.clear();
}

}  // namespace inventory::api
