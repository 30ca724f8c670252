#include "stream_id_allocator.h"

#include <random>
#include <set>

#include <gtest/gtest.h>

namespace cql::internal {
namespace {

TEST(StreamIdAllocatorTest, AllocatesAllIdsThenExhausts) {
  StreamIdAllocator ids;
  std::set<int16_t> seen;
  for (int i = 0; i < StreamIdAllocator::kMaxStreams; ++i) {
    auto id = ids.Allocate();
    ASSERT_TRUE(id.has_value()) << i;
    ASSERT_GE(*id, 0);
    ASSERT_TRUE(seen.insert(*id).second) << "duplicate id " << *id;
  }
  EXPECT_EQ(ids.in_use(), 32768);
  EXPECT_FALSE(ids.Allocate().has_value());
  EXPECT_TRUE(ids.Release(12345));
  auto again = ids.Allocate();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, 12345);
}

TEST(StreamIdAllocatorTest, ReleaseIsCheckedAndIdempotent) {
  StreamIdAllocator ids;
  auto id = ids.Allocate();
  ASSERT_TRUE(id);
  EXPECT_TRUE(ids.InUse(*id));
  EXPECT_TRUE(ids.Release(*id));
  EXPECT_FALSE(ids.Release(*id));
  EXPECT_FALSE(ids.Release(-1));
  EXPECT_FALSE(ids.InUse(-5));
  EXPECT_EQ(ids.in_use(), 0);
}

TEST(StreamIdAllocatorTest, RespectsLimit) {
  StreamIdAllocator ids(3);
  EXPECT_TRUE(ids.Allocate());
  EXPECT_TRUE(ids.Allocate());
  EXPECT_TRUE(ids.Allocate());
  EXPECT_FALSE(ids.Allocate());
  EXPECT_FALSE(ids.Release(3));
}

TEST(StreamIdAllocatorTest, RandomAllocateReleaseMatchesModel) {
  StreamIdAllocator ids;
  std::set<int16_t> model;
  std::mt19937 rng(42);
  for (int step = 0; step < 200000; ++step) {
    if (model.empty() || rng() % 3 != 0) {
      auto id = ids.Allocate();
      if (model.size() == 32768u) {
        ASSERT_FALSE(id);
        continue;
      }
      ASSERT_TRUE(id);
      ASSERT_TRUE(model.insert(*id).second);
    } else {
      auto it = model.begin();
      std::advance(it, rng() % model.size() % 64);
      ASSERT_TRUE(ids.Release(*it));
      model.erase(it);
    }
    ASSERT_EQ(ids.in_use(), static_cast<int>(model.size()));
  }
}

}  // namespace
}  // namespace cql::internal
