#include "response_reader.h"

#include "absl_compat.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace cql::internal {

absl::Status ResponseReader::Need(size_t n, std::string_view what) const {
  if (remaining() < n) {
    return absl::InternalError(
        absl::StrCat("truncated ", Sv(what), ": need ", n, " bytes, ", remaining(), " left at offset ", offset_));
  }
  return absl::OkStatus();
}


absl::StatusOr<std::string_view> ResponseReader::ReadRaw(size_t n, std::string_view what) {
  RETURN_IF_ERROR(Need(n, what));
  std::string_view out = data_.substr(offset_, n);
  offset_ += n;
  return out;
}

absl::StatusOr<uint8_t> ResponseReader::ReadByte() {
  RETURN_IF_ERROR(Need(1, "[byte]"));
  return static_cast<uint8_t>(data_[offset_++]);
}

absl::StatusOr<uint16_t> ResponseReader::ReadShort() {
  RETURN_IF_ERROR(Need(2, "[short]"));
  const auto* p = reinterpret_cast<const uint8_t*>(data_.data() + offset_);
  offset_ += 2;
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

absl::StatusOr<int32_t> ResponseReader::ReadInt() {
  RETURN_IF_ERROR(Need(4, "[int]"));
  const auto* p = reinterpret_cast<const uint8_t*>(data_.data() + offset_);
  offset_ += 4;
  return static_cast<int32_t>((uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3]);
}

absl::StatusOr<int64_t> ResponseReader::ReadLong() {
  RETURN_IF_ERROR(Need(8, "[long]"));
  const auto* p = reinterpret_cast<const uint8_t*>(data_.data() + offset_);
  offset_ += 8;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return static_cast<int64_t>(v);
}

absl::StatusOr<std::string_view> ResponseReader::ReadString() {
  ASSIGN_OR_RETURN(uint16_t n, ReadShort());
  return ReadRaw(n, "[string]");
}

absl::StatusOr<std::string_view> ResponseReader::ReadLongString() {
  ASSIGN_OR_RETURN(int32_t n, ReadInt());
  if (n < 0) return absl::InternalError(absl::StrCat("negative [long string] length ", n));
  return ReadRaw(static_cast<size_t>(n), "[long string]");
}

absl::StatusOr<Uuid> ResponseReader::ReadUuid() {
  ASSIGN_OR_RETURN(std::string_view raw, ReadRaw(16, "[uuid]"));
  return *Uuid::FromBytes(raw);
}

absl::StatusOr<std::vector<std::string>> ResponseReader::ReadStringList() {
  ASSIGN_OR_RETURN(uint16_t n, ReadShort());
  RETURN_IF_ERROR(Need(size_t{n} * 2, "[string list]"));
  std::vector<std::string> out;
  out.reserve(n);
  for (uint16_t i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(std::string_view s, ReadString());
    out.emplace_back(s);
  }
  return out;
}

absl::StatusOr<std::optional<std::string_view>> ResponseReader::ReadBytes() {
  ASSIGN_OR_RETURN(int32_t n, ReadInt());
  if (n < 0) return std::optional<std::string_view>();
  ASSIGN_OR_RETURN(std::string_view raw, ReadRaw(static_cast<size_t>(n), "[bytes]"));
  return std::optional<std::string_view>(raw);
}

absl::StatusOr<std::string_view> ResponseReader::ReadShortBytes() {
  ASSIGN_OR_RETURN(uint16_t n, ReadShort());
  return ReadRaw(n, "[short bytes]");
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ResponseReader::ReadStringMap() {
  ASSIGN_OR_RETURN(uint16_t n, ReadShort());
  RETURN_IF_ERROR(Need(size_t{n} * 4, "[string map]"));
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(n);
  for (uint16_t i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(std::string_view k, ReadString());
    ASSIGN_OR_RETURN(std::string_view v, ReadString());
    out.emplace_back(std::string(k), std::string(v));
  }
  return out;
}

absl::StatusOr<std::multimap<std::string, std::string>> ResponseReader::ReadStringMultimap() {
  ASSIGN_OR_RETURN(uint16_t n, ReadShort());
  RETURN_IF_ERROR(Need(size_t{n} * 4, "[string multimap]"));
  std::multimap<std::string, std::string> out;
  for (uint16_t i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(std::string_view k, ReadString());
    ASSIGN_OR_RETURN(std::vector<std::string> values, ReadStringList());
    for (auto& v : values) out.emplace(std::string(k), std::move(v));
  }
  return out;
}

absl::StatusOr<std::vector<std::pair<std::string, std::optional<std::string>>>> ResponseReader::ReadBytesMap() {
  ASSIGN_OR_RETURN(uint16_t n, ReadShort());
  RETURN_IF_ERROR(Need(size_t{n} * 6, "[bytes map]"));
  std::vector<std::pair<std::string, std::optional<std::string>>> out;
  out.reserve(n);
  for (uint16_t i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(std::string_view k, ReadString());
    ASSIGN_OR_RETURN(std::optional<std::string_view> v, ReadBytes());
    out.emplace_back(std::string(k), v ? std::optional<std::string>(std::string(*v)) : std::nullopt);
  }
  return out;
}

absl::StatusOr<Inet> ResponseReader::ReadInet() {
  ASSIGN_OR_RETURN(uint8_t n, ReadByte());
  if (n != 4 && n != 16) return absl::InternalError(absl::StrCat("[inet] address size ", n, " is not 4 or 16"));
  ASSIGN_OR_RETURN(std::string_view addr, ReadRaw(n, "[inet] address"));
  ASSIGN_OR_RETURN(int32_t port, ReadInt());
  return Inet{std::string(addr), port};
}

absl::StatusOr<Consistency> ResponseReader::ReadConsistency() {
  ASSIGN_OR_RETURN(uint16_t v, ReadShort());
  if (v > 0x000A) return absl::InternalError(absl::StrCat("unknown [consistency] 0x", absl::Hex(v)));
  return static_cast<Consistency>(v);
}

}  // namespace cql::internal
