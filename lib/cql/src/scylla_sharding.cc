// ScyllaDB intranode sharding: SUPPORTED parsing, biased-token-round-robin and
// shard-aware source ports. See scylla_sharding.h.
#include "scylla_sharding.h"

#include <algorithm>
#include <charconv>
#include <string_view>
#include <system_error>

namespace cql::internal {
namespace {

constexpr int kLocalPortFirst = 49152;  // the IANA dynamic range
constexpr int kLocalPortLast = 65535;

const std::string* Find(const std::multimap<std::string, std::string>& supported, const std::string& key) {
  const auto it = supported.find(key);
  return it == supported.end() ? nullptr : &it->second;
}

// A whole decimal integer, nothing else.
std::optional<int> ParseInt(const std::string* text) {
  if (text == nullptr || text->empty()) return std::nullopt;
  int v = 0;
  const char* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, v);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

std::optional<uint16_t> ParsePort(const std::string* text) {
  const std::optional<int> port = ParseInt(text);
  if (!port || *port < 1 || *port > 65535) return std::nullopt;
  return static_cast<uint16_t>(*port);
}

}  // namespace

std::optional<ScyllaSharding> ParseScyllaSharding(const std::multimap<std::string, std::string>& supported) {
  ScyllaSharding out;
  const std::optional<int> shard = ParseInt(Find(supported, "SCYLLA_SHARD"));
  const std::optional<int> nr_shards = ParseInt(Find(supported, "SCYLLA_NR_SHARDS"));
  if (!shard || !nr_shards || *nr_shards < 1 || *shard < 0 || *shard >= *nr_shards) return std::nullopt;
  out.shard = *shard;
  out.nr_shards = *nr_shards;
  if (const std::string* msb = Find(supported, "SCYLLA_SHARDING_IGNORE_MSB")) {
    const std::optional<int> ignore_msb = ParseInt(msb);
    if (!ignore_msb || *ignore_msb < 0 || *ignore_msb > 63) return std::nullopt;
    out.ignore_msb = *ignore_msb;
  }
  if (const std::string* algorithm = Find(supported, "SCYLLA_SHARDING_ALGORITHM")) {
    if (*algorithm != "biased-token-round-robin") return std::nullopt;
    out.sharding_algorithm = *algorithm;
  }
  if (const std::string* partitioner = Find(supported, "SCYLLA_PARTITIONER")) out.partitioner = *partitioner;
  out.shard_aware_port = ParsePort(Find(supported, "SCYLLA_SHARD_AWARE_PORT"));
  out.shard_aware_port_ssl = ParsePort(Find(supported, "SCYLLA_SHARD_AWARE_PORT_SSL"));
  return out;
}

int ScyllaShardOf(int64_t token, int nr_shards, int ignore_msb) {
  if (nr_shards <= 1) return 0;
  // Bias the token to [0, 2^64) (token - INT64_MIN), drop the ignored high
  // bits, then scale the 64-bit fraction to [0, nr_shards).
  uint64_t biased = static_cast<uint64_t>(token) + (uint64_t{1} << 63);
  biased <<= std::clamp(ignore_msb, 0, 63);
  return static_cast<int>((static_cast<unsigned __int128>(biased) * static_cast<unsigned>(nr_shards)) >> 64);
}

uint16_t ScyllaLocalPortFor(int shard, int nr_shards, uint16_t attempt_base) {
  if (nr_shards < 1 || shard < 0 || shard >= nr_shards) return 0;
  constexpr int kSpan = kLocalPortLast - kLocalPortFirst + 1;  // 16384; 49152 is a multiple of it
  // The first port >= from with port % nr_shards == shard.
  auto first_from = [&](int from) { return from + ((shard - from % nr_shards) % nr_shards + nr_shards) % nr_shards; };
  int port = first_from(kLocalPortFirst + attempt_base % kSpan);
  if (port > kLocalPortLast) port = first_from(kLocalPortFirst);
  return port > kLocalPortLast ? 0 : static_cast<uint16_t>(port);
}

}  // namespace cql::internal
