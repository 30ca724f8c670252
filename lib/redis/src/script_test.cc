#include "redis/script.h"

#include <gtest/gtest.h>

namespace redis {
namespace {

TEST(ScriptTest, Sha1KnownVectors) {
  EXPECT_EQ(Sha1Hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(Sha1Hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(ScriptTest, DigestMatchesRedisScriptLoad) {
  // The value Redis answers to SCRIPT LOAD "return 1".
  Script s("return 1");
  EXPECT_EQ(s.sha1(), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
  EXPECT_EQ(s.source(), "return 1");
}

TEST(ScriptTest, CopiesShareSource) {
  Script a("return redis.call('GET', KEYS[1])");
  Script b = a;
  EXPECT_EQ(&a.source(), &b.source());
  EXPECT_EQ(a.sha1(), b.sha1());
  EXPECT_EQ(a.sha1().size(), 40u);
}

}  // namespace
}  // namespace redis
