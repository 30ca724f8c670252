// Exposition — builds one page in the Prometheus text format, version 0.0.4.
//
// Samples of one metric name may be added in any order, interleaved with
// other names: Text() groups them by name, names in the order each was first
// added, samples of a name in the order they were added, with exactly one
// "# HELP" and one "# TYPE" line per name. The help text and kind of a name
// are taken from its first sample.
//
// Label values are escaped (backslash, double quote, newline); help text
// too (backslash, newline). Numbers are written by FormatValue().
//
// Names are not validated. REQUIRES: metric names match
// [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*, and one name
// is always added as the same kind.
//
// Threading: a plain value; not thread-safe. Build a fresh page per scrape.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "metrics/histogram.h"

namespace inventory::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

// A sample value as the text format writes it: integers of magnitude up to
// 2^53 exactly and without exponent ("12345"), other finite values in the
// shortest form that reads back to the same double ("0.25", "1e-07"),
// "+Inf", "-Inf" and "NaN".
std::string FormatValue(double value);

class Exposition {
 public:
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

  void Counter(std::string_view name, std::string_view help, const Labels& labels, double value);
  void Gauge(std::string_view name, std::string_view help, const Labels& labels, double value);
  // Writes name_bucket{...,le="..."} lines with cumulative counts (the last
  // with le="+Inf", equal to the count), then name_sum and name_count.
  void AddHistogram(std::string_view name, std::string_view help, const Labels& labels, const Histogram& h);
  // The same from per-bucket (not cumulative) counts kept elsewhere:
  // counts.size() == bounds.size() + 1, the last counting values above.
  void AddHistogram(std::string_view name, std::string_view help, const Labels& labels,
                    const std::vector<double>& bounds, const std::vector<uint64_t>& counts, double sum);

  // The page: families in first-added order, each "# HELP", "# TYPE", samples.
  std::string Text() const;

 private:
  struct Family {
    std::string name;
    std::string help;
    std::string_view type;
    std::string samples;  // complete lines, each ending in '\n'
  };

  Family& FamilyFor(std::string_view name, std::string_view help, std::string_view type);

  std::vector<Family> families_;
  std::unordered_map<std::string, size_t> index_;  // name -> families_ position
};

}  // namespace inventory::metrics
