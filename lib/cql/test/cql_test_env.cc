#include "cql_test_env.h"

#include "common/test_env.h"
#include "cql/uuid.h"

namespace cql::testing {

std::string TestHost() { return inventory::testing::CqlHost(); }

uint16_t TestPort() { return inventory::testing::CqlPort(); }

SessionOptions TestOptions() {
  SessionOptions o;
  o.contact_points = {TestHost()};
  o.port = TestPort();
  o.connect_timeout = std::chrono::milliseconds(10000);
  // Schema changes and contended LWTs are slow on a dev node.
  o.request_timeout = std::chrono::milliseconds(30000);
  return o;
}

void CqlTest::SetUp() {
  auto session = Sync(Session::Connect(io_.get_executor(), TestOptions()));
  ASSERT_TRUE(session.ok()) << "Cassandra at " << TestHost() << ":" << TestPort()
                            << " is unreachable (set INVENTORY_TEST_CQL_HOST/PORT): " << session.status();
  session_ = std::move(session).value();
  keyspace_ = "cqltest_" + Uuid::Random().ToString().substr(0, 8) + Uuid::Random().ToString().substr(0, 8);
  MustQuery("CREATE KEYSPACE " + keyspace_ +
            " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
}

void CqlTest::TearDown() {
  if (session_) {
    if (!keyspace_.empty()) {
      auto r = Sync(session_->Query("DROP KEYSPACE IF EXISTS " + keyspace_));
      EXPECT_TRUE(r.ok()) << r.status();
    }
    Sync(session_->Close());
    session_.reset();
  }
}

void CqlTest::MustQuery(const std::string& cql) {
  auto r = Sync(session_->Query(cql));
  ASSERT_TRUE(r.ok()) << cql << ": " << r.status();
}

}  // namespace cql::testing
