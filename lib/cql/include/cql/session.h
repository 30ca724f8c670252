// cql::Session — a CQL native protocol v4 client session: connections to the
// contact points, the handshake (OPTIONS/SUPPORTED, STARTUP, optional
// password authentication, USE keyspace), request multiplexing and a
// prepared-statement cache.
//
// THREADING CONTRACT. A Session is bound to the executor passed to Connect()
// (an io_context run by one thread, or a strand). Every method, including
// the destructor, must be called — and every returned awaitable awaited — on
// that executor. Nothing is locked: the executor serialises all state.
// Any number of requests may be in flight at once from concurrent coroutines
// on that executor; they are multiplexed over the connections by stream id
// (up to 32768 per connection). To use a session from other threads, post /
// co_spawn onto its executor.
//
// FAILURES are values (absl::Status; see error.h for the code mapping):
//  * Connect() fails fast (connection refused, unreachable, timeout after
//    SessionOptions::connect_timeout) naming each host:port tried.
//  * Each request has a client-side timeout (QueryOptions::timeout or
//    SessionOptions::request_timeout) → DEADLINE_EXCEEDED. A timed-out write
//    may still be applied by the server.
//  * A broken connection fails all its in-flight requests with UNAVAILABLE.
//    The next request reconnects (exponential backoff between failed
//    attempts; during backoff requests fail fast with UNAVAILABLE). Nothing
//    hangs beyond the request timeout.
//  * EXECUTE (alone or in a BATCH) that meets UNPREPARED re-prepares the
//    statement from its query text on that connection and is replayed once.
//
// GCC 12 notes (coroutine bugs): (1) the overloads without QueryOptions
// exist because default arguments of coroutines are destroyed twice by GCC
// 12; do not add defaults. (2) Inside a coroutine, a braced list written
// directly in the co_await expression (co_await s.Execute(stmt, {Value(1)}))
// is rejected ("array used as initializer"); build the vector first.
// Arguments passed by reference (statement, batch, options, the query text)
// must stay alive until the returned awaitable completes; temporaries in the
// co_await full-expression are fine.
//
// Results are never requested with Skip_metadata: LWT result columns change
// between executions.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cql/batch.h"
#include "cql/options.h"
#include "cql/prepared_statement.h"
#include "cql/result.h"
#include "cql/value.h"

namespace cql {

namespace internal {
class Connection;
}  // namespace internal

class Session {
 public:
  // Connects to the contact points (each gets connections_per_host
  // connections) and performs the handshake. Succeeds if at least one
  // connection is established; otherwise UNAVAILABLE (or UNAUTHENTICATED)
  // with the failure of every host:port.
  static asio::awaitable<absl::StatusOr<std::unique_ptr<Session>>> Connect(
      asio::any_io_executor executor, SessionOptions options);

  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // QUERY (§4.1.4) with positional bound values. The text is taken by
  // value so that an awaitable created from a temporary string stays valid;
  // reference parameters here and below must outlive the awaitable.
  asio::awaitable<absl::StatusOr<Result>> Query(std::string cql, std::vector<Value> values,
                                                const QueryOptions& options);
  asio::awaitable<absl::StatusOr<Result>> Query(std::string cql, std::vector<Value> values) {
    return Query(std::move(cql), std::move(values), DefaultQueryOptions());
  }
  asio::awaitable<absl::StatusOr<Result>> Query(std::string cql) {
    return Query(std::move(cql), std::vector<Value>(), DefaultQueryOptions());
  }

  // PREPARE (§4.1.5). Cached by query text: preparing the same text again
  // returns the same shared handle without a round trip.
  asio::awaitable<absl::StatusOr<PreparedStatement>> Prepare(std::string cql);

  // EXECUTE (§4.1.6). Values are type-checked against the bind metadata
  // (INVALID_ARGUMENT before sending on mismatch or wrong count).
  // REQUIRES: statement.valid().
  asio::awaitable<absl::StatusOr<Result>> Execute(const PreparedStatement& statement,
                                                  std::vector<Value> values, const QueryOptions& options);
  asio::awaitable<absl::StatusOr<Result>> Execute(const PreparedStatement& statement, std::vector<Value> values) {
    return Execute(statement, std::move(values), DefaultQueryOptions());
  }

  // BATCH (§4.1.7). page_size and paging_state of `options` are ignored.
  asio::awaitable<absl::StatusOr<Result>> ExecuteBatch(const Batch& batch, const QueryOptions& options);
  asio::awaitable<absl::StatusOr<Result>> ExecuteBatch(const Batch& batch) {
    return ExecuteBatch(batch, DefaultQueryOptions());
  }

  // The SUPPORTED options (§4.2.4) of the first server connected to.
  const std::multimap<std::string, std::string>& supported() const { return supported_; }
  // True if SUPPORTED advertises ScyllaDB extensions (any "SCYLLA_" key).
  bool IsScylla() const;

  // Keyspace used for new connections (updated by a successful USE query).
  const std::string& keyspace() const { return options_.keyspace; }

  // Number of connections currently open.
  int open_connections() const;

  // Closes every connection; in-flight requests fail with UNAVAILABLE. The
  // session may not be used afterwards (requests fail with UNAVAILABLE).
  asio::awaitable<void> Close();

 private:
  struct Slot;

  // A static default-constructed QueryOptions (no temporaries; see above).
  static const QueryOptions& DefaultQueryOptions();

  Session(asio::any_io_executor executor, SessionOptions options);

  asio::awaitable<absl::StatusOr<std::shared_ptr<internal::Connection>>> AcquireConnection();
  asio::awaitable<absl::Status> ConnectSlot(Slot& slot);
  std::chrono::milliseconds TimeoutFor(const QueryOptions& options) const;
  asio::awaitable<absl::StatusOr<Result>> SendWithReprepare(
      std::shared_ptr<internal::Connection> connection, std::chrono::milliseconds timeout,
      absl::FunctionRef<absl::Status(std::string*)> encode,
      const std::vector<std::shared_ptr<PreparedMetadata>>& prepared);
  asio::awaitable<absl::Status> Reprepare(internal::Connection& connection, PreparedMetadata& metadata,
                                          std::chrono::milliseconds timeout);

  asio::any_io_executor executor_;
  SessionOptions options_;
  std::vector<std::unique_ptr<Slot>> slots_;
  size_t next_slot_ = 0;
  bool closed_ = false;
  // Wakes coroutines waiting for another coroutine's connect attempt.
  asio::steady_timer connect_event_;
  std::multimap<std::string, std::string> supported_;
  std::unordered_map<std::string, std::shared_ptr<PreparedMetadata>> prepared_cache_;
};

}  // namespace cql
