// ResponseReader — reads protocol primitives (native_protocol_v4.spec §3)
// from a message body, one method per primitive. Mirror of RequestWriter.
//
// Sans-I/O and bounds-checked: every read of malformed or truncated input
// returns an error Status ("truncated [string]: need 12 bytes, 3 left"),
// never crashes or throws. string_view results point into the body passed to
// the constructor, which must outlive them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "cql/consistency.h"
#include "cql/uuid.h"

namespace cql::internal {

// [inet].
struct Inet {
  std::string address;  // 4 or 16 raw bytes
  int32_t port = 0;
  friend bool operator==(const Inet&, const Inet&) = default;
};

class ResponseReader {
 public:
  explicit ResponseReader(std::string_view body) : data_(body) {}

  absl::StatusOr<uint8_t> ReadByte();
  absl::StatusOr<uint16_t> ReadShort();
  absl::StatusOr<int32_t> ReadInt();
  absl::StatusOr<int64_t> ReadLong();
  absl::StatusOr<std::string_view> ReadString();
  // [long string]: negative length is an error.
  absl::StatusOr<std::string_view> ReadLongString();
  absl::StatusOr<Uuid> ReadUuid();
  absl::StatusOr<std::vector<std::string>> ReadStringList();
  // [bytes]: nullopt for a negative length (null).
  absl::StatusOr<std::optional<std::string_view>> ReadBytes();
  // [short bytes].
  absl::StatusOr<std::string_view> ReadShortBytes();
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ReadStringMap();
  // [string multimap], flattened: one entry per (key, value in its list).
  absl::StatusOr<std::multimap<std::string, std::string>> ReadStringMultimap();
  absl::StatusOr<std::vector<std::pair<std::string, std::optional<std::string>>>> ReadBytesMap();
  // [inet]: the size byte must be 4 or 16.
  absl::StatusOr<Inet> ReadInet();
  // [consistency]: must be one of the levels in §3.
  absl::StatusOr<Consistency> ReadConsistency();
  // n raw bytes.
  absl::StatusOr<std::string_view> ReadRaw(size_t n, std::string_view what = "bytes");

  size_t offset() const { return offset_; }
  size_t remaining() const { return data_.size() - offset_; }
  bool empty() const { return remaining() == 0; }
  std::string_view data() const { return data_; }

 private:
  absl::Status Need(size_t n, std::string_view what) const;

  std::string_view data_;
  size_t offset_ = 0;
};

}  // namespace cql::internal
