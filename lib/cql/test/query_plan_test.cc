// The load-balancing order (query_plan.h) on hand-made hosts. A host is
// healthy when it holds a Connection that was never closed (no socket is
// needed for that); a host without one is down.
#include "query_plan.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

#include <asio/io_context.hpp>
#include <gtest/gtest.h>

namespace cql::internal {
namespace {

class QueryPlanTest : public ::testing::Test {
 protected:
  Host* Add(const std::string& address, const std::string& dc, bool up) {
    NodeInfo node;
    node.address = address;
    node.datacenter = dc;
    auto host = std::make_shared<Host>(io_.get_executor(), node, 1);
    if (up) host->connections[0] = std::make_shared<Connection>(io_.get_executor(), ConnectionOptions{});
    hosts_.push_back(host);
    return host.get();
  }
  std::vector<Host*> Plan(const std::vector<Host*>& replicas, bool lwt, uint64_t rotation) {
    std::vector<Host*> plan;
    MakeQueryPlan(hosts_, "dc1", replicas, lwt, rotation, SteadyClock::now(), &plan);
    return plan;
  }

  asio::io_context io_;
  std::vector<std::shared_ptr<Host>> hosts_;
};

TEST_F(QueryPlanTest, AnLwtGoesToTheFirstReplicaWhateverTheRotation) {
  Host* a = Add("10.0.0.1", "dc1", true);
  Host* b = Add("10.0.0.2", "dc1", true);
  Host* c = Add("10.0.0.3", "dc1", true);
  Host* remote = Add("10.1.0.1", "dc2", true);
  for (uint64_t r = 0; r < 10; ++r) {
    EXPECT_EQ(Plan({b, c, a}, true, r), (std::vector<Host*>{b, c, a, remote})) << "rotation " << r;
  }
}

TEST_F(QueryPlanTest, OtherStatementsSpreadOverTheReplicasFirst) {
  Host* a = Add("10.0.0.1", "dc1", true);
  Host* b = Add("10.0.0.2", "dc1", true);
  Host* c = Add("10.0.0.3", "dc1", true);
  std::set<Host*> first;
  for (uint64_t r = 0; r < 6; ++r) {
    std::vector<Host*> plan = Plan({b, c}, false, r);
    ASSERT_EQ(plan.size(), 3u);
    EXPECT_NE(plan[0], a);
    EXPECT_NE(plan[1], a);
    EXPECT_EQ(plan[2], a);
    first.insert(plan[0]);
  }
  EXPECT_EQ(first, (std::set<Host*>{b, c}));
}

TEST_F(QueryPlanTest, ADownReplicaIsTriedOnlyAfterEveryLiveNode) {
  Host* a = Add("10.0.0.1", "dc1", true);
  Host* b = Add("10.0.0.2", "dc1", false);
  Host* c = Add("10.0.0.3", "dc1", true);
  Host* remote = Add("10.1.0.1", "dc2", true);
  EXPECT_EQ(Plan({b, c, a}, true, 0), (std::vector<Host*>{c, a, remote, b}));
}

TEST_F(QueryPlanTest, WithoutATokenLocalNodesRotateAndRemoteOnesComeLast) {
  Host* a = Add("10.0.0.1", "dc1", true);
  Host* remote = Add("10.1.0.1", "dc2", true);
  Host* b = Add("10.0.0.2", "dc1", true);
  std::set<Host*> first;
  for (uint64_t r = 0; r < 6; ++r) {
    std::vector<Host*> plan = Plan({}, false, r);
    ASSERT_EQ(plan.size(), 3u);
    EXPECT_EQ(plan[2], remote);
    first.insert(plan[0]);
  }
  EXPECT_EQ(first, (std::set<Host*>{a, b}));
}

TEST_F(QueryPlanTest, WhenTheLocalDatacenterIsDownRemoteNodesAnswer) {
  Host* a = Add("10.0.0.1", "dc1", false);
  Host* remote = Add("10.1.0.1", "dc2", true);
  Host* remote_replica = Add("10.1.0.2", "dc2", true);
  std::vector<Host*> plan = Plan({a, remote_replica}, true, 0);
  EXPECT_EQ(plan, (std::vector<Host*>{remote_replica, remote, a}));
}

TEST_F(QueryPlanTest, RemovedHostsNeverAppear) {
  Host* a = Add("10.0.0.1", "dc1", true);
  Host* b = Add("10.0.0.2", "dc1", true);
  b->removed = true;
  EXPECT_EQ(Plan({b, a}, true, 0), (std::vector<Host*>{a}));
}

TEST_F(QueryPlanTest, AClosedConnectionMakesAHostDown) {
  Host* a = Add("10.0.0.1", "dc1", true);
  Host* b = Add("10.0.0.2", "dc1", true);
  a->connections[0]->Close(absl::UnavailableError("gone"));
  EXPECT_FALSE(a->Healthy(SteadyClock::now()));
  EXPECT_EQ(Plan({a, b}, true, 0), (std::vector<Host*>{b, a}));
}

}  // namespace
}  // namespace cql::internal
