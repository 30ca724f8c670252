// Randomised robustness test of the response decoder: 100k random and
// mutated frames through DecodeFrameHeader + DecodeResponse. Every input
// must yield a value or an error Status — no crash, no sanitizer report,
// no unbounded allocation.
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "data_type_codec.h"
#include "error_response.h"
#include "request_writer.h"
#include "response.h"

namespace cql::internal {
namespace {

std::string FrameOf(Opcode op, uint8_t flags, const std::string& body) {
  std::string out(kFrameHeaderSize, '\0');
  EncodeFrameHeader(FrameHeader{0x84, flags, 1, op, static_cast<int32_t>(body.size())},
                    reinterpret_cast<uint8_t*>(out.data()));
  return out + body;
}

// A corpus of valid frames of every response kind to mutate.
std::vector<std::string> Seeds() {
  std::vector<std::string> seeds;
  std::string b;
  RequestWriter w(&b);
  // Rows with collections.
  w.WriteInt(2);
  w.WriteInt(0x0003);
  w.WriteInt(3);
  w.WriteBytes("paging");
  w.WriteString("ks");
  w.WriteString("t");
  w.WriteString("[applied]");
  WriteDataType(DataType{TypeId::kBoolean, "", {}, {}}, w);
  w.WriteString("m");
  WriteDataType(DataType{TypeId::kMap, "",
                         {DataType{TypeId::kVarchar, "", {}, {}},
                          DataType{TypeId::kList, "", {DataType{TypeId::kInt, "", {}, {}}}, {}}},
                         {}},
                w);
  w.WriteString("u");
  WriteDataType(DataType{TypeId::kUdt, "ks.addr", {DataType{TypeId::kVarchar, "", {}, {}}}, {"street"}}, w);
  w.WriteInt(2);
  for (int i = 0; i < 2; ++i) {
    w.WriteBytes(std::string("\x01", 1));
    w.WriteBytes(std::string("\0\0\0\x01\0\0\0\x01k\0\0\0\x0C\0\0\0\x01\0\0\0\x04\0\0\0\x07", 25));
    w.WriteNullBytes();
  }
  seeds.push_back(FrameOf(Opcode::kResult, 0, b));
  // Prepared.
  b.clear();
  w.WriteInt(4);
  w.WriteShortBytes("0123456789abcdef");
  w.WriteInt(0);
  w.WriteInt(1);
  w.WriteInt(1);
  w.WriteShort(0);
  w.WriteString("ks");
  w.WriteString("t");
  w.WriteString("k");
  WriteDataType(
      DataType{TypeId::kTuple, "", {DataType{TypeId::kInt, "", {}, {}}, DataType{TypeId::kCustom, "x.Y", {}, {}}}, {}},
      w);
  w.WriteInt(4);
  w.WriteInt(0);
  seeds.push_back(FrameOf(Opcode::kResult, 0, b));
  // Schema change, set keyspace, void.
  b.clear();
  w.WriteInt(5);
  w.WriteString("CREATED");
  w.WriteString("FUNCTION");
  w.WriteString("ks");
  w.WriteString("f");
  w.WriteStringList({"int"});
  seeds.push_back(FrameOf(Opcode::kResult, 0, b));
  b.clear();
  w.WriteInt(3);
  w.WriteString("ks");
  seeds.push_back(FrameOf(Opcode::kResult, 0, b));
  // Errors.
  for (ErrorCode code : {ErrorCode::kWriteTimeout, ErrorCode::kUnprepared, ErrorCode::kReadFailure,
                         ErrorCode::kFunctionFailure, ErrorCode::kAlreadyExists}) {
    b.clear();
    ServerError e;
    e.code = code;
    e.message = "boom";
    e.write_type = "CAS";
    e.arg_types = {"a"};
    EncodeErrorBody(e, w);
    seeds.push_back(FrameOf(Opcode::kError, 0, b));
  }
  // Supported, authenticate, auth success, ready; with warnings.
  b.clear();
  w.WriteStringMultimap({{"CQL_VERSION", "3.4.7"}, {"COMPRESSION", "lz4"}});
  seeds.push_back(FrameOf(Opcode::kSupported, 0, b));
  b.clear();
  w.WriteString("org.apache.cassandra.auth.PasswordAuthenticator");
  seeds.push_back(FrameOf(Opcode::kAuthenticate, 0, b));
  b.clear();
  w.WriteNullBytes();
  seeds.push_back(FrameOf(Opcode::kAuthSuccess, 0, b));
  b.clear();
  w.WriteStringList({"warn"});
  w.WriteInt(1);
  seeds.push_back(FrameOf(Opcode::kResult, kFlagWarning, b));
  seeds.push_back(FrameOf(Opcode::kReady, 0, ""));
  // Events (§4.2.6): topology (IPv4), status (IPv6), schema (function).
  b.clear();
  w.WriteString("TOPOLOGY_CHANGE");
  w.WriteString("NEW_NODE");
  w.WriteInet(std::string("\x0A\x00\x00\x01", 4), 9042);
  seeds.push_back(FrameOf(Opcode::kEvent, 0, b));
  b.clear();
  w.WriteString("STATUS_CHANGE");
  w.WriteString("DOWN");
  w.WriteInet(std::string(15, '\0') + "\x01", 9042);
  seeds.push_back(FrameOf(Opcode::kEvent, 0, b));
  b.clear();
  w.WriteString("SCHEMA_CHANGE");
  w.WriteString("CREATED");
  w.WriteString("AGGREGATE");
  w.WriteString("ks");
  w.WriteString("agg");
  w.WriteStringList({"int", "text"});
  seeds.push_back(FrameOf(Opcode::kEvent, 0, b));
  return seeds;
}

// Decodes bytes as the connection would; returns whether a message resulted.
bool DecodeBytes(const std::string& bytes) {
  auto header = DecodeFrameHeader(bytes);
  if (!header.ok()) return false;
  const size_t avail = bytes.size() - kFrameHeaderSize;
  // Use whatever body bytes exist (a truncated body yields a length mismatch).
  Frame f{*header, bytes.substr(kFrameHeaderSize, std::min<size_t>(avail, static_cast<size_t>(header->length)))};
  auto message = DecodeResponse(std::move(f));
  if (!message.ok()) return false;
  if (auto* result = std::get_if<std::unique_ptr<Result>>(&*message)) {
    // Exercise the lazy accessors over whatever decoded.
    const Result& r = **result;
    for (size_t i = 0; i < std::min<size_t>(r.row_count(), 8); ++i) {
      for (size_t c = 0; c < r.column_count(); ++c) {
        r.row(i).GetValue(c).IgnoreError();
        r.row(i).GetString(c).IgnoreError();
        r.row(i).GetMap(c).IgnoreError();
      }
    }
    r.Applied().IgnoreError();
  }
  return true;
}

TEST(FuzzResponseTest, SeedsDecode) {
  for (const auto& s : Seeds()) {
    auto header = DecodeFrameHeader(s);
    ASSERT_TRUE(header.ok());
    if (header->opcode == Opcode::kError) continue;
    EXPECT_TRUE(DecodeBytes(s)) << "seed opcode " << static_cast<int>(header->opcode);
  }
}

TEST(FuzzResponseTest, HundredThousandMutatedAndRandomFrames) {
  const auto seeds = Seeds();
  std::mt19937_64 rng(0xC0FFEE);
  int decoded = 0;
  for (int iter = 0; iter < 100000; ++iter) {
    std::string bytes;
    const int mode = static_cast<int>(rng() % 4);
    if (mode == 0) {
      // Purely random bytes behind a plausible header.
      std::string body(rng() % 64, '\0');
      for (auto& c : body) c = static_cast<char>(rng());
      bytes = FrameOf(static_cast<Opcode>(rng() % 0x11), static_cast<uint8_t>(rng() % 16), body);
    } else {
      bytes = seeds[rng() % seeds.size()];
      const int mutations = 1 + static_cast<int>(rng() % 4);
      for (int m = 0; m < mutations && !bytes.empty(); ++m) {
        const size_t pos = rng() % bytes.size();
        switch (rng() % 5) {
          case 0: bytes[pos] = static_cast<char>(rng()); break;                       // flip a byte
          case 1: bytes[pos] = static_cast<char>(bytes[pos] ^ (1 << (rng() % 8))); break;
          case 2: bytes.resize(pos); break;                                            // truncate
          case 3: bytes.insert(pos, 1, static_cast<char>(rng())); break;               // insert
          case 4: bytes[pos] = static_cast<char>(0xFF); break;                         // negative lengths
        }
      }
      // Keep the header's length consistent half of the time, so mutations
      // reach the body decoders instead of failing the length check.
      if (bytes.size() >= kFrameHeaderSize && rng() % 2 == 0) {
        const uint32_t len = static_cast<uint32_t>(bytes.size() - kFrameHeaderSize);
        bytes[5] = static_cast<char>(len >> 24);
        bytes[6] = static_cast<char>(len >> 16);
        bytes[7] = static_cast<char>(len >> 8);
        bytes[8] = static_cast<char>(len);
      }
    }
    decoded += DecodeBytes(bytes) ? 1 : 0;
  }
  // Sanity: some mutations still decode, most do not; nothing crashed.
  EXPECT_GT(decoded, 0);
  EXPECT_LT(decoded, 100000);
}

}  // namespace
}  // namespace cql::internal
