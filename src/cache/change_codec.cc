#include "cache/change_codec.h"

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cache/edge_keys.h"

namespace inventory::cache {
namespace {

using domain::SeatChange;

// Bytes that would split a line or a field.
constexpr std::string_view kTextSpecial = "|\n";
constexpr size_t kFields = 8;

constexpr std::array<SeatChange::Kind, 5> kKinds = {SeatChange::Kind::kHeld, SeatChange::Kind::kBooked,
                                                    SeatChange::Kind::kFreed, SeatChange::Kind::kBlocked,
                                                    SeatChange::Kind::kUnblocked};

std::optional<SeatChange::Kind> KindFromName(std::string_view name) {
  for (const SeatChange::Kind kind : kKinds) {
    if (domain::SeatChangeKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

std::string Text(std::string_view field) { return PercentEncode(field, kTextSpecial); }

// A decimal integer of type T: optional '-', digits, nothing else, in range.
template <typename T>
bool ParseNumber(std::string_view text, T& out) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end;
}

// Decodes one line (without its '\n'); `number` is 1-based, for messages.
absl::StatusOr<SeatChange> DecodeLine(std::string_view line, size_t number) {
  auto bad = [number](std::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("change line ", number, ": ", std::string(what)));
  };
  std::array<std::string_view, kFields> fields;
  size_t count = 0;
  size_t start = 0;
  while (true) {
    const size_t bar = line.find('|', start);
    const std::string_view field = line.substr(start, bar == std::string_view::npos ? line.npos : bar - start);
    if (count < kFields) fields[count] = field;
    ++count;
    if (bar == std::string_view::npos) break;
    start = bar + 1;
  }
  if (count != kFields) return bad(absl::StrCat(count, " fields, want ", kFields));

  SeatChange change;
  const std::optional<SeatChange::Kind> kind = KindFromName(fields[0]);
  if (!kind.has_value()) return bad(absl::StrCat("unknown kind '", std::string(fields[0]), "'"));
  change.kind = *kind;
  if (!ParseNumber(fields[2], change.range.first)) {
    return bad(absl::StrCat("first segment '", std::string(fields[2]), "' is not an integer"));
  }
  if (!ParseNumber(fields[3], change.range.last)) {
    return bad(absl::StrCat("last segment '", std::string(fields[3]), "' is not an integer"));
  }
  if (!ParseNumber(fields[6], change.expires_at_ms)) {
    return bad(absl::StrCat("expiry '", std::string(fields[6]), "' is not an integer"));
  }
  // Text fields, in line order: seat, owner, user, previous owner.
  const std::array<std::pair<size_t, std::string*>, 4> texts = {
      std::pair<size_t, std::string*>{1, &change.seat_id}, {4, &change.owner_id}, {5, &change.user_id},
      {7, &change.previous_owner_id}};
  for (const auto& [index, target] : texts) {
    absl::StatusOr<std::string> text = PercentDecode(fields[index]);
    if (!text.ok()) return bad(absl::StrCat("field ", index + 1, ": ", std::string(text.status().message())));
    *target = std::move(*text);
  }
  return change;
}

}  // namespace

std::string EncodeChanges(const std::vector<SeatChange>& changes) {
  std::string out;
  for (const SeatChange& c : changes) {
    if (!out.empty()) out.push_back('\n');
    absl::StrAppend(&out, std::string(domain::SeatChangeKindName(c.kind)), "|", Text(c.seat_id), "|",
                    c.range.first, "|", c.range.last, "|", Text(c.owner_id), "|", Text(c.user_id), "|",
                    c.expires_at_ms, "|", Text(c.previous_owner_id));
  }
  return out;
}

absl::StatusOr<std::vector<SeatChange>> DecodeChanges(std::string_view text) {
  std::vector<SeatChange> changes;
  if (text.empty()) return changes;
  size_t start = 0;
  for (size_t number = 1;; ++number) {
    const size_t newline = text.find('\n', start);
    const std::string_view line =
        text.substr(start, newline == std::string_view::npos ? text.npos : newline - start);
    absl::StatusOr<SeatChange> change = DecodeLine(line, number);
    if (!change.ok()) return change.status();
    changes.push_back(std::move(*change));
    if (newline == std::string_view::npos) break;
    start = newline + 1;
  }
  return changes;
}

}  // namespace inventory::cache
