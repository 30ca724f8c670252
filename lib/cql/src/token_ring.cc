// Murmur3Partitioner tokens (Cassandra's MurmurHash3_x64_128 variant), routing keys
// (CompositeType encoding) and replica placement (SimpleStrategy,
// NetworkTopologyStrategy). See token_ring.h.
#include "token_ring.h"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <limits>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl_compat.h"
#include "common/status_macros.h"
#include "request_writer.h"
#include "value_codec.h"

namespace cql::internal {
namespace {

// MurmurHash3_x64_128 constants.
constexpr uint64_t kC1 = 0x87c37b91114253d5ULL;
constexpr uint64_t kC2 = 0x4cf5ad432745937fULL;

uint64_t Rotl(uint64_t v, int n) { return (v << n) | (v >> (64 - n)); }

uint64_t Fmix(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

uint64_t MixK1(uint64_t k1) { return Rotl(k1 * kC1, 31) * kC2; }
uint64_t MixK2(uint64_t k2) { return Rotl(k2 * kC2, 33) * kC1; }

// Eight bytes read little-endian (Cassandra's getblock).
uint64_t LoadLe64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Java's (long) byte: the tail bytes are sign-extended (Cassandra's quirk).
uint64_t SignExtended(unsigned char b) {
  return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(b)));
}

// The [value] bytes of one partition-key component, without the length.
absl::StatusOr<std::string> SerializeComponent(uint16_t index, const std::vector<ColumnSpec>& bind_columns,
                                               const std::vector<Value>& values) {
  if (index >= bind_columns.size() || index >= values.size()) {
    return absl::InvalidArgumentError(absl::StrCat("partition key index ", index, " out of range"));
  }
  const Value& value = values[index];
  if (value.is_null() || value.is_unset()) {
    return absl::InvalidArgumentError(absl::StrCat("partition key value ", index, " is null or unset"));
  }
  std::string out;
  RequestWriter writer(&out);
  RETURN_IF_ERROR(WriteValue(value, &bind_columns[index].type, writer));
  RETURN_IF_ERROR(writer.status());
  out.erase(0, 4);  // the [int] length
  return out;
}

absl::StatusOr<int> ParseFactor(std::string_view text) {
  // Cassandra 4+ transient replication: "<total>/<transient>".
  const std::string_view total = text.substr(0, text.find('/'));
  int factor = -1;
  const auto [end, ec] = std::from_chars(total.data(), total.data() + total.size(), factor);
  if (ec != std::errc() || end != total.data() + total.size() || factor < 0) {
    return absl::InvalidArgumentError(absl::StrCat("malformed replication factor '", Sv(text), "'"));
  }
  return factor;
}

// Replicas of each ring position for SimpleStrategy (and EverywhereStrategy):
// the first `rf` distinct nodes walking the ring clockwise.
std::vector<std::vector<int>> SimplePlacement(const TokenRing& ring, int rf) {
  const std::vector<int>& owners = ring.owners();
  const size_t n = owners.size();
  std::vector<char> in_ring(ring.nodes().size(), 0);
  int distinct = 0;
  for (int owner : owners) {
    distinct += in_ring[owner] ? 0 : 1;
    in_ring[owner] = 1;
  }
  std::vector<int> seen(ring.nodes().size(), -1);  // ring position of the last walk that saw the node
  const size_t want = static_cast<size_t>(std::min(rf, distinct));
  std::vector<std::vector<int>> replicas(n);
  for (size_t i = 0; i < n; ++i) {
    std::vector<int>& out = replicas[i];
    out.reserve(want);
    for (size_t step = 0; step < n && out.size() < want; ++step) {
      const int node = owners[(i + step) % n];
      if (seen[node] == static_cast<int>(i)) continue;
      seen[node] = static_cast<int>(i);
      out.push_back(node);
    }
  }
  return replicas;
}

