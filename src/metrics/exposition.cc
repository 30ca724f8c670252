#include "metrics/exposition.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <system_error>

namespace inventory::metrics {
namespace {

constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53

void AppendEscaped(std::string& out, std::string_view text, bool escape_quote) {
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '"':
        out += escape_quote ? "\\\"" : "\"";
        break;
      default:
        out += c;
    }
  }
}

// Appends `name{k="v",...,extra_name="extra_value"} value\n`; the braces are
// left out when there is no label at all.
void AppendSample(std::string& out, std::string_view name, const Labels& labels, std::string_view extra_name,
                  std::string_view extra_value, double value) {
  out += name;
  const bool has_extra = !extra_name.empty();
  if (!labels.empty() || has_extra) {
    out += '{';
    bool first = true;
    for (const auto& [label, label_value] : labels) {
      if (!first) out += ',';
      first = false;
      out += label;
      out += "=\"";
      AppendEscaped(out, label_value, /*escape_quote=*/true);
      out += '"';
    }
    if (has_extra) {
      if (!first) out += ',';
      out += extra_name;
      out += "=\"";
      AppendEscaped(out, extra_value, /*escape_quote=*/true);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  out += FormatValue(value);
  out += '\n';
}

}  // namespace

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == 0) return "0";  // also -0
  char buf[64];
  if (std::fabs(value) <= kMaxExactInteger && std::trunc(value) == value) {
    const int n = std::snprintf(buf, sizeof(buf), "%.0f", value);
    return std::string(buf, static_cast<size_t>(n));
  }
  // Not an integer below 2^53, or beyond it. Fixed notation reads best for
  // the usual magnitudes (a non-integer is below 2^52, so it stays short);
  // exponent form for very small and very large ones.
  const double magnitude = std::fabs(value);
  const std::chars_format format =
      magnitude >= 1e-6 && magnitude < kMaxExactInteger ? std::chars_format::fixed : std::chars_format::general;
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value, format);
  if (ec != std::errc()) {
    const int n = std::snprintf(buf, sizeof(buf), "%.17g", value);
    return std::string(buf, static_cast<size_t>(n));
  }
  return std::string(buf, end);
}

Exposition::Family& Exposition::FamilyFor(std::string_view name, std::string_view help, std::string_view type) {
  const auto [it, inserted] = index_.try_emplace(std::string(name), families_.size());
  if (inserted) {
    Family family;
    family.name = std::string(name);
    family.help = std::string(help);
    family.type = type;
    families_.push_back(std::move(family));
  }
  return families_[it->second];
}

void Exposition::Counter(std::string_view name, std::string_view help, const Labels& labels, double value) {
  AppendSample(FamilyFor(name, help, "counter").samples, name, labels, {}, {}, value);
}

void Exposition::Gauge(std::string_view name, std::string_view help, const Labels& labels, double value) {
  AppendSample(FamilyFor(name, help, "gauge").samples, name, labels, {}, {}, value);
}

void Exposition::AddHistogram(std::string_view name, std::string_view help, const Labels& labels,
                              const Histogram& h) {
  AddHistogram(name, help, labels, h.bounds(), h.counts(), h.sum());
}

void Exposition::AddHistogram(std::string_view name, std::string_view help, const Labels& labels,
                              const std::vector<double>& bounds, const std::vector<uint64_t>& counts, double sum) {
  std::string& out = FamilyFor(name, help, "histogram").samples;
  const std::string bucket_name = std::string(name) + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds.size() && i < counts.size(); ++i) {
    cumulative += counts[i];
    AppendSample(out, bucket_name, labels, "le", FormatValue(bounds[i]), static_cast<double>(cumulative));
  }
  if (counts.size() > bounds.size()) cumulative += counts.back();
  AppendSample(out, bucket_name, labels, "le", "+Inf", static_cast<double>(cumulative));
  AppendSample(out, std::string(name) + "_sum", labels, {}, {}, sum);
  AppendSample(out, std::string(name) + "_count", labels, {}, {}, static_cast<double>(cumulative));
}

std::string Exposition::Text() const {
  std::string page;
  for (const Family& family : families_) {
    page += "# HELP ";
    page += family.name;
    page += ' ';
    AppendEscaped(page, family.help, /*escape_quote=*/false);
    page += "\n# TYPE ";
    page += family.name;
    page += ' ';
    page += family.type;
    page += '\n';
    page += family.samples;
  }
  return page;
}

}  // namespace inventory::metrics
