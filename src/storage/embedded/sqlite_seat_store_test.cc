// SqliteSeatStore: the SeatStore contract, and what only a file on this
// machine promises (what was committed is there after the store is closed
// and opened again).
#include "storage/embedded/sqlite_seat_store.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "storage/testing/seat_store_contract.h"

namespace inventory::storage {
namespace {

std::string FreshPath(const std::string& name) {
  const std::string path =
      absl::StrCat(::testing::TempDir(), "/", name, "-", getpid(), "-", std::random_device{}(), ".db");
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
  return path;
}

// A fresh database file per test.
class SqliteBackend {
 public:
  absl::Status Open(asio::io_context&, std::function<int64_t()> now, std::function<int64_t()> reclaim_now) {
    SqliteStoreOptions options;
    options.path = FreshPath("contract");
    options.now = std::move(now);
    options.reclaim_now = std::move(reclaim_now);
    absl::StatusOr<std::unique_ptr<SqliteSeatStore>> store = SqliteSeatStore::Open(std::move(options));
    if (!store.ok()) return store.status();
    store_ = std::move(*store);
    return absl::OkStatus();
  }
  SeatStore& store() { return *store_; }
  void Close(asio::io_context&) { store_.reset(); }

 private:
  std::unique_ptr<SqliteSeatStore> store_;
};

}  // namespace

namespace testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, SeatStoreContract, ::testing::Types<SqliteBackend>);
}  // namespace testing

namespace {

TEST(SqliteSeatStoreFileTest, WhatWasCommittedIsThereAfterTheStoreIsOpenedAgain) {
  asio::io_context io;
  auto run = [&io](auto fn) {
    auto f = asio::co_spawn(io, fn, asio::use_future);
    io.restart();
    io.run();
    return f.get();
  };
  const std::string path = FreshPath("reopen");
  domain::TripDefinition trip;
  trip.organization_id = "org";
  trip.trip_id = "t";
  trip.vehicle_id = "v";
  trip.vehicle_type = "bus";
  trip.segments = {{0, "A", "B", 0, 0}, {1, "B", "C", 0, 0}};
  trip.seats = {{"s1", "1A", 1, 1, "window", "eco", 100}};
  {
    SqliteStoreOptions options;
    options.path = path;
    auto store = SqliteSeatStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_EQ(*run([&] { return (*store)->CreateTrip(trip); }), CreateTripOutcome::kCreated);
    TripRef ref{"org", "t"};
    auto held = run([&] {
      return (*store)->HoldSeat(ref, "s1", {0, 1}, "h1", "u1", testing::NowMs() + 60000, {});
    });
    ASSERT_TRUE(held.ok() && held->applied);
    EXPECT_GE((*store)->commits(), 2u);
  }
  SqliteStoreOptions options;
  options.path = path;
  auto reopened = SqliteSeatStore::Open(options);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  auto snap = run([&] { return (*reopened)->LoadSnapshot(TripRef{"org", "t"}); });
  ASSERT_TRUE(snap.ok()) << snap.status();
  for (const domain::SegmentState& s : (*snap)->states[0]) {
    EXPECT_EQ(s.status, domain::SeatStatus::kHeld);
    EXPECT_EQ(s.hold_id, "h1");
  }
  EXPECT_EQ(*run([&] { return (*reopened)->CreateTrip(trip); }), CreateTripOutcome::kUnchanged);
}

TEST(SqliteSeatStoreFileTest, AFolderThatDoesNotExistIsAnError) {
  SqliteStoreOptions options;
  options.path = "/nonexistent-folder/inventory.db";
  auto store = SqliteSeatStore::Open(options);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace inventory::storage
