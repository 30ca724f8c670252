// Frame header codec (native_protocol_v4.spec §2): 9 bytes
//   version(1) flags(1) stream(2, signed) opcode(1) length(4).
// Sans-I/O: bytes in, header out, and back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace cql::internal {

// §2.4.
enum class Opcode : uint8_t {
  kError = 0x00,
  kStartup = 0x01,
  kReady = 0x02,
  kAuthenticate = 0x03,
  kOptions = 0x05,
  kSupported = 0x06,
  kQuery = 0x07,
  kResult = 0x08,
  kPrepare = 0x09,
  kExecute = 0x0A,
  kRegister = 0x0B,
  kEvent = 0x0C,
  kBatch = 0x0D,
  kAuthChallenge = 0x0E,
  kAuthResponse = 0x0F,
  kAuthSuccess = 0x10,
};

inline constexpr size_t kFrameHeaderSize = 9;
inline constexpr uint8_t kProtocolVersion = 0x04;
inline constexpr uint8_t kResponseBit = 0x80;
// §2.5: frames are limited to 256 MB.
inline constexpr int32_t kMaxFrameBodySize = 256 * 1024 * 1024;

// §2.2 flags.
inline constexpr uint8_t kFlagCompression = 0x01;
inline constexpr uint8_t kFlagTracing = 0x02;
inline constexpr uint8_t kFlagCustomPayload = 0x04;
inline constexpr uint8_t kFlagWarning = 0x08;

struct FrameHeader {
  uint8_t version = kProtocolVersion;
  uint8_t flags = 0;
  int16_t stream = 0;
  Opcode opcode = Opcode::kOptions;
  int32_t length = 0;

  bool is_response() const { return (version & kResponseBit) != 0; }
  friend bool operator==(const FrameHeader&, const FrameHeader&) = default;
};

// True for the opcodes listed in §2.4.
bool IsKnownOpcode(uint8_t opcode);

// Writes exactly kFrameHeaderSize bytes to `out`.
void EncodeFrameHeader(const FrameHeader& header, uint8_t* out);

// Decodes the first kFrameHeaderSize bytes of `bytes`. Fails (never crashes)
// on: fewer than 9 bytes, a protocol version other than 4 (either
// direction), an unknown opcode, a negative length or one above 256 MB.
absl::StatusOr<FrameHeader> DecodeFrameHeader(std::string_view bytes);

// Overwrites the stream id of an encoded frame. REQUIRES: frame holds at
// least a header.
void PatchStreamId(char* frame, int16_t stream);

}  // namespace cql::internal
