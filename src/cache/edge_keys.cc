#include "cache/edge_keys.h"

#include <charconv>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"

namespace inventory::cache {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";
constexpr std::string_view kTagSpecial = "{}:";
constexpr std::string_view kPrefixSpecial = "{}";
constexpr std::string_view kFieldSpecial = "|";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string PercentEncode(std::string_view text, std::string_view special) {
  auto needs_escape = [special](char c) { return c == '%' || special.find(c) != std::string_view::npos; };
  size_t first = 0;
  while (first < text.size() && !needs_escape(text[first])) ++first;
  if (first == text.size()) return std::string(text);  // the common case: nothing to escape
  std::string out(text.substr(0, first));
  out.reserve(text.size() + 8);
  for (const char c : text.substr(first)) {
    if (needs_escape(c)) {
      const auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0xF]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

absl::StatusOr<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    const int hi = i + 1 < text.size() ? HexValue(text[i + 1]) : -1;
    const int lo = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(absl::StrCat("bad percent escape at offset ", i));
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::string HashTag(const TripKey& trip) {
  return absl::StrCat("{", PercentEncode(trip.organization_id, kTagSpecial), ":",
                      PercentEncode(trip.trip_id, kTagSpecial), "}");
}

EdgeKeys::EdgeKeys(std::string_view prefix, const TripKey& trip)
    : base_(absl::StrCat(PercentEncode(prefix, kPrefixSpecial), ":", HashTag(trip), ":")) {}

std::string EdgeKeys::Lock(const SeatSegment& cell) const {
  return absl::StrCat(base_, "lk:", std::string(cell.seat_id), ":", cell.segment);
}

std::string EdgeKeys::Marker(const SeatSegment& cell) const {
  return absl::StrCat(base_, "tk:", std::string(cell.seat_id), ":", cell.segment);
}

std::string EdgeKeys::Stream() const { return absl::StrCat(base_, "ch"); }

std::string EdgeKeys::Sequence() const { return absl::StrCat(base_, "sq"); }

std::string EdgeKeys::Gone(std::string_view id) const { return absl::StrCat(base_, "gone:", std::string(id)); }

std::string EncodeMarkerField(std::string_view field) { return PercentEncode(field, kFieldSpecial); }

std::string FormatMarkerValue(const Marker& marker) {
  return absl::StrCat(marker.booked ? "b" : "h", "|", EncodeMarkerField(marker.holder), "|",
                      EncodeMarkerField(marker.hold_id), "|", marker.expires_at_ms);
}


absl::StatusOr<Marker> ParseMarkerValue(std::string_view value, SeatSegment at) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t bar = value.find('|'); bar != std::string_view::npos; bar = value.find('|', start)) {
    parts.push_back(value.substr(start, bar - start));
    start = bar + 1;
  }
  parts.push_back(value.substr(start));
  if (parts.size() != 4) {
    return absl::InvalidArgumentError(absl::StrCat("marker value has ", parts.size(), " fields, want 4"));
  }
  Marker m;
  m.at = std::move(at);
  if (parts[0] == "b") {
    m.booked = true;
  } else if (parts[0] != "h") {
    return absl::InvalidArgumentError(absl::StrCat("marker status '", std::string(parts[0]), "' is not h or b"));
  }
  auto holder = PercentDecode(parts[1]);
  if (!holder.ok()) return holder.status();
  auto id = PercentDecode(parts[2]);
  if (!id.ok()) return id.status();
  m.holder = std::move(*holder);
  m.hold_id = std::move(*id);
  const std::string_view exp = parts[3];
  const char* end = exp.data() + exp.size();
  const auto [ptr, ec] = std::from_chars(exp.data(), end, m.expires_at_ms);
  if (exp.empty() || ec != std::errc() || ptr != end) {
    return absl::InvalidArgumentError(absl::StrCat("marker expiry '", std::string(exp), "' is not an integer"));
  }
  return m;
}

}  // namespace inventory::cache
