#include "connection.h"

#include <algorithm>
#include <cerrno>
#include <utility>
#include <variant>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ip/address.hpp>
#include <asio/read.hpp>
#include <asio/ssl/stream_base.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "absl/strings/str_cat.h"
#include "absl_compat.h"
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

// "[::1]" → "::1"; anything else unchanged.
std::string_view Unbracketed(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') return host.substr(1, host.size() - 2);
  return host;
}

bool IsIpLiteral(std::string_view host) {
  asio::error_code ec;
  asio::ip::make_address(std::string(host), ec);
  return !ec;
}

// "host:port", "[v6]:port".
std::string EndpointText(std::string_view host, uint16_t port) {
  host = Unbracketed(host);
  if (host.find(':') != std::string_view::npos) return absl::StrCat("[", Sv(host), "]:", port);
  return absl::StrCat(Sv(host), ":", port);
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
      endpoint_(EndpointText(options_.host, options_.port)),
      socket_(executor_),
      ids_(options_.max_streams),
      heartbeat_timer_(executor_),
      last_read_(Clock::now()) {}

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
  if (conn->options_.heartbeat_interval.count() > 0) {
    asio::co_spawn(conn->executor_, conn->HeartbeatLoop(conn), asio::detached);
  }
  co_return conn;
}

asio::awaitable<absl::Status> Connection::ConnectSocket(Clock::time_point deadline) {
  std::vector<asio::ip::tcp::endpoint> endpoints;
  asio::error_code ec;
  const std::string host(Unbracketed(options_.host));
  const auto address = asio::ip::make_address(host, ec);
  if (!ec) {
    endpoints.emplace_back(address, options_.port);
  } else {
    asio::ip::tcp::resolver resolver(executor_);
    asio::steady_timer timer(executor_, Remaining(deadline));
    auto r = co_await (resolver.async_resolve(host, std::to_string(options_.port), kUseTuple) ||
                       timer.async_wait(kUseTuple));
    if (r.index() == 1) {
      co_return absl::UnavailableError(absl::StrCat("cannot resolve ", endpoint_, ": timed out after ",
                                                    options_.connect_timeout.count(), " ms"));
    }
    auto [rec, results] = std::get<0>(std::move(r));
    if (rec) co_return absl::UnavailableError(absl::StrCat("cannot resolve ", endpoint_, ": ", rec.message()));
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  }
  const uint16_t local_port = options_.local_port;
  auto port_in_use = [&](const asio::error_code& e) {
    return absl::UnavailableError(absl::StrCat("cannot connect to CQL server ", endpoint_, " from local port ",
                                               local_port, ": the port is in use (", e.message(),
                                               "); try another local port"));
  };
  std::string last_error = "no address";
  for (const auto& ep : endpoints) {
    if (Clock::now() >= deadline) break;
    asio::error_code ignored;
    socket_.close(ignored);
    if (local_port != 0) {
      // SO_REUSEADDR: the same source port may serve connections to other
      // nodes and be reused while an old connection from it is in TIME_WAIT.
      asio::error_code bec;
      socket_.open(ep.protocol(), bec);
      if (!bec) socket_.set_option(asio::socket_base::reuse_address(true), bec);
      if (!bec) socket_.bind(asio::ip::tcp::endpoint(ep.protocol(), local_port), bec);
      if (bec == asio::error::address_in_use) {
        socket_.close(ignored);
        co_return port_in_use(bec);
      }
      if (bec) {
        last_error = absl::StrCat("cannot bind local port ", local_port, ": ", bec.message());
        continue;
      }
    }
    asio::steady_timer timer(executor_, Remaining(deadline));
    auto r = co_await (socket_.async_connect(ep, kUseTuple) || timer.async_wait(kUseTuple));
    if (r.index() == 1) {
      last_error = absl::StrCat("connect timed out after ", options_.connect_timeout.count(), " ms");
      break;
    }
    auto [cec] = std::get<0>(r);
    if (!cec) {
      socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
      if (!options_.tls) co_return absl::OkStatus();
      co_return co_await TlsHandshake(deadline);
    }
    if (local_port != 0 && (cec == asio::error::address_in_use ||
                            cec == asio::error_code(EADDRNOTAVAIL, asio::error::get_system_category()))) {
      // The 4-tuple (this source port to this server) is taken.
      socket_.close(ignored);
      co_return port_in_use(cec);
    }
    last_error = cec.message();
  }
  socket_.close(ec);
  co_return absl::UnavailableError(absl::StrCat("cannot connect to CQL server ", endpoint_, ": ", last_error));
}

