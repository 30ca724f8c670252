#include "service/seatmap_answers.h"

#include <gtest/gtest.h>

namespace inventory::service {
namespace {

using SnapshotPtr = SeatMapAnswers::SnapshotPtr;

SnapshotPtr NewSnapshot() { return std::make_shared<const domain::TripSnapshot>(); }

std::shared_ptr<const std::string> Text(size_t size, char c = 'x') {
  return std::make_shared<const std::string>(size, c);
}

// What one answer of `size` bytes under a short key counts.
uint64_t AnswerBytes(size_t size) {
  SeatMapAnswers answers(uint64_t{1} << 30);
  answers.Put("k", NewSnapshot(), 100, Text(size));
  return answers.stats().bytes;
}

TEST(SeatMapAnswersTest, AnAnswerIsReusedForItsSnapshotVersionAndTimeOnly) {
  SeatMapAnswers answers(uint64_t{1} << 20);
  auto snapshot = std::make_shared<domain::TripSnapshot>();
  const SnapshotPtr same = snapshot;
  std::shared_ptr<const std::string> bytes = Text(100);
  answers.Put("k", same, 1000, bytes);
  EXPECT_EQ(answers.Find("k", same, 999), bytes);
  EXPECT_EQ(answers.Find("k", same, 1000), nullptr);  // a hold it shows has expired
  EXPECT_EQ(answers.Find("other", same, 0), nullptr);
  EXPECT_EQ(answers.Find("k", NewSnapshot(), 0), nullptr);  // another copy of the trip
  ++snapshot->version;                                       // changed in place
  EXPECT_EQ(answers.Find("k", same, 0), nullptr);
  // Replaced: counted once.
  const uint64_t one = answers.stats().bytes;
  answers.Put("k", same, 1000, Text(100));
  EXPECT_EQ(answers.stats().bytes, one);
  EXPECT_EQ(answers.stats().answers, 1u);
}

TEST(SeatMapAnswersTest, AnAnswerDoesNotKeepItsSnapshotAlive) {
  SeatMapAnswers answers(uint64_t{1} << 20);
  SnapshotPtr snapshot = NewSnapshot();
  std::weak_ptr<const domain::TripSnapshot> watch = snapshot;
  answers.Put("k", snapshot, 1000, Text(100));
  snapshot.reset();  // the snapshot cache let it go
  EXPECT_TRUE(watch.expired());
  EXPECT_EQ(answers.Find("k", NewSnapshot(), 0), nullptr);
}

TEST(SeatMapAnswersTest, PastTheBudgetTheLeastRecentlyUsedGoByBytes) {
  const uint64_t one = AnswerBytes(1000);
  const uint64_t big = AnswerBytes(2500);
  ASSERT_GT(big, 2 * one);
  SeatMapAnswers answers(3 * one + one / 2);  // room for three
  SnapshotPtr s = NewSnapshot();
  for (const char* k : {"a", "b", "c"}) answers.Put(k, s, 1000, Text(1000));
  EXPECT_EQ(answers.stats().evictions, 0u);
  ASSERT_NE(answers.Find("a", s, 0), nullptr);  // reused: b is now the least recent
  answers.Put("d", s, 1000, Text(1000));
  EXPECT_EQ(answers.stats().evictions, 1u);
  EXPECT_EQ(answers.Find("b", s, 0), nullptr);
  for (const char* k : {"a", "c", "d"}) EXPECT_NE(answers.Find(k, s, 0), nullptr) << k;
  EXPECT_EQ(answers.stats().answers, 3u);
  EXPECT_LE(answers.stats().bytes, 3 * one + one / 2);
  // A bigger answer evicts as many of the least recent as it needs (a, c).
  answers.Put("e", s, 1000, Text(2500));
  EXPECT_EQ(answers.stats().evictions, 3u);
  EXPECT_EQ(answers.Find("a", s, 0), nullptr);
  EXPECT_EQ(answers.Find("c", s, 0), nullptr);
  EXPECT_NE(answers.Find("d", s, 0), nullptr);
  EXPECT_NE(answers.Find("e", s, 0), nullptr);
  EXPECT_LE(answers.stats().bytes, 3 * one + one / 2);
  // One larger than the whole budget is not kept (and evicts nothing).
  answers.Put("huge", s, 1000, Text(10000));
  EXPECT_EQ(answers.Find("huge", s, 0), nullptr);
  EXPECT_EQ(answers.stats().answers, 2u);
}

}  // namespace
}  // namespace inventory::service
