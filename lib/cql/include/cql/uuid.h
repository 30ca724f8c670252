// cql::Uuid — a 128-bit RFC 4122 UUID as used by the CQL `uuid` and
// `timeuuid` types (native_protocol_v4.spec §6.18, §6.21).
//
// A Uuid is a plain value type (16 bytes, trivially copyable). Random() makes a
// version-4 UUID, TimeBased() a version-1 UUID suitable for `timeuuid`
// columns. Both use thread-local generators and are safe to call from any
// thread.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cql {

class Uuid {
 public:
  // The nil UUID (all zero bytes).
  constexpr Uuid() = default;
  constexpr explicit Uuid(const std::array<uint8_t, 16>& bytes) : bytes_(bytes) {}

  // Builds a Uuid from exactly 16 big-endian bytes; nullopt otherwise.
  static std::optional<Uuid> FromBytes(std::string_view bytes);

  // Parses the canonical 8-4-4-4-12 hexadecimal form (either case).
  // Returns nullopt for anything else.
  static std::optional<Uuid> Parse(std::string_view text);

  // A random (version 4, variant 1) UUID.
  static Uuid Random();

  // A time-based (version 1) UUID for `timeuuid` columns: 100 ns ticks since
  // 1582-10-15, a random clock sequence and a random multicast node id chosen
  // once per thread. Strictly increasing within one thread.
  static Uuid TimeBased();

  // Lower-case canonical text form, e.g. "123e4567-e89b-12d3-a456-426614174000".
  std::string ToString() const;

  // The version nibble (1 for time-based, 4 for random...).
  int version() const { return bytes_[6] >> 4; }

  // For version-1 UUIDs: milliseconds since the Unix epoch encoded in it.
  int64_t UnixMillis() const;

  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  std::string_view AsStringView() const {
    return std::string_view(reinterpret_cast<const char*>(bytes_.data()), bytes_.size());
  }

  friend auto operator<=>(const Uuid&, const Uuid&) = default;

 private:
  std::array<uint8_t, 16> bytes_{};
};

}  // namespace cql
