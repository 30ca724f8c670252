#include "query_plan.h"

#include <algorithm>

namespace cql::internal {

void MakeQueryPlan(const std::vector<std::shared_ptr<Host>>& hosts, std::string_view local_dc,
                   const std::vector<Host*>& replicas, bool lwt, uint64_t rotation, SteadyClock::time_point now,
                   std::vector<Host*>* plan) {
  plan->clear();
  auto add = [plan](Host* h) {
    if (std::find(plan->begin(), plan->end(), h) == plan->end()) plan->push_back(h);
  };
  auto local = [local_dc](const Host* h) { return local_dc.empty() || h->info.datacenter == local_dc; };
  auto healthy = [now](const Host* h) { return h->Healthy(now); };

  const size_t nr = replicas.size();
  const size_t start_r = (lwt || nr == 0) ? 0 : rotation % nr;
  for (size_t k = 0; k < nr; ++k) {
    Host* r = replicas[(start_r + k) % nr];
    if (!r->removed && local(r) && healthy(r)) add(r);
  }
  const size_t nh = hosts.size();
  const size_t start_h = nh == 0 ? 0 : rotation % nh;
  for (size_t k = 0; k < nh; ++k) {
    Host* h = hosts[(start_h + k) % nh].get();
    if (!h->removed && local(h) && healthy(h)) add(h);
  }
  for (Host* r : replicas) {
    if (!r->removed && healthy(r)) add(r);
  }
  for (size_t k = 0; k < nh; ++k) {
    Host* h = hosts[(start_h + k) % nh].get();
    if (!h->removed && healthy(h)) add(h);
  }
  for (Host* r : replicas) {
    if (!r->removed) add(r);
  }
  for (size_t k = 0; k < nh; ++k) {
    Host* h = hosts[(start_h + k) % nh].get();
    if (!h->removed && local(h)) add(h);
  }
  for (size_t k = 0; k < nh; ++k) {
    Host* h = hosts[(start_h + k) % nh].get();
    if (!h->removed) add(h);
  }
}

}  // namespace cql::internal
