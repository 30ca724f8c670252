#include "cql/uuid.h"

#include <chrono>
#include <cstring>
#include <random>

namespace cql {
namespace {

std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng([] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }());
  return rng;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// 100 ns intervals between 1582-10-15 (the Gregorian reform) and 1970-01-01.
constexpr uint64_t kGregorianOffset = 0x01B21DD213814000ULL;

}  // namespace

std::optional<Uuid> Uuid::FromBytes(std::string_view bytes) {
  if (bytes.size() != 16) return std::nullopt;
  std::array<uint8_t, 16> b;
  std::memcpy(b.data(), bytes.data(), 16);
  return Uuid(b);
}

std::optional<Uuid> Uuid::Parse(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  std::array<uint8_t, 16> b{};
  size_t out = 0;
  for (size_t i = 0; i < 36;) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return std::nullopt;
      ++i;
      continue;
    }
    const int hi = HexValue(text[i]);
    const int lo = HexValue(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    b[out++] = static_cast<uint8_t>(hi * 16 + lo);
    i += 2;
  }
  return Uuid(b);
}

Uuid Uuid::Random() {
  std::array<uint8_t, 16> b;
  const uint64_t a = Rng()();
  const uint64_t c = Rng()();
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<uint8_t>(a >> (8 * i));
    b[8 + i] = static_cast<uint8_t>(c >> (8 * i));
  }
  b[6] = static_cast<uint8_t>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  return Uuid(b);
}

Uuid Uuid::TimeBased() {
  struct State {
    uint64_t last_ticks = 0;
    uint16_t clock_seq = 0;
    uint64_t node = 0;
  };
  thread_local State state = [] {
    State s;
    const uint64_t r = Rng()();
    s.clock_seq = static_cast<uint16_t>(r & 0x3FFF);
    s.node = ((r >> 16) & 0xFFFFFFFFFFFFULL) | 0x010000000000ULL;  // multicast bit: not a MAC
    return s;
  }();
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  uint64_t ticks = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count() / 100) +
                   kGregorianOffset;
  if (ticks <= state.last_ticks) ticks = state.last_ticks + 1;
  state.last_ticks = ticks;

  const uint32_t time_low = static_cast<uint32_t>(ticks);
  const uint16_t time_mid = static_cast<uint16_t>(ticks >> 32);
  const uint16_t time_hi = static_cast<uint16_t>(((ticks >> 48) & 0x0FFF) | 0x1000);  // version 1
  std::array<uint8_t, 16> b;
  b[0] = static_cast<uint8_t>(time_low >> 24);
  b[1] = static_cast<uint8_t>(time_low >> 16);
  b[2] = static_cast<uint8_t>(time_low >> 8);
  b[3] = static_cast<uint8_t>(time_low);
  b[4] = static_cast<uint8_t>(time_mid >> 8);
  b[5] = static_cast<uint8_t>(time_mid);
  b[6] = static_cast<uint8_t>(time_hi >> 8);
  b[7] = static_cast<uint8_t>(time_hi);
  b[8] = static_cast<uint8_t>(((state.clock_seq >> 8) & 0x3F) | 0x80);
  b[9] = static_cast<uint8_t>(state.clock_seq);
  for (int i = 0; i < 6; ++i) b[10 + i] = static_cast<uint8_t>(state.node >> (40 - 8 * i));
  return Uuid(b);
}

int64_t Uuid::UnixMillis() const {
  const uint64_t time_low = (uint64_t{bytes_[0]} << 24) | (uint64_t{bytes_[1]} << 16) | (uint64_t{bytes_[2]} << 8) |
                            bytes_[3];
  const uint64_t time_mid = (uint64_t{bytes_[4]} << 8) | bytes_[5];
  const uint64_t time_hi = ((uint64_t{bytes_[6]} & 0x0F) << 8) | bytes_[7];
  const uint64_t ticks = (time_hi << 48) | (time_mid << 32) | time_low;
  return static_cast<int64_t>(ticks - kGregorianOffset) / 10000;
}

std::string Uuid::ToString() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[bytes_[i] >> 4]);
    out.push_back(kHex[bytes_[i] & 0x0F]);
  }
  return out;
}

}  // namespace cql
