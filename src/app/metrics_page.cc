#include "app/metrics_page.h"

#include "absl/strings/str_cat.h"
#include "metrics/exposition.h"
#include "metrics/process.h"

namespace inventory {

std::string RenderMetrics(const MetricsSources& sources) {
  metrics::Exposition page;
  sources.requests->Export(page);

  constexpr std::string_view kDb = "inventory_db_operations_total";
  constexpr std::string_view kDbHelp =
      "Database requests sent, by kind (read, serial_read, write, lwt) and table.";
  for (int op = 0; op < storage::kDbOpCount; ++op) {
    for (int table = 0; table < storage::kDbTableCount; ++table) {
      const auto o = static_cast<storage::DbOp>(op);
      const auto t = static_cast<storage::DbTable>(table);
      page.Counter(kDb, kDbHelp,
                   {{"kind", std::string(storage::DbOpName(o))}, {"table", std::string(storage::DbTableName(t))}},
                   static_cast<double>(sources.database->Of(o, t)));
    }
  }
  page.Gauge("inventory_db_connections", "Open database connections.", {},
             static_cast<double>(sources.database_connections));

  page.Counter("inventory_redis_commands_total", "Redis commands sent (the start-up ping included).", {},
               static_cast<double>(sources.redis.commands_sent));
  page.Counter("inventory_redis_timeouts_total", "Redis commands that ran past their timeout.", {},
               static_cast<double>(sources.redis.timeouts));
  page.Counter("inventory_redis_fail_fast_total", "Redis calls refused at once while disconnected.", {},
               static_cast<double>(sources.redis.fail_fast));
  page.Gauge("inventory_redis_connected", "1 while the Redis connection is up.", {},
             sources.redis_connected ? 1 : 0);

  const service::InventoryStats& s = sources.inventory->stats();
  constexpr std::string_view kPrelock = "inventory_prelock_total";
  constexpr std::string_view kPrelockHelp =
      "Redis pre-lock attempts by outcome (skipped: Redis did not answer, the database decided alone).";
  page.Counter(kPrelock, kPrelockHelp, {{"outcome", "acquired"}}, static_cast<double>(s.prelock_acquired));
  page.Counter(kPrelock, kPrelockHelp, {{"outcome", "contended"}}, static_cast<double>(s.prelock_contended));
  page.Counter(kPrelock, kPrelockHelp, {{"outcome", "skipped"}}, static_cast<double>(s.prelock_skipped));
  constexpr std::string_view kEdge = "inventory_edge_rejections_total";
  constexpr std::string_view kEdgeHelp =
      "Holds refused without a database round trip, by what refused them (inflight: a hold of the seat in "
      "flight here; seatmap: the cached seat map; redis_marker: a taken marker in Redis).";
  page.Counter(kEdge, kEdgeHelp, {{"layer", "inflight"}}, static_cast<double>(s.inflight_rejections));
  page.Counter(kEdge, kEdgeHelp, {{"layer", "seatmap"}}, static_cast<double>(s.seatmap_rejections));
  page.Counter(kEdge, kEdgeHelp, {{"layer", "redis_marker"}}, static_cast<double>(s.edge_rejections));

  const service::SnapshotCacheStats& c = sources.inventory->cache().stats();
  page.Counter("inventory_seatmap_cache_hits_total", "Seat-map snapshot reads answered from the cache.", {},
               static_cast<double>(c.hits));
  page.Counter("inventory_seatmap_cache_misses_total", "Seat-map snapshot reads the cache could not answer.", {},
               static_cast<double>(c.misses));
  page.Counter("inventory_seatmap_cache_loads_total", "Trip snapshots loaded from the database.", {},
               static_cast<double>(c.loads));

  constexpr std::string_view kAnswers = "inventory_seatmap_answers_total";
  constexpr std::string_view kAnswersHelp =
      "Serialized seat-map answers: built (and serialized) or reused as they were.";
  page.Counter(kAnswers, kAnswersHelp, {{"source", "built"}}, static_cast<double>(s.seatmap_answers_built));
  page.Counter(kAnswers, kAnswersHelp, {{"source", "reused"}}, static_cast<double>(s.seatmap_answers_reused));

  metrics::AddProcessMetrics(page);
  return page.Text();
}

std::string RenderHealth(const MetricsSources& sources) {
  return absl::StrCat(R"({"status":"serving","database_connections":)", sources.database_connections,
                      R"(,"redis":")", sources.redis_connected ? "connected" : "unavailable", "\"}\n");
}

}  // namespace inventory
