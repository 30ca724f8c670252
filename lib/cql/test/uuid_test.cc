#include "cql/uuid.h"

#include <chrono>
#include <set>

#include <gtest/gtest.h>

namespace cql {
namespace {

TEST(UuidTest, ParseAndFormatRoundTrip) {
  auto u = Uuid::Parse("123E4567-e89b-12d3-a456-426614174000");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->ToString(), "123e4567-e89b-12d3-a456-426614174000");
  EXPECT_EQ(u->version(), 1);
  EXPECT_EQ(Uuid::Parse(u->ToString()), u);
}

TEST(UuidTest, ParseRejectsMalformed) {
  for (const char* s : {"", "123e4567e89b12d3a456426614174000", "123e4567-e89b-12d3-a456-42661417400",
                        "123e4567-e89b-12d3-a456-4266141740000", "g23e4567-e89b-12d3-a456-426614174000",
                        "123e4567_e89b-12d3-a456-426614174000"}) {
    EXPECT_FALSE(Uuid::Parse(s)) << s;
  }
}

TEST(UuidTest, RandomIsVersion4AndUnique) {
  std::set<Uuid> seen;
  for (int i = 0; i < 10000; ++i) {
    Uuid u = Uuid::Random();
    EXPECT_EQ(u.version(), 4);
    EXPECT_EQ(u.bytes()[8] & 0xC0, 0x80);
    EXPECT_TRUE(seen.insert(u).second);
  }
}

TEST(UuidTest, TimeBasedIsVersion1MonotonicAndCarriesTime) {
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::set<Uuid> seen;
  int64_t last = 0;
  for (int i = 0; i < 10000; ++i) {
    Uuid u = Uuid::TimeBased();
    EXPECT_EQ(u.version(), 1);
    EXPECT_EQ(u.bytes()[8] & 0xC0, 0x80);
    EXPECT_TRUE(seen.insert(u).second);
    EXPECT_GE(u.UnixMillis(), last);
    last = u.UnixMillis();
  }
  EXPECT_NEAR(static_cast<double>(last), static_cast<double>(now_ms), 5000.0);
}

TEST(UuidTest, FromBytesRequires16) {
  EXPECT_FALSE(Uuid::FromBytes("short"));
  std::string b(16, '\x01');
  auto u = Uuid::FromBytes(b);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->AsStringView(), b);
}

}  // namespace
}  // namespace cql
