// Session against a real Cassandra 5 (label: cql). See cql_test_env.h.
#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/ip/tcp.hpp>
#include <gtest/gtest.h>

#include "cql/error.h"
#include "cql_test_env.h"

namespace cql::testing {
namespace {

using std::chrono::milliseconds;

TEST_F(CqlTest, ReleaseVersionRoundTrip) {
  auto r = Sync(session_->Query("SELECT release_version FROM system.local"));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->kind(), ResultKind::kRows);
  ASSERT_EQ(r->row_count(), 1u);
  auto version = r->row(0).GetString("release_version");
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(version->substr(0, 2), "5.") << *version;
  EXPECT_EQ(r->columns()[0].keyspace, "system");
  EXPECT_TRUE(session_->supported().count("CQL_VERSION") > 0);
  EXPECT_FALSE(session_->IsScylla());
  EXPECT_EQ(session_->open_connections(), static_cast<int>(session_->Hosts().size()));  // one per node
}

TEST_F(CqlTest, ThousandConcurrentRequestsOnOneConnection) {
  MustQuery("CREATE TABLE " + Table("kv") + " (k int PRIMARY KEY, v text)");
  auto insert = Sync(session_->Prepare("INSERT INTO " + Table("kv") + " (k, v) VALUES (?, ?)"));
  ASSERT_TRUE(insert.ok()) << insert.status();
  auto select = Sync(session_->Prepare("SELECT v FROM " + Table("kv") + " WHERE k = ?"));
  ASSERT_TRUE(select.ok()) << select.status();
  constexpr int kN = 1000;

  int inserted = 0;
  int finished = 0;
  std::vector<std::string> errors;
  auto on_done = [&](std::exception_ptr) {
    if (++finished == kN) io_.stop();
  };
  for (int i = 0; i < kN; ++i) {
    asio::co_spawn(io_, [&, i]() -> asio::awaitable<void> {
      // (GCC 12 rejects a braced list directly inside a co_await expression.)
      std::vector<Value> values{Value(i), Value("value-" + std::to_string(i))};
      auto r = co_await session_->Execute(*insert, std::move(values));
      if (r.ok()) ++inserted; else errors.push_back(r.status().ToString());
    }, on_done);
  }
  io_.restart();
  io_.run();
  ASSERT_EQ(inserted, kN) << (errors.empty() ? "" : errors[0]);

  int matched = 0;
  finished = 0;
  for (int i = 0; i < kN; ++i) {
    asio::co_spawn(io_, [&, i]() -> asio::awaitable<void> {
      std::vector<Value> values{Value(i)};
      auto r = co_await session_->Execute(*select, std::move(values));
      if (!r.ok()) {
        errors.push_back(r.status().ToString());
        co_return;
      }
      auto v = r->row_count() == 1 ? r->row(0).GetString(0) : absl::StatusOr<std::string>(absl::NotFoundError("no row"));
      if (v.ok() && *v == "value-" + std::to_string(i)) ++matched; else errors.push_back("mismatch for " + std::to_string(i));
    }, on_done);
  }
  io_.restart();
  io_.run();
  EXPECT_EQ(matched, kN) << (errors.empty() ? "" : errors[0]);
  EXPECT_EQ(session_->open_connections(), static_cast<int>(session_->Hosts().size()));  // one per node
}

TEST_F(CqlTest, PreparedStatementRoundTripsEveryType) {
  MustQuery("CREATE TABLE " + Table("types") +
            " (id uuid PRIMARY KEY, t text, a ascii, i int, b bigint, f boolean, ts timestamp, tu timeuuid,"
            " l list<text>, s set<int>, m map<text, bigint>, lu list<uuid>, n int)");
  auto insert = Sync(session_->Prepare("INSERT INTO " + Table("types") +
                                       " (id, t, a, i, b, f, ts, tu, l, s, m, lu, n) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"));
  ASSERT_TRUE(insert.ok()) << insert.status();
  EXPECT_EQ(insert->bind_columns().size(), 13u);
  EXPECT_EQ(insert->pk_indexes(), std::vector<uint16_t>{0});

  const Uuid id = Uuid::Random();
  const Uuid tu = Uuid::TimeBased();
  const Uuid other = Uuid::Random();
  const Timestamp ts = std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
  auto r = Sync(session_->Execute(
      *insert, {Value(id), Value("héllo ✓"), Value("plain"), Value(-42), Value(int64_t{1} << 50), Value(true), Value(ts),
                Value(tu), Value::List({Value("x"), Value("y"), Value("x")}), Value::Set({Value(3), Value(1), Value(2)}),
                Value::Map({{Value("one"), Value(int64_t{1})}, {Value("two"), Value(int64_t{2})}}),
                Value::List({Value(other)}), Value::Unset()}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->kind(), ResultKind::kVoid);

  auto select = Sync(session_->Prepare("SELECT * FROM " + Table("types") + " WHERE id = ?"));
  ASSERT_TRUE(select.ok()) << select.status();
  r = Sync(session_->Execute(*select, {Value(id)}));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->row_count(), 1u);
  Row row = r->row(0);
  EXPECT_EQ(*row.GetUuid("id"), id);
  EXPECT_EQ(*row.GetString("t"), "héllo ✓");
  EXPECT_EQ(*row.GetString("a"), "plain");
  EXPECT_EQ(*row.GetInt("i"), -42);
  EXPECT_EQ(*row.GetBigint("b"), int64_t{1} << 50);
  EXPECT_TRUE(*row.GetBool("f"));
  EXPECT_EQ(*row.GetTimestamp("ts"), ts);
  EXPECT_EQ(*row.GetUuid("tu"), tu);
  EXPECT_EQ(*row.GetList("l"), (std::vector<Value>{Value("x"), Value("y"), Value("x")}));
  EXPECT_EQ(*row.GetSet("s"), (std::vector<Value>{Value(1), Value(2), Value(3)}));  // sets come back sorted
  auto m = row.GetMap("m");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[0], (std::pair<Value, Value>{Value("one"), Value(int64_t{1})}));
  EXPECT_EQ(*row.GetList("lu"), std::vector<Value>{Value(other)});
  EXPECT_TRUE(row.IsNull("n"));
  EXPECT_EQ(row.GetInt("n").status().code(), absl::StatusCode::kFailedPrecondition);

