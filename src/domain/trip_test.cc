#include "domain/trip.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace inventory::domain {
namespace {

TripDefinition ValidTrip() {
  TripDefinition t;
  t.organization_id = "org";
  t.trip_id = "trip";
  t.vehicle_id = "bus-7";
  t.vehicle_type = "bus";
  t.segments = {{0, "A", "B", 100, 200}, {1, "B", "C", 210, 300}};
  t.seats = {{"s1", "1A", 1, 1, "window", "economy", 500, false, false, false},
             {"s2", "1B", 1, 2, "aisle", "economy", 500, false, true, false}};
  return t;
}

void ExpectInvalid(const TripDefinition& t, const char* field) {
  absl::Status s = ValidateTrip(t);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << field;
  EXPECT_NE(s.message().find(field), std::string::npos) << s.message();
}

TEST(TripTest, ValidTripPassesAndListsStations) {
  TripDefinition t = ValidTrip();
  EXPECT_TRUE(ValidateTrip(t).ok()) << ValidateTrip(t);
  EXPECT_EQ(t.Stations(), (std::vector<std::string>{"A", "B", "C"}));
}

TEST(TripTest, EveryRuleNamesItsField) {
  TripDefinition t = ValidTrip();
  t.trip_id = "";
  ExpectInvalid(t, "trip_id");
  t = ValidTrip();
  t.organization_id = "";
  ExpectInvalid(t, "organization_id");
  t = ValidTrip();
  t.segments.clear();
  ExpectInvalid(t, "segments");
  t = ValidTrip();
  t.segments[1].index = 2;
  ExpectInvalid(t, "segments[1].segment_index");
  t = ValidTrip();
  t.segments[1].from_station = "X";
  ExpectInvalid(t, "segments[1].from_station_id");
  t = ValidTrip();
  t.segments[0].to_station = "A";
  ExpectInvalid(t, "segments[0].to_station_id");
  t = ValidTrip();
  t.segments[0].arrival_time = 50;
  ExpectInvalid(t, "segments[0].arrival_time");
  t = ValidTrip();
  t.seats.clear();
  ExpectInvalid(t, "seat_config.seats");
  t = ValidTrip();
  t.seats[1].seat_id = "s1";
  ExpectInvalid(t, "seats[1].seat_id: duplicate");
  t = ValidTrip();
  t.seats[0].row = 0;
  ExpectInvalid(t, "seats[0].row");
  t = ValidTrip();
  t.seats[1].column = -1;
  ExpectInvalid(t, "seats[1].column");
  t = ValidTrip();
  t.seats[0].price_paisa = -5;
  ExpectInvalid(t, "price_paisa");
  t = ValidTrip();
  t.trip_id = std::string(kMaxIdLength + 1, 'x');
  ExpectInvalid(t, "trip_id");
}

TEST(TripTest, SizeLimits) {
  TripDefinition t = ValidTrip();
  t.seats.clear();
  for (int i = 0; i <= kMaxSeats; ++i) t.seats.push_back({absl::StrCat("s", i), "", 1, i + 1, "", "", 0});
  ExpectInvalid(t, "seat_config.seats");
  t.seats.resize(kMaxSeats);
  EXPECT_TRUE(ValidateTrip(t).ok());
}

TEST(TripTest, FingerprintTellsSameFromConflicting) {
  TripDefinition a = ValidTrip();
  TripDefinition b = ValidTrip();
  EXPECT_EQ(DefinitionFingerprint(a), DefinitionFingerprint(b));
  b.seats[0].price_paisa = 501;
  EXPECT_NE(DefinitionFingerprint(a), DefinitionFingerprint(b));
  b = ValidTrip();
  b.segments[1].to_station = "D";
  EXPECT_NE(DefinitionFingerprint(a), DefinitionFingerprint(b));
  // Field boundaries matter: "ab"+"c" differs from "a"+"bc".
  b = ValidTrip();
  a.vehicle_id = "ab";
  a.vehicle_type = "c";
  b.vehicle_id = "a";
  b.vehicle_type = "bc";
  EXPECT_NE(DefinitionFingerprint(a), DefinitionFingerprint(b));
}

}  // namespace
}  // namespace inventory::domain
