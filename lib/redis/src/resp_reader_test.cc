#include "resp_reader.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "resp_writer.h"

namespace redis::internal {
namespace {

using namespace std::string_literals;

// Feeds `input` in pieces of `chunk` bytes, collecting every reply.
absl::StatusOr<std::vector<Reply>> DecodeAll(std::string_view input,
                                             size_t chunk) {
  RespReader reader;
  std::vector<Reply> out;
  for (size_t pos = 0; pos < input.size(); pos += chunk) {
    if (absl::Status s = reader.Feed(input.substr(pos, chunk)); !s.ok()) {
      return s;
    }
    while (true) {
      auto next = reader.Next();
      if (!next.ok()) return next.status();
      if (!next->has_value()) break;
      out.push_back(std::move(**next));
    }
  }
  return out;
}

absl::StatusOr<Reply> DecodeOne(std::string_view input) {
  auto all = DecodeAll(input, input.size() + 1);
  if (!all.ok()) return all.status();
  if (all->size() != 1) return absl::InternalError("expected one reply");
  return std::move((*all)[0]);
}

const std::string kStream =
    "+OK\r\n"
    ":-42\r\n"
    "$5\r\nhello\r\n"
    "$-1\r\n"
    "*-1\r\n"
    "*0\r\n"
    "$0\r\n\r\n"
    "-WRONGTYPE Operation against a key\r\n"
    "*3\r\n:1\r\n*2\r\n$1\r\na\r\n*1\r\n$-1\r\n+x\r\n"s;

std::vector<Reply> StreamReplies() {
  return {Reply::SimpleString("OK"),
          Reply::Integer(-42),
          Reply::BulkString("hello"),
          Reply::Nil(),
          Reply::Nil(),
          Reply::Array({}),
          Reply::BulkString(""),
          Reply::Error("WRONGTYPE Operation against a key"),
          Reply::Array({Reply::Integer(1),
                        Reply::Array({Reply::BulkString("a"),
                                      Reply::Array({Reply::Nil()})}),
                        Reply::SimpleString("x")})};
}

TEST(RespReaderTest, AllTypesInOneFeed) {
  auto replies = DecodeAll(kStream, kStream.size());
  ASSERT_TRUE(replies.ok()) << replies.status();
  EXPECT_EQ(*replies, StreamReplies());
}

TEST(RespReaderTest, ByteByByteAndEveryChunkSize) {
  for (size_t chunk = 1; chunk <= kStream.size(); ++chunk) {
    auto replies = DecodeAll(kStream, chunk);
    ASSERT_TRUE(replies.ok()) << "chunk " << chunk << ": " << replies.status();
    EXPECT_EQ(*replies, StreamReplies()) << "chunk " << chunk;
  }
}

TEST(RespReaderTest, IncompleteInputYieldsNothingYet) {
  RespReader reader;
  ASSERT_TRUE(reader.Feed("$5\r\nhel").ok());
  auto next = reader.Next();
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->has_value());
  EXPECT_GT(reader.buffered_bytes(), 0u);
  ASSERT_TRUE(reader.Feed("lo\r\n").ok());
  next = reader.Next();
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE(next->has_value());
  EXPECT_EQ(**next, Reply::BulkString("hello"));
}

TEST(RespReaderTest, Integers) {
  EXPECT_EQ(*DecodeOne(":0\r\n"), Reply::Integer(0));
  EXPECT_EQ(*DecodeOne(":9223372036854775807\r\n"),
            Reply::Integer(INT64_MAX));
  EXPECT_EQ(*DecodeOne(":-9223372036854775808\r\n"),
            Reply::Integer(INT64_MIN));
}

TEST(RespReaderTest, BinaryBulkString) {
  const std::string payload = "a\r\n\0b\r\n"s;
  auto r = DecodeOne(absl::StrCat("$7\r\n", payload, "\r\n"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, Reply::BulkString(payload));
}

TEST(RespReaderTest, LargeBulkString) {
  std::string payload(4 << 20, '\0');
  std::mt19937 rng(7);
  for (char& c : payload) c = static_cast<char>(rng());
  const std::string input =
      absl::StrCat("$", payload.size(), "\r\n", payload, "\r\n");
  auto replies = DecodeAll(input, 65536);
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 1u);
  EXPECT_EQ((*replies)[0].str(), payload);
}

TEST(RespReaderTest, LargeArray) {
  std::string input = "*5000\r\n";
  std::vector<Reply> expected;
  for (int i = 0; i < 5000; ++i) {
    absl::StrAppend(&input, ":", i, "\r\n");
    expected.push_back(Reply::Integer(i));
  }
  auto replies = DecodeAll(input, 1000);
  ASSERT_TRUE(replies.ok());
  ASSERT_EQ(replies->size(), 1u);
  EXPECT_EQ((*replies)[0], Reply::Array(std::move(expected)));
}

TEST(RespReaderTest, NestedSevenLevels) {
  std::string input;
  for (int i = 0; i < 7; ++i) absl::StrAppend(&input, "*1\r\n");
  absl::StrAppend(&input, ":5\r\n");
  auto r = DecodeOne(input);
  ASSERT_TRUE(r.ok()) << r.status();
  const Reply* p = &*r;
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(p->is_array());
    p = &(*p)[0];
  }
  EXPECT_EQ(*p, Reply::Integer(5));
}

