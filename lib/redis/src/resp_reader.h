// RespReader — sans-I/O RESP2 decoder: bytes in, redis::Reply values out.
//
// A thin owner of a hiredis 0.14 `redisReader`, configured with object
// callbacks that build redis::Reply trees directly (no intermediate
// redisReply, no up-front allocation sized by an untrusted array length).
// Framing follows the RESP2 specification ("RESP protocol description");
// hiredis supports arrays nested at most 7 deep, deeper input is reported as
// a protocol error.
//
// Feed() any chunking of the stream (byte by byte, or many replies at once),
// then call Next() until it yields no reply. Malformed input (an unknown type
// byte, a bad or out-of-range length, a non-numeric integer) makes Next()
// return DATA_LOSS with hiredis' description; the reader is then poisoned
// and keeps returning that error, because the stream can no longer be
// framed. It never throws and never aborts on bad input.
//
// Threading: not thread-safe; one reader per connection. Movable, not
// copyable.
#pragma once

#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "redis/reply.h"

struct redisReader;

namespace redis::internal {

class RespReader {
 public:
  RespReader();
  ~RespReader();
  RespReader(RespReader&& other) noexcept;
  RespReader& operator=(RespReader&& other) noexcept;
  RespReader(const RespReader&) = delete;
  RespReader& operator=(const RespReader&) = delete;

  // Appends bytes to the decoder's buffer. Fails only if the reader is
  // already poisoned or out of memory.
  absl::Status Feed(std::string_view bytes);

  // The next complete reply, std::nullopt if more bytes are needed, or
  // DATA_LOSS on malformed input (sticky).
  absl::StatusOr<std::optional<Reply>> Next();

  // Bytes fed but not yet consumed by a returned reply.
  size_t buffered_bytes() const;

 private:
  redisReader* reader_;
  absl::Status error_;  // sticky decode error
};

}  // namespace redis::internal
