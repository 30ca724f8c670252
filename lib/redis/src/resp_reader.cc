#include "resp_reader.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <memory>
#include <new>
#include <utility>

#include "absl/strings/str_cat.h"

namespace redis::internal {
namespace {

// An array header may announce up to INT_MAX elements; reserve at most this
// many up front and let the vector grow as elements actually arrive.
constexpr size_t kMaxArrayReserve = 1024;

// Places `value` in the tree: the root is heap-allocated (and later handed to
// Next() or freed by FreeObject); every other node is appended to its
// parent's element vector. The returned pointer must stay valid only while
// hiredis fills that node (for nested arrays); the parent vector is not
// touched until then, so appending later siblings may move it freely.
//
// These callbacks are called from C: they must not throw. On failure they
// return nullptr, which hiredis reports as an out-of-memory error.
void* Attach(const redisReadTask* task, Reply&& value) noexcept {
  try {
    if (task->parent == nullptr) return new Reply(std::move(value));
    auto* parent = static_cast<Reply*>(task->parent->obj);
    auto& elements = parent->mutable_elements();
    if (task->idx < 0 || static_cast<size_t>(task->idx) != elements.size()) {
      return nullptr;  // hiredis fills elements in order; anything else is a bug
    }
    elements.push_back(std::move(value));
    return &elements.back();
  } catch (...) {
    return nullptr;
  }
}

void* CreateString(const redisReadTask* task, char* str, size_t len) noexcept {
  try {
    std::string s(str, len);
    switch (task->type) {
      case REDIS_REPLY_ERROR:
        return Attach(task, Reply::Error(std::move(s)));
      case REDIS_REPLY_STATUS:
        return Attach(task, Reply::SimpleString(std::move(s)));
      default:
        return Attach(task, Reply::BulkString(std::move(s)));
    }
  } catch (...) {
    return nullptr;
  }
}

void* CreateArray(const redisReadTask* task, int elements) noexcept {
  try {
    std::vector<Reply> v;
    v.reserve(std::min<size_t>(static_cast<size_t>(std::max(elements, 0)),
                               kMaxArrayReserve));
    return Attach(task, Reply::Array(std::move(v)));
  } catch (...) {
    return nullptr;
  }
}

void* CreateInteger(const redisReadTask* task, long long value) noexcept {
  return Attach(task, Reply::Integer(static_cast<int64_t>(value)));
}

void* CreateNil(const redisReadTask* task) noexcept {
  return Attach(task, Reply::Nil());
}

// hiredis only frees roots (a partial tree on error, or an unclaimed reply).
void FreeObject(void* obj) noexcept { delete static_cast<Reply*>(obj); }

redisReplyObjectFunctions kReplyFunctions = {
    CreateString, CreateArray, CreateInteger, CreateNil, FreeObject,
};

}  // namespace

RespReader::RespReader()
    : reader_(redisReaderCreateWithFunctions(&kReplyFunctions)) {
  if (reader_ == nullptr) {
    error_ = absl::ResourceExhaustedError("redis: cannot allocate RESP reader");
  }
}

RespReader::~RespReader() {
  if (reader_ != nullptr) redisReaderFree(reader_);
}

RespReader::RespReader(RespReader&& other) noexcept
    : reader_(std::exchange(other.reader_, nullptr)),
      error_(std::move(other.error_)) {}

RespReader& RespReader::operator=(RespReader&& other) noexcept {
  if (this != &other) {
    if (reader_ != nullptr) redisReaderFree(reader_);
    reader_ = std::exchange(other.reader_, nullptr);
    error_ = std::move(other.error_);
  }
  return *this;
}

absl::Status RespReader::Feed(std::string_view bytes) {
  if (!error_.ok()) return error_;
  if (reader_ == nullptr) {
    return absl::FailedPreconditionError("redis: RESP reader was moved from");
  }
  if (bytes.empty()) return absl::OkStatus();
  if (redisReaderFeed(reader_, bytes.data(), bytes.size()) != REDIS_OK) {
    error_ = absl::ResourceExhaustedError(
        absl::StrCat("redis: RESP reader: ", reader_->errstr));
    return error_;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Reply>> RespReader::Next() {
  if (!error_.ok()) return error_;
  if (reader_ == nullptr) {
    return absl::FailedPreconditionError("redis: RESP reader was moved from");
  }
  void* obj = nullptr;
  if (redisReaderGetReply(reader_, &obj) != REDIS_OK) {
    error_ = absl::DataLossError(
        absl::StrCat("redis: malformed RESP: ", reader_->errstr));
    return error_;
  }
  if (obj == nullptr) return std::optional<Reply>();
  std::unique_ptr<Reply> root(static_cast<Reply*>(obj));
  return std::optional<Reply>(std::move(*root));
}

size_t RespReader::buffered_bytes() const {
  if (reader_ == nullptr || reader_->buf == nullptr) return 0;
  return reader_->len - reader_->pos;
}

}  // namespace redis::internal