// NetworkTopologyStrategy (Cassandra's calculateNaturalReplicas): per
// datacenter, walking clockwise, take the first node of each rack not yet
// used in that DC; rack repeats are accepted only as long as the DC has fewer
// racks than its RF (rf - racks repeats in all), which picks the same nodes
// as filling with the skipped same-rack nodes in skip order. A DC stops at
// min(rf, its node count). Replicas are listed in walk order.
std::vector<std::vector<int>> NetworkTopologyPlacement(const TokenRing& ring,
                                                       const std::map<std::string, int>& dc_factors) {
  const std::vector<RingNode>& nodes = ring.nodes();
  const std::vector<int>& owners = ring.owners();
  const size_t n = owners.size();

  // Dense ids: a DC per replicated datacenter, a rack per (DC, rack name).
  std::vector<int> dc_of(nodes.size(), -1);
  std::vector<int> rack_of(nodes.size(), -1);
  std::vector<int> dc_nodes(dc_factors.size(), 0);
  std::vector<int> dc_racks(dc_factors.size(), 0);
  std::map<std::pair<int, std::string>, int> rack_ids;
  std::vector<char> in_ring(nodes.size(), 0);
  for (int owner : owners) in_ring[owner] = 1;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const auto dc = dc_factors.find(nodes[i].datacenter);
    if (!in_ring[i] || dc == dc_factors.end()) continue;
    const int d = static_cast<int>(std::distance(dc_factors.begin(), dc));
    dc_of[i] = d;
    ++dc_nodes[d];
    const auto [rack, added] = rack_ids.try_emplace({d, nodes[i].rack}, static_cast<int>(rack_ids.size()));
    if (added) ++dc_racks[d];
    rack_of[i] = rack->second;
  }
  std::vector<int> want(dc_factors.size());
  std::vector<int> repeats_allowed(dc_factors.size());
  int total_want = 0;
  int dc_index = 0;
  for (const auto& [name, rf] : dc_factors) {
    want[dc_index] = std::min(rf, dc_nodes[dc_index]);
    repeats_allowed[dc_index] = rf - dc_racks[dc_index];
    total_want += want[dc_index];
    ++dc_index;
  }

  std::vector<std::vector<int>> replicas(n);
  std::vector<int> node_seen(nodes.size(), -1);  // ring position of the last walk that saw it
  std::vector<int> rack_seen(rack_ids.size(), -1);
  std::vector<int> left(dc_factors.size());
  std::vector<int> repeats(dc_factors.size());
  for (size_t i = 0; i < n; ++i) {
    const int walk = static_cast<int>(i);
    left = want;
    repeats = repeats_allowed;
    std::vector<int>& out = replicas[i];
    out.reserve(total_want);
    for (size_t step = 0; step < n && static_cast<int>(out.size()) < total_want; ++step) {
      const int node = owners[(i + step) % n];
      // A node rejected once stays rejected (its rack stays used, the repeat
      // budget only shrinks), so each node is considered once per walk.
      if (node_seen[node] == walk) continue;
      node_seen[node] = walk;
      const int d = dc_of[node];
      if (d < 0 || left[d] == 0) continue;
      if (rack_seen[rack_of[node]] != walk) {
        rack_seen[rack_of[node]] = walk;
      } else if (repeats[d] > 0) {
        --repeats[d];
      } else {
        continue;
      }
      --left[d];
      out.push_back(node);
    }
  }
  return replicas;
}

}  // namespace

int64_t Murmur3Token(std::string_view partition_key) {
  const auto* data = reinterpret_cast<const unsigned char*>(partition_key.data());
  const size_t len = partition_key.size();
  const size_t blocks = len / 16;
  uint64_t h1 = 0;  // seed 0
  uint64_t h2 = 0;
  for (size_t i = 0; i < blocks; ++i) {
    const uint64_t k1 = LoadLe64(data + i * 16);
    const uint64_t k2 = LoadLe64(data + i * 16 + 8);
    h1 ^= MixK1(k1);
    h1 = (Rotl(h1, 27) + h2) * 5 + 0x52dce729;
    h2 ^= MixK2(k2);
    h2 = (Rotl(h2, 31) + h1) * 5 + 0x38495ab5;
  }
  const unsigned char* tail = data + blocks * 16;
  const size_t rest = len % 16;
  uint64_t k1 = 0;
  uint64_t k2 = 0;
  for (size_t i = rest; i > 8; --i) k2 ^= SignExtended(tail[i - 1]) << ((i - 9) * 8);
  if (rest > 8) h2 ^= MixK2(k2);
  for (size_t i = std::min<size_t>(rest, 8); i > 0; --i) k1 ^= SignExtended(tail[i - 1]) << ((i - 1) * 8);
  if (rest > 0) h1 ^= MixK1(k1);

  h1 ^= len;
  h2 ^= len;
  h1 += h2;
  h2 += h1;
  h1 = Fmix(h1);
  h2 = Fmix(h2);
  h1 += h2;
  const auto token = static_cast<int64_t>(h1);
  // Murmur3Partitioner.normalize: MIN_VALUE is reserved for the minimum token.
  return token == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : token;
}

