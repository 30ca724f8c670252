#include "connection.h"

#include <algorithm>
#include <utility>

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/ip/address.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "absl/strings/str_cat.h"
#include "resp_writer.h"
#include "status_util.h"

namespace redis::internal {
namespace {

constexpr size_t kReadChunkBytes = 64 * 1024;

}  // namespace

Connection::Connection(asio::any_io_executor strand,
                       const ClientOptions& options,
                       std::shared_ptr<StatsCounters> stats)
    : strand_(std::move(strand)),
      options_(options),
      stats_(std::move(stats)),
      address_(FormatAddress(options_)),
      resolver_(strand_),
      socket_(strand_),
      connect_timer_(strand_),
      read_buffer_(kReadChunkBytes) {}

absl::Status Connection::FailOpen(absl::string_view what) {
  absl::Status status =
      open_timed_out_
          ? Unavailable(address_,
                        absl::StrCat("connect timed out after ",
                                     options_.connect_timeout.count(), " ms"))
          : Unavailable(address_, what);
  if (closed_) return close_status_;  // closed by the owner meanwhile
  Close(status);
  return status;
}

asio::awaitable<absl::Status> Connection::Open() {
  auto self = shared_from_this();
  connect_timer_.expires_after(options_.connect_timeout);
  connect_timer_.async_wait([self](const asio::error_code& ec) {
    if (ec || self->open_ || self->closed_) return;
    self->open_timed_out_ = true;
    self->resolver_.cancel();
    asio::error_code ignored;
    self->socket_.close(ignored);
  });

  asio::error_code ec;
  std::vector<asio::ip::tcp::endpoint> endpoints;
  const asio::ip::address literal = asio::ip::make_address(options_.host, ec);
  if (!ec) {
    endpoints.emplace_back(literal, options_.port);
  } else {
    ec.clear();
    auto results = co_await resolver_.async_resolve(
        options_.host, std::to_string(options_.port),
        asio::redirect_error(asio::use_awaitable, ec));
    if (ec || closed_ || open_timed_out_) {
      co_return FailOpen(absl::StrCat("cannot resolve host: ", ec.message()));
    }
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  }

  co_await asio::async_connect(socket_, endpoints,
                               asio::redirect_error(asio::use_awaitable, ec));
  if (ec || closed_ || open_timed_out_) {
    co_return FailOpen(absl::StrCat("connect failed: ", ec.message()));
  }
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);

  absl::Status handshake = co_await Handshake();
  if (!handshake.ok()) {
    if (closed_) co_return close_status_;
    if (open_timed_out_) co_return FailOpen("");
    Close(handshake);
    co_return handshake;
  }
  connect_timer_.cancel();
  open_ = true;
  last_progress_ = Clock::now();
  co_return absl::OkStatus();
}

