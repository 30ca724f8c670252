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

TEST(RespWriterTest, EmptyArgvIsInvalid) {
  std::string out = "unchanged";
  std::vector<std::string> argv;
  absl::Status s = AppendCommand(std::span<const std::string>(argv), &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(out, "unchanged");
}

}  // namespace
}  // namespace redis::internal
