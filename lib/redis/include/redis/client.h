// redis::Client — an asynchronous Redis client for asio C++20 coroutines.
//
// One Client owns at most one TCP connection to one Redis server and
// pipelines every call over it: requests are written in order, replies are
// matched to requests first-in-first-out (RESP2 request/response), and all
// requests queued while a socket write is in flight go out together in the
// next write. hiredis is used only as the RESP codec; the socket, timers and
// reconnects are asio's.
//
// Results. Every call completes with a value, never an exception:
//  - OK + Reply: the server answered. A server-side error (WRONGTYPE, a Lua
//    script error, NOSCRIPT, OOM, ...) is an OK StatusOr holding a Reply of
//    type kError — check `reply->is_error()`; `Reply::AsInteger()` /
//    `AsString()` turn it into FAILED_PRECONDITION if you prefer a Status.
//  - UNAVAILABLE: cannot reach the server (connect refused, reset, EOF,
//    protocol error, connection dropped as stuck). The message names
//    "host:port". A request that was written before the connection broke
//    fails with UNAVAILABLE as well: it may or may not have been executed.
//  - UNAUTHENTICATED: AUTH was refused (or the server demands a password
//    that is not configured). FAILED_PRECONDITION: SELECT was refused.
//  - DEADLINE_EXCEEDED: no reply within the call's timeout. The command may
//    still execute on the server; its reply is discarded when it arrives.
//  - CANCELLED: the Client was closed.
//  - INVALID_ARGUMENT: empty argv (nothing is sent).
//
// Connection lifecycle (no I/O happens before the first call):
//  - The first call starts a connect attempt: resolve, TCP connect, then
//    AUTH (if a password is configured), SELECT (if db != 0) and PING,
//    bounded by `connect_timeout`. Calls made while an attempt is in progress
//    wait for it (within their own timeout).
//  - When an attempt fails, calls made during the attempt fail with its
//    error, and the client enters backoff: until the next attempt is due,
//    every call fails FAST with that same error, without touching the
//    network. Reconnection is driven by a background loop: attempts repeat
//    with exponential backoff (reconnect_backoff_min..max, jittered) until
//    one succeeds or the client is closed — whether or not calls arrive.
//  - When an established connection breaks (the server restarted, an I/O
//    error, or it was dropped as stuck: see ClientOptions::stall_timeout),
//    its in-flight calls fail with UNAVAILABLE and a new attempt starts at
//    once; calls made during it wait for it.
//  So after a server restart the same Client works again without any action
//  by its user, within one backoff period.
//
// Threading. The Client runs all of its state on a strand of the executor
// given at construction. Its awaitable methods may be called and awaited
// from any coroutine on any executor and any thread: each call hops onto the
// strand and completes back on the caller's executor. stats(),
// commands_sent() and connected() may be called from any thread. The
// destructor and Close() may be called from any thread; the destructor does
// not wait for the connection to close.
//
// Ownership and lifetime. Arguments are copied/moved into the call. The
// underlying io_context must outlive every call in flight and must keep
// running until Close() has taken effect (otherwise background work is
// reclaimed only when the io_context is destroyed). Callers holding a
// `co_await` on a Client call keep the internals alive; destroying the
// Client closes it (in-flight calls complete with CANCELLED).
//
// What it does NOT do: RESP3, Pub/Sub, MONITOR, blocking commands (BLPOP
// etc. would stall the pipeline and trip the stuck detection), MULTI/EXEC
// transactions spanning calls (use a Lua script, or a single Pipeline
// containing MULTI ... EXEC), Redis Cluster redirections (MOVED/ASK come
// back as error Replies), TLS, retries of failed commands, or cancellation
// of a single call by the caller (use its timeout).
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "redis/client_options.h"
#include "redis/client_stats.h"
#include "redis/reply.h"
#include "redis/script.h"

namespace redis {

namespace internal {
class ClientCore;
}  // namespace internal

class Client {
 public:
  // Creates a client; does not connect (the first call does).
  Client(asio::any_io_executor executor, ClientOptions options);
  // Closes the client (see Close()).
  ~Client();

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Runs one command, e.g. Command({"SET", key, value, "PX", "5000", "NX"}).
  // Arguments are binary-safe. Bounded by options().command_timeout, or by
  // `timeout` in the second form.
  asio::awaitable<absl::StatusOr<Reply>> Command(std::vector<std::string> argv);
  asio::awaitable<absl::StatusOr<Reply>> Command(
      std::vector<std::string> argv, std::chrono::milliseconds timeout);

  // Convenience: Command("SET", key, value) for string-like arguments (format
  // numbers yourself, e.g. with absl::StrCat).
  //
  // Prefer this form inside coroutines: GCC 12 rejects a braced list inside
  // a co_await expression (`co_await c.Command({"GET", k})` fails with "array
  // used as initializer"); build vectors in a separate statement instead.
  template <typename... Args>
    requires(sizeof...(Args) > 0 &&
             (std::convertible_to<const Args&, std::string_view> && ...))
  asio::awaitable<absl::StatusOr<Reply>> Command(const Args&... args) {
    return Command(std::vector<std::string>{
        std::string(static_cast<std::string_view>(args))...});
  }

  // Sends several commands in one write and returns one result per command,
  // in order (always commands.size() results). The whole pipeline shares one
  // timeout (options().command_timeout). If any command has an empty argv,
  // nothing is sent and every result is INVALID_ARGUMENT. If the connection
  // breaks midway, commands answered before the break keep their replies.
  asio::awaitable<std::vector<absl::StatusOr<Reply>>> Pipeline(
      std::vector<std::vector<std::string>> commands);

  // Runs `script` with EVALSHA <sha1> <numkeys> keys... args...; on a
  // NOSCRIPT error reply, retries once with EVAL <source> (which also caches
  // the script on the server). Both attempts share one command_timeout.
  // A Lua runtime error (redis.error_reply, a failed redis.call, a syntax
  // error) comes back as an OK result holding an error Reply whose text is
  // the server's message.
  asio::awaitable<absl::StatusOr<Reply>> Eval(Script script,
                                              std::vector<std::string> keys,
                                              std::vector<std::string> args);

  // PING; OK iff the server answered PONG. For health checks and for
  // connecting eagerly at start-up.
  asio::awaitable<absl::Status> Ping();

  // Stops the client: fails queued and in-flight calls with CANCELLED,
  // closes the socket, stops reconnecting. Later calls fail with CANCELLED.
  // Idempotent; returns without waiting (the work runs on the strand).
  void Close();

  // Counters; see ClientStats. Thread-safe.
  ClientStats stats() const;
  // Same as stats().commands_sent.
  uint64_t commands_sent() const;
  // True while a connection is established and ready. Thread-safe; may be
  // stale by the time the caller looks at it.
  bool connected() const;

  const ClientOptions& options() const;
  // The strand on which the client's state lives.
  asio::any_io_executor executor() const;

 private:
  std::shared_ptr<internal::ClientCore> core_;
};

}  // namespace redis
