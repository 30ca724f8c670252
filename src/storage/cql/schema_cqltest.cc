// Migrations against a real Cassandra: applied once, idempotent on re-run.
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include <chrono>
#include <random>

#include "common/test_env.h"
#include "cql/session.h"
#include "storage/cql/schema.h"

namespace inventory::storage {
namespace {

class SchemaCqlTest : public ::testing::Test {
 protected:
  // Runs a coroutine on the test's io thread and waits for its result.
  template <typename Fn>
  auto Run(Fn&& fn) {
    return asio::co_spawn(io_, std::forward<Fn>(fn), asio::use_future).get();
  }

  void SetUp() override {
    thread_ = std::thread([this] { io_.run(); });
    cql::SessionOptions options;
    options.contact_points = {testing::CqlHost()};
    options.port = testing::CqlPort();
    options.request_timeout = std::chrono::seconds(30);
    auto session = Run([&] { return cql::Session::Connect(io_.get_executor(), options); });
    ASSERT_TRUE(session.ok()) << "Cassandra at " << testing::CqlHost() << ":" << testing::CqlPort() << ": "
                              << session.status();
    session_ = std::move(*session);
    keyspace_ = "schema_test_" + std::to_string(std::random_device{}() % 1000000);
  }

  void TearDown() override {
    if (session_) {
      Run([&] { return session_->Query("DROP KEYSPACE IF EXISTS " + keyspace_); }).IgnoreError();
      Run([&]() -> asio::awaitable<int> {
        co_await session_->Close();
        co_return 0;
      });
    }
    work_.reset();
    thread_.join();
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::thread thread_;
  std::unique_ptr<cql::Session> session_;
  std::string keyspace_;
};

TEST_F(SchemaCqlTest, AppliesOnceThenNothing) {
  SchemaOptions options{keyspace_, "SimpleStrategy:1", session_->IsScylla()};
  auto first = Run([&] { return ApplyMigrations(*session_, options); });
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, static_cast<int>(Migrations().size()));

  auto second = Run([&] { return ApplyMigrations(*session_, options); });
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*second, 0);

  auto versions = Run([&] { return session_->Query("SELECT version FROM " + keyspace_ + ".schema_migrations"); });
  ASSERT_TRUE(versions.ok()) << versions.status();
  EXPECT_EQ(versions->row_count(), Migrations().size());

  // Every table the migrations create exists.
  auto tables = Run([&] {
    return session_->Query("SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?",
                           {cql::Value::Text(keyspace_)});
  });
  ASSERT_TRUE(tables.ok()) << tables.status();
  std::set<std::string> names;
  for (size_t i = 0; i < tables->row_count(); ++i) names.insert(*tables->row(i).GetString(0));
  for (const char* t : {"schema_migrations", "trips", "trip_seats", "seat_segments", "user_ledger", "waitlist",
                        "waitlist_by_user"}) {
    EXPECT_TRUE(names.count(t)) << t;
  }
}

TEST_F(SchemaCqlTest, RefusesBadReplicationBeforeTouchingTheDatabase) {
  SchemaOptions options{keyspace_, "SimpleStrategy:zero", false};
  auto result = Run([&] { return ApplyMigrations(*session_, options); });
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace inventory::storage