  // Nulls overwrite; unset leaves the column alone.
  r = Sync(session_->Execute(*insert, {Value(id), Value::Null(), Value::Unset(), Value::Unset(), Value::Unset(),
                                       Value::Unset(), Value::Unset(), Value::Unset(), Value::Null(), Value::Unset(),
                                       Value::Unset(), Value::Unset(), Value(7)}));
  ASSERT_TRUE(r.ok()) << r.status();
  r = Sync(session_->Execute(*select, {Value(id)}));
  ASSERT_TRUE(r.ok()) << r.status();
  row = r->row(0);
  EXPECT_TRUE(row.IsNull("t"));
  EXPECT_EQ(*row.GetString("a"), "plain");
  EXPECT_TRUE(row.GetList("l")->empty());
  EXPECT_EQ(*row.GetInt("n"), 7);

  // A wrongly typed value is rejected client-side, naming the column.
  r = Sync(session_->Execute(*select, {Value("not-a-uuid")}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);

  // Unprepared QUERY with bound values works too.
  r = Sync(session_->Query("SELECT t, i FROM " + Table("types") + " WHERE id = ?", {Value(id)}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r->row(0).GetInt("i"), -42);
}

TEST_F(CqlTest, LwtUpdateAppliedAndNotApplied) {
  MustQuery("CREATE TABLE " + Table("seats") + " (seat text PRIMARY KEY, holder text, version int)");
  MustQuery("INSERT INTO " + Table("seats") + " (seat, holder, version) VALUES ('1A', 'alice', 1)");
  auto update = Sync(session_->Prepare("UPDATE " + Table("seats") +
                                       " SET holder = ?, version = ? WHERE seat = ? IF holder = ?"));
  ASSERT_TRUE(update.ok()) << update.status();
  QueryOptions lwt;
  lwt.serial_consistency = Consistency::kSerial;

  auto r = Sync(session_->Execute(*update, {Value("bob"), Value(2), Value("1A"), Value("alice")}, lwt));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->Applied().ok()) << r->Applied().status();
  EXPECT_TRUE(*r->Applied());
  EXPECT_EQ(r->column_count(), 1u);

  r = Sync(session_->Execute(*update, {Value("carol"), Value(3), Value("1A"), Value("alice")}, lwt));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(*r->Applied());
  // Current values come back for the conditioned column.
  EXPECT_EQ(*r->row(0).GetString("holder"), "bob");

  // IF NOT EXISTS on an existing row returns the whole row.
  r = Sync(session_->Query("INSERT INTO " + Table("seats") + " (seat, holder, version) VALUES (?, ?, ?) IF NOT EXISTS",
                           {Value("1A"), Value("dave"), Value(9)}, lwt));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(*r->Applied());
  EXPECT_EQ(*r->row(0).GetInt("version"), 2);

  // SERIAL read sees the LWT-written value.
  QueryOptions serial;
  serial.consistency = Consistency::kSerial;
  r = Sync(session_->Query("SELECT holder FROM " + Table("seats") + " WHERE seat = ?", {Value("1A")}, serial));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->row_count(), 1u);
  EXPECT_EQ(*r->row(0).GetString(0), "bob");
  serial.consistency = Consistency::kLocalSerial;
  r = Sync(session_->Query("SELECT holder FROM " + Table("seats") + " WHERE seat = ?", {Value("1A")}, serial));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r->row(0).GetString(0), "bob");
}

