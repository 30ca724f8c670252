#include "connection.h"

#include <algorithm>
#include <utility>
#include <variant>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ip/address.hpp>
#include <asio/read.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "requests.h"

namespace cql::internal {
namespace {

using asio::experimental::as_tuple;
using asio::use_awaitable;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;

constexpr auto kUseTuple = as_tuple(use_awaitable);
constexpr size_t kReadChunk = 64 * 1024;

std::chrono::milliseconds Remaining(Clock::time_point deadline) {
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
}

std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace

struct Connection::PendingRequest {
  explicit PendingRequest(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;  // doubles as the completion event (cancelled on response)
  Frame response;
  absl::Status error;
  bool active = false;     // a request owns this stream id
  bool done = false;       // response or error is set
  bool abandoned = false;  // the waiter timed out; drop the late response
};

Connection::Connection(asio::any_io_executor executor, ConnectionOptions options)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      endpoint_(absl::StrCat(options_.host, ":", options_.port)),
      socket_(executor_),
      ids_(options_.max_streams) {}

Connection::~Connection() {
  asio::error_code ignored;
  socket_.close(ignored);
}

asio::awaitable<absl::StatusOr<std::shared_ptr<Connection>>> Connection::Open(asio::any_io_executor executor,
                                                                              ConnectionOptions options) {
  const auto deadline = Clock::now() + options.connect_timeout;
  auto conn = std::make_shared<Connection>(executor, std::move(options));
  CO_RETURN_IF_ERROR(co_await conn->ConnectSocket(deadline));
  asio::co_spawn(conn->executor_, conn->ReadLoop(conn), asio::detached);
  absl::Status status = co_await conn->Handshake(deadline);
  if (!status.ok()) {
    conn->Close(status);
    co_return status;
  }
  co_return conn;
}

asio::awaitable<absl::Status> Connection::ConnectSocket(Clock::time_point deadline) {
  std::vector<asio::ip::tcp::endpoint> endpoints;
  asio::error_code ec;
  const auto address = asio::ip::make_address(options_.host, ec);
  if (!ec) {
    endpoints.emplace_back(address, options_.port);
  } else {
    asio::ip::tcp::resolver resolver(executor_);
    asio::steady_timer timer(executor_, Remaining(deadline));
    auto r = co_await (resolver.async_resolve(options_.host, std::to_string(options_.port), kUseTuple) ||
                       timer.async_wait(kUseTuple));
    if (r.index() == 1) {
      co_return absl::UnavailableError(absl::StrCat("cannot resolve ", endpoint_, ": timed out after ",
                                                    options_.connect_timeout.count(), " ms"));
    }
    auto [rec, results] = std::get<0>(std::move(r));
    if (rec) co_return absl::UnavailableError(absl::StrCat("cannot resolve ", endpoint_, ": ", rec.message()));
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  }
  std::string last_error = "no address";
  for (const auto& ep : endpoints) {
    if (Clock::now() >= deadline) break;
    asio::error_code ignored;
    socket_.close(ignored);
    asio::steady_timer timer(executor_, Remaining(deadline));
    auto r = co_await (socket_.async_connect(ep, kUseTuple) || timer.async_wait(kUseTuple));
    if (r.index() == 1) {
      last_error = absl::StrCat("connect timed out after ", options_.connect_timeout.count(), " ms");
      break;
    }
    auto [cec] = std::get<0>(r);
    if (!cec) {
      socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
      co_return absl::OkStatus();
    }
    last_error = cec.message();
  }
  socket_.close(ec);
  co_return absl::UnavailableError(absl::StrCat("cannot connect to CQL server ", endpoint_, ": ", last_error));
}

asio::awaitable<absl::StatusOr<ResponseMessage>> Connection::Roundtrip(std::string frame,
                                                                       Clock::time_point deadline) {
  CO_ASSIGN_OR_RETURN(Frame response, co_await Send(frame, Remaining(deadline)));
  co_return DecodeResponse(std::move(response));
}

asio::awaitable<absl::Status> Connection::Handshake(Clock::time_point deadline) {
  auto annotate = [this](const absl::Status& s) {
    return absl::Status(s.code(), absl::StrCat("handshake with ", endpoint_, " failed: ", s.message()));
  };
  // OPTIONS → SUPPORTED.
  {
    std::string frame;
    CO_RETURN_IF_ERROR(EncodeOptions(&frame));
    auto r = co_await Roundtrip(std::move(frame), deadline);
    if (!r.ok()) co_return annotate(r.status());
    auto* supported = std::get_if<SupportedMessage>(&*r);
    if (supported == nullptr) co_return annotate(absl::InternalError("expected SUPPORTED in reply to OPTIONS"));
    supported_ = std::move(supported->options);
  }
  // STARTUP → READY | AUTHENTICATE.
  std::string frame;
  CO_RETURN_IF_ERROR(EncodeStartup({{"CQL_VERSION", "3.0.0"}}, &frame));
  auto r = co_await Roundtrip(std::move(frame), deadline);
  if (!r.ok()) co_return annotate(r.status());
  if (auto* auth = std::get_if<AuthenticateMessage>(&*r)) {
    if (options_.username.empty() && options_.password.empty()) {
      co_return absl::UnauthenticatedError(absl::StrCat(
          "CQL server ", endpoint_, " requires authentication (", auth->authenticator,
          ") but no username/password is configured"));
    }
    // SASL PLAIN as expected by PasswordAuthenticator; other authenticators
    // that accept PLAIN tokens work too.
    frame.clear();
    CO_RETURN_IF_ERROR(EncodeAuthResponse(PlainAuthToken(options_.username, options_.password), &frame));
    auto ar = co_await Roundtrip(std::move(frame), deadline);
    if (!ar.ok()) {
      co_return absl::Status(ar.status().code(), absl::StrCat("authentication with ", endpoint_, " as '", options_.username,
                                          "' failed: ", ar.status().message()));
    }
    if (std::holds_alternative<AuthChallengeMessage>(*ar)) {
      co_return absl::UnauthenticatedError(absl::StrCat(
          "CQL server ", endpoint_, " sent an AUTH_CHALLENGE; only single-step PLAIN authentication is supported"));
    }
    if (!std::holds_alternative<AuthSuccessMessage>(*ar)) {
      co_return annotate(absl::InternalError("expected AUTH_SUCCESS in reply to AUTH_RESPONSE"));
    }
  } else if (!std::holds_alternative<ReadyMessage>(*r)) {
    co_return annotate(absl::InternalError("expected READY or AUTHENTICATE in reply to STARTUP"));
  }
  // USE keyspace (identifier, not a value: quoted, never bound).
  if (!options_.keyspace.empty()) {
    frame.clear();
    QueryParameters params;
    params.consistency = Consistency::kOne;
    CO_RETURN_IF_ERROR(EncodeQuery(absl::StrCat("USE ", QuoteIdentifier(options_.keyspace)), params, &frame));
    auto ur = co_await Roundtrip(std::move(frame), deadline);
    if (!ur.ok()) co_return annotate(ur.status());
  }
  co_return absl::OkStatus();
}

asio::awaitable<absl::StatusOr<Frame>> Connection::Send(std::string_view frame, std::chrono::milliseconds timeout) {
  if (closed_) {
    co_return absl::UnavailableError(absl::StrCat("connection to ", endpoint_, " is closed: ", close_reason_.message()));
  }
  if (frame.size() < kFrameHeaderSize) co_return absl::InternalError("request frame shorter than its header");
  std::optional<int16_t> id = ids_.Allocate();
  if (!id) {
    co_return absl::UnavailableError(
        absl::StrCat("all ", ids_.limit(), " stream ids of the connection to ", endpoint_, " are in use"));
  }
  auto self = shared_from_this();
  const auto index = static_cast<size_t>(*id);
  if (index >= pending_.size()) pending_.resize(index + 1);
  if (!pending_[index]) pending_[index] = std::make_unique<PendingRequest>(executor_);
  PendingRequest& req = *pending_[index];
  req.active = true;
  req.done = false;
  req.abandoned = false;
  req.error = absl::OkStatus();

  const size_t at = write_queue_.size();
  write_queue_.append(frame);
  PatchStreamId(write_queue_.data() + at, *id);
  if (!writing_) {
    writing_ = true;
    asio::co_spawn(executor_, WriteLoop(self), asio::detached);
  }

  req.timer.expires_after(timeout);
  co_await req.timer.async_wait(kUseTuple);
  if (!req.done) {
    // Keep the id reserved until the late response arrives (or the
    // connection closes) so it cannot be matched to a newer request.
    req.abandoned = true;
    co_return absl::DeadlineExceededError(absl::StrCat("CQL request to ", endpoint_, " timed out after ",
                                                       timeout.count(), " ms (it may still be executed)"));
  }
  req.active = false;
  ids_.Release(*id);
  if (!req.error.ok()) co_return std::move(req.error);
  co_return std::move(req.response);
}

asio::awaitable<void> Connection::WriteLoop(std::shared_ptr<Connection> self) {
  (void)self;  // keeps the connection alive while writing
  while (!closed_ && !write_queue_.empty()) {
    write_buffer_.clear();
    write_buffer_.swap(write_queue_);
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(write_buffer_), kUseTuple);
    if (ec) {
      Close(absl::UnavailableError(absl::StrCat("connection to ", endpoint_, " lost while writing: ", ec.message())));
      break;
    }
  }
  writing_ = false;
}

asio::awaitable<void> Connection::ReadLoop(std::shared_ptr<Connection> self) {
  (void)self;  // keeps the connection alive while reading
  std::string buf(kReadChunk, '\0');
  size_t begin = 0;
  size_t end = 0;
  while (!closed_) {
    // Dispatch every complete frame in the buffer.
    while (end - begin >= kFrameHeaderSize) {
      auto header = DecodeFrameHeader(std::string_view(buf.data() + begin, end - begin));
      if (!header.ok()) {
        Close(absl::UnavailableError(
            absl::StrCat("malformed frame from ", endpoint_, ", connection closed: ", header.status().message())));
        co_return;
      }
      if (!header->is_response()) {
        Close(absl::UnavailableError(absl::StrCat("request frame received from ", endpoint_)));
        co_return;
      }
      const size_t total = kFrameHeaderSize + static_cast<size_t>(header->length);
      if (end - begin < total) {
        if (buf.size() - begin < total) {
          // Make room for the whole frame.
          buf.erase(0, begin);
          end -= begin;
          begin = 0;
          if (buf.size() < total) buf.resize(total);
        }
        break;
      }
      std::string body(buf.data() + begin + kFrameHeaderSize, static_cast<size_t>(header->length));
      begin += total;
      Dispatch(*header, std::move(body));
      if (closed_) co_return;
    }
    if (begin == end) {
      begin = end = 0;
    } else if (buf.size() - end < kFrameHeaderSize) {
      buf.erase(0, begin);
      end -= begin;
      begin = 0;
      buf.resize(std::max(buf.size(), kReadChunk));
    }
    if (buf.size() - end < kReadChunk / 4 && buf.size() < 4 * kReadChunk) buf.resize(buf.size() + kReadChunk);
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buf.data() + end, buf.size() - end), kUseTuple);
    if (ec) {
      Close(absl::UnavailableError(absl::StrCat("connection to ", endpoint_, " lost: ", ec.message())));
      co_return;
    }
    end += n;
  }
}

