// CqlFaultProxy in front of a real Cassandra (label: cql), with a
// cql::Session connected through it. The server and the keyspace of each test
// (created and dropped through a direct session) are cql::testing::CqlTest's
// (cql_test_env.h): an unreachable server makes every test FAIL.
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "cql/options.h"
#include "cql/session.h"
#include "cql_fault_proxy.h"
#include "cql_test_env.h"

namespace inventory::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// CqlTest's session (session_) talks to Cassandra directly; proxied_ goes
// through proxy_. Both run on io_.
class CqlFaultProxyCqlTest : public cql::testing::CqlTest {
 protected:
  void SetUp() override {
    CqlTest::SetUp();
    if (HasFatalFailure()) return;
    MustQuery("CREATE TABLE " + Table() + " (k int PRIMARY KEY, v text)");
    if (HasFatalFailure()) return;

    proxy_ = std::make_unique<CqlFaultProxy>(cql::testing::TestHost(), cql::testing::TestPort(), 20260101);
    cql::SessionOptions o = cql::testing::TestOptions();
    o.contact_points = {"127.0.0.1"};
    o.port = static_cast<uint16_t>(proxy_->port());
    o.reconnect_backoff_min = milliseconds(50);
    o.heartbeat_interval = milliseconds(0);  // the counts below are of the test's requests only
    auto s = Sync(cql::Session::Connect(io_.get_executor(), o));
    ASSERT_TRUE(s.ok()) << "no session through the proxy: " << s.status();
    proxied_ = std::move(s).value();
    // The session's own traffic at start: its control connection (REGISTER,
    // the system tables) and its pool.
    requests_at_start_ = proxy_->requests_seen();
    connections_at_start_ = proxy_->connections_accepted();
  }

  void TearDown() override {
    if (proxied_) Sync(proxied_->Close());
    proxied_.reset();
    proxy_.reset();
    CqlTest::TearDown();
  }

  // A statement on the direct session; logs the failure.
  absl::StatusOr<cql::Result> Direct(const std::string& cql) {
    auto r = Sync(session_->Query(cql));
    if (!r.ok()) ADD_FAILURE() << cql << ": " << r.status();
    return r;
  }
  absl::StatusOr<cql::Result> Proxied(const std::string& cql) { return Sync(proxied_->Query(cql)); }

  std::string Table() const { return CqlTest::Table("kv"); }

  size_t Requests() const { return proxy_->requests_seen() - requests_at_start_; }
  size_t NewConnections() const { return proxy_->connections_accepted() - connections_at_start_; }

  std::unique_ptr<CqlFaultProxy> proxy_;
  std::unique_ptr<cql::Session> proxied_;
  size_t requests_at_start_ = 0;
  size_t connections_at_start_ = 0;
};

TEST_F(CqlFaultProxyCqlTest, WithoutFaultsQueriesWork) {
  auto version = Proxied("SELECT release_version FROM system.local");
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(version->row_count(), 1u);

  ASSERT_TRUE(Proxied("INSERT INTO " + Table() + " (k, v) VALUES (1, 'one')").ok());
  auto row = Proxied("SELECT v FROM " + Table() + " WHERE k = 1");
  ASSERT_TRUE(row.ok()) << row.status();
  ASSERT_EQ(row->row_count(), 1u);
  EXPECT_EQ(row->row(0).GetString(0).value_or(""), "one");
  EXPECT_EQ(Requests(), 3u);
  EXPECT_EQ(proxy_->cuts_before() + proxy_->cuts_after() + proxy_->delayed(), 0u);
  EXPECT_EQ(NewConnections(), 0u);
}

// The fault the checker is about: the write is applied, the client only
// learns that the connection broke.
TEST_F(CqlFaultProxyCqlTest, CutAfterAppliesTheWriteButAnswersUnavailable) {
  proxy_->SetFaults({.cut_after = 1});
  auto insert = Proxied("INSERT INTO " + Table() + " (k, v) VALUES (2, 'applied, outcome unknown')");
  EXPECT_EQ(insert.status().code(), absl::StatusCode::kUnavailable) << insert.status();
  EXPECT_EQ(proxy_->cuts_after(), 1u);

  // Read directly: the row is there (polled: the server may still be
  // executing the write when the connection drops).
  bool found = false;
  const Clock::time_point deadline = Clock::now() + milliseconds(5000);
  while (!found && Clock::now() < deadline) {
    auto row = Direct("SELECT v FROM " + Table() + " WHERE k = 2");
    ASSERT_TRUE(row.ok());
    found = row->row_count() == 1 && row->row(0).GetString(0).value_or("") == "applied, outcome unknown";
    if (!found) std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_TRUE(found) << "the write cut after forwarding was not applied";

  // Without faults the session reconnects through the proxy.
  proxy_->SetFaults({});
  absl::StatusOr<cql::Result> again = absl::UnavailableError("not tried");
  const Clock::time_point retry_deadline = Clock::now() + milliseconds(5000);
  while (!again.ok() && Clock::now() < retry_deadline) {
    again = Proxied("SELECT v FROM " + Table() + " WHERE k = 2");
    if (!again.ok()) std::this_thread::sleep_for(milliseconds(50));
  }
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->row_count(), 1u);
  EXPECT_EQ(NewConnections(), 1u);
}

TEST_F(CqlFaultProxyCqlTest, DelayedAnswerExceedsTheRequestTimeout) {
  proxy_->SetFaults({.delay = 1, .delay_min_ms = 1500, .delay_max_ms = 1600});
  cql::QueryOptions options;
  options.timeout = milliseconds(500);
  const Clock::time_point start = Clock::now();
  auto r = Sync(proxied_->Query("SELECT release_version FROM system.local", std::vector<cql::Value>(), options));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_LT(Clock::now() - start, milliseconds(1400));
  EXPECT_EQ(proxy_->delayed(), 1u);

  // The connection survives: without faults the next request is answered.
  proxy_->SetFaults({});
  auto next = Proxied("SELECT release_version FROM system.local");
  EXPECT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(NewConnections(), 0u);
}

}  // namespace
}  // namespace inventory::testing
