#include "frame_header.h"

#include <cstring>
#include <string>

#include <gtest/gtest.h>

namespace cql::internal {
namespace {

std::string Encode(const FrameHeader& h) {
  uint8_t buf[kFrameHeaderSize];
  EncodeFrameHeader(h, buf);
  return std::string(reinterpret_cast<const char*>(buf), kFrameHeaderSize);
}

TEST(FrameHeaderTest, RoundTripsEveryOpcodeAndEdgeValues) {
  for (int op = 0; op <= 0x10; ++op) {
    if (op == 0x04) continue;
    for (int16_t stream : {int16_t{0}, int16_t{1}, int16_t{255}, int16_t{256}, int16_t{32767}, int16_t{-1}}) {
      for (int32_t length : {0, 1, 65535, 65536, kMaxFrameBodySize}) {
        FrameHeader h{static_cast<uint8_t>(0x84), 0x0B, stream, static_cast<Opcode>(op), length};
        auto decoded = DecodeFrameHeader(Encode(h));
        ASSERT_TRUE(decoded.ok()) << decoded.status();
        EXPECT_EQ(*decoded, h);
      }
    }
  }
}

TEST(FrameHeaderTest, RequestDirectionAlsoDecodes) {
  FrameHeader h{kProtocolVersion, 0, 7, Opcode::kQuery, 12};
  auto decoded = DecodeFrameHeader(Encode(h));
  ASSERT_TRUE(decoded.ok());
  EXPECT_FALSE(decoded->is_response());
}

TEST(FrameHeaderTest, TruncatedHeaderFails) {
  std::string bytes = Encode(FrameHeader{0x84, 0, 1, Opcode::kResult, 4});
  for (size_t n = 0; n < kFrameHeaderSize; ++n) {
    auto decoded = DecodeFrameHeader(bytes.substr(0, n));
    EXPECT_FALSE(decoded.ok()) << n;
    EXPECT_NE(decoded.status().message().find("truncated"), std::string::npos);
  }
}

TEST(FrameHeaderTest, RejectsWrongVersion) {
  for (uint8_t v : {0x03, 0x83, 0x05, 0x85, 0x00, 0xFF}) {
    std::string bytes = Encode(FrameHeader{0x84, 0, 1, Opcode::kResult, 4});
    bytes[0] = static_cast<char>(v);
    EXPECT_FALSE(DecodeFrameHeader(bytes).ok()) << int{v};
  }
}

TEST(FrameHeaderTest, RejectsUnknownOpcodes) {
  for (int op : {0x04, 0x11, 0x20, 0x7F, 0xFF}) {
    std::string bytes = Encode(FrameHeader{0x84, 0, 1, Opcode::kResult, 4});
    bytes[4] = static_cast<char>(op);
    auto decoded = DecodeFrameHeader(bytes);
    EXPECT_FALSE(decoded.ok()) << op;
  }
}

TEST(FrameHeaderTest, RejectsNegativeAndHugeLengths) {
  for (uint32_t len : {0x80000000u, 0xFFFFFFFFu, static_cast<uint32_t>(kMaxFrameBodySize) + 1}) {
    std::string bytes = Encode(FrameHeader{0x84, 0, 1, Opcode::kResult, 0});
    bytes[5] = static_cast<char>(len >> 24);
    bytes[6] = static_cast<char>(len >> 16);
    bytes[7] = static_cast<char>(len >> 8);
    bytes[8] = static_cast<char>(len);
    EXPECT_FALSE(DecodeFrameHeader(bytes).ok()) << len;
  }
}

TEST(FrameHeaderTest, PatchStreamId) {
  std::string bytes = Encode(FrameHeader{0x04, 0, 0, Opcode::kQuery, 0});
  PatchStreamId(bytes.data(), 0x1234);
  auto decoded = DecodeFrameHeader(bytes);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->stream, 0x1234);
  PatchStreamId(bytes.data(), 32767);
  EXPECT_EQ(DecodeFrameHeader(bytes)->stream, 32767);
}

}  // namespace
}  // namespace cql::internal
