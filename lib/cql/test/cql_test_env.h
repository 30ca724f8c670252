// Helpers for the live-server tests (*_cqltest.cc): where the server is, a
// synchronous runner for coroutines, and a fixture that owns a session and a
// uniquely named keyspace (SimpleStrategy, RF 1) dropped after the test.
//
// The server is INVENTORY_TEST_CQL_HOST:INVENTORY_TEST_CQL_PORT (default
// 127.0.0.1:9042; common/test_env.h). An unreachable server makes every test
// FAIL, not skip. Link inventory_cql_testing.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <gtest/gtest.h>

#include "cql/session.h"

namespace cql::testing {

std::string TestHost();
uint16_t TestPort();
SessionOptions TestOptions();

// Runs `io` until `aw` completes (other work may stay pending) and returns
// its value. (The value is
// stored from inside a wrapper coroutine: passing a StatusOr through the
// co_spawn completion trips a GCC 12 -O3 maybe-uninitialized false positive.)
template <typename T>
T RunSync(asio::io_context& io, asio::awaitable<T> aw) {
  std::optional<T> out;
  std::exception_ptr error;
  asio::co_spawn(
      io,
      [&out, aw = std::move(aw)]() mutable -> asio::awaitable<void> { out.emplace(co_await std::move(aw)); },
      [&](std::exception_ptr e) {
        error = e;
        io.stop();  // connections keep reads pending: run() would not return
      });
  io.restart();
  io.run();
  if (error) std::rethrow_exception(error);
  return std::move(*out);
}

inline void RunSync(asio::io_context& io, asio::awaitable<void> aw) {
  std::exception_ptr error;
  asio::co_spawn(io, std::move(aw), [&](std::exception_ptr e) {
    error = e;
    io.stop();
  });
  io.restart();
  io.run();
  if (error) std::rethrow_exception(error);
}

class CqlTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  template <typename T>
  T Sync(asio::awaitable<T> aw) {
    return RunSync(io_, std::move(aw));
  }
  void Sync(asio::awaitable<void> aw) { RunSync(io_, std::move(aw)); }

  // Runs a statement that must succeed (schema setup); fails the test if not.
  void MustQuery(const std::string& cql);

  // "<keyspace>.<name>".
  std::string Table(const std::string& name) const { return keyspace_ + "." + name; }

  asio::io_context io_;
  std::unique_ptr<Session> session_;
  std::string keyspace_;
};

}  // namespace cql::testing
