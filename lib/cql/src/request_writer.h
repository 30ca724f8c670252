// RequestWriter — appends protocol primitives (native_protocol_v4.spec §3)
// to a byte buffer, one method per primitive. Mirror of ResponseReader.
//
// Sans-I/O. Errors that only the input can cause (a [string] longer than
// 65535 bytes, too many list entries) are sticky: the first one is kept in
// status(), later writes still happen but the buffer must then be discarded.
// Callers check status() once after encoding a message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "cql/consistency.h"
#include "cql/uuid.h"
#include "frame_header.h"

namespace cql::internal {

class RequestWriter {
 public:
  // Appends to *out, which must outlive the writer.
  explicit RequestWriter(std::string* out) : out_(out) {}

  RequestWriter(const RequestWriter&) = delete;
  RequestWriter& operator=(const RequestWriter&) = delete;

  void WriteByte(uint8_t v) { out_->push_back(static_cast<char>(v)); }
  // [short]: 2-byte unsigned.
  void WriteShort(uint16_t v);
  // [int]: 4-byte signed.
  void WriteInt(int32_t v);
  // [long]: 8-byte signed.
  void WriteLong(int64_t v);
  // [string]: [short] length + UTF-8 bytes. Error if longer than 65535.
  void WriteString(std::string_view s);
  // [long string]: [int] length + bytes.
  void WriteLongString(std::string_view s);
  // [uuid]: 16 bytes.
  void WriteUuid(const Uuid& u) { WriteRaw(u.AsStringView()); }
  // [string list]: [short] n + n [string].
  void WriteStringList(const std::vector<std::string>& list);
  // [bytes]: [int] n + n bytes.
  void WriteBytes(std::string_view b);
  // [bytes] null (n = -1) and [value] not set (n = -2).
  void WriteNullBytes() { WriteInt(-1); }
  void WriteUnsetValue() { WriteInt(-2); }
  // [short bytes]: [short] n + n bytes.
  void WriteShortBytes(std::string_view b);
  // [string map] and [string multimap] (a key's values become its list).
  void WriteStringMap(const std::vector<std::pair<std::string, std::string>>& map);
  void WriteStringMultimap(const std::multimap<std::string, std::string>& map);
  // [bytes map].
  void WriteBytesMap(const std::vector<std::pair<std::string, std::string>>& map);
  // [inet]: one byte n (4 or 16) + n address bytes + [int] port.
  void WriteInet(std::string_view address_bytes, int32_t port);
  // [consistency]: a [short].
  void WriteConsistency(Consistency c) { WriteShort(static_cast<uint16_t>(c)); }
  void WriteRaw(std::string_view b) { out_->append(b.data(), b.size()); }

  // Reserves an [int] to patch later (lengths of nested values).
  size_t ReserveInt();
  void PatchInt(size_t offset, int32_t v);

  // Frames (§2): BeginFrame writes a request header with length 0 and
  // returns its offset; EndFrame patches the body length.
  size_t BeginFrame(Opcode opcode, int16_t stream, uint8_t flags = 0);
  void EndFrame(size_t frame_offset);

  size_t size() const { return out_->size(); }
  const absl::Status& status() const { return status_; }
  void Fail(absl::Status s) {
    if (status_.ok()) status_ = std::move(s);
  }

 private:
  std::string* out_;
  absl::Status status_;
};

}  // namespace cql::internal
