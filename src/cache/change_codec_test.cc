#include "cache/change_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace inventory::cache {
namespace {

using domain::SeatChange;
using Kind = SeatChange::Kind;
using ::testing::HasSubstr;

SeatChange Change(Kind kind, std::string seat, int first, int last, std::string owner, std::string user,
                  int64_t expires, std::string previous) {
  SeatChange c;
  c.kind = kind;
  c.seat_id = std::move(seat);
  c.range = {first, last};
  c.owner_id = std::move(owner);
  c.user_id = std::move(user);
  c.expires_at_ms = expires;
  c.previous_owner_id = std::move(previous);
  return c;
}

void ExpectRoundTrip(const std::vector<SeatChange>& changes) {
  const std::string text = EncodeChanges(changes);
  absl::StatusOr<std::vector<SeatChange>> decoded = DecodeChanges(text);
  ASSERT_TRUE(decoded.ok()) << text << ": " << decoded.status();
  EXPECT_EQ(*decoded, changes) << text;
}

void ExpectInvalid(std::string_view text, std::string_view message_part) {
  absl::StatusOr<std::vector<SeatChange>> decoded = DecodeChanges(text);
  ASSERT_FALSE(decoded.ok()) << "accepted: " << text;
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument) << decoded.status();
  EXPECT_THAT(std::string(decoded.status().message()), HasSubstr(std::string(message_part))) << text;
}

TEST(ChangeCodecTest, Layout) {
  const std::vector<SeatChange> changes = {
      Change(Kind::kHeld, "12A", 0, 3, "hold-1", "user-1", 1700000000123, ""),
      Change(Kind::kBooked, "12A", 0, 3, "book-1", "user-1", 0, "hold-1")};
  EXPECT_EQ(EncodeChanges(changes),
            "held|12A|0|3|hold-1|user-1|1700000000123|\n"
            "booked|12A|0|3|book-1|user-1|0|hold-1");
}

TEST(ChangeCodecTest, EmptyTextIsNoChanges) {
  EXPECT_EQ(EncodeChanges({}), "");
  absl::StatusOr<std::vector<SeatChange>> decoded = DecodeChanges("");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(decoded->empty());
}

TEST(ChangeCodecTest, EveryKindRoundTrips) {
  ExpectRoundTrip({Change(Kind::kHeld, "1A", 0, 2, "h1", "u1", 1700000000000, "")});
  ExpectRoundTrip({Change(Kind::kBooked, "1A", 0, 2, "b1", "u1", 0, "h1")});
  ExpectRoundTrip({Change(Kind::kFreed, "1A", 0, 2, "b1", "", 0, "h1")});
  ExpectRoundTrip({Change(Kind::kBlocked, "1A", 1, 1, "", "", 0, "")});
  ExpectRoundTrip({Change(Kind::kUnblocked, "1A", 1, 1, "", "", 0, "")});
  ExpectRoundTrip({Change(Kind::kHeld, "1A", 0, 2, "h1", "u1", 5, ""),
                   Change(Kind::kFreed, "1A", 0, 2, "h1", "", 0, ""),
                   Change(Kind::kBlocked, "2B", 0, 9, "", "", 0, "")});
}

TEST(ChangeCodecTest, SeparatorsAndEscapesInTextRoundTrip) {
  const std::vector<SeatChange> changes = {
      Change(Kind::kHeld, "1|A", 0, 1, "h|1", "u\n1", 7, "p%7C"),
      Change(Kind::kBooked, "%", 0, 0, "\n", "|", 0, "%%|\n"),
      Change(Kind::kFreed, "", 0, 0, "", "", 0, ""),  // every text field empty
  };
  const std::string text = EncodeChanges(changes);
  // One newline between lines (none at the end), and 7 bars per line.
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
  EXPECT_EQ(std::count(text.begin(), text.end(), '|'), 21);
  ExpectRoundTrip(changes);
}

TEST(ChangeCodecTest, ExtremeNumbersRoundTrip) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int kIntMin = std::numeric_limits<int>::min();
  constexpr int kIntMax = std::numeric_limits<int>::max();
  ExpectRoundTrip({Change(Kind::kHeld, "1A", -5, -1, "h", "u", -1, ""),
                   Change(Kind::kHeld, "1A", kIntMin, kIntMax, "h", "u", kMin, ""),
                   Change(Kind::kHeld, "1A", 0, kIntMax, "h", "u", kMax, "")});
}

TEST(ChangeCodecTest, RandomRoundTrip) {
  std::mt19937_64 rng(42);
  const std::string alphabet = "ab|%\n7C:{}";
  auto text = [&] {
    std::string s;
    for (size_t i = rng() % 6; i > 0; --i) s.push_back(alphabet[rng() % alphabet.size()]);
    return s;
  };
  for (int round = 0; round < 500; ++round) {
    std::vector<SeatChange> changes;
    for (size_t i = rng() % 5; i > 0; --i) {
      changes.push_back(Change(static_cast<Kind>(rng() % 5), text(), static_cast<int>(rng() % 40) - 5,
                               static_cast<int>(rng() % 40), text(), text(), static_cast<int64_t>(rng()), text()));
    }
    ExpectRoundTrip(changes);
  }
}

TEST(ChangeCodecTest, WrongFieldCountIsRefused) {
  ExpectInvalid("held|1A|0|2|h|u|5", "line 1: 7 fields, want 8");
  ExpectInvalid("held|1A|0|2|h|u|5||", "9 fields");
  ExpectInvalid("held", "1 fields");
  ExpectInvalid("\n", "line 1");
  // An empty line anywhere, including a trailing newline, is not a change.
  ExpectInvalid("held|1A|0|2|h|u|5|\n", "line 2: 1 fields");
  ExpectInvalid("held|1A|0|2|h|u|5|\n\nfreed|1A|0|2|h|u|5|", "line 2");
}

TEST(ChangeCodecTest, UnknownKindIsRefused) {
  ExpectInvalid("Held|1A|0|2|h|u|5|", "unknown kind 'Held'");
  ExpectInvalid("|1A|0|2|h|u|5|", "unknown kind ''");
  ExpectInvalid("freed|1A|0|2|h||0|\nreleased|1A|0|2|h||0|", "line 2: unknown kind 'released'");
}

TEST(ChangeCodecTest, BadNumbersAreRefused) {
  ExpectInvalid("held|1A||2|h|u|5|", "first segment '' is not an integer");
  ExpectInvalid("held|1A|x|2|h|u|5|", "first segment");
  ExpectInvalid("held|1A|0|+2|h|u|5|", "last segment '+2'");
  ExpectInvalid("held|1A|0|2 |h|u|5|", "last segment");
  ExpectInvalid("held|1A|0|99999999999|h|u|5|", "last segment");  // out of int range
  ExpectInvalid("held|1A|0|2|h|u|5.0|", "expiry '5.0'");
  ExpectInvalid("held|1A|0|2|h|u|99999999999999999999|", "expiry");
  ExpectInvalid("held|1A|0|2|h|u|-|", "expiry");
}

TEST(ChangeCodecTest, BadEscapesAreRefused) {
  ExpectInvalid("held|1%|0|2|h|u|5|", "field 2");
  ExpectInvalid("held|1A|0|2|h%7|u|5|", "field 5");
  ExpectInvalid("held|1A|0|2|h|%G1|5|", "field 6");
  ExpectInvalid("freed|1A|0|2|h||0|\nheld|1A|0|2|h|u|5|%", "line 2: field 8");
}

}  // namespace
}  // namespace inventory::cache
