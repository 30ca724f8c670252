#include "health/readiness.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace inventory::health {
namespace {

using std::chrono::milliseconds;

// Everything well: a node connected, the probe answered just now, Redis connected,
// the clock trusted, no repair waiting.
HealthInputs Healthy() {
  HealthInputs in;
  in.database_nodes_connected = 1;
  in.database_answer_age = milliseconds(100);
  in.redis_connected = true;
  in.clock_reclaim_allowed = true;
  return in;
}

std::vector<std::string> Names(const std::vector<Degraded>& degraded) {
  std::vector<std::string> names;
  for (Degraded d : degraded) names.emplace_back(DegradedName(d));
  return names;
}

struct Case {
  const char* name;
  void (*change)(HealthInputs&);
  bool ready;
  std::vector<std::string> degraded;
};

TEST(ReadinessTest, Table) {
  const HealthRules rules;  // window 6 s, repair 62 s
  const std::vector<Case> cases = {
      {"healthy", [](HealthInputs&) {}, true, {}},
      {"answer just inside the window", [](HealthInputs& in) { in.database_answer_age = milliseconds(6000); },
       true, {}},
      {"answer just outside the window", [](HealthInputs& in) { in.database_answer_age = milliseconds(6001); },
       false, {"database"}},
      {"probe never answered", [](HealthInputs& in) { in.database_answer_age.reset(); }, false, {"database"}},
      {"no node connected, a recent answer", [](HealthInputs& in) { in.database_nodes_connected = 0; }, false,
       {"database"}},
      {"several nodes connected", [](HealthInputs& in) { in.database_nodes_connected = 3; }, true, {}},
      {"redis down still ready", [](HealthInputs& in) { in.redis_connected = false; }, true, {"redis"}},
      {"no redis used (embedded store)",
       [](HealthInputs& in) {
         in.redis_used = false;
         in.redis_connected = false;
       },
       true, {}},
      {"clock skewed still ready", [](HealthInputs& in) { in.clock_reclaim_allowed = false; }, true, {"clock"}},
      {"young repair backlog",
       [](HealthInputs& in) {
         in.repair_backlog = 5;
         in.repair_oldest_pending_ms = 62000;
       },
       true, {}},
      {"old repair backlog",
       [](HealthInputs& in) {
         in.repair_backlog = 1;
         in.repair_oldest_pending_ms = 62001;
       },
       true, {"repair"}},
      {"everything wrong, in order",
       [](HealthInputs& in) {
         in.database_nodes_connected = 0;
         in.database_answer_age.reset();
         in.redis_connected = false;
         in.clock_reclaim_allowed = false;
         in.repair_backlog = 2;
         in.repair_oldest_pending_ms = 100000;
       },
       false, {"database", "redis", "clock", "repair"}},
  };
  for (const Case& c : cases) {
    HealthInputs in = Healthy();
    c.change(in);
    const Readiness r = Assess(in, rules);
    EXPECT_EQ(r.ready, c.ready) << c.name;
    EXPECT_EQ(Names(r.degraded), c.degraded) << c.name;
  }
}

TEST(ReadinessTest, WindowAndRepairAgeAreTheRules) {
  HealthRules rules;
  rules.database_window = milliseconds(1000);
  rules.repair_max_age = milliseconds(5000);
  HealthInputs in = Healthy();
  in.database_answer_age = milliseconds(1500);
  in.repair_backlog = 1;
  in.repair_oldest_pending_ms = 6000;
  const Readiness r = Assess(in, rules);
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(Names(r.degraded), (std::vector<std::string>{"database", "repair"}));
}

TEST(ReadinessTest, RepairMaxAgeIsTwiceTheRepairBound) {
  // Defaults: min age 20 s, interval 1 s -> repaired within about 31 s.
  EXPECT_EQ(HealthRules::RepairMaxAge(milliseconds(20000), milliseconds(1000)), milliseconds(62000));
  EXPECT_EQ(HealthRules().repair_max_age, milliseconds(62000));
}

TEST(ReadinessTest, Json) {
  HealthInputs in = Healthy();
  in.redis_connected = false;
  EXPECT_EQ(ReadinessJson(Assess(in, HealthRules()), in),
            "{\"status\":\"ready\",\"degraded\":[\"redis\"],\"database\":{\"nodes_connected\":1,"
            "\"answer_age_ms\":100}}\n");
  in = Healthy();
  EXPECT_EQ(ReadinessJson(Assess(in, HealthRules()), in),
            "{\"status\":\"ready\",\"degraded\":[],\"database\":{\"nodes_connected\":1,\"answer_age_ms\":100}}\n");
  in.database_nodes_connected = 0;
  in.database_answer_age.reset();
  in.clock_reclaim_allowed = false;
  EXPECT_EQ(ReadinessJson(Assess(in, HealthRules()), in),
            "{\"status\":\"not_ready\",\"degraded\":[\"database\",\"clock\"],\"database\":{\"nodes_connected\":0,"
            "\"answer_age_ms\":null}}\n");
}

}  // namespace
}  // namespace inventory::health
