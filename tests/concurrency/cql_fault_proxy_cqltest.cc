// CqlFaultProxy in front of a real Cassandra (label: cql), with a
// cql::Session connected through it. The server is
// INVENTORY_TEST_CQL_HOST:INVENTORY_TEST_CQL_PORT (common/test_env.h;
// default 127.0.0.1:9042); an unreachable server makes every test FAIL.
// Each test uses a keyspace of its own, proxy_test_<pid>_<n> (SimpleStrategy,
// RF 1), created and dropped through a direct session.
#include <unistd.h>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <gtest/gtest.h>

#include "common/test_env.h"
#include "cql/options.h"
#include "cql/session.h"
#include "cql_fault_proxy.h"

namespace inventory::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Runs `io` until `aw` completes and returns its value (sessions keep reads
// pending, so run() is stopped by the completion).
template <typename T>
T RunSync(asio::io_context& io, asio::awaitable<T> aw) {
  std::optional<T> out;
  std::exception_ptr error;
  asio::co_spawn(
      io, [&out, aw = std::move(aw)]() mutable -> asio::awaitable<void> { out.emplace(co_await std::move(aw)); },
      [&](std::exception_ptr e) {
        error = e;
        io.stop();
      });
  io.restart();
  io.run();
  if (error) std::rethrow_exception(error);
  return std::move(*out);
}

void RunSyncVoid(asio::io_context& io, asio::awaitable<void> aw) {
  std::exception_ptr error;
  asio::co_spawn(io, std::move(aw), [&](std::exception_ptr e) {
    error = e;
    io.stop();
  });
  io.restart();
  io.run();
  if (error) std::rethrow_exception(error);
}

class CqlFaultProxyCqlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    direct_ = Connect(CqlHost(), CqlPort());
    ASSERT_NE(direct_, nullptr) << "Cassandra at " << CqlHost() << ":" << CqlPort()
                                << " is unreachable (set INVENTORY_TEST_CQL_HOST/PORT)";
    static int tests = 0;
    keyspace_ = "proxy_test_" + std::to_string(::getpid()) + "_" + std::to_string(++tests);
    ASSERT_TRUE(Direct("CREATE KEYSPACE " + keyspace_ +
                       " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
                    .ok());
    ASSERT_TRUE(Direct("CREATE TABLE " + Table() + " (k int PRIMARY KEY, v text)").ok());

    proxy_ = std::make_unique<CqlFaultProxy>(CqlHost(), CqlPort(), 20260101);
    proxied_ = Connect("127.0.0.1", static_cast<uint16_t>(proxy_->port()));
    ASSERT_NE(proxied_, nullptr) << "no session through the proxy";
  }

  void TearDown() override {
    if (proxied_) RunSyncVoid(io_, proxied_->Close());
    proxied_.reset();
    proxy_.reset();
    if (direct_) {
      if (!keyspace_.empty()) {
        EXPECT_TRUE(Direct("DROP KEYSPACE IF EXISTS " + keyspace_).ok());
      }
      RunSyncVoid(io_, direct_->Close());
    }
    direct_.reset();
  }

  std::unique_ptr<cql::Session> Connect(const std::string& host, uint16_t port) {
    cql::SessionOptions o;
    o.contact_points = {host};
    o.port = port;
    o.connect_timeout = milliseconds(10000);
    o.request_timeout = milliseconds(30000);  // schema changes are slow on a dev node
    o.reconnect_backoff_min = milliseconds(50);
    auto s = RunSync(io_, cql::Session::Connect(io_.get_executor(), o));
    if (!s.ok()) {
      ADD_FAILURE() << host << ":" << port << ": " << s.status();
      return nullptr;
    }
    return std::move(s).value();
  }

  // A statement on the direct session; logs the failure.
  absl::StatusOr<cql::Result> Direct(const std::string& cql) {
    auto r = RunSync(io_, direct_->Query(cql));
    if (!r.ok()) ADD_FAILURE() << cql << ": " << r.status();
    return r;
  }
  absl::StatusOr<cql::Result> Proxied(const std::string& cql) { return RunSync(io_, proxied_->Query(cql)); }

  std::string Table() const { return keyspace_ + ".kv"; }

  asio::io_context io_;
  std::unique_ptr<cql::Session> direct_;
  std::unique_ptr<CqlFaultProxy> proxy_;
  std::unique_ptr<cql::Session> proxied_;
  std::string keyspace_;
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
  EXPECT_EQ(proxy_->requests_seen(), 3u);
  EXPECT_EQ(proxy_->cuts_before() + proxy_->cuts_after() + proxy_->delayed(), 0u);
  EXPECT_EQ(proxy_->connections_accepted(), 1u);
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
  EXPECT_EQ(proxy_->connections_accepted(), 2u);
}

TEST_F(CqlFaultProxyCqlTest, DelayedAnswerExceedsTheRequestTimeout) {
  proxy_->SetFaults({.delay = 1, .delay_min_ms = 1500, .delay_max_ms = 1600});
  cql::QueryOptions options;
  options.timeout = milliseconds(500);
  const Clock::time_point start = Clock::now();
  auto r = RunSync(io_,
                   proxied_->Query("SELECT release_version FROM system.local", std::vector<cql::Value>(), options));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_LT(Clock::now() - start, milliseconds(1400));
  EXPECT_EQ(proxy_->delayed(), 1u);

  // The connection survives: without faults the next request is answered.
  proxy_->SetFaults({});
  auto next = Proxied("SELECT release_version FROM system.local");
  EXPECT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(proxy_->connections_accepted(), 1u);
}

}  // namespace
}  // namespace inventory::testing
