#include "app/metrics_page.h"

#include "absl/strings/str_cat.h"
#include "metrics/exposition.h"
#include "metrics/process.h"

namespace inventory {
namespace {

// Per database node: state, pool, where requests were routed, latency.
void ExportDatabaseNodes(const std::vector<cql::HostInfo>& nodes, metrics::Exposition& page) {
  constexpr std::string_view kRouted = "inventory_db_node_requests_total";
  constexpr std::string_view kRoutedHelp =
      "Requests sent to a database node: to a replica of their partition, to a node that is not one (every "
      "replica down), or without a routing token (unrouted).";
  constexpr std::string_view kLwt = "inventory_db_node_lwt_total";
  constexpr std::string_view kLwtHelp =
      "Conditional statements and SERIAL reads sent to a node: the first replica of their partition (primary), a "
      "later replica (the first was down), or no replica.";
  std::vector<double> bounds;
  for (double ms : cql::HostLatencyBucketsMs()) bounds.push_back(ms / 1000.0);
  for (const cql::HostInfo& n : nodes) {
    const metrics::Labels node = {{"node", n.endpoint}, {"dc", n.datacenter}};
    page.Gauge("inventory_db_node_up", "1 while the node has a usable, answering connection.", node, n.up ? 1 : 0);
    page.Gauge("inventory_db_node_connections", "Open connections to the node.", node, n.open_connections);
    page.Gauge("inventory_db_node_in_flight", "Requests waiting for the node's answer.", node, n.in_flight);
    const std::pair<const char*, int64_t> routes[] = {
        {"replica", n.replica}, {"non_replica", n.non_replica}, {"unrouted", n.unrouted}};
    for (const auto& [route, count] : routes) {
      metrics::Labels labels = node;
      labels.emplace_back("route", route);
      page.Counter(kRouted, kRoutedHelp, labels, static_cast<double>(count));
    }
    const std::pair<const char*, int64_t> lwts[] = {
        {"primary", n.lwt_primary}, {"replica", n.lwt_replica}, {"non_replica", n.lwt_non_replica}};
    for (const auto& [coordinator, count] : lwts) {
      metrics::Labels labels = node;
      labels.emplace_back("coordinator", coordinator);
      page.Counter(kLwt, kLwtHelp, labels, static_cast<double>(count));
    }
    page.Counter("inventory_db_node_errors_total", "Requests to the node that failed (lost, timed out, refused).",
                 node, static_cast<double>(n.errors));
    page.Counter("inventory_db_node_connects_total", "Connections opened to the node.", node,
                 static_cast<double>(n.connects));
    page.Counter("inventory_db_node_connect_failures_total", "Failed connection attempts to the node.", node,
                 static_cast<double>(n.connect_failures));
    std::vector<uint64_t> counts(n.latency_buckets.begin(), n.latency_buckets.end());
    page.AddHistogram("inventory_db_node_latency_seconds", "Time from sending a request to the node to its answer.",
                      node, bounds, counts, static_cast<double>(n.latency_sum_us) / 1e6);
  }
}

// Per work class: what admission control let in, made wait and turned away.
void ExportAdmission(const service::Admission& admission, metrics::Exposition& page) {
  for (int i = 0; i < service::kWorkClassCount; ++i) {
    const auto c = static_cast<service::WorkClass>(i);
    const service::AdmissionClassStats& s = admission.stats(c);
    const metrics::Labels work = {{"class", service::WorkClassName(c)}};
    page.Counter("inventory_admission_admitted_total", "Calls whose work was admitted (at once or after waiting).",
                 work, static_cast<double>(s.admitted));
    page.Counter("inventory_admission_queued_total", "Admitted calls that waited for a slot first.", work,
                 static_cast<double>(s.queued));
    constexpr std::string_view kShed = "inventory_admission_shed_total";
    constexpr std::string_view kShedHelp =
        "Calls turned away with RESOURCE_EXHAUSTED, before any work: the queue was full (queue_full), the call "
        "waited past the queue budget (queue_time), or too many calls were waiting for the io thread (io_backlog).";
    metrics::Labels full = work;
    full.emplace_back("reason", "queue_full");
    page.Counter(kShed, kShedHelp, full, static_cast<double>(s.shed_queue_full));
    metrics::Labels late = work;
    late.emplace_back("reason", "queue_time");
    page.Counter(kShed, kShedHelp, late, static_cast<double>(s.shed_queue_time));
    metrics::Labels door = work;
    door.emplace_back("reason", "io_backlog");
    page.Counter(kShed, kShedHelp, door, static_cast<double>(admission.door_shed(c)));
    page.Counter("inventory_admission_deadline_exceeded_total",
                 "Calls whose deadline passed before (or while waiting for) their work.", work,
                 static_cast<double>(s.deadline_exceeded));
    page.Gauge("inventory_admission_in_flight", "Calls of the class whose work runs now.", work,
               static_cast<double>(s.in_flight));
    page.Gauge("inventory_admission_waiting", "Calls of the class waiting for a slot now.", work,
               static_cast<double>(s.waiting));
    page.Gauge("inventory_admission_limit", "Slots of the class now (adaptive: between 2 and its maximum).", work,
               static_cast<double>(s.limit));
  }
  page.Gauge("inventory_admission_io_backlog", "Calls handed to the io thread that have not started yet.", {},
             static_cast<double>(admission.io_backlog()));
}

}  // namespace

std::string RenderMetrics(const MetricsSources& sources) {
  metrics::Exposition page;
  sources.requests->Export(page);

  constexpr std::string_view kDb = "inventory_db_operations_total";
  constexpr std::string_view kDbHelp =
      "Database requests sent, by kind (read, serial_read, write, lwt) and table.";
  for (int op = 0; op < storage::kDbOpCount && sources.database != nullptr; ++op) {
    for (int table = 0; table < storage::kDbTableCount; ++table) {
      const auto o = static_cast<storage::DbOp>(op);
      const auto t = static_cast<storage::DbTable>(table);
      page.Counter(kDb, kDbHelp,
                   {{"kind", std::string(storage::DbOpName(o))}, {"table", std::string(storage::DbTableName(t))}},
                   static_cast<double>(sources.database->Of(o, t)));
    }
  }
  if (sources.embedded) {
    page.Counter("inventory_embedded_commits_total",
                 "Transactions the embedded store committed (those that wrote were on disk before their call returned).", {},
                 static_cast<double>(sources.embedded_commits));
  }
  page.Gauge("inventory_db_connections", "Open database connections.", {},
             static_cast<double>(sources.database_connections));
  ExportDatabaseNodes(sources.database_nodes, page);
  if (sources.admission != nullptr) ExportAdmission(*sources.admission, page);

  page.Counter("inventory_redis_commands_total", "Redis commands sent (the start-up ping included).", {},
               static_cast<double>(sources.redis.commands_sent));
  page.Counter("inventory_redis_timeouts_total", "Redis commands that ran past their timeout.", {},
               static_cast<double>(sources.redis.timeouts));
  page.Counter("inventory_redis_fail_fast_total", "Redis calls refused at once while disconnected.", {},
               static_cast<double>(sources.redis.fail_fast));
  page.Gauge("inventory_redis_connected", "1 while the Redis connection is up.", {},
             sources.redis_connected ? 1 : 0);

  const service::ServiceStats& s = sources.inventory->stats();
  constexpr std::string_view kPrelock = "inventory_prelock_total";
  constexpr std::string_view kPrelockHelp =
      "Redis pre-lock attempts by outcome (skipped: Redis did not answer, the database decided alone).";
  page.Counter(kPrelock, kPrelockHelp, {{"outcome", "acquired"}}, static_cast<double>(s.prelock_acquired));
  page.Counter(kPrelock, kPrelockHelp, {{"outcome", "contended"}}, static_cast<double>(s.prelock_contended));
  page.Counter(kPrelock, kPrelockHelp, {{"outcome", "skipped"}}, static_cast<double>(s.prelock_skipped));
  constexpr std::string_view kEdge = "inventory_edge_rejections_total";
  constexpr std::string_view kEdgeHelp =
      "Holds refused without a database round trip, by what refused them (inflight: answered from a hold of the "
      "seat in flight here; seatmap: the cached seat map; redis_marker: a taken marker in Redis).";
  page.Counter(kEdge, kEdgeHelp, {{"layer", "inflight"}}, static_cast<double>(s.inflight_rejections));
  page.Counter(kEdge, kEdgeHelp, {{"layer", "seatmap"}}, static_cast<double>(s.seatmap_rejections));
  page.Counter(kEdge, kEdgeHelp, {{"layer", "redis_marker"}}, static_cast<double>(s.edge_rejections));
  page.Counter("inventory_inflight_waits_total", "Holds that waited for a hold of the same seat in flight here.", {},
               static_cast<double>(s.inflight_waits));

  constexpr std::string_view kAnn = "inventory_announcements_total";
  constexpr std::string_view kAnnHelp =
      "Announcements of seat changes to Redis (markers, change stream), by outcome (failed: queued for a retry; "
      "retried: delivered by a retry; dropped: the retry queue overflowed).";
  page.Counter(kAnn, kAnnHelp, {{"outcome", "sent"}}, static_cast<double>(s.announcements_sent));
  page.Counter(kAnn, kAnnHelp, {{"outcome", "failed"}}, static_cast<double>(s.announcements_failed));
  page.Counter(kAnn, kAnnHelp, {{"outcome", "retried"}}, static_cast<double>(s.announcements_retried));
  page.Counter(kAnn, kAnnHelp, {{"outcome", "dropped"}}, static_cast<double>(s.announcements_dropped));
  page.Gauge("inventory_announcements_queued", "Announcements waiting for Redis.", {},
             static_cast<double>(s.announcements_queued));
  page.Counter("inventory_feed_changes_total", "Seat changes of other instances applied to this instance's seat maps.",
               {}, static_cast<double>(s.feed_changes_applied));
  page.Counter("inventory_feed_gaps_total", "Times a trip's change stream had entries this instance missed.", {},
               static_cast<double>(s.feed_gaps));
  page.Counter("inventory_feed_losses_total", "Times the change feed could not be read (Redis down or stalled).", {},
               static_cast<double>(s.feed_losses));

  page.Counter("inventory_intents_total", "Intents recorded before operations of several steps.", {},
               static_cast<double>(s.intents_recorded));
  page.Counter("inventory_intents_dropped_total", "Intents dropped after their operation finished.", {},
               static_cast<double>(s.intents_dropped));
  page.Counter("inventory_intent_drop_failures_total", "Batches of intent drops that failed (retried).", {},
               static_cast<double>(s.intent_drop_failures));
  constexpr std::string_view kRepairs = "inventory_repairs_total";
  constexpr std::string_view kRepairsHelp =
      "Intents of unfinished operations handled by the repairer, by what it did (nothing: the operation had "
      "finished).";
  for (int k = 0; k < service::kRepairKindCount; ++k) {
    page.Counter(kRepairs, kRepairsHelp,
                 {{"kind", std::string(service::RepairKindName(static_cast<service::RepairKind>(k)))}},
                 static_cast<double>(s.repairs[static_cast<size_t>(k)]));
  }
  page.Counter("inventory_repair_failures_total", "Repairs (or intent reads) that failed and will be retried.", {},
               static_cast<double>(s.repair_failures));
  page.Counter("inventory_repair_windows_read_total", "Windows of intents read by the repairer.", {},
               static_cast<double>(s.repair_windows_scanned));
  page.Gauge("inventory_repair_backlog", "Intents found and not yet repaired.", {},
             static_cast<double>(s.repair_backlog));
  page.Gauge("inventory_repair_oldest_pending_seconds", "Age of the oldest intent not yet repaired.", {},
             static_cast<double>(s.repair_oldest_pending_ms) / 1000.0);

  const service::ClockGuard& clock = sources.inventory->clock();
  page.Gauge("inventory_clock_skew_seconds",
             "This instance's clock minus the database's, at the last measurement (0 before the first).", {},
             static_cast<double>(clock.skew_ms().value_or(0)) / 1000.0);
  page.Gauge("inventory_clock_skew_tolerance_seconds", "The clock skew this instance tolerates.", {},
             static_cast<double>(clock.tolerance_ms()) / 1000.0);
  page.Gauge("inventory_clock_reclaim_allowed",
             "1 while the measured skew is within the tolerance (expired holds may be reclaimed here).", {},
             clock.ReclaimAllowed() ? 1 : 0);
  page.Counter("inventory_reclaims_deferred_total",
               "Seat writes that left a seat to its expired hold (within the tolerance after expiry, or the skew "
               "too large).",
               {}, static_cast<double>(sources.database != nullptr ? sources.database->reclaims_deferred : 0));

  const service::SnapshotCacheStats& c = sources.inventory->cache().stats();
  page.Counter("inventory_seatmap_cache_hits_total", "Seat-map snapshot reads answered from the cache.", {},
               static_cast<double>(c.hits));
  page.Counter("inventory_seatmap_cache_misses_total", "Seat-map snapshot reads the cache could not answer.", {},
               static_cast<double>(c.misses));
  page.Counter("inventory_seatmap_cache_loads_total", "Trip snapshots loaded from the database.", {},
               static_cast<double>(c.loads));
  page.Counter("inventory_seatmap_cache_stale_hits_total",
               "Seat-map snapshot reads answered from a copy older than the TTL that the change feed keeps honest, "
               "while one reload runs in the background.",
               {}, static_cast<double>(c.stale_hits));
  page.Counter("inventory_seatmap_cache_not_found_total",
               "Seat-map snapshot reads answered NOT_FOUND from memory (a trip the database recently did not know).",
               {}, static_cast<double>(c.not_found_hits));
  // The memory of the seat-map caches: snapshots (unknown trips included)
  // and serialized answers, each within its share of the budget.
  const service::SeatMapAnswersStats& a = sources.inventory->answers().stats();
  constexpr std::string_view kBytes = "inventory_seatmap_cache_bytes";
  constexpr std::string_view kBytesHelp =
      "Estimated memory held by the seat-map caches, by part (snapshots: trip snapshots and unknown trips "
      "remembered; answers: serialized seat maps).";
  page.Gauge(kBytes, kBytesHelp, {{"part", "snapshots"}}, static_cast<double>(c.bytes));
  page.Gauge(kBytes, kBytesHelp, {{"part", "answers"}}, static_cast<double>(a.bytes));
  constexpr std::string_view kBudget = "inventory_seatmap_cache_budget_bytes";
  constexpr std::string_view kBudgetHelp =
      "The share of SEATMAP_CACHE_BYTES each part of the seat-map caches keeps to.";
  page.Gauge(kBudget, kBudgetHelp, {{"part", "snapshots"}},
             static_cast<double>(sources.inventory->cache().max_bytes()));
  page.Gauge(kBudget, kBudgetHelp, {{"part", "answers"}},
             static_cast<double>(sources.inventory->answers().max_bytes()));
  constexpr std::string_view kEntries = "inventory_seatmap_cache_entries";
  constexpr std::string_view kEntriesHelp =
      "Entries in the seat-map caches, by kind (snapshots: trips cached; not_found: trips remembered as unknown; "
      "answers: serialized seat maps).";
  page.Gauge(kEntries, kEntriesHelp, {{"kind", "snapshots"}}, static_cast<double>(c.snapshots));
  page.Gauge(kEntries, kEntriesHelp, {{"kind", "not_found"}}, static_cast<double>(c.not_found_trips));
  page.Gauge(kEntries, kEntriesHelp, {{"kind", "answers"}}, static_cast<double>(a.answers));
  constexpr std::string_view kEvictions = "inventory_seatmap_cache_evictions_total";
  constexpr std::string_view kEvictionsHelp =
      "Least recently used entries dropped to keep the seat-map caches within their budget, by part.";
  page.Counter(kEvictions, kEvictionsHelp, {{"part", "snapshots"}}, static_cast<double>(c.evictions));
  page.Counter(kEvictions, kEvictionsHelp, {{"part", "answers"}}, static_cast<double>(a.evictions));

  constexpr std::string_view kAnswers = "inventory_seatmap_answers_total";
  constexpr std::string_view kAnswersHelp =
      "Serialized seat-map answers: built (and serialized) or reused as they were.";
  page.Counter(kAnswers, kAnswersHelp, {{"source", "built"}}, static_cast<double>(s.seatmap_answers_built));
  page.Counter(kAnswers, kAnswersHelp, {{"source", "reused"}}, static_cast<double>(s.seatmap_answers_reused));

  // WatchSeatMap.
  const service::SeatMapWatchStats& w = sources.inventory->watch().stats();
  page.Gauge("inventory_watch_streams", "WatchSeatMap streams open on this instance.", {},
             static_cast<double>(w.watchers));
  page.Gauge("inventory_watch_topics", "Journeys watched (streams of one journey share its events).", {},
             static_cast<double>(w.topics));
  page.Counter("inventory_watch_refused_total", "WatchSeatMap calls refused at the streams' limit.", {},
               static_cast<double>(w.refused));
  page.Counter("inventory_watch_change_events_total",
               "Change events published (each serialized once for every stream of its journey).", {},
               static_cast<double>(w.change_events));
  page.Counter("inventory_watch_seat_changes_total", "Seat status changes in the published events.", {},
               static_cast<double>(w.seat_changes));
  page.Counter("inventory_watch_deliveries_total", "Events queued to streams (changes, full maps, heartbeats).", {},
               static_cast<double>(w.deliveries));
  constexpr std::string_view kFull = "inventory_watch_full_maps_total";
  constexpr std::string_view kFullHelp =
      "Full maps sent, by reason (start: a new stream; behind: a slow reader's queue replaced; refresh: from the "
      "database while other instances cannot be heard).";
  page.Counter(kFull, kFullHelp, {{"reason", "start"}}, static_cast<double>(w.full_maps_start));
  page.Counter(kFull, kFullHelp, {{"reason", "behind"}}, static_cast<double>(w.full_maps_behind));
  page.Counter(kFull, kFullHelp, {{"reason", "refresh"}}, static_cast<double>(w.full_maps_refresh));
  page.Counter("inventory_watch_heartbeats_total", "Heartbeats published to quiet journeys.", {},
               static_cast<double>(w.heartbeats));
  page.Counter("inventory_watch_refreshes_total",
               "Watched trips loaded again because the change feed could not be trusted for them.", {},
               static_cast<double>(w.refreshes));

  metrics::AddProcessMetrics(page);
  return page.Text();
}

std::string RenderHealth(const MetricsSources& sources) {
  const service::ClockGuard& clock = sources.inventory->clock();
  const service::ServiceStats& s = sources.inventory->stats();
  std::string skew = clock.skew_ms().has_value() ? absl::StrCat(*clock.skew_ms()) : "null";
  int up = 0;
  for (const cql::HostInfo& n : sources.database_nodes) up += n.up ? 1 : 0;
  return absl::StrCat(R"({"status":"serving","database_connections":)", sources.database_connections,
                      R"(,"database":{"nodes":)", sources.database_nodes.size(), R"(,"nodes_up":)", up,
                      R"(,"local_dc":")", sources.database_local_dc, R"(","store":")",
                      sources.embedded ? "embedded" : "cql", R"("})", R"(,"redis":")",
                      sources.embedded ? "unused" : sources.redis_connected ? "connected" : "unavailable",
                      R"(","clock":{"skew_ms":)", skew, R"(,"tolerance_ms":)", clock.tolerance_ms(),
                      R"(,"reclaim":")", clock.ReclaimAllowed() ? "allowed" : "refused",
                      R"("},"repair":{"backlog":)", s.repair_backlog, R"(,"oldest_pending_s":)",
                      s.repair_oldest_pending_ms / 1000, R"(},"announcements_queued":)", s.announcements_queued,
                      "}\n");
}

}  // namespace inventory