TEST_F(CqlTest, ConditionalBatchOverClusteringRows) {
  MustQuery("CREATE TABLE " + Table("segments") +
            " (trip text, seat text, seg int, holder text, PRIMARY KEY ((trip, seat), seg))");
  for (int seg = 0; seg < 3; ++seg) {
    auto r = Sync(session_->Query("INSERT INTO " + Table("segments") + " (trip, seat, seg) VALUES ('T1', '1A', ?)",
                                  {Value(seg)}));
    ASSERT_TRUE(r.ok()) << r.status();
  }
  auto hold = Sync(session_->Prepare("UPDATE " + Table("segments") +
                                     " SET holder = ? WHERE trip = ? AND seat = ? AND seg = ? IF holder = null"));
  ASSERT_TRUE(hold.ok()) << hold.status();

  // Mix prepared statements and a query string in one conditional batch.
  Batch first;
  first.Add(*hold, {Value("alice"), Value("T1"), Value("1A"), Value(0)});
  first.Add(*hold, {Value("alice"), Value("T1"), Value("1A"), Value(1)});
  first.Add("UPDATE " + Table("segments") + " SET holder = ? WHERE trip = ? AND seat = ? AND seg = ? IF holder = null",
            {Value("alice"), Value("T1"), Value("1A"), Value(2)});
  QueryOptions lwt;
  lwt.serial_consistency = Consistency::kLocalSerial;
  auto r = Sync(session_->ExecuteBatch(first, lwt));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->Applied().ok());
  EXPECT_TRUE(*r->Applied());

  // Overlapping hold over segments 1..2: not applied, current rows returned.
  Batch second;
  second.Add(*hold, {Value("bob"), Value("T1"), Value("1A"), Value(1)});
  second.Add(*hold, {Value("bob"), Value("T1"), Value("1A"), Value(2)});
  r = Sync(session_->ExecuteBatch(second, lwt));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(*r->Applied());
  ASSERT_GE(r->row_count(), 1u);
  std::set<int32_t> segs;
  for (Row row : *r) {
    EXPECT_EQ(*row.GetString("holder"), "alice");
    segs.insert(*row.GetInt("seg"));
  }
  EXPECT_EQ(segs, (std::set<int32_t>{1, 2}));

  // Nothing of the failed batch was written.
  r = Sync(session_->Query("SELECT seg, holder FROM " + Table("segments") + " WHERE trip = 'T1' AND seat = '1A'"));
  ASSERT_TRUE(r.ok());
  for (Row row : *r) EXPECT_EQ(*row.GetString("holder"), "alice");
}

TEST_F(CqlTest, ConditionalBatchAcrossPartitionsIsRejected) {
  MustQuery("CREATE TABLE " + Table("seats2") + " (seat text PRIMARY KEY, holder text)");
  Batch batch;
  batch.Add("UPDATE " + Table("seats2") + " SET holder = 'a' WHERE seat = '1A' IF holder = null");
  batch.Add("UPDATE " + Table("seats2") + " SET holder = 'a' WHERE seat = '1B' IF holder = null");
  auto r = Sync(session_->ExecuteBatch(batch));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_NE(r.status().message().find("partition"), absl::string_view::npos) << r.status();
  auto e = ServerErrorOf(r.status());
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, ErrorCode::kInvalid);
}

