// CQL consistency levels ([consistency], native_protocol_v4.spec §3).
#pragma once

#include <cstdint>
#include <string_view>

namespace cql {

enum class Consistency : uint16_t {
  kAny = 0x0000,
  kOne = 0x0001,
  kTwo = 0x0002,
  kThree = 0x0003,
  kQuorum = 0x0004,
  kAll = 0x0005,
  kLocalQuorum = 0x0006,
  kEachQuorum = 0x0007,
  kSerial = 0x0008,
  kLocalSerial = 0x0009,
  kLocalOne = 0x000A,
};

// "LOCAL_QUORUM" etc.; "UNKNOWN" for values outside the table.
std::string_view ConsistencyName(Consistency c);

// True for SERIAL and LOCAL_SERIAL.
inline bool IsSerial(Consistency c) {
  return c == Consistency::kSerial || c == Consistency::kLocalSerial;
}

}  // namespace cql
