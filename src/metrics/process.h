// Process metrics — the standard process_* families Prometheus client
// libraries export, read from Linux's /proc.
//
// ParseProcessStats() is the pure part (file contents in, numbers out);
// ReadProcessStats() reads the files; AddProcessMetrics() puts the numbers on
// a page. Threading: stateless; safe from any thread.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "metrics/exposition.h"

namespace inventory::metrics {

struct ProcessStats {
  double cpu_seconds = 0;            // user + system CPU time
  double resident_memory_bytes = 0;  // RSS
  double virtual_memory_bytes = 0;
  double start_time_seconds = 0;     // since the Unix epoch
  double threads = 0;
};

// Parses the contents of /proc/self/stat and of /proc/stat (for its "btime"
// line, the boot time). `ticks_per_second` is sysconf(_SC_CLK_TCK) and
// `page_size` sysconf(_SC_PAGESIZE), both > 0. INVALID_ARGUMENT if either
// text is malformed.
absl::StatusOr<ProcessStats> ParseProcessStats(std::string_view self_stat, std::string_view system_stat,
                                               long ticks_per_second, long page_size);

// This process' numbers. UNAVAILABLE when /proc cannot be read (not Linux).
absl::StatusOr<ProcessStats> ReadProcessStats();

// Adds process_cpu_seconds_total (counter), process_resident_memory_bytes,
// process_virtual_memory_bytes, process_start_time_seconds and
// process_threads (gauges). Adds nothing if ReadProcessStats() fails.
void AddProcessMetrics(Exposition& page);

}  // namespace inventory::metrics
