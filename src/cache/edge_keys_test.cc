#include "cache/edge_keys.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

namespace inventory::cache {
namespace {

// The hash tag Redis Cluster would use for `key`: the bytes between the
// first '{' and the first '}' after it, when non-empty (Cluster spec, "Hash
// tags"); else the whole key.
std::string ClusterTag(const std::string& key) {
  const size_t open = key.find('{');
  if (open == std::string::npos) return key;
  const size_t close = key.find('}', open + 1);
  if (close == std::string::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

TEST(EdgeKeysTest, Layout) {
  const EdgeKeys keys("inv", TripKey{"acme", "T42"});
  EXPECT_EQ(keys.base(), "inv:{acme:T42}:");
  EXPECT_EQ(keys.Lock(SeatSegment{"12A", 3}), "inv:{acme:T42}:lk:12A:3");
  EXPECT_EQ(keys.Marker(SeatSegment{"12A", 3}), "inv:{acme:T42}:tk:12A:3");
  EXPECT_EQ(HashTag(TripKey{"acme", "T42"}), "{acme:T42}");
  EXPECT_EQ(keys.Stream(), "inv:{acme:T42}:ch");
  EXPECT_EQ(keys.Sequence(), "inv:{acme:T42}:sq");
}

TEST(EdgeKeysTest, StreamKeysShareTheTripsTagAndNeverMeetCellKeys) {
  const EdgeKeys keys("inv", TripKey{"a{b}", "t:1"});
  EXPECT_EQ(ClusterTag(keys.Stream()), ClusterTag(keys.Lock(SeatSegment{"ch", 0})));
  EXPECT_EQ(ClusterTag(keys.Sequence()), ClusterTag(keys.Marker(SeatSegment{"sq", 0})));
  // Cell keys always have "lk:" / "tk:" after the base; these never do.
  EXPECT_NE(keys.Stream(), keys.Sequence());
  EXPECT_EQ(keys.Stream().rfind(keys.base(), 0), 0u);
  EXPECT_EQ(keys.Sequence().size(), keys.base().size() + 2);
}

TEST(EdgeKeysTest, SpecialCharactersInOrgAndTripAreEncoded) {
  const TripKey trip{"a{b}:c%", "t}{:"};
  EXPECT_EQ(HashTag(trip), "{a%7Bb%7D%3Ac%25:t%7D%7B%3A}");
  const EdgeKeys keys("inv", trip);
  const std::string lock = keys.Lock(SeatSegment{"1{x}", 0});
  const std::string marker = keys.Marker(SeatSegment{"}2", 1});
  EXPECT_EQ(lock, "inv:{a%7Bb%7D%3Ac%25:t%7D%7B%3A}:lk:1{x}:0");
  // Every key of the trip hashes on the whole encoded (org, trip) pair.
  EXPECT_EQ(ClusterTag(lock), "a%7Bb%7D%3Ac%25:t%7D%7B%3A");
  EXPECT_EQ(ClusterTag(marker), ClusterTag(lock));
}

TEST(EdgeKeysTest, ColonsCannotMakeTwoTripsShareATag) {
  EXPECT_NE(HashTag(TripKey{"a:b", "c"}), HashTag(TripKey{"a", "b:c"}));
  EXPECT_NE(HashTag(TripKey{"", "x"}), HashTag(TripKey{"x", ""}));
}

TEST(EdgeKeysTest, PrefixIsEncodedButMayContainColons) {
  const EdgeKeys keys("prod:{inv}", TripKey{"o", "t"});
  EXPECT_EQ(keys.base(), "prod:%7Binv%7D:{o:t}:");
  EXPECT_EQ(ClusterTag(keys.Lock(SeatSegment{"s", 1})), "o:t");
}

TEST(EdgeKeysTest, PercentRoundTrip) {
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    std::string text(rng() % 12, '\0');
    for (char& c : text) c = static_cast<char>(rng() % 256);
    const std::string encoded = PercentEncode(text, "{}:|");
    for (const char c : std::string_view("{}:|")) EXPECT_EQ(encoded.find(c), std::string::npos);
    auto decoded = PercentDecode(encoded);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, text);
  }
}

TEST(EdgeKeysTest, PercentDecodeRejectsBadEscapes) {
  EXPECT_FALSE(PercentDecode("%").ok());
  EXPECT_FALSE(PercentDecode("%4").ok());
  EXPECT_FALSE(PercentDecode("%G0").ok());
  EXPECT_EQ(*PercentDecode("%7c%7C"), "||");
}

TEST(MarkerValueTest, Format) {
  Marker held{SeatSegment{"12A", 2}, false, "user-1", "hold-9", 1700000000123};
  EXPECT_EQ(FormatMarkerValue(held), "h|user-1|hold-9|1700000000123");
  Marker booked{SeatSegment{"12A", 2}, true, "u|x", "b%1", -5};
  EXPECT_EQ(FormatMarkerValue(booked), "b|u%7Cx|b%251|-5");
}

TEST(MarkerValueTest, RoundTripWithSeparatorsInIds) {
  std::mt19937 rng(11);
  const std::string alphabet = "ab|%|7C";
  for (int round = 0; round < 2000; ++round) {
    Marker m;
    m.booked = rng() % 2 == 0;
    for (size_t i = rng() % 6; i > 0; --i) m.holder.push_back(alphabet[rng() % alphabet.size()]);
    for (size_t i = rng() % 6; i > 0; --i) m.hold_id.push_back(alphabet[rng() % alphabet.size()]);
    m.expires_at_ms = static_cast<int64_t>(rng()) * 1000 - 5000;
    const SeatSegment at{"9C", 4};
    const std::string value = FormatMarkerValue(m);
    auto parsed = ParseMarkerValue(value, at);
    ASSERT_TRUE(parsed.ok()) << value << ": " << parsed.status();
    EXPECT_EQ(parsed->booked, m.booked);
    EXPECT_EQ(parsed->holder, m.holder);
    EXPECT_EQ(parsed->hold_id, m.hold_id);
    EXPECT_EQ(parsed->expires_at_ms, m.expires_at_ms);
    EXPECT_EQ(parsed->at.seat_id, "9C");
    EXPECT_EQ(parsed->at.segment, 4);
  }
}

TEST(MarkerValueTest, ParseRejectsMalformedValues) {
  const SeatSegment at{"1A", 0};
  for (const char* bad : {"", "h", "h|u|i", "h|u|i|5|x", "x|u|i|5", "h|u|i|", "h|u|i|5x", "h|u|i|+5",
                          "h|u%|i|5", "hb|u|i|5", "h|u|i|99999999999999999999"}) {
    EXPECT_FALSE(ParseMarkerValue(bad, at).ok()) << bad;
  }
  EXPECT_TRUE(ParseMarkerValue("b|||0", at).ok());
}

TEST(EdgeKeysTest, TombstonesAreOneKeyPerOwnerUnderTheTripsTag) {
  const EdgeKeys keys("inv", TripKey{"acme", "T42"});
  EXPECT_EQ(keys.Gone("bk-h1"), "inv:{acme:T42}:gone:bk-h1");
  EXPECT_NE(keys.Gone("h1"), keys.Gone("bk-h1"));
  EXPECT_EQ(ClusterTag(keys.Gone("a{b}c")), ClusterTag(keys.Marker(SeatSegment{"1A", 0})));
}

}  // namespace
}  // namespace inventory::cache
