#include "metrics/process.h"

#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "absl/status/status.h"

namespace inventory::metrics {
namespace {

bool ParseUint(std::string_view text, unsigned long long& out) {
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && !text.empty();
}

std::vector<std::string_view> SplitSpaces(std::string_view text) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n')) ++i;
    const size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\n') ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

// The number on the line "btime N" of /proc/stat.
bool FindBootTime(std::string_view system_stat, unsigned long long& out) {
  constexpr std::string_view kKey = "btime ";
  size_t pos = 0;
  while (pos < system_stat.size()) {
    size_t eol = system_stat.find('\n', pos);
    if (eol == std::string_view::npos) eol = system_stat.size();
    const std::string_view line = system_stat.substr(pos, eol - pos);
    if (line.substr(0, kKey.size()) == kKey) return ParseUint(line.substr(kKey.size()), out);
    pos = eol + 1;
  }
  return false;
}

absl::StatusOr<std::string> ReadWholeFile(const char* path) {
  std::ifstream in(path);
  if (!in) return absl::UnavailableError(std::string("cannot open ") + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<ProcessStats> ParseProcessStats(std::string_view self_stat, std::string_view system_stat,
                                               long ticks_per_second, long page_size) {
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so
  // the fields start after the last ')'. Field numbers below are proc(5)'s.
  const size_t paren = self_stat.rfind(')');
  if (paren == std::string_view::npos) return absl::InvalidArgumentError("/proc/self/stat: no ')' after comm");
  const std::vector<std::string_view> fields = SplitSpaces(self_stat.substr(paren + 1));
  auto field = [&](size_t number, unsigned long long& out) {
    const size_t index = number - 3;  // fields[0] is field 3, the state
    return index < fields.size() && ParseUint(fields[index], out);
  };
  unsigned long long utime = 0, stime = 0, threads = 0, start_ticks = 0, vsize = 0, rss_pages = 0;
  if (!field(14, utime) || !field(15, stime) || !field(20, threads) || !field(22, start_ticks) ||
      !field(23, vsize) || !field(24, rss_pages)) {
    return absl::InvalidArgumentError("/proc/self/stat: missing or malformed fields");
  }
  unsigned long long boot_time = 0;
  if (!FindBootTime(system_stat, boot_time)) return absl::InvalidArgumentError("/proc/stat: no btime line");
  if (ticks_per_second <= 0 || page_size <= 0) return absl::InvalidArgumentError("bad tick rate or page size");

  const double ticks = static_cast<double>(ticks_per_second);
  ProcessStats stats;
  stats.cpu_seconds = static_cast<double>(utime + stime) / ticks;
  stats.resident_memory_bytes = static_cast<double>(rss_pages) * static_cast<double>(page_size);
  stats.virtual_memory_bytes = static_cast<double>(vsize);
  stats.start_time_seconds = static_cast<double>(boot_time) + static_cast<double>(start_ticks) / ticks;
  stats.threads = static_cast<double>(threads);
  return stats;
}

absl::StatusOr<ProcessStats> ReadProcessStats() {
  absl::StatusOr<std::string> self_stat = ReadWholeFile("/proc/self/stat");
  if (!self_stat.ok()) return self_stat.status();
  absl::StatusOr<std::string> system_stat = ReadWholeFile("/proc/stat");
  if (!system_stat.ok()) return system_stat.status();
  return ParseProcessStats(*self_stat, *system_stat, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE));
}

void AddProcessMetrics(Exposition& page) {
  const absl::StatusOr<ProcessStats> stats = ReadProcessStats();
  if (!stats.ok()) return;
  const Labels none;
  page.Counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", none,
               stats->cpu_seconds);
  page.Gauge("process_resident_memory_bytes", "Resident memory size in bytes.", none, stats->resident_memory_bytes);
  page.Gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", none, stats->virtual_memory_bytes);
  page.Gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", none,
             stats->start_time_seconds);
  page.Gauge("process_threads", "Number of OS threads in the process.", none, stats->threads);
}

}  // namespace inventory::metrics
