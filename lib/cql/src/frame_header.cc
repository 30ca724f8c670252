#include "frame_header.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cql::internal {

bool IsKnownOpcode(uint8_t opcode) {
  return opcode <= 0x10 && opcode != 0x04;
}

void EncodeFrameHeader(const FrameHeader& header, uint8_t* out) {
  const auto stream = static_cast<uint16_t>(header.stream);
  const auto length = static_cast<uint32_t>(header.length);
  out[0] = header.version;
  out[1] = header.flags;
  out[2] = static_cast<uint8_t>(stream >> 8);
  out[3] = static_cast<uint8_t>(stream);
  out[4] = static_cast<uint8_t>(header.opcode);
  out[5] = static_cast<uint8_t>(length >> 24);
  out[6] = static_cast<uint8_t>(length >> 16);
  out[7] = static_cast<uint8_t>(length >> 8);
  out[8] = static_cast<uint8_t>(length);
}

absl::StatusOr<FrameHeader> DecodeFrameHeader(std::string_view bytes) {
  if (bytes.size() < kFrameHeaderSize) {
    return absl::InternalError(absl::StrCat("truncated frame header: expected ", kFrameHeaderSize,
                                            " bytes, got ", bytes.size()));
  }
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  FrameHeader h;
  h.version = p[0];
  if ((h.version & ~kResponseBit) != kProtocolVersion) {
    return absl::InternalError(
        absl::StrCat("unsupported protocol version 0x", absl::Hex(h.version), " in frame header"));
  }
  h.flags = p[1];
  h.stream = static_cast<int16_t>(static_cast<uint16_t>((p[2] << 8) | p[3]));
  if (!IsKnownOpcode(p[4])) {
    return absl::InternalError(absl::StrCat("unknown opcode 0x", absl::Hex(p[4]), " in frame header"));
  }
  h.opcode = static_cast<Opcode>(p[4]);
  const uint32_t length = (uint32_t{p[5]} << 24) | (uint32_t{p[6]} << 16) | (uint32_t{p[7]} << 8) | p[8];
  if (length > static_cast<uint32_t>(kMaxFrameBodySize)) {
    return absl::InternalError(absl::StrCat("frame body length ", static_cast<int32_t>(length),
                                            " is negative or above the 256 MB limit"));
  }
  h.length = static_cast<int32_t>(length);
  return h;
}

void PatchStreamId(char* frame, int16_t stream) {
  const auto s = static_cast<uint16_t>(stream);
  frame[2] = static_cast<char>(s >> 8);
  frame[3] = static_cast<char>(s);
}

}  // namespace cql::internal
