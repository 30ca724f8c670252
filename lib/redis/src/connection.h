// Connection — one TCP connection to a Redis server, pipelining requests.
//
// Lifecycle: constructed closed; Open() connects and runs the handshake
// (AUTH, SELECT, PING), bounded by ClientOptions::connect_timeout; Start()
// then runs the read loop. Each connection is used for one socket only: after
// Close() (explicit, or on any I/O or protocol error) it is dead and the
// owner makes a new one.
//
// Pipelining: Enqueue() appends an encoded command to the pending output and
// a slot to the in-flight FIFO. One write is in flight at a time; whatever
// was enqueued meanwhile goes out as one buffer in the next write. Replies
// are matched to slots strictly in order. A slot whose caller gave up (its
// CallGroup is abandoned) still consumes its reply, which is dropped.
//
// Stuck detection: NoteAbandoned() is called when callers time out; it drops
// the connection if nothing was received for `stall_timeout` while requests
// were outstanding, or if too many timed-out requests are still pending.
//
// Close(status) fails every in-flight slot with `status` and then runs the
// on-closed callback once (the owner reconnects from there).
//
// Threading: every method REQUIRES the strand given at construction. Owned
// by std::shared_ptr; its coroutines keep it alive until they finish.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "call_group.h"
#include "redis/client_options.h"
#include "resp_reader.h"
#include "stats_counters.h"

namespace redis::internal {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Clock = std::chrono::steady_clock;
  // Called once, on the strand, when the connection closes after Start().
  using ClosedCallback = std::function<void(Connection*, const absl::Status&)>;

  Connection(asio::any_io_executor strand, const ClientOptions& options,
             std::shared_ptr<StatsCounters> stats);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Resolves, connects and authenticates. OK when ready for Start();
  // otherwise the connection is closed and the status says why (UNAVAILABLE,
  // UNAUTHENTICATED, FAILED_PRECONDITION, or CANCELLED if Close() was called
  // meanwhile). REQUIRES: called once.
  asio::awaitable<absl::Status> Open();

  // Starts reading replies. REQUIRES: Open() succeeded.
  void Start(ClosedCallback on_closed);

  // Queues one encoded command whose reply is result `index` of `group`.
  // On a closed connection the slot fails at once with the close status.
  void Enqueue(std::string_view encoded, std::shared_ptr<CallGroup> group,
               size_t index);

  // `n` in-flight requests were abandoned by their callers; may Close().
  void NoteAbandoned(size_t n);

  // Closes the socket and fails all in-flight requests with `status`.
  // Idempotent.
  void Close(const absl::Status& status);

  bool is_open() const { return open_ && !closed_; }
  const std::string& address() const { return address_; }

 private:
  struct Slot {
    std::shared_ptr<CallGroup> group;
    size_t index;
  };
  enum class HandshakeStep { kAuth, kSelect, kPing };

  asio::awaitable<absl::Status> Handshake();
  absl::Status FailOpen(absl::string_view what);
  asio::awaitable<void> WriteLoop();
  asio::awaitable<void> ReadLoop();
  void Deliver(Reply reply);

  asio::any_io_executor strand_;
  const ClientOptions options_;  // a copy: coroutines may outlive the client
  std::shared_ptr<StatsCounters> stats_;
  const std::string address_;  // "host:port"

  asio::ip::tcp::resolver resolver_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer connect_timer_;
  bool open_ = false;
  bool open_timed_out_ = false;
  bool closed_ = false;
  absl::Status close_status_;
  ClosedCallback on_closed_;

  RespReader reader_;
  std::vector<char> read_buffer_;

  std::string out_pending_;  // enqueued, not yet handed to a write
  std::string out_writing_;  // the buffer of the write in flight
  bool writing_ = false;

  std::deque<Slot> in_flight_;
  size_t abandoned_in_flight_ = 0;
  Clock::time_point last_progress_;
};

}  // namespace redis::internal