asio::awaitable<absl::Status> Connection::TlsHandshake(Clock::time_point deadline) {
  tls_ = std::make_unique<TlsStream>(socket_, *options_.tls);
  SSL* ssl = tls_->native_handle();
  asio::error_code ignored;
  const std::string& name = options_.tls_verify_name;
  if (!name.empty()) {
    // OpenSSL checks the name during chain verification, so a mismatch is
    // reported like any other verify error ("hostname mismatch").
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    int ok;
    if (IsIpLiteral(name)) {
      ok = X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
    } else {
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      ok = X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
    }
    if (ok != 1) {
      socket_.close(ignored);
      co_return absl::InvalidArgumentError(
          absl::StrCat("cannot verify the TLS certificate of ", endpoint_, " against the name '", name, "'"));
    }
  }
  // SNI carries host names only (RFC 6066 §3).
  const std::string sni = name.empty() ? std::string(Unbracketed(options_.host)) : name;
  if (!sni.empty() && !IsIpLiteral(sni)) SSL_set_tlsext_host_name(ssl, sni.c_str());

  asio::steady_timer timer(executor_, Remaining(deadline));
  auto r = co_await (tls_->async_handshake(asio::ssl::stream_base::client, kUseTuple) || timer.async_wait(kUseTuple));
  if (r.index() == 1) {
    socket_.close(ignored);
    co_return absl::UnavailableError(absl::StrCat("TLS handshake with ", endpoint_, " timed out after ",
                                                  options_.connect_timeout.count(), " ms"));
  }
  auto [hec] = std::get<0>(r);
  if (!hec) co_return absl::OkStatus();
  socket_.close(ignored);
  const long verify = SSL_get_verify_result(ssl);  // NOLINT(runtime/int): OpenSSL's type
  if (verify != X509_V_OK) {
    co_return absl::UnavailableError(absl::StrCat(
        "TLS handshake with ", endpoint_, " failed: the server certificate was refused: ",
        X509_verify_cert_error_string(verify), name.empty() ? "" : absl::StrCat(" (expected name '", name, "')")));
  }
  co_return absl::UnavailableError(absl::StrCat("TLS handshake with ", endpoint_, " failed: ", hec.message()));
}

asio::awaitable<Connection::IoResult> Connection::ReadSome(asio::mutable_buffer buffer) {
  if (tls_) return tls_->async_read_some(buffer, kUseTuple);
  return socket_.async_read_some(buffer, kUseTuple);
}

asio::awaitable<Connection::IoResult> Connection::WriteAll(asio::const_buffer buffer) {
  if (tls_) return asio::async_write(*tls_, buffer, kUseTuple);
  return asio::async_write(socket_, buffer, kUseTuple);
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
      co_return absl::Status(ar.status().code(), absl::StrCat("authentication with ", endpoint_, " as '",
                                                              options_.username, "' failed: ", ar.status().message()));
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
    co_return absl::UnavailableError(
        absl::StrCat("connection to ", endpoint_, " is closed: ", close_reason_.message()));
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
    auto [ec, n] = co_await WriteAll(asio::buffer(write_buffer_));
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
    auto [ec, n] = co_await ReadSome(asio::buffer(buf.data() + end, buf.size() - end));
    if (ec) {
      Close(absl::UnavailableError(absl::StrCat("connection to ", endpoint_, " lost: ", ec.message())));
      co_return;
    }
    last_read_ = Clock::now();
    end += n;
  }
}

asio::awaitable<void> Connection::HeartbeatLoop(std::shared_ptr<Connection> self) {
  (void)self;  // keeps the connection alive until it closes
  const auto interval = options_.heartbeat_interval;
  std::string options_frame;
  if (!EncodeOptions(&options_frame).ok()) co_return;
  Clock::time_point not_before = Clock::now();
  while (!closed_) {
    // Lazily re-armed: sleep until `interval` after the last read, then look
    // again (reads do not touch the timer).
    heartbeat_timer_.expires_at(std::max(last_read_ + interval, not_before));
    co_await heartbeat_timer_.async_wait(kUseTuple);
    if (closed_) break;
    if (Clock::now() - last_read_ < interval && !probe_requested_) continue;
    probe_requested_ = false;
    if (ids_.in_use() >= ids_.limit()) {
      // No stream id to send on; the requests holding them have timeouts.
      not_before = Clock::now() + interval;
      continue;
    }
    ++heartbeats_sent_;
    last_heartbeat_sent_ = Clock::now();
    auto r = co_await Send(options_frame, options_.heartbeat_timeout);
    if (closed_) break;
    // Any answer (SUPPORTED, or even an ERROR) shows the server is alive.
    if (!r.ok() && r.status().code() == absl::StatusCode::kDeadlineExceeded) {
      Close(absl::UnavailableError(absl::StrCat("CQL server ", endpoint_, " did not answer a heartbeat within ",
                                                options_.heartbeat_timeout.count(), " ms; connection closed")));
      break;
    }
    not_before = Clock::now();
  }
}

void Connection::Probe() {
  if (closed_ || options_.heartbeat_interval.count() <= 0 || last_heartbeat_sent_ > last_read_) return;
  probe_requested_ = true;
  heartbeat_timer_.cancel();
}

void Connection::DispatchEvent(const FrameHeader& header, std::string body) {
  if (!options_.on_event) return;
  auto message = DecodeResponse(Frame{header, std::move(body)});
  const EventMessage* event = message.ok() ? std::get_if<EventMessage>(&*message) : nullptr;
  if (event == nullptr) {
    Close(absl::UnavailableError(absl::StrCat("malformed EVENT from ", endpoint_, ", connection closed: ",
                                              message.ok() ? "not an EVENT message" : message.status().message())));
    return;
  }
  options_.on_event(*event);
}

void Connection::Dispatch(const FrameHeader& header, std::string body) {
  if (header.stream < 0) {
    // §2.3: -1 carries EVENTs; other negative ids are reserved.
    if (header.stream == -1) DispatchEvent(header, std::move(body));
    return;
  }
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
  socket_.close(ignored);  // also ends TLS: tls_ runs over socket_
  heartbeat_timer_.cancel();
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
