#include "bench_summary.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace inventory::lwt_bench {
namespace {

double Seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }
double Millis(int64_t micros) { return static_cast<double>(micros) / 1000.0; }

}  // namespace

int64_t NearestRank(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  // (The epsilon keeps 99.9% of 1000 at rank 999 despite binary rounding.)
  const double rank = std::ceil(p / 100.0 * static_cast<double>(sorted.size()) - 1e-9);
  const size_t index = static_cast<size_t>(std::clamp(rank, 1.0, static_cast<double>(sorted.size()))) - 1;
  return sorted[index];
}

LatencyFigures LatencyFigures::FromMicros(std::vector<int64_t>& micros) {
  LatencyFigures f;
  if (micros.empty()) return f;
  std::sort(micros.begin(), micros.end());
  f.count = micros.size();
  f.min_ms = Millis(micros.front());
  f.max_ms = Millis(micros.back());
  const double sum = std::accumulate(micros.begin(), micros.end(), 0.0,
                                     [](double acc, int64_t v) { return acc + static_cast<double>(v); });
  f.mean_ms = sum / static_cast<double>(micros.size()) / 1000.0;
  f.p50_ms = Millis(NearestRank(micros, 50));
  f.p99_ms = Millis(NearestRank(micros, 99));
  f.p999_ms = Millis(NearestRank(micros, 99.9));
  return f;
}

double BenchSummary::lwt_per_second() const {
  const double secs = Seconds(elapsed);
  return secs <= 0 ? 0.0 : static_cast<double>(completed) / secs;
}

std::string FormatHoldProgress(int64_t completed, int64_t requests, std::chrono::nanoseconds elapsed,
                               int64_t applied, int64_t not_applied, int64_t errors) {
  const double secs = Seconds(elapsed);
  const double rate = secs <= 0 ? 0.0 : static_cast<double>(completed) / secs;
  const int pct = requests <= 0 ? 0 : static_cast<int>(100 * completed / requests);
  const int width = static_cast<int>(std::to_string(requests).size());
  return fmt::format("{:>{}}/{} ({:>3}%)  {:.1f} s  {:.0f} LWT/s  applied {}  not applied {}  errors {}", completed,
                     width, requests, pct, secs, rate, applied, not_applied, errors);
}

std::string FormatLoadProgress(int64_t rows, int64_t total_rows, std::chrono::nanoseconds elapsed) {
  const int pct = total_rows <= 0 ? 0 : static_cast<int>(100 * rows / total_rows);
  const int width = static_cast<int>(std::to_string(total_rows).size());
  return fmt::format("loading rows  {:>{}}/{} ({:>3}%)  {:.1f} s", rows, width, total_rows, pct, Seconds(elapsed));
}

std::string FormatSummary(const BenchSummary& s) {
  std::string out;
  out += fmt::format("inventory-lwt-bench against {}, keyspace {}\n", s.hosts, s.keyspace);
  out += fmt::format("  {:<16}UPDATE seat_segments ... IF status = 'available', {} per batch (one seat)\n",
                     "statement", s.segments);
  out += fmt::format("  {:<16}{} ({} connection{} per host, one io thread)\n", "in flight", s.in_flight,
                     s.connections, s.connections == 1 ? "" : "s");
  out += fmt::format("  {:<16}{} in {:.2f} s\n", "rows loaded", s.rows_loaded, s.load_seconds);
  out += "\n";
  if (s.interrupted || s.completed != s.requests) {
    out += fmt::format("  {:<16}{:>10}   (of {} asked{})\n", "requests", s.completed, s.requests,
                       s.interrupted ? ", interrupted" : "");
  } else {
    out += fmt::format("  {:<16}{:>10}\n", "requests", s.completed);
  }
  out += fmt::format("  {:<16}{:>10}\n", "applied", s.applied);
  out += fmt::format("  {:<16}{:>10}\n", "not applied", s.not_applied);
  out += fmt::format("  {:<16}{:>10}\n", "errors", s.errors);
  for (const auto& [text, count] : s.error_messages) out += fmt::format("    {:>8}  {}\n", count, text);
  out += fmt::format("  {:<16}{:>10.2f}\n", "seconds", Seconds(s.elapsed));
  out += fmt::format("  {:<16}{:>10.1f}\n", "LWT/s", s.lwt_per_second());
  out += "\nlatency (ms)\n";
  out += fmt::format("  {:<16}{:>10.2f}\n", "p50", s.latency.p50_ms);
  out += fmt::format("  {:<16}{:>10.2f}\n", "p99", s.latency.p99_ms);
  out += fmt::format("  {:<16}{:>10.2f}\n", "p99.9", s.latency.p999_ms);
  out += fmt::format("  {:<16}{:>10.2f}\n", "max", s.latency.max_ms);
  out += fmt::format("  {:<16}{:>10.2f}\n", "mean", s.latency.mean_ms);
  out += "\n";
  if (s.passed()) {
    out += "result: PASS\n";
  } else {
    out += fmt::format("result: FAIL ({} of {} conditional batches applied{})\n", s.applied, s.requests,
                       s.interrupted ? ", interrupted" : "");
  }
  return out;
}

nlohmann::ordered_json SummaryToJson(const BenchSummary& s) {
  using json = nlohmann::ordered_json;
  const LatencyFigures& l = s.latency;
  return json{
      {"hosts", s.hosts},
      {"keyspace", s.keyspace},
      {"segments", s.segments},
      {"in_flight", s.in_flight},
      {"connections", s.connections},
      {"rows_loaded", s.rows_loaded},
      {"load_seconds", s.load_seconds},
      {"requests", s.requests},
      {"completed", s.completed},
      {"applied", s.applied},
      {"not_applied", s.not_applied},
      {"errors", s.errors},
      {"error_messages", s.error_messages},
      {"interrupted", s.interrupted},
      {"seconds", Seconds(s.elapsed)},
      {"lwt_per_second", s.lwt_per_second()},
      {"latency_ms",
       {{"count", l.count},
        {"min", l.min_ms},
        {"mean", l.mean_ms},
        {"p50", l.p50_ms},
        {"p99", l.p99_ms},
        {"p99_9", l.p999_ms},
        {"max", l.max_ms}}},
      {"pass", s.passed()},
  };
}

}  // namespace inventory::lwt_bench