asio::awaitable<absl::Status> Connection::Handshake() {
  std::string out;
  std::vector<HandshakeStep> steps;
  if (!options_.password.empty()) {
    std::vector<std::string_view> auth = {"AUTH"};
    if (!options_.username.empty()) auth.push_back(options_.username);
    auth.push_back(options_.password);
    if (absl::Status s = AppendCommand(auth, &out); !s.ok()) co_return s;
    steps.push_back(HandshakeStep::kAuth);
  }
  const std::string db = std::to_string(options_.db);
  if (options_.db != 0) {
    const std::string_view select[] = {"SELECT", db};
    if (absl::Status s = AppendCommand(select, &out); !s.ok()) co_return s;
    steps.push_back(HandshakeStep::kSelect);
  }
  const std::string_view ping[] = {"PING"};
  if (absl::Status s = AppendCommand(ping, &out); !s.ok()) co_return s;
  steps.push_back(HandshakeStep::kPing);

  asio::error_code ec;
  co_await asio::async_write(socket_, asio::buffer(out),
                             asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return Unavailable(address_, "write failed: " + ec.message());

  // The first failing step explains the others (a refused AUTH makes SELECT
  // and PING fail with NOAUTH), so report that one.
  absl::Status first_error;
  size_t answered = 0;
  while (answered < steps.size()) {
    const size_t n = co_await socket_.async_read_some(
        asio::buffer(read_buffer_),
        asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      co_return Unavailable(
          address_, ec == asio::error::eof
                        ? std::string("connection closed by server during "
                                      "handshake")
                        : "read failed: " + ec.message());
    }
    if (absl::Status s = reader_.Feed({read_buffer_.data(), n}); !s.ok()) {
      co_return Unavailable(address_, s.message());
    }
    while (answered < steps.size()) {
      auto next = reader_.Next();
      if (!next.ok()) co_return Unavailable(address_, next.status().message());
      if (!next->has_value()) break;
      const Reply& reply = **next;
      const HandshakeStep step = steps[answered++];
      if (!first_error.ok()) continue;
      if (reply.is_error()) {
        switch (step) {
          case HandshakeStep::kAuth:
            first_error = ServerErrorStatus(address_, "AUTH failed", reply);
            break;
          case HandshakeStep::kSelect:
            first_error = ServerErrorStatus(
                address_, absl::StrCat("SELECT ", db, " failed"), reply);
            break;
          case HandshakeStep::kPing:
            first_error = ServerErrorStatus(address_, "PING failed", reply);
            break;
        }
      }
    }
  }
  co_return first_error;
}

void Connection::Start(ClosedCallback on_closed) {
  on_closed_ = std::move(on_closed);
  asio::co_spawn(strand_, ReadLoop(), asio::detached);
}

void Connection::Enqueue(std::string_view encoded,
                         std::shared_ptr<CallGroup> group, size_t index) {
  if (closed_ || !open_) {
    group->Complete(index, closed_ ? close_status_
                                   : Unavailable(address_, "not connected"));
    return;
  }
  if (in_flight_.empty()) last_progress_ = Clock::now();
  out_pending_.append(encoded);
  in_flight_.push_back(Slot{std::move(group), index});
  StatsCounters::Add(stats_->commands_sent);
  if (!writing_) {
    writing_ = true;
    // co_spawn starts the loop from a fresh handler, so every command
    // enqueued during the current handler joins the first write.
    asio::co_spawn(strand_, WriteLoop(), asio::detached);
  }
}

asio::awaitable<void> Connection::WriteLoop() {
  auto self = shared_from_this();
  while (!closed_ && !out_pending_.empty()) {
    out_writing_.clear();
    std::swap(out_writing_, out_pending_);
    asio::error_code ec;
    co_await asio::async_write(socket_, asio::buffer(out_writing_),
                               asio::redirect_error(asio::use_awaitable, ec));
    StatsCounters::Add(stats_->writes);
    if (ec) {
      Close(Unavailable(address_, "write failed: " + ec.message()));
      break;
    }
  }
  writing_ = false;
}

asio::awaitable<void> Connection::ReadLoop() {
  auto self = shared_from_this();
  while (!closed_) {
    // Drain complete replies first (the handshake may have left some).
    while (!closed_) {
      auto next = reader_.Next();
      if (!next.ok()) {
        Close(Unavailable(address_, next.status().message()));
        co_return;
      }
      if (!next->has_value()) break;
      Deliver(std::move(**next));
    }
    if (closed_) break;
    asio::error_code ec;
    const size_t n = co_await socket_.async_read_some(
        asio::buffer(read_buffer_),
        asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      Close(Unavailable(address_, ec == asio::error::eof
                                      ? std::string("connection closed by server")
                                      : "read failed: " + ec.message()));
      co_return;
    }
    if (absl::Status s = reader_.Feed({read_buffer_.data(), n}); !s.ok()) {
      Close(Unavailable(address_, s.message()));
      co_return;
    }
  }
}

void Connection::Deliver(Reply reply) {
  if (in_flight_.empty()) {
    Close(Unavailable(address_, absl::StrCat("unexpected reply with no request "
                                             "pending: ",
                                             reply.DebugString())));
    return;
  }
  Slot slot = std::move(in_flight_.front());
  in_flight_.pop_front();
  last_progress_ = Clock::now();
  if (slot.group->abandoned()) {
    if (abandoned_in_flight_ > 0) --abandoned_in_flight_;
    return;
  }
  slot.group->Complete(slot.index, std::move(reply));
}

void Connection::NoteAbandoned(size_t n) {
  if (closed_) return;
  abandoned_in_flight_ += n;
  if (abandoned_in_flight_ > options_.max_abandoned_in_flight) {
    Close(Unavailable(
        address_, absl::StrCat(abandoned_in_flight_,
                               " timed-out requests still awaiting replies; "
                               "dropping the connection")));
    return;
  }
  const auto silent = Clock::now() - last_progress_;
  if (!in_flight_.empty() && silent >= options_.stall_timeout) {
    Close(Unavailable(
        address_,
        absl::StrCat(
            "no reply for ",
            std::chrono::duration_cast<std::chrono::milliseconds>(silent)
                .count(),
            " ms with requests outstanding; dropping the stuck connection")));
  }
}

void Connection::Close(const absl::Status& status) {
  if (closed_) return;
  auto self = shared_from_this();  // the callback may drop the last owner
  closed_ = true;
  close_status_ = status;
  asio::error_code ignored;
  resolver_.cancel();
  connect_timer_.cancel();
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  std::deque<Slot> in_flight = std::move(in_flight_);
  in_flight_.clear();
  abandoned_in_flight_ = 0;
  out_pending_.clear();
  for (Slot& slot : in_flight) slot.group->Complete(slot.index, status);
  if (open_ && on_closed_) {
    ClosedCallback callback = std::move(on_closed_);
    on_closed_ = nullptr;
    callback(this, status);
  }
}

}  // namespace redis::internal
