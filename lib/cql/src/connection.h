// Connection — one TCP connection to one CQL node, with many concurrent
// requests multiplexed by stream id (native_protocol_v4.spec §2.3).
//
// Open() connects, then runs the handshake: OPTIONS→SUPPORTED (§4.1.3),
// STARTUP{CQL_VERSION=3.0.0}→READY or AUTHENTICATE (§4.1.1), AUTH_RESPONSE
// with a SASL PLAIN token → AUTH_SUCCESS (§4.1.2, §4.2.8), and USE keyspace.
//
// Send() patches a free stream id into an encoded request frame, queues it
// (writes are coalesced: one socket write carries every frame queued since
// the last one) and waits for the response with the same stream id or the
// timeout. A reader coroutine decodes frames with the sans-I/O frame codec
// and completes the matching request. A stream id whose request timed out is
// kept until its late response arrives, so ids are never confused.
//
// Failure: any socket error or malformed frame closes the connection and
// completes every in-flight request with UNAVAILABLE; is_open() turns false
// and the owner (Session) opens a new connection.
//
// Threading: all methods must run on the executor given to Open(); no locks.
// Lifetime: shared_ptr-owned; the reader/writer coroutines hold a reference
// until they observe the close.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "response.h"
#include "stream_id_allocator.h"

namespace cql::internal {

struct ConnectionOptions {
  std::string host;
  uint16_t port = 9042;
  std::string username;
  std::string password;
  std::string keyspace;
  // Bounds DNS resolution, TCP connect and the whole handshake.
  std::chrono::milliseconds connect_timeout{5000};
  // For tests: fewer stream ids than the protocol's 32768.
  int max_streams = StreamIdAllocator::kMaxStreams;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // Connects and performs the handshake. Errors name "host:port":
  // UNAVAILABLE for refused/unreachable/timeout/lost connections,
  // UNAUTHENTICATED when the server requires authentication and no
  // credentials are configured or they are rejected, other server errors
  // (e.g. INVALID_ARGUMENT for an unknown keyspace) as returned.
  static asio::awaitable<absl::StatusOr<std::shared_ptr<Connection>>> Open(asio::any_io_executor executor,
                                                                           ConnectionOptions options);

  Connection(asio::any_io_executor executor, ConnectionOptions options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends one encoded request frame (from requests.h; its stream id is
  // overwritten) and returns the response frame. DEADLINE_EXCEEDED after
  // `timeout` (the server may still execute the request); UNAVAILABLE if the
  // connection is or becomes closed, or all stream ids are in use.
  // `frame` must stay valid only until the first suspension (it is copied
  // into the write queue before that).
  asio::awaitable<absl::StatusOr<Frame>> Send(std::string_view frame, std::chrono::milliseconds timeout);

  // Closes the socket and fails in-flight requests with `reason`. Idempotent.
  void Close(absl::Status reason);

  bool is_open() const { return !closed_; }
  // "host:port".
  const std::string& endpoint() const { return endpoint_; }
  // SUPPORTED options received during the handshake.
  const std::multimap<std::string, std::string>& supported() const { return supported_; }
  int in_flight() const { return ids_.in_use(); }

 private:
  struct PendingRequest;

  asio::awaitable<absl::Status> ConnectSocket(std::chrono::steady_clock::time_point deadline);
  asio::awaitable<absl::Status> Handshake(std::chrono::steady_clock::time_point deadline);
  asio::awaitable<absl::StatusOr<ResponseMessage>> Roundtrip(std::string frame,
                                                             std::chrono::steady_clock::time_point deadline);
  asio::awaitable<void> ReadLoop(std::shared_ptr<Connection> self);
  asio::awaitable<void> WriteLoop(std::shared_ptr<Connection> self);
  void Dispatch(const FrameHeader& header, std::string body);

  asio::any_io_executor executor_;
  ConnectionOptions options_;
  std::string endpoint_;
  asio::ip::tcp::socket socket_;
  StreamIdAllocator ids_;
  std::vector<std::unique_ptr<PendingRequest>> pending_;  // indexed by stream id
  std::string write_queue_;   // frames waiting for the writer
  std::string write_buffer_;  // frames being written
  bool writing_ = false;
  bool closed_ = false;
  absl::Status close_reason_;
  std::multimap<std::string, std::string> supported_;
};

}  // namespace cql::internal
