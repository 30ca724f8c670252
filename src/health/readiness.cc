#include "health/readiness.h"

#include "absl/strings/str_cat.h"

namespace inventory::health {

std::string_view DegradedName(Degraded d) {
  switch (d) {
    case Degraded::kDatabase: return "database";
    case Degraded::kRedis: return "redis";
    case Degraded::kClock: return "clock";
    case Degraded::kRepair: return "repair";
  }
  return "unknown";
}

Readiness Assess(const HealthInputs& in, const HealthRules& rules) {
  Readiness r;
  const bool answered_recently =
      in.database_answer_age.has_value() && *in.database_answer_age <= rules.database_window;
  r.ready = in.database_nodes_connected > 0 && answered_recently;
  if (!r.ready) r.degraded.push_back(Degraded::kDatabase);
  if (in.redis_used && !in.redis_connected) r.degraded.push_back(Degraded::kRedis);
  if (!in.clock_reclaim_allowed) r.degraded.push_back(Degraded::kClock);
  if (in.repair_backlog > 0 && in.repair_oldest_pending_ms > rules.repair_max_age.count()) {
    r.degraded.push_back(Degraded::kRepair);
  }
  return r;
}

std::string ReadinessJson(const Readiness& readiness, const HealthInputs& in) {
  std::string degraded;
  for (Degraded d : readiness.degraded) {
    absl::StrAppend(&degraded, degraded.empty() ? "" : ",", "\"", std::string(DegradedName(d)), "\"");
  }
  const std::string age =
      in.database_answer_age.has_value() ? absl::StrCat(in.database_answer_age->count()) : "null";
  return absl::StrCat(R"({"status":")", readiness.ready ? "ready" : "not_ready", R"(","degraded":[)", degraded,
                      R"(],"database":{"nodes_connected":)", in.database_nodes_connected, R"(,"answer_age_ms":)", age,
                      "}}\n");
}

}  // namespace inventory::health
