// The /metrics page (Prometheus text format) and the /health answer of
// inventoryd, rendered from the counters its parts keep.
//
// Every counter is exact and only grows, so a benchmark can take two pages
// and divide the differences: database operations per request, Redis
// commands per request, cache hits per seat map, and so on.
//
// Threading: Render on the thread that owns the counted parts (the
// service's io thread).
#pragma once

#include <string>
#include <vector>

#include "api/request_metrics.h"
#include "cql/session.h"
#include "redis/client_stats.h"
#include "service/admission.h"
#include "service/inventory.h"
#include "storage/cql/cql_seat_store.h"

namespace inventory {

struct MetricsSources {
  const api::RequestMetrics* requests = nullptr;   // required
  const service::Inventory* inventory = nullptr;   // required
  const storage::StoreCounters* database = nullptr;  // the CQL store's (null: embedded)
  bool embedded = false;                              // the embedded store
  uint64_t embedded_commits = 0;
  const service::Admission* admission = nullptr;     // optional
  redis::ClientStats redis;       // copied out by the caller
  bool redis_connected = false;
  int database_connections = 0;
  std::vector<cql::HostInfo> database_nodes;  // copied out by the caller
  std::string database_local_dc;
};

std::string RenderMetrics(const MetricsSources& sources);

// {"status":"serving","database_connections":N,"redis":"connected","clock":{"skew_ms":S,"tolerance_ms":T,
// "reclaim":"allowed"|"refused"},"repair":{"backlog":B,"oldest_pending_s":A},"announcements_queued":Q} as JSON.
std::string RenderHealth(const MetricsSources& sources);

}  // namespace inventory