void ExpectMalformed(const std::string& input) {
  for (size_t chunk : {size_t{1}, input.size()}) {
    auto r = DecodeAll(input, chunk);
    ASSERT_FALSE(r.ok()) << "accepted: " << input;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
  }
}

TEST(RespReaderTest, MalformedInputIsAnError) {
  ExpectMalformed("?what\r\n");
  ExpectMalformed("$abc\r\nxx\r\n");
  ExpectMalformed("$-5\r\n");
  ExpectMalformed("$99999999999999999999\r\n");
  ExpectMalformed("*abc\r\n");
  ExpectMalformed("*-7\r\n");
  ExpectMalformed("*99999999999\r\n");
  ExpectMalformed(":12a\r\n");
  ExpectMalformed(":99999999999999999999999\r\n");
  ExpectMalformed("*2\r\n:1\r\n!oops\r\n");  // bad type byte inside an array
  std::string deep;
  for (int i = 0; i < 9; ++i) absl::StrAppend(&deep, "*1\r\n");
  absl::StrAppend(&deep, ":1\r\n");
  ExpectMalformed(deep);
}

TEST(RespReaderTest, ErrorIsSticky) {
  RespReader reader;
  ASSERT_TRUE(reader.Feed("+OK\r\n?bad\r\n").ok());
  auto first = reader.Next();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(**first, Reply::SimpleString("OK"));
  EXPECT_FALSE(reader.Next().ok());
  EXPECT_FALSE(reader.Feed("+OK\r\n").ok());
  EXPECT_FALSE(reader.Next().ok());
}

TEST(RespReaderTest, RandomGarbageNeverCrashes) {
  std::mt19937 rng(12345);
  const std::string alphabet = "+-:$*\r\n0123456789-abc";
  for (int round = 0; round < 20000; ++round) {
    std::string input(rng() % 40, '\0');
    for (char& c : input) {
      c = (rng() % 4 == 0) ? static_cast<char>(rng())
                           : alphabet[rng() % alphabet.size()];
    }
    (void)DecodeAll(input, 1 + rng() % 8);
  }
}

TEST(RespReaderTest, RandomizedCommandRoundTrip) {
  // A command encoding is itself a RESP array of bulk strings: decoding what
  // the writer produced must give the arguments back, for any chunking.
  std::mt19937 rng(99);
  for (int round = 0; round < 500; ++round) {
    std::vector<std::string> argv(1 + rng() % 6);
    std::vector<Reply> expected;
    for (std::string& a : argv) {
      a.resize(rng() % 300);
      for (char& c : a) c = static_cast<char>(rng());
      expected.push_back(Reply::BulkString(a));
    }
    auto encoded = EncodeCommand(argv);
    ASSERT_TRUE(encoded.ok());
    auto replies = DecodeAll(*encoded, 1 + rng() % 64);
    ASSERT_TRUE(replies.ok()) << replies.status();
    ASSERT_EQ(replies->size(), 1u);
    EXPECT_EQ((*replies)[0], Reply::Array(std::move(expected)));
  }
}

TEST(RespReaderTest, MoveKeepsState) {
  RespReader a;
  ASSERT_TRUE(a.Feed("$3\r\nab").ok());
  RespReader b = std::move(a);
  ASSERT_TRUE(b.Feed("c\r\n").ok());
  auto next = b.Next();
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE(next->has_value());
  EXPECT_EQ(**next, Reply::BulkString("abc"));
}

}  // namespace
}  // namespace redis::internal
