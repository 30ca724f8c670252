// Connection — one TCP (optionally TLS) connection to one CQL node, with many
// concurrent requests multiplexed by stream id (native_protocol_v4.spec §2.3).
//
// Open() connects (resolving names; IPv4 and IPv6; optionally from a chosen
// local port), runs the TLS handshake when ConnectionOptions::tls is set,
// then the CQL handshake: OPTIONS→SUPPORTED (§4.1.3),
// STARTUP{CQL_VERSION=3.0.0}→READY or AUTHENTICATE (§4.1.1), AUTH_RESPONSE
// with a SASL PLAIN token → AUTH_SUCCESS (§4.1.2, §4.2.8), and USE keyspace.
// All of it is bounded by connect_timeout.
//
// Send() patches a free stream id into an encoded request frame, queues it
// (writes are coalesced: one socket write carries every frame queued since
// the last one) and waits for the response with the same stream id or the
// timeout. A reader coroutine decodes frames with the sans-I/O frame codec
// and completes the matching request. A stream id whose request timed out is
// kept until its late response arrives, so ids are never confused (usable()
// turns false when every id is taken).
//
// Heartbeats (heartbeat_interval > 0): when nothing has been received for the
// interval, OPTIONS is sent as an ordinary request; if no answer arrives
// within heartbeat_timeout the connection is closed with UNAVAILABLE, which
// fails the in-flight requests at once instead of at their own timeouts.
// One timer per connection, re-armed lazily from the time of the last read.
//
// Events: frames on stream -1 (EVENT, §4.2.6, after a REGISTER sent with
// Send()) are decoded and passed to on_event; without on_event they are
// dropped.
//
// Failure: any socket or TLS error, malformed frame or unanswered heartbeat
// closes the connection and completes every in-flight request with
// UNAVAILABLE; is_open() turns false and the owner (Session) opens a new
// connection.
//
// Threading: all methods must run on the executor given to Open(); no locks.
// Lifetime: shared_ptr-owned; the reader, writer and heartbeat coroutines
// hold a reference until they observe the close, so the socket and the TLS
// stream (created once, never replaced) outlive every operation on them.
// An open connection is therefore only destroyed after Close().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "response.h"
#include "stream_id_allocator.h"

