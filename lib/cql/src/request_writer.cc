#include "request_writer.h"

#include <limits>

#include "absl/strings/str_cat.h"

namespace cql::internal {

namespace {
constexpr size_t kMaxShort = std::numeric_limits<uint16_t>::max();
constexpr size_t kMaxInt = static_cast<size_t>(std::numeric_limits<int32_t>::max());
}  // namespace

void RequestWriter::WriteShort(uint16_t v) {
  const char b[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
  out_->append(b, 2);
}

void RequestWriter::WriteInt(int32_t v) {
  const auto u = static_cast<uint32_t>(v);
  const char b[4] = {static_cast<char>(u >> 24), static_cast<char>(u >> 16), static_cast<char>(u >> 8),
                     static_cast<char>(u)};
  out_->append(b, 4);
}

void RequestWriter::WriteLong(int64_t v) {
  const auto u = static_cast<uint64_t>(v);
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(u >> (56 - 8 * i));
  out_->append(b, 8);
}

void RequestWriter::WriteString(std::string_view s) {
  if (s.size() > kMaxShort) {
    Fail(absl::InvalidArgumentError(absl::StrCat("[string] of ", s.size(), " bytes exceeds 65535")));
    return;
  }
  WriteShort(static_cast<uint16_t>(s.size()));
  WriteRaw(s);
}

void RequestWriter::WriteLongString(std::string_view s) {
  if (s.size() > kMaxInt) {
    Fail(absl::InvalidArgumentError("[long string] too long"));
    return;
  }
  WriteInt(static_cast<int32_t>(s.size()));
  WriteRaw(s);
}

void RequestWriter::WriteStringList(const std::vector<std::string>& list) {
  if (list.size() > kMaxShort) {
    Fail(absl::InvalidArgumentError("[string list] has more than 65535 entries"));
    return;
  }
  WriteShort(static_cast<uint16_t>(list.size()));
  for (const auto& s : list) WriteString(s);
}

void RequestWriter::WriteBytes(std::string_view b) {
  if (b.size() > kMaxInt) {
    Fail(absl::InvalidArgumentError("[bytes] too long"));
    return;
  }
  WriteInt(static_cast<int32_t>(b.size()));
  WriteRaw(b);
}

void RequestWriter::WriteShortBytes(std::string_view b) {
  if (b.size() > kMaxShort) {
    Fail(absl::InvalidArgumentError(absl::StrCat("[short bytes] of ", b.size(), " bytes exceeds 65535")));
    return;
  }
  WriteShort(static_cast<uint16_t>(b.size()));
  WriteRaw(b);
}

void RequestWriter::WriteStringMap(const std::vector<std::pair<std::string, std::string>>& map) {
  if (map.size() > kMaxShort) {
    Fail(absl::InvalidArgumentError("[string map] has more than 65535 entries"));
    return;
  }
  WriteShort(static_cast<uint16_t>(map.size()));
  for (const auto& [k, v] : map) {
    WriteString(k);
    WriteString(v);
  }
}

void RequestWriter::WriteStringMultimap(const std::multimap<std::string, std::string>& map) {
  size_t keys = 0;
  for (auto it = map.begin(); it != map.end(); it = map.upper_bound(it->first)) ++keys;
  if (keys > kMaxShort) {
    Fail(absl::InvalidArgumentError("[string multimap] has more than 65535 keys"));
    return;
  }
  WriteShort(static_cast<uint16_t>(keys));
  for (auto it = map.begin(); it != map.end();) {
    auto end = map.upper_bound(it->first);
    WriteString(it->first);
    size_t n = static_cast<size_t>(std::distance(it, end));
    if (n > kMaxShort) {
      Fail(absl::InvalidArgumentError("[string list] has more than 65535 entries"));
      return;
    }
    WriteShort(static_cast<uint16_t>(n));
    for (; it != end; ++it) WriteString(it->second);
  }
}

void RequestWriter::WriteBytesMap(const std::vector<std::pair<std::string, std::string>>& map) {
  if (map.size() > kMaxShort) {
    Fail(absl::InvalidArgumentError("[bytes map] has more than 65535 entries"));
    return;
  }
  WriteShort(static_cast<uint16_t>(map.size()));
  for (const auto& [k, v] : map) {
    WriteString(k);
    WriteBytes(v);
  }
}

void RequestWriter::WriteInet(std::string_view address_bytes, int32_t port) {
  if (address_bytes.size() != 4 && address_bytes.size() != 16) {
    Fail(absl::InvalidArgumentError("[inet] address must be 4 or 16 bytes"));
    return;
  }
  WriteByte(static_cast<uint8_t>(address_bytes.size()));
  WriteRaw(address_bytes);
  WriteInt(port);
}

size_t RequestWriter::ReserveInt() {
  const size_t offset = out_->size();
  out_->append(4, '\0');
  return offset;
}

void RequestWriter::PatchInt(size_t offset, int32_t v) {
  const auto u = static_cast<uint32_t>(v);
  char* p = out_->data() + offset;
  p[0] = static_cast<char>(u >> 24);
  p[1] = static_cast<char>(u >> 16);
  p[2] = static_cast<char>(u >> 8);
  p[3] = static_cast<char>(u);
}

size_t RequestWriter::BeginFrame(Opcode opcode, int16_t stream, uint8_t flags) {
  const size_t offset = out_->size();
  FrameHeader h;
  h.version = kProtocolVersion;
  h.flags = flags;
  h.stream = stream;
  h.opcode = opcode;
  h.length = 0;
  uint8_t buf[kFrameHeaderSize];
  EncodeFrameHeader(h, buf);
  out_->append(reinterpret_cast<const char*>(buf), kFrameHeaderSize);
  return offset;
}

void RequestWriter::EndFrame(size_t frame_offset) {
  const size_t body = out_->size() - frame_offset - kFrameHeaderSize;
  if (body > static_cast<size_t>(kMaxFrameBodySize)) {
    Fail(absl::InvalidArgumentError(absl::StrCat("request body of ", body, " bytes exceeds the 256 MB frame limit")));
    return;
  }
  PatchInt(frame_offset + 5, static_cast<int32_t>(body));
}

}  // namespace cql::internal
