#include "redis/reply.h"

#include <gtest/gtest.h>

namespace redis {
namespace {

TEST(ReplyTest, DefaultIsNil) {
  Reply r;
  EXPECT_TRUE(r.is_nil());
  EXPECT_EQ(r.type(), Reply::Type::kNil);
  EXPECT_EQ(r, Reply::Nil());
  EXPECT_EQ(r.DebugString(), "nil");
}

TEST(ReplyTest, Accessors) {
  EXPECT_EQ(Reply::Integer(-7).integer(), -7);
  EXPECT_TRUE(Reply::SimpleString("OK").is_string());
  EXPECT_TRUE(Reply::BulkString("x").is_string());
  EXPECT_FALSE(Reply::Error("ERR x").is_string());
  EXPECT_EQ(Reply::Error("WRONGTYPE Operation against a key").error_code(),
            "WRONGTYPE");
  EXPECT_EQ(Reply::Error("NOSCRIPT").error_code(), "NOSCRIPT");
  EXPECT_EQ(Reply::BulkString("ERR x").error_code(), "");
  Reply a = Reply::Array({Reply::Integer(1), Reply::Array({Reply::Nil()})});
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].integer(), 1);
  EXPECT_TRUE(a[1][0].is_nil());
}

TEST(ReplyTest, AsInteger) {
  EXPECT_EQ(*Reply::Integer(42).AsInteger(), 42);
  EXPECT_EQ(*Reply::BulkString("-12").AsInteger(), -12);
  EXPECT_EQ(Reply::BulkString("12x").AsInteger().status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Reply::Nil().AsInteger().status().code(),
            absl::StatusCode::kFailedPrecondition);
  absl::Status s = Reply::Error("ERR boom").AsInteger().status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("ERR boom"), std::string::npos);
}

TEST(ReplyTest, AsString) {
  EXPECT_EQ(*Reply::SimpleString("OK").AsString(), "OK");
  EXPECT_EQ(*Reply::BulkString(std::string("a\0b", 3)).AsString(),
            std::string("a\0b", 3));
  EXPECT_FALSE(Reply::Integer(1).AsString().ok());
}

TEST(ReplyTest, DebugStringEscapesAndTruncates) {
  Reply r = Reply::Array({Reply::SimpleString("OK"), Reply::Integer(3),
                          Reply::Nil(), Reply::Error("ERR x"),
                          Reply::BulkString(std::string("a\r\n\0", 4))});
  EXPECT_EQ(r.DebugString(),
            "[+\"OK\", 3, nil, (error) \"ERR x\", \"a\\x0d\\x0a\\x00\"]");
  std::string big(1000, 'z');
  EXPECT_LT(Reply::BulkString(big).DebugString().size(), 100u);
}

TEST(ReplyTest, Equality) {
  EXPECT_EQ(Reply::BulkString("a"), Reply::BulkString("a"));
  EXPECT_NE(Reply::BulkString("a"), Reply::SimpleString("a"));
  EXPECT_NE(Reply::Array({Reply::Integer(1)}), Reply::Array({Reply::Integer(2)}));
  Reply copy = Reply::Array({Reply::BulkString("x")});
  Reply moved = std::move(copy);
  EXPECT_EQ(moved, Reply::Array({Reply::BulkString("x")}));
}

}  // namespace
}  // namespace redis
