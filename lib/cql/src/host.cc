#include "host.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"

namespace cql::internal {

void HostCounters::AddLatency(std::chrono::microseconds elapsed) {
  const double ms = static_cast<double>(elapsed.count()) / 1000.0;
  const auto& bounds = HostLatencyBucketsMs();
  size_t i = 0;
  while (i < bounds.size() && ms > bounds[i]) ++i;
  ++latency[i];
  latency_sum_us += elapsed.count();
}

std::string EndpointOf(const std::string& address, uint16_t port) {
  if (address.find(':') != std::string::npos) return absl::StrCat("[", address, "]:", port);
  return absl::StrCat(address, ":", port);
}

Host::Host(asio::any_io_executor executor, NodeInfo node, int target_connections)
    : info(std::move(node)), endpoint(EndpointOf(info.address, info.port)), wake(std::move(executor)) {
  connections.resize(static_cast<size_t>(std::max(1, target_connections)));
}

std::shared_ptr<Connection> Host::Acquire(std::optional<int> shard) const {
  if (shard && sharding && !connections.empty()) {
    const auto& c = connections[static_cast<size_t>(*shard) % connections.size()];
    if (c && c->usable()) return c;
  }
  std::shared_ptr<Connection> best;
  int best_load = std::numeric_limits<int>::max();
  for (const auto& c : connections) {
    if (!c || !c->usable()) continue;
    if (c->in_flight() < best_load) {
      best = c;
      best_load = c->in_flight();
    }
  }
  return best;
}

int Host::open_connections() const {
  int n = 0;
  for (const auto& c : connections) n += (c && c->is_open()) ? 1 : 0;
  return n;
}

int Host::in_flight() const {
  int n = 0;
  for (const auto& c : connections) n += (c && c->is_open()) ? c->in_flight() : 0;
  return n;
}

bool Host::Stalled(SteadyClock::time_point now) const {
  bool any_open = false;
  for (const auto& c : connections) {
    if (!c || !c->is_open()) continue;
    any_open = true;
    if (c->in_flight() == 0 || now - c->last_read() < kStallAfter) return false;
    const auto probe = c->last_heartbeat_sent();
    if (probe <= c->last_read() || now - probe < kProbeGrace) return false;  // not asked, or not yet late
  }
  return any_open;
}

void Host::ProbeQuiet(SteadyClock::time_point now) {
  for (const auto& c : connections) {
    if (c && c->is_open() && c->in_flight() > 0 && now - c->last_read() >= kStallAfter) c->Probe();
  }
}

bool Host::Healthy(SteadyClock::time_point now) const {
  return !removed && Acquire(std::nullopt) != nullptr && !Stalled(now);
}

int Host::FreeSlot() const {
  for (size_t i = 0; i < connections.size(); ++i) {
    if (!connections[i] || !connections[i]->is_open()) return static_cast<int>(i);
  }
  return -1;
}

HostInfo Host::Snapshot(SteadyClock::time_point now) const {
  HostInfo h;
  h.endpoint = endpoint;
  h.datacenter = info.datacenter;
  h.rack = info.rack;
  h.up = Healthy(now);
  h.open_connections = open_connections();
  h.in_flight = in_flight();
  h.requests = counters.requests;
  h.errors = counters.errors;
  h.replica = counters.replica;
  h.non_replica = counters.non_replica;
  h.unrouted = counters.unrouted;
  h.lwt_primary = counters.lwt_primary;
  h.lwt_replica = counters.lwt_replica;
  h.lwt_non_replica = counters.lwt_non_replica;
  h.connects = counters.connects;
  h.connect_failures = counters.connect_failures;
  h.latency_buckets.assign(counters.latency.begin(), counters.latency.end());
  h.latency_sum_us = counters.latency_sum_us;
  if (sharding) h.shards = sharding->nr_shards;
  return h;
}

}  // namespace cql::internal
