#include "resp_writer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace redis::internal {
namespace {

TEST(RespWriterTest, EncodesArrayOfBulkStrings) {
  std::vector<std::string> argv = {"SET", "key", "value"};
  auto out = EncodeCommand(argv);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n");
}

TEST(RespWriterTest, BinarySafeArguments) {
  const std::string binary("a\r\n\0b", 5);
  std::vector<std::string> argv = {"SET", binary, ""};
  auto out = EncodeCommand(argv);
  ASSERT_TRUE(out.ok());
  using namespace std::string_literals;
  EXPECT_EQ(*out, "*3\r\n$3\r\nSET\r\n$5\r\na\r\n\0b\r\n$0\r\n\r\n"s);
}

TEST(RespWriterTest, AppendsToExistingBuffer) {
  std::string out = "prefix";
  const std::string_view argv[] = {"PING"};
  ASSERT_TRUE(AppendCommand(argv, &out).ok());
  ASSERT_TRUE(AppendCommand(argv, &out).ok());
  EXPECT_EQ(out, "prefix*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n");
}

TEST(RespWriterTest, LongArgumentsAndManyArguments) {
  std::vector<std::string> argv = {"EVALSHA", std::string(12345, 'x')};
  for (int i = 0; i < 120; ++i) argv.push_back(std::to_string(i));
  auto out = EncodeCommand(argv);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->rfind("*122\r\n$7\r\nEVALSHA\r\n$12345\r\n", 0), 0u);
  EXPECT_NE(out->find("\r\n$3\r\n119\r\n"), std::string::npos);
  EXPECT_EQ(out->size(), std::string("*122\r\n$7\r\nEVALSHA\r\n$12345\r\n").size() + 12345 + 2 +
                             10 * std::string("$1\r\n0\r\n").size() + 90 * std::string("$2\r\n10\r\n").size() +
                             20 * std::string("$3\r\n100\r\n").size());
}

TEST(RespWriterTest, EmptyArgvIsInvalid) {
  std::string out = "unchanged";
  std::vector<std::string> argv;
  absl::Status s = AppendCommand(std::span<const std::string>(argv), &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(out, "unchanged");
}

}  // namespace
}  // namespace redis::internal