void Connection::Dispatch(const FrameHeader& header, std::string body) {
  if (header.stream < 0) return;  // EVENT (§4.2.6); we never REGISTER.
  const auto index = static_cast<size_t>(header.stream);
  if (!ids_.InUse(header.stream) || index >= pending_.size() || !pending_[index] || !pending_[index]->active) {
    Close(absl::UnavailableError(
        absl::StrCat("response for unknown stream ", header.stream, " from ", endpoint_, ", connection closed")));
    return;
  }
  PendingRequest& req = *pending_[index];
  if (req.abandoned) {
    req.active = false;
    ids_.Release(header.stream);
    return;
  }
  req.response.header = header;
  req.response.body = std::move(body);
  req.done = true;
  req.timer.cancel();
}

void Connection::Close(absl::Status reason) {
  if (closed_) return;
  closed_ = true;
  close_reason_ = reason;
  asio::error_code ignored;
  socket_.close(ignored);
  write_queue_.clear();
  for (size_t i = 0; i < pending_.size(); ++i) {
    PendingRequest* req = pending_[i].get();
    if (req == nullptr || !req->active) continue;
    if (req->abandoned) {
      req->active = false;
      ids_.Release(static_cast<int16_t>(i));
      continue;
    }
    if (!req->done) {
      req->error = reason;
      req->done = true;
      req->timer.cancel();
    }
  }
}

}  // namespace cql::internal
