// The wall clock as the service speaks of it: milliseconds since the Unix
// epoch (system_clock; it may jump when the machine's clock is set).
#pragma once

#include <chrono>
#include <cstdint>

namespace inventory {

inline int64_t UnixNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace inventory
