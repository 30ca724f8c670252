// The order in which a request tries the hosts (the load-balancing policy).
//
// 1. Healthy replicas of the statement's partition in the local datacenter:
//    for an LWT or a SERIAL read in replica order, so every client sends a
//    partition's Paxos rounds to the same coordinator (its first live
//    replica) and ballots do not fight; for anything else rotated, so the
//    load spreads over the replicas.
// 2. The other healthy hosts of the local datacenter, rotated.
// 3. Healthy hosts of other datacenters, replicas first.
// 4. Every remaining host (down, stalled, without a connection), replicas
//    first: a last resort that may still answer.
// Removed hosts never appear. Without a routing token (unprepared queries,
// token awareness off) step 1 is empty.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "host.h"

namespace cql::internal {

void MakeQueryPlan(const std::vector<std::shared_ptr<Host>>& hosts, std::string_view local_dc,
                   const std::vector<Host*>& replicas, bool lwt, uint64_t rotation, SteadyClock::time_point now,
                   std::vector<Host*>* plan);

}  // namespace cql::internal
