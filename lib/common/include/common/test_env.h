// Where integration tests find their servers.
//
// The test script starts its own Cassandra and Redis and exports their
// addresses; a developer running a test by hand gets the developer instances'
// defaults (scripts/deps.sh up). Tests that cannot reach a server fail.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>

namespace inventory::testing {

inline std::string EnvOr(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? std::string(v) : std::string(fallback);
}

inline std::string CqlHost() { return EnvOr("INVENTORY_TEST_CQL_HOST", "127.0.0.1"); }
inline uint16_t CqlPort() { return static_cast<uint16_t>(std::stoi(EnvOr("INVENTORY_TEST_CQL_PORT", "9042"))); }
inline std::string RedisHost() { return EnvOr("INVENTORY_TEST_REDIS_HOST", "127.0.0.1"); }
inline uint16_t RedisPort() { return static_cast<uint16_t>(std::stoi(EnvOr("INVENTORY_TEST_REDIS_PORT", "6379"))); }

}  // namespace inventory::testing
