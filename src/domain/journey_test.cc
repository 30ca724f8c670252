#include "domain/journey.h"

#include <gtest/gtest.h>

namespace inventory::domain {
namespace {

const std::vector<std::string> kStations = {"A", "B", "C", "D"};

TEST(JourneyTest, EmptyEndsMeanTheWholeTrip) {
  auto r = ResolveJourney(kStations, "", "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (SegmentRange{0, 2}));
  EXPECT_EQ(r->size(), 3);
}

TEST(JourneyTest, PartialJourneys) {
  EXPECT_EQ(*ResolveJourney(kStations, "A", "B"), (SegmentRange{0, 0}));
  EXPECT_EQ(*ResolveJourney(kStations, "B", "D"), (SegmentRange{1, 2}));
  EXPECT_EQ(*ResolveJourney(kStations, "B", ""), (SegmentRange{1, 2}));
  EXPECT_EQ(*ResolveJourney(kStations, "", "C"), (SegmentRange{0, 1}));
}

TEST(JourneyTest, BadJourneysNameTheField) {
  auto unknown_from = ResolveJourney(kStations, "X", "C");
  EXPECT_EQ(unknown_from.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown_from.status().message().find("from_station_id"), std::string::npos);
  auto unknown_to = ResolveJourney(kStations, "A", "X");
  EXPECT_NE(unknown_to.status().message().find("to_station_id"), std::string::npos);
  auto backwards = ResolveJourney(kStations, "C", "B");
  EXPECT_EQ(backwards.status().code(), absl::StatusCode::kInvalidArgument);
  auto same = ResolveJourney(kStations, "B", "B");
  EXPECT_EQ(same.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(ResolveJourney({"A"}, "", "").ok());
  EXPECT_FALSE(ResolveJourney(kStations, "D", "").ok());
}

TEST(JourneyTest, RangesOverlapOnlyWhenTheyShareASegment) {
  SegmentRange ab{0, 0}, bc{1, 1}, ac{0, 1};
  EXPECT_FALSE(ab.Overlaps(bc));
  EXPECT_TRUE(ac.Overlaps(ab));
  EXPECT_TRUE(ac.Overlaps(bc));
  EXPECT_TRUE(ac.Contains(1));
  EXPECT_FALSE(ab.Contains(1));
}

}  // namespace
}  // namespace inventory::domain
