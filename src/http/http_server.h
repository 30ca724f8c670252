// HttpServer — a tiny HTTP/1.1 server for operational endpoints (/metrics,
// health), over standalone asio with C++20 coroutines.
//
// Serves GET and HEAD on exact paths (the query string is ignored for
// routing). Speaks HTTP/1.0 and 1.1 with persistent connections: 1.1 keeps a
// connection open unless the request says "Connection: close", 1.0 closes it
// unless the request asks for keep-alive; requests on one connection are
// answered in order. Answers 400 to a malformed request, 405 (with "Allow:
// GET, HEAD") to other methods, 404 to unknown paths, 431 to a request head
// over 8 KiB, 413 to a body over 8 KiB (smaller bodies are read and
// discarded), 500 when a handler throws; the error answers close the
// connection. A connection with no complete request for the idle timeout
// (30 s) is closed.
//
// CONNECTION LIMIT. At most 64 connections are open at once, and idle ones
// cannot lock out a new one (a health probe, a metrics scrape): a connection
// accepted at the limit takes the place of an open one, chosen in this order:
//  1. the one that has waited longest for its next request with none of it
//     received (an idle keep-alive connection, or one that has sent nothing
//     yet), or that is lingering after its last answer;
//  2. failing that, the one whose request has been arriving the longest
//     (a slow or stuck client);
// never one writing an answer. Only when every open connection is writing an
// answer is the new one closed at once. An evicted keep-alive connection is
// closed as any idle one may be (RFC 9112 §9.6): a client that sends a
// request just then sees the close and retries on a new connection.
//
// Threading: everything runs as coroutines on the one executor given at
// construction; there is no thread per connection. Handlers are called on
// that executor and should be quick (they block every connection).
// Start() and the setters may be called from any thread before the executor
// runs the server; Stop() REQUIRES the executor's thread.
#pragma once

#include <asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"

namespace inventory::http {

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Builds the answer to one GET or HEAD (for HEAD the body is measured for
// Content-Length and not sent). Called on the server's executor; an exception
// it throws becomes a 500.
using Handler = std::function<Response()>;

namespace internal {
struct ServerState;
}

class HttpServer {
 public:
  static constexpr size_t kMaxHeadBytes = 8 * 1024;
  static constexpr size_t kMaxBodyBytes = 8 * 1024;
  static constexpr std::chrono::milliseconds kDefaultIdleTimeout = std::chrono::seconds(30);
  static constexpr size_t kDefaultMaxConnections = 64;

  explicit HttpServer(asio::any_io_executor executor);
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  // REQUIRES: Stop() was called and the executor has run since, or the
  // server never started.
  ~HttpServer();

  // Serves `handler` for GET and HEAD on exactly `path` ("/metrics"); a
  // later registration of the same path replaces the earlier one.
  // REQUIRES: before Start().
  void Handle(std::string path, Handler handler);

  // How long a connection may go without a complete request (measured from
  // the end of the previous answer, or from the accept) before it is closed.
  // REQUIRES: before Start().
  void set_idle_timeout(std::chrono::milliseconds timeout);
  // At most this many connections are open at once; one accepted at the
  // limit evicts an open one or is closed (see CONNECTION LIMIT above).
  // REQUIRES: before Start().
  void set_max_connections(size_t max_connections);

  // Binds and listens on `address` (an IP literal or a resolvable host name)
  // and `port` (0 = an ephemeral port; see port()). UNAVAILABLE naming
  // address:port on failure. REQUIRES: called at most once, before Start().
  absl::Status Listen(const std::string& address, uint16_t port);

  // The bound port. REQUIRES: Listen() succeeded.
  uint16_t port() const;

  // Spawns the accept loop on the executor. REQUIRES: Listen() succeeded;
  // called once.
  void Start();

  // Closes the acceptor and every open connection (answers being written
  // are cut off). Idempotent. REQUIRES: on the executor's thread.
  void Stop();

 private:
  std::shared_ptr<internal::ServerState> state_;
};

}  // namespace inventory::http