TEST_F(CqlTest, PreparedStatementSurvivesSchemaChange) {
  const std::string create = "CREATE TABLE " + Table("evolving") + " (k int PRIMARY KEY, v text)";
  MustQuery(create);
  auto insert = Sync(session_->Prepare("INSERT INTO " + Table("evolving") + " (k, v) VALUES (?, ?)"));
  ASSERT_TRUE(insert.ok()) << insert.status();
  ASSERT_TRUE(Sync(session_->Execute(*insert, {Value(1), Value("a")})).ok());

  MustQuery("DROP TABLE " + Table("evolving"));
  MustQuery(create);
  // The server forgot the statement: EXECUTE gets UNPREPARED, the session
  // re-prepares from the cached text and replays.
  auto r = Sync(session_->Execute(*insert, {Value(2), Value("b")}));
  ASSERT_TRUE(r.ok()) << r.status();

  // Same inside a batch.
  MustQuery("DROP TABLE " + Table("evolving"));
  MustQuery(create);
  Batch batch(BatchType::kUnlogged);
  batch.Add(*insert, {Value(3), Value("c")});
  batch.Add(*insert, {Value(4), Value("d")});
  r = Sync(session_->ExecuteBatch(batch));
  ASSERT_TRUE(r.ok()) << r.status();

  r = Sync(session_->Query("SELECT k FROM " + Table("evolving")));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->row_count(), 2u);
}