namespace cql::internal {

struct ConnectionOptions {
  // A DNS name, an IPv4 literal or an IPv6 literal ("::1"; "[::1]" is
  // accepted too). Names are resolved on every Open().
  std::string host;
  uint16_t port = 9042;
  std::string username;
  std::string password;
  std::string keyspace;
  // Bounds DNS resolution, TCP connect, the TLS handshake and the whole CQL
  // handshake.
  std::chrono::milliseconds connect_timeout{5000};
  // For tests: fewer stream ids than the protocol's 32768.
  int max_streams = StreamIdAllocator::kMaxStreams;
  // TLS context (tls.h MakeTlsContext); null: plain TCP. Shared by the
  // connections of a session.
  std::shared_ptr<asio::ssl::context> tls;
  // With tls: when non-empty, the server certificate must name it
  // (subjectAltName IP for an IP literal, else DNS name; CN as a fallback per
  // OpenSSL's rules). Also sent as SNI when it is a host name. Empty: the
  // chain is verified but not the name (SNI is then `host` if it is a name).
  std::string tls_verify_name;
  // Send OPTIONS when nothing was received for this long; 0 disables.
  std::chrono::milliseconds heartbeat_interval{0};
  // Close the connection (UNAVAILABLE) when a heartbeat is not answered
  // within this long.
  std::chrono::milliseconds heartbeat_timeout{5000};
  // Called on the executor, from the reader, for every EVENT frame (stream
  // -1). The connection stays alive during the call (the reader holds a
  // reference), but the callback must not block, co_await or call into this
  // connection (Send, Close): it may only post work (asio::post / co_spawn)
  // that does so later. A malformed EVENT closes the connection.
  std::function<void(const EventMessage&)> on_event;
  // Non-zero: bind the local end to this port before connecting (ScyllaDB's
  // shard-aware port picks the shard from the client's source port). A port
  // in use fails Open() with UNAVAILABLE naming the port; try another.
  uint16_t local_port = 0;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // Connects and performs the handshake. Errors name "host:port":
  // UNAVAILABLE for refused/unreachable/timeout/lost connections, a local
  // port in use, and a failed TLS handshake (a refused server certificate
  // says so, with OpenSSL's verify error, e.g. "hostname mismatch");
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
  // Open and at least one stream id free: Send() would not fail at once.
  bool usable() const { return !closed_ && ids_.in_use() < ids_.limit(); }
  // "host:port", or "[v6addr]:port" for an IPv6 literal.
  const std::string& endpoint() const { return endpoint_; }
  // SUPPORTED options received during the handshake.
  const std::multimap<std::string, std::string>& supported() const { return supported_; }
  // Stream ids taken, including those of timed-out requests whose answer has
  // not arrived yet.
  int in_flight() const { return ids_.in_use(); }
  // When bytes last arrived from the server (Open() time before the first).
  std::chrono::steady_clock::time_point last_read() const { return last_read_; }
  // Heartbeat OPTIONS requests sent so far.
  int64_t heartbeats_sent() const { return heartbeats_sent_; }
  // When the last heartbeat was sent (the epoch before the first). Answered
  // when last_read() is later.
  std::chrono::steady_clock::time_point last_heartbeat_sent() const { return last_heartbeat_sent_; }
  // Sends a heartbeat now rather than after heartbeat_interval of quiet (the
  // owner suspects the node: requests wait and nothing arrives). No effect
  // without heartbeats or while one is already on its way.
  void Probe();

 private:
  struct PendingRequest;
  using TlsStream = asio::ssl::stream<asio::ip::tcp::socket&>;
  using IoResult = std::tuple<asio::error_code, size_t>;

  asio::awaitable<absl::Status> ConnectSocket(std::chrono::steady_clock::time_point deadline);
  asio::awaitable<absl::Status> TlsHandshake(std::chrono::steady_clock::time_point deadline);
  asio::awaitable<absl::Status> Handshake(std::chrono::steady_clock::time_point deadline);
  asio::awaitable<absl::StatusOr<ResponseMessage>> Roundtrip(std::string frame,
                                                             std::chrono::steady_clock::time_point deadline);
  asio::awaitable<void> ReadLoop(std::shared_ptr<Connection> self);
  asio::awaitable<void> WriteLoop(std::shared_ptr<Connection> self);
  asio::awaitable<void> HeartbeatLoop(std::shared_ptr<Connection> self);
  void Dispatch(const FrameHeader& header, std::string body);
  void DispatchEvent(const FrameHeader& header, std::string body);
  // The one read / write of the stream in use: TLS over socket_, or socket_.
  asio::awaitable<IoResult> ReadSome(asio::mutable_buffer buffer);
  asio::awaitable<IoResult> WriteAll(asio::const_buffer buffer);

  asio::any_io_executor executor_;
  ConnectionOptions options_;
  std::string endpoint_;
  asio::ip::tcp::socket socket_;
  std::unique_ptr<TlsStream> tls_;  // over socket_ when options_.tls; set once before any I/O
  StreamIdAllocator ids_;
  std::vector<std::unique_ptr<PendingRequest>> pending_;  // indexed by stream id
  std::string write_queue_;   // frames waiting for the writer
  std::string write_buffer_;  // frames being written
  bool writing_ = false;
  bool closed_ = false;
  absl::Status close_reason_;
  std::multimap<std::string, std::string> supported_;
  asio::steady_timer heartbeat_timer_;
  std::chrono::steady_clock::time_point last_read_;
  int64_t heartbeats_sent_ = 0;
  std::chrono::steady_clock::time_point last_heartbeat_sent_{};
  bool probe_requested_ = false;
};

}  // namespace cql::internal