absl::StatusOr<std::string> RoutingKey(const std::vector<uint16_t>& pk_indexes,
                                       const std::vector<ColumnSpec>& bind_columns,
                                       const std::vector<Value>& values) {
  if (pk_indexes.empty()) return absl::NotFoundError("statement has no partition key indexes");
  if (pk_indexes.size() == 1) return SerializeComponent(pk_indexes[0], bind_columns, values);
  // CompositeType: per component [short] length, bytes, end-of-component 0.
  std::string key;
  for (uint16_t index : pk_indexes) {
    ASSIGN_OR_RETURN(std::string component, SerializeComponent(index, bind_columns, values));
    if (component.size() > std::numeric_limits<uint16_t>::max()) {
      return absl::InvalidArgumentError(
          absl::StrCat("partition key component ", index, " longer than 65535 bytes"));
    }
    key.push_back(static_cast<char>(component.size() >> 8));
    key.push_back(static_cast<char>(component.size() & 0xff));
    key += component;
    key.push_back('\0');
  }
  return key;
}

TokenRing::TokenRing(std::vector<RingNode> nodes) : nodes_(std::move(nodes)) {
  std::vector<std::pair<int64_t, int>> all;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    for (int64_t token : nodes_[i].tokens) all.emplace_back(token, static_cast<int>(i));
  }
  std::sort(all.begin(), all.end());
  tokens_.reserve(all.size());
  owners_.reserve(all.size());
  for (const auto& [token, node] : all) {
    if (!tokens_.empty() && tokens_.back() == token) continue;  // lower node index wins
    tokens_.push_back(token);
    owners_.push_back(node);
  }
}

absl::StatusOr<int64_t> TokenRing::ParseToken(std::string_view text) {
  int64_t token = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), token);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return absl::InvalidArgumentError(absl::StrCat("malformed Murmur3 token '", Sv(text), "'"));
  }
  return token;
}

size_t TokenRing::IndexOf(int64_t token) const {
  const auto it = std::lower_bound(tokens_.begin(), tokens_.end(), token);
  return it == tokens_.end() ? 0 : static_cast<size_t>(it - tokens_.begin());
}

int TokenRing::OwnerOf(int64_t token) const { return tokens_.empty() ? -1 : owners_[IndexOf(token)]; }

absl::StatusOr<ReplicaMap> ReplicaMap::Build(const TokenRing& ring,
                                             const std::map<std::string, std::string>& replication) {
  const auto cls = replication.find("class");
  if (cls == replication.end()) return absl::InvalidArgumentError("replication has no 'class'");
  std::string_view strategy = cls->second;
  constexpr std::string_view kPrefix = "org.apache.cassandra.locator.";
  if (strategy.substr(0, kPrefix.size()) == kPrefix) strategy.remove_prefix(kPrefix.size());

  ReplicaMap map;
  if (strategy == "LocalStrategy") return map;
  if (strategy == "SimpleStrategy") {
    const auto rf = replication.find("replication_factor");
    if (rf == replication.end()) return absl::InvalidArgumentError("SimpleStrategy without replication_factor");
    ASSIGN_OR_RETURN(const int factor, ParseFactor(rf->second));
    map.replicas_ = SimplePlacement(ring, factor);
  } else if (strategy == "EverywhereStrategy") {
    map.replicas_ = SimplePlacement(ring, std::numeric_limits<int>::max());
  } else if (strategy == "NetworkTopologyStrategy") {
    std::map<std::string, int> dc_factors;
    for (const auto& [key, value] : replication) {
      // "replication_factor" is a CREATE-time default expanded per DC by the server.
      if (key == "class" || key == "replication_factor") continue;
      ASSIGN_OR_RETURN(const int factor, ParseFactor(value));
      if (factor > 0) dc_factors.emplace(key, factor);
    }
    map.replicas_ = NetworkTopologyPlacement(ring, dc_factors);
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown replication class '", cls->second, "'"));
  }
  map.tokens_ = ring.tokens();
  return map;
}

const std::vector<int>& ReplicaMap::ReplicasOf(int64_t token) const {
  static const auto* const kNone = new std::vector<int>();
  if (tokens_.empty()) return *kNone;
  const auto it = std::lower_bound(tokens_.begin(), tokens_.end(), token);
  return replicas_[it == tokens_.end() ? 0 : static_cast<size_t>(it - tokens_.begin())];
}

}  // namespace cql::internal