TEST_F(CqlTest, ServerErrorsAreTyped) {
  auto r = Sync(session_->Query("SELEKT * FROM system.local"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(ServerErrorOf(r.status()));
  EXPECT_EQ(ServerErrorOf(r.status())->code, ErrorCode::kSyntaxError);

  r = Sync(session_->Query("SELECT * FROM " + Table("does_not_exist")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(ServerErrorOf(r.status()));
  EXPECT_EQ(ServerErrorOf(r.status())->code, ErrorCode::kInvalid) << r.status();

  r = Sync(session_->Query("CREATE KEYSPACE " + keyspace_ +
                           " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ServerErrorOf(r.status())->keyspace, keyspace_);

  auto p = Sync(session_->Prepare("SELECT * FROM " + Table("nope") + " WHERE k = ?"));
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);

  // The connection is still healthy after errors.
  EXPECT_TRUE(Sync(session_->Query("SELECT now() FROM system.local")).ok());
}

TEST_F(CqlTest, ClientTimeoutLeavesConnectionUsable) {
  QueryOptions instant;
  instant.timeout = milliseconds(0);
  auto r = Sync(session_->Query("SELECT release_version FROM system.local", {}, instant));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  // The late response is discarded; the next request gets its own answer.
  for (int i = 0; i < 3; ++i) {
    r = Sync(session_->Query("SELECT release_version FROM system.local"));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r->row(0).GetString(0).ok());
  }
}

TEST_F(CqlTest, PagingWalksAllRows) {
  MustQuery("CREATE TABLE " + Table("paged") + " (p int, c int, PRIMARY KEY (p, c))");
  auto insert = Sync(session_->Prepare("INSERT INTO " + Table("paged") + " (p, c) VALUES (0, ?)"));
  ASSERT_TRUE(insert.ok());
  for (int c = 0; c < 25; ++c) ASSERT_TRUE(Sync(session_->Execute(*insert, {Value(c)})).ok());

  auto select = Sync(session_->Prepare("SELECT c FROM " + Table("paged") + " WHERE p = 0"));
  ASSERT_TRUE(select.ok());
  QueryOptions options;
  options.page_size = 10;
  std::vector<int32_t> seen;
  std::vector<size_t> page_sizes;
  for (int page = 0; page < 10; ++page) {
    auto r = Sync(session_->Execute(*select, {}, options));
    ASSERT_TRUE(r.ok()) << r.status();
    page_sizes.push_back(r->row_count());
    for (Row row : *r) seen.push_back(*row.GetInt(0));
    if (!r->has_more_pages()) break;
    options.paging_state = r->paging_state();
  }
  EXPECT_EQ(page_sizes.front(), 10u);
  ASSERT_EQ(seen.size(), 25u);
  for (int c = 0; c < 25; ++c) EXPECT_EQ(seen[static_cast<size_t>(c)], c);

  // Unprepared QUERY pages the same way.
  options.paging_state.clear();
  auto r = Sync(session_->Query("SELECT c FROM " + Table("paged") + " WHERE p = 0", {}, options));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->row_count(), 10u);
  EXPECT_TRUE(r->has_more_pages());
}

TEST_F(CqlTest, DefaultTimestampIsApplied) {
  MustQuery("CREATE TABLE " + Table("ts") + " (k int PRIMARY KEY, v text)");
  QueryOptions options;
  options.default_timestamp = 1234567890;
  ASSERT_TRUE(Sync(session_->Query("INSERT INTO " + Table("ts") + " (k, v) VALUES (1, 'x')", {}, options)).ok());
  auto r = Sync(session_->Query("SELECT WRITETIME(v) FROM " + Table("ts") + " WHERE k = 1"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r->row(0).GetBigint(0), 1234567890);
}

// The node as the session sees it, and where statements were routed: a
// prepared statement's partition key gives a token, the keyspace's
// replication its replica (the one node), an LWT goes to the first replica.
// The nodes as the session sees them (one, or a cluster's), and where
// statements were routed: a prepared statement's partition key gives a
// token, the keyspace's replication its replica, an LWT goes to the first.
HostInfo Sum(const std::vector<HostInfo>& hosts) {
  HostInfo sum;
  for (const HostInfo& h : hosts) {
    sum.requests += h.requests;
    sum.replica += h.replica;
    sum.non_replica += h.non_replica;
    sum.unrouted += h.unrouted;
    sum.lwt_primary += h.lwt_primary;
    sum.lwt_replica += h.lwt_replica;
    sum.lwt_non_replica += h.lwt_non_replica;
    for (int64_t n : h.latency_buckets) sum.latency_sum_us += n;  // here: the count of latencies
  }
  return sum;
}

TEST_F(CqlTest, HostsShowTheNodesAndStatementsAreRoutedToTheirReplica) {
  std::vector<HostInfo> hosts = session_->Hosts();
  ASSERT_GE(hosts.size(), 1u);
  const std::string contact = TestHost() + ":" + std::to_string(TestPort());
  EXPECT_TRUE(std::any_of(hosts.begin(), hosts.end(), [&](const HostInfo& h) { return h.endpoint == contact; }));
  for (const HostInfo& h : hosts) {
    EXPECT_TRUE(h.up) << h.endpoint;
    EXPECT_FALSE(h.datacenter.empty());
    EXPECT_EQ(h.latency_buckets.size(), kHostLatencyBuckets + 1);
  }
  EXPECT_EQ(session_->local_datacenter(), hosts[0].datacenter);

  MustQuery("CREATE TABLE " + Table("routed") + " (k text, c int, v int, PRIMARY KEY (k, c))");
  auto insert = Sync(session_->Prepare("INSERT INTO " + Table("routed") + " (k, c, v) VALUES (?, ?, ?)"));
  ASSERT_TRUE(insert.ok()) << insert.status();
  auto lwt = Sync(session_->Prepare("INSERT INTO " + Table("routed") + " (k, c, v) VALUES (?, ?, ?) IF NOT EXISTS"));
  ASSERT_TRUE(lwt.ok()) << lwt.status();
  // The keyspace was created after the session connected: its replication
  // arrives with the SCHEMA_CHANGE event (within a few seconds).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int64_t replica = 0;
  for (int i = 0; replica == 0 && std::chrono::steady_clock::now() < deadline; ++i) {
    std::vector<Value> values = {Value("k" + std::to_string(i)), Value(int32_t{1}), Value(int32_t{2})};
    auto r = Sync(session_->Execute(*insert, std::move(values)));
    ASSERT_TRUE(r.ok()) << r.status();
    replica = Sum(session_->Hosts()).replica;
    if (replica == 0) std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_GT(replica, 0) << "no statement was routed to its replica";
  for (int i = 0; i < 20; ++i) {
    std::vector<Value> values = {Value("lwt" + std::to_string(i)), Value(int32_t{1}), Value(int32_t{2})};
    auto r = Sync(session_->Execute(*lwt, std::move(values)));
    ASSERT_TRUE(r.ok()) << r.status();
  }
  const HostInfo sum = Sum(session_->Hosts());
  EXPECT_GE(sum.lwt_primary, 20);
  EXPECT_EQ(sum.lwt_replica + sum.lwt_non_replica, 0);
  EXPECT_EQ(sum.non_replica, 0);
  EXPECT_EQ(sum.latency_sum_us, sum.requests);  // every request's latency was recorded
  EXPECT_TRUE(Sync(session_->WaitForSchemaAgreement()).ok());
}

TEST(CqlClusterTest, TokenAwarenessOffSendsEverythingUnrouted) {
  asio::io_context io;
  SessionOptions o = TestOptions();
  o.token_aware = false;
  auto session = RunSync(io, Session::Connect(io.get_executor(), o));
  ASSERT_TRUE(session.ok()) << session.status();
  auto select = RunSync(io, (*session)->Prepare("SELECT key FROM system.local WHERE key = ?"));
  ASSERT_TRUE(select.ok()) << select.status();
  std::vector<Value> values = {Value("local")};
  ASSERT_TRUE(RunSync(io, (*session)->Execute(*select, std::move(values))).ok());
  const HostInfo sum = Sum((*session)->Hosts());
  EXPECT_EQ(sum.replica, 0);
  EXPECT_GE(sum.unrouted, 2);  // the PREPARE and the EXECUTE
  RunSync(io, (*session)->Close());
}

// A contact point written with its port, a name to resolve, and one that
// does not answer: the session connects through the one that does.
TEST(CqlClusterTest, ContactPointsWithTheirOwnPortsAndNames) {
  asio::io_context io;
  SessionOptions o = TestOptions();
  o.port = 1;  // only used by contact points without a port
  o.contact_points = {"127.0.0.1:1", "localhost:" + std::to_string(TestPort())};
  auto session = RunSync(io, Session::Connect(io.get_executor(), o));
  ASSERT_TRUE(session.ok()) << session.status();
  const std::vector<HostInfo> hosts = (*session)->Hosts();
  const std::string contact = "localhost:" + std::to_string(TestPort());
  EXPECT_TRUE(std::any_of(hosts.begin(), hosts.end(), [&](const HostInfo& h) { return h.endpoint == contact; }));
  auto r = RunSync(io, (*session)->Query("SELECT release_version FROM system.local"));
  EXPECT_TRUE(r.ok()) << r.status();
  RunSync(io, (*session)->Close());
}

TEST(CqlConnectTest, ClosedPortFailsFastWithClearMessage) {
  asio::io_context io;
  uint16_t port = 0;
  {
    asio::ip::tcp::acceptor acceptor(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = acceptor.local_endpoint().port();
  }  // closed: nothing listens there now
  SessionOptions options;
  options.contact_points = {"127.0.0.1"};
  options.port = port;
  const auto start = std::chrono::steady_clock::now();
  auto session = RunSync(io, Session::Connect(io.get_executor(), options));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(session.status().message().find("127.0.0.1:" + std::to_string(port)), absl::string_view::npos)
      << session.status();
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST(CqlConnectTest, UnroutableHostTimesOutWithinConnectTimeout) {
  asio::io_context io;
  SessionOptions options;
  options.contact_points = {"10.255.255.1"};  // blackhole on most networks
  options.connect_timeout = milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  auto session = RunSync(io, Session::Connect(io.get_executor(), options));
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), absl::StatusCode::kUnavailable) << session.status();
  EXPECT_NE(session.status().message().find("10.255.255.1:9042"), absl::string_view::npos) << session.status();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(CqlConnectTest, UnknownKeyspaceIsReported) {
  asio::io_context io;
  SessionOptions options = TestOptions();
  options.keyspace = "no_such_keyspace_xyz";
  auto session = RunSync(io, Session::Connect(io.get_executor(), options));
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), absl::StatusCode::kInvalidArgument) << session.status();
}

}  // namespace
}  // namespace cql::testing
