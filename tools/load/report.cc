#include "report.h"

#include <fmt/format.h>

#include <algorithm>

namespace inventory::load {
namespace {

double Seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }
double Millis(int64_t micros) { return static_cast<double>(micros) / 1000.0; }

std::string Percent(uint64_t part, uint64_t whole) {
  if (whole == 0) return "";
  return fmt::format("{:5.1f} %", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

// One "  label   value   share" row of the outcome block.
void OutcomeRow(std::string& out, std::string_view label, uint64_t count, uint64_t total) {
  out += fmt::format("  {:<18}{:>10}   {}\n", label, count, Percent(count, total));
}

}  // namespace

LatencySummary LatencySummary::From(const LatencyHistogram& h) {
  LatencySummary s;
  s.count = h.count();
  s.min_us = h.min_micros();
  s.mean_us = h.mean_micros();
  s.p50_us = h.PercentileMicros(50);
  s.p90_us = h.PercentileMicros(90);
  s.p99_us = h.PercentileMicros(99);
  s.p999_us = h.PercentileMicros(99.9);
  s.max_us = h.max_micros();
  return s;
}

double RunSummary::throughput_rps() const {
  const double secs = Seconds(elapsed);
  return secs <= 0 ? 0.0 : static_cast<double>(completed) / secs;
}

std::string FormatProgressLine(const Progress& p) {
  const double secs = Seconds(p.elapsed);
  const double rate = secs <= 0 ? 0.0 : static_cast<double>(p.completed) / secs;
  const int pct = p.requested <= 0 ? 0 : static_cast<int>(100 * p.completed / p.requested);
  const OutcomeTally& t = *p.tally;
  const int width = static_cast<int>(std::to_string(p.requested).size());
  return fmt::format(
      "{:>{}}/{} ({:>3}%)  {:.1f} s  {:.1f} req/s  success {}  contention {}  not available {}  other {}  errors {}",
      p.completed, width, p.requested, pct, secs, rate, t.success(), t.contention(), t.not_available(),
      t.other_refusal(), t.errors());
}

std::string FormatSummaryTable(const RunSummary& s) {
  std::string out;
  out += fmt::format("scenario {} against {}\n", s.scenario, s.target);
  for (const auto& [key, value] : s.details) out += fmt::format("  {:<18}{}\n", key, value);
  out += fmt::format("  {:<18}{}\n", "workers", s.workers);
  out += fmt::format("  {:<18}{} ms\n", "pause", s.pause_ms);
  out += "\n";
  if (s.interrupted || s.completed != s.requested) {
    out += fmt::format("  {:<18}{:>10}   (of {} asked{})\n", "requests", s.completed, s.requested,
                       s.interrupted ? ", interrupted" : "");
  } else {
    out += fmt::format("  {:<18}{:>10}\n", "requests", s.completed);
  }
  out += fmt::format("  {:<18}{:>10.2f} s\n", "elapsed", Seconds(s.elapsed));
  out += fmt::format("  {:<18}{:>10.1f} req/s\n", "throughput", s.throughput_rps());
  out += "\noutcomes\n";
  const OutcomeTally& t = s.tally;
  OutcomeRow(out, "success", t.success(), t.total());
  OutcomeRow(out, "contention", t.contention(), t.total());
  OutcomeRow(out, "not available", t.not_available(), t.total());
  OutcomeRow(out, "other refusal", t.other_refusal(), t.total());
  for (const auto& [text, count] : t.other_refusal_details()) out += fmt::format("    {:>8}  {}\n", count, text);
  OutcomeRow(out, "errors", t.errors(), t.total());
  for (const auto& [code, count] : t.errors_by_code()) {
    const std::string name = StatusCodeName(code);
    out += fmt::format("    {:<16}{:>10}\n", name, count);
    auto it = t.error_details().find(name);
    if (it == t.error_details().end()) continue;
    for (const auto& [text, n] : it->second) out += fmt::format("      {:>8}  {}\n", n, text);
  }
  out += "\nlatency (ms)\n";
  const LatencySummary& l = s.latency;
  out += fmt::format("  {:<18}{:>10.2f}\n", "p50", Millis(l.p50_us));
  out += fmt::format("  {:<18}{:>10.2f}\n", "p90", Millis(l.p90_us));
  out += fmt::format("  {:<18}{:>10.2f}\n", "p99", Millis(l.p99_us));
  out += fmt::format("  {:<18}{:>10.2f}\n", "p99.9", Millis(l.p999_us));
  out += fmt::format("  {:<18}{:>10.2f}\n", "max", Millis(l.max_us));
  out += fmt::format("  {:<18}{:>10.2f}\n", "mean", l.mean_us / 1000.0);
  if (s.rate > 0) {
    out += fmt::format("\nopen loop at {:.0f} req/s: {} due, {} not sent (client limit)\n", s.rate, s.sent, s.skipped);
    out += fmt::format("  {:<18}{:>10.2f}\n", "answered p50 ms", Millis(s.answered_latency.p50_us));
    out += fmt::format("  {:<18}{:>10.2f}\n", "answered p99 ms", Millis(s.answered_latency.p99_us));
    out += "  second   answered   shed   deadline   errors   p99 ms\n";
    for (size_t i = 0; i < s.timeline.size(); ++i) {
      const RunSummary::Second& b = s.timeline[i];
      out += fmt::format("  {:>6} {:>10} {:>6} {:>10} {:>8} {:>8.1f}\n", i, b.answered, b.shed, b.deadline, b.errors,
                         Millis(b.p99_us));
    }
  }
  if (!s.scenario_text.empty()) out += "\n" + s.scenario_text;
  out += "\n";
  if (s.failures.empty()) {
    out += "result: PASS\n";
  } else {
    out += "result: FAIL\n";
    for (const std::string& why : s.failures) out += fmt::format("  - {}\n", why);
  }
  return out;
}

nlohmann::ordered_json SummaryToJson(const RunSummary& s) {
  using json = nlohmann::ordered_json;
  const OutcomeTally& t = s.tally;
  json details = json::object();
  for (const auto& [key, value] : s.details) details[key] = value;
  json errors_by_code = json::object();
  for (const auto& [code, count] : t.errors_by_code()) errors_by_code[StatusCodeName(code)] = count;
  json error_details = json::object();
  for (const auto& [name, texts] : t.error_details()) error_details[name] = texts;
  const LatencySummary& l = s.latency;
  json open_loop = nullptr;
  if (s.rate > 0) {
    json timeline = json::array();
    for (const RunSummary::Second& b : s.timeline) {
      timeline.push_back({{"answered", b.answered}, {"shed", b.shed}, {"deadline", b.deadline},
                          {"errors", b.errors}, {"p99_ms", Millis(b.p99_us)}});
    }
    open_loop = {{"rate", s.rate},
                 {"sent", s.sent},
                 {"skipped", s.skipped},
                 {"answered_latency_ms",
                  {{"count", s.answered_latency.count},
                   {"p50", Millis(s.answered_latency.p50_us)},
                   {"p99", Millis(s.answered_latency.p99_us)},
                   {"max", Millis(s.answered_latency.max_us)}}},
                 {"timeline", timeline}};
  }
  return json{
      {"scenario", s.scenario},
      {"target", s.target},
      {"details", details},
      {"workers", s.workers},
      {"pause_ms", s.pause_ms},
      {"requests", s.requested},
      {"completed", s.completed},
      {"interrupted", s.interrupted},
      {"elapsed_seconds", Seconds(s.elapsed)},
      {"throughput_rps", s.throughput_rps()},
      {"outcomes",
       {{"success", t.success()},
        {"contention", t.contention()},
        {"not_available", t.not_available()},
        {"other_refusal", t.other_refusal()},
        {"other_refusal_reasons", t.other_refusal_details()},
        {"errors", t.errors()},
        {"errors_by_code", errors_by_code},
        {"error_messages", error_details}}},
      {"latency_ms",
       {{"count", l.count},
        {"min", Millis(l.min_us)},
        {"mean", l.mean_us / 1000.0},
        {"p50", Millis(l.p50_us)},
        {"p90", Millis(l.p90_us)},
        {"p99", Millis(l.p99_us)},
        {"p99_9", Millis(l.p999_us)},
        {"max", Millis(l.max_us)}}},
      {"open_loop", open_loop},
      {"scenario_report", s.scenario_report},
      {"pass", s.failures.empty()},
      {"failures", s.failures},
  };
}

}  // namespace inventory::load
