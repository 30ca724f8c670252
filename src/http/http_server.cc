#include "http/http_server.h"

#include <algorithm>
#include <array>
#include <exception>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <spdlog/spdlog.h>


namespace inventory::http {
namespace internal {

using Clock = std::chrono::steady_clock;
using asio::ip::tcp;

// Where a connection is in its request loop; it decides which connection
// makes room for a new one at the limit (see Evict()).
enum class Phase {
  kWaiting,    // for a request, none of it received yet (idle keep-alive, fresh accept)
  kReceiving,  // part of a request's head or body received
  kAnswering,  // the answer is being written
  kLingering,  // answered and closing: draining what the client still sends
};

// One accepted connection. Two coroutines share it: the request loop and a
// watchdog that closes the socket once `deadline` passes.
struct Connection {
  explicit Connection(tcp::socket s) : socket(std::move(s)), timer(socket.get_executor()) {}

  // Moves the deadline; resetting the timer wakes the watchdog, which then
  // waits for the new one.
  void SetDeadline(Clock::time_point when) {
    deadline = when;
    timer.expires_at(when);
  }

  // Closes the socket (cancelling its operations) and stops the watchdog.
  void Close() {
    asio::error_code ignored;
    socket.close(ignored);
    timer.cancel();
  }

  void Enter(Phase p) {
    phase = p;
    if (p != Phase::kReceiving) since = Clock::now();
  }

  tcp::socket socket;
  asio::steady_timer timer;
  Clock::time_point deadline = Clock::time_point::max();
  Phase phase = Phase::kWaiting;
  // When the current phase began; kReceiving keeps the kWaiting start, so
  // it measures how long the request has been arriving.
  Clock::time_point since = Clock::now();
};

// Everything the coroutines touch, so they never refer to the HttpServer.
struct ServerState {
  explicit ServerState(asio::any_io_executor ex) : executor(ex), acceptor(ex), retry_timer(ex) {}

  asio::any_io_executor executor;
  tcp::acceptor acceptor;
  asio::steady_timer retry_timer;  // pause after a failed accept
  std::unordered_map<std::string, Handler> handlers;
  std::chrono::milliseconds idle_timeout = HttpServer::kDefaultIdleTimeout;
  size_t max_connections = HttpServer::kDefaultMaxConnections;
  uint16_t port = 0;
  bool started = false;
  bool stopped = false;
  uint64_t next_connection_id = 0;
  std::unordered_map<uint64_t, std::shared_ptr<Connection>> connections;
};

}  // namespace internal

namespace {

using internal::Clock;
using internal::Connection;
using internal::Phase;
using internal::ServerState;
using asio::ip::tcp;

// After an answer that closes the connection, unread input is drained for at
// most this long (and this much) so that closing does not reset the
// connection before the client has read the answer.
constexpr std::chrono::seconds kLingerTime(2);
constexpr size_t kMaxLingerBytes = 256 * 1024;
constexpr std::chrono::milliseconds kAcceptRetryDelay(100);

// ---- request head parsing (pure) -------------------------------------------

struct RequestHead {
  std::string method;
  std::string path;  // the target without query or fragment
  bool http11 = true;  // HTTP/1.1 (or a later 1.x), not 1.0
  bool keep_alive = false;
  uint64_t content_length = 0;
};

struct ParsedHead {
  int error = 0;  // an HTTP status to answer with before closing; 0 = OK
  RequestHead request;
};

// Small string helpers on std::string_view (Debian's Abseil has its own
// string_view type, so its helpers do not take std's).
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

char ToLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ToLower(a[i]) != ToLower(b[i])) return false;
  }
  return true;
}

// Strips spaces and tabs (HTTP's optional whitespace) at both ends.
std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Split(std::string_view s, char separator) {
  std::vector<std::string_view> parts;
  for (;;) {
    const size_t pos = s.find(separator);
    parts.push_back(s.substr(0, pos));
    if (pos == std::string_view::npos) return parts;
    s.remove_prefix(pos + 1);
  }
}

bool IsTokenChar(char c) {
  if (IsDigit(c) || (ToLower(c) >= 'a' && ToLower(c) <= 'z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), IsTokenChar); }

// Drops the empty lines a client may send before a request line.
void SkipLeadingBlankLines(std::string& in) {
  size_t i = 0;
  while (i < in.size()) {
    if (in[i] == '\n') {
      ++i;
    } else if (in[i] == '\r' && i + 1 < in.size() && in[i + 1] == '\n') {
      i += 2;
    } else {
      break;
    }
  }
  in.erase(0, i);
}

// The length of the request head (through its empty line), or npos while
// incomplete. Lines end in CRLF or a bare LF.
size_t FindHeadEnd(std::string_view in) {
  for (size_t i = in.find('\n'); i != std::string_view::npos; i = in.find('\n', i + 1)) {
    if (i + 1 < in.size() && in[i + 1] == '\n') return i + 2;
    if (i + 2 < in.size() && in[i + 1] == '\r' && in[i + 2] == '\n') return i + 3;
  }
  return std::string_view::npos;
}

// "/a/b?x=1" -> "/a/b"; "http://host/a?x" -> "/a"; "*" -> "*"; "" if invalid.
std::string PathOf(std::string_view target) {
  auto strip = [](std::string_view t) { return std::string(t.substr(0, t.find_first_of("?#"))); };
  if (target.front() == '/') return strip(target);
  if (target == "*") return "*";
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.size() >= scheme.size() && EqualsIgnoreCase(target.substr(0, scheme.size()), scheme)) {
      const std::string_view rest = target.substr(scheme.size());
      const size_t slash = rest.find_first_of("/?#");
      if (slash == std::string_view::npos || rest[slash] != '/') return "/";
      return strip(rest.substr(slash));
    }
  }
  return "";
}

ParsedHead Fail(int status) {
  ParsedHead parsed;
  parsed.error = status;
  return parsed;
}

ParsedHead ParseHead(std::string_view head) {
  std::vector<std::string_view> lines = Split(head, '\n');
  for (std::string_view& line : lines) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find('\r') != std::string_view::npos || line.find('\0') != std::string_view::npos) return Fail(400);
  }

  // Request line: method SP target SP HTTP/d.d
  const std::string_view request_line = lines.front();
  const size_t sp1 = request_line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : request_line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return Fail(400);
  const std::string_view method = request_line.substr(0, sp1);
  const std::string_view target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = request_line.substr(sp2 + 1);
  if (!IsToken(method) || target.empty()) return Fail(400);
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return Fail(400);
  }
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || !IsDigit(version[5]) ||
      version[6] != '.' || !IsDigit(version[7])) {
    return Fail(400);
  }
  if (version[5] != '1') return Fail(505);
  const bool http11 = version[7] != '0';

  ParsedHead parsed;
  RequestHead& request = parsed.request;
  request.method = std::string(method);
  request.path = PathOf(target);
  if (request.path.empty()) return Fail(400);

  bool close_token = false;
  bool keep_alive_token = false;
  bool have_length = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (line.empty()) break;  // the end of the head
    if (line.front() == ' ' || line.front() == '\t') return Fail(400);  // obsolete line folding
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) return Fail(400);
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = TrimOws(line.substr(colon + 1));
    for (char c : value) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) return Fail(400);
    }
    if (EqualsIgnoreCase(name, "Content-Length")) {
      if (value.empty() || !std::all_of(value.begin(), value.end(), IsDigit)) return Fail(400);
      // Anything with more than 18 digits is over every limit anyway.
      uint64_t length = UINT64_MAX;
      if (value.size() <= 18) {
        length = 0;
        for (char c : value) length = length * 10 + static_cast<uint64_t>(c - '0');
      }
      if (have_length && length != request.content_length) return Fail(400);
      have_length = true;
      request.content_length = length;
    } else if (EqualsIgnoreCase(name, "Transfer-Encoding")) {
      return Fail(501);  // no request bodies other than Content-Length ones
    } else if (EqualsIgnoreCase(name, "Connection")) {
      for (std::string_view token : Split(value, ',')) {
        token = TrimOws(token);
        if (EqualsIgnoreCase(token, "close")) close_token = true;
        if (EqualsIgnoreCase(token, "keep-alive")) keep_alive_token = true;
      }
    }
  }
  request.http11 = http11;
  request.keep_alive = !close_token && (http11 || keep_alive_token);
  if (request.content_length > HttpServer::kMaxBodyBytes) parsed.error = 413;
  return parsed;
}

// ---- responses -------------------------------------------------------------

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

struct Answer {
  Response response;
  bool head_only = false;        // HEAD: headers only
  bool close = false;            // "Connection: close", then close
  bool keep_alive_header = false;  // "Connection: keep-alive" (HTTP/1.0 clients)
  bool allow_header = false;     // "Allow: GET, HEAD" (405)
};

Answer ErrorAnswer(int status) {
  Answer answer;
  answer.response.status = status;
  answer.response.body = std::string(ReasonPhrase(status)) + "\n";
  answer.close = true;
  return answer;
}

std::string Serialize(const Answer& answer) {
  const Response& r = answer.response;
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " ";
  out += ReasonPhrase(r.status);
  out += "\r\n";
  if (answer.allow_header) out += "Allow: GET, HEAD\r\n";
  const bool bodyless = r.status == 204 || r.status == 304;
  if (!bodyless) {
    out += "Content-Type: " + r.content_type + "\r\n";
    out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  }
  if (answer.close) {
    out += "Connection: close\r\n";
  } else if (answer.keep_alive_header) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
  if (!answer.head_only && !bodyless) out += r.body;
  return out;
}

// Routes a well-formed request and runs its handler.
Answer Route(const ServerState& state, const RequestHead& request) {
  Answer answer;
  const bool head = request.method == "HEAD";
  if (request.method != "GET" && !head) {
    answer = ErrorAnswer(405);
    answer.allow_header = true;
    answer.close = !request.keep_alive;
  } else if (auto it = state.handlers.find(request.path); it == state.handlers.end()) {
    answer = ErrorAnswer(404);
    answer.close = !request.keep_alive;
  } else {
    try {
      answer.response = it->second();
      if (answer.response.status < 200 || answer.response.status > 999) {
        spdlog::warn("http: handler for {} returned status {}", request.path, answer.response.status);
        answer = ErrorAnswer(500);
      }
    } catch (const std::exception& e) {
      spdlog::warn("http: handler for {} threw: {}", request.path, e.what());
      answer = ErrorAnswer(500);
    } catch (...) {
      spdlog::warn("http: handler for {} threw a non-exception", request.path);
      answer = ErrorAnswer(500);
    }
    answer.close = !request.keep_alive;
  }
  answer.head_only = head;
  answer.keep_alive_header = !answer.close && !request.http11;
  return answer;
}

// ---- coroutines ------------------------------------------------------------

void LogCoroutineFailure(std::string_view what, std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("http: {} failed: {}", what, ex.what());
  } catch (...) {
    spdlog::error("http: {} failed", what);
  }
}

// Writes the answer `bytes`; false if the connection failed or was closed.
asio::awaitable<bool> WriteAll(std::shared_ptr<Connection> conn, std::string bytes) {
  conn->Enter(Phase::kAnswering);
  asio::error_code ec;
  auto buffer = asio::buffer(bytes);
  auto token = asio::redirect_error(asio::use_awaitable, ec);
  co_await asio::async_write(conn->socket, buffer, token);
  co_return !ec;
}

// Serves requests until the connection should close. True when the last
// answer asked to close (the caller then drains and closes politely), false
// when the connection failed, timed out or was closed.
asio::awaitable<bool> ServeRequests(std::shared_ptr<ServerState> state, std::shared_ptr<Connection> conn) {
  std::string in;
  std::array<char, 4096> chunk;
  asio::error_code ec;
  for (;;) {
    // The whole request must arrive within the idle timeout.
    conn->SetDeadline(Clock::now() + state->idle_timeout);
    conn->Enter(Phase::kWaiting);

    size_t head_end = std::string::npos;
    for (;;) {
      SkipLeadingBlankLines(in);
      if (!in.empty()) conn->Enter(Phase::kReceiving);
      head_end = FindHeadEnd(in);
      if (head_end != std::string::npos || in.size() > HttpServer::kMaxHeadBytes) break;
      auto buffer = asio::buffer(chunk);
      auto token = asio::redirect_error(asio::use_awaitable, ec);
      const size_t n = co_await conn->socket.async_read_some(buffer, token);
      if (ec) co_return false;  // EOF (also mid-request), reset, timeout or Stop()
      in.append(chunk.data(), n);
    }
    if (head_end == std::string::npos || head_end > HttpServer::kMaxHeadBytes) {
      std::string out = Serialize(ErrorAnswer(431));
      co_await WriteAll(conn, std::move(out));
      co_return true;
    }

    ParsedHead parsed = ParseHead(std::string_view(in).substr(0, head_end));
    in.erase(0, head_end);
    if (parsed.error != 0) {
      std::string out = Serialize(ErrorAnswer(parsed.error));
      co_await WriteAll(conn, std::move(out));
      co_return true;
    }
    const RequestHead& request = parsed.request;

    // Read and discard the body (at most kMaxBodyBytes, checked above).
    uint64_t remaining = request.content_length;
    const size_t buffered = static_cast<size_t>(std::min<uint64_t>(remaining, in.size()));
    in.erase(0, buffered);
    remaining -= buffered;
    while (remaining > 0) {
      auto buffer = asio::buffer(chunk);
      auto token = asio::redirect_error(asio::use_awaitable, ec);
      const size_t n = co_await conn->socket.async_read_some(buffer, token);
      if (ec) co_return false;
      if (n > remaining) {
        in.append(chunk.data() + remaining, n - static_cast<size_t>(remaining));  // the next request
        remaining = 0;
      } else {
        remaining -= n;
      }
    }

    const Answer answer = Route(*state, request);
    std::string out = Serialize(answer);
    const bool written = co_await WriteAll(conn, std::move(out));
    if (!written) co_return false;
    if (answer.close) co_return true;
  }
}

// Stops sending, then reads and drops whatever the client still sends, for a
// little while, so that the close does not turn into a reset that could
// destroy the answer before the client reads it.
asio::awaitable<void> LingeringClose(std::shared_ptr<Connection> conn) {
  asio::error_code ec;
  conn->Enter(Phase::kLingering);
  conn->socket.shutdown(tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  conn->SetDeadline(Clock::now() + kLingerTime);
  std::array<char, 4096> chunk;
  size_t drained = 0;
  while (drained < kMaxLingerBytes) {
    auto buffer = asio::buffer(chunk);
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    const size_t n = co_await conn->socket.async_read_some(buffer, token);
    if (ec) co_return;
    drained += n;
  }
}

asio::awaitable<void> ServeConnection(std::shared_ptr<ServerState> state, std::shared_ptr<Connection> conn,
                                      uint64_t id) {
  const bool linger = co_await ServeRequests(state, conn);
  if (linger) co_await LingeringClose(conn);
  conn->Close();
  state->connections.erase(id);
}

// Closes the connection once its deadline passes.
asio::awaitable<void> Watchdog(std::shared_ptr<Connection> conn) {
  asio::error_code ec;
  while (conn->socket.is_open()) {
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    co_await conn->timer.async_wait(token);
    // Woken by expiry, by a moved deadline (loop to wait for the new one),
    // or by Close().
    if (conn->socket.is_open() && Clock::now() >= conn->deadline) conn->Close();
  }
}

// Makes room for one more connection at the limit: closes, in this order of
// preference, the connection that has waited longest for a request with none
// of it received (idle keep-alive) or is lingering after its last answer;
// else the one whose request has been arriving the longest (a slow or stuck
// client). A connection writing an answer is never evicted. False if every
// connection is writing an answer.
bool Evict(ServerState& state) {
  auto rank = [](const Connection& c) { return c.phase == Phase::kReceiving ? 1 : 0; };
  auto victim = state.connections.end();
  for (auto it = state.connections.begin(); it != state.connections.end(); ++it) {
    const Connection& c = *it->second;
    if (c.phase == Phase::kAnswering) continue;
    if (victim == state.connections.end()) {
      victim = it;
      continue;
    }
    const Connection& v = *victim->second;
    if (rank(c) < rank(v) || (rank(c) == rank(v) && c.since < v.since)) victim = it;
  }
  if (victim == state.connections.end()) return false;
  // Its request loop ends on the closed socket; erasing it here (the loop's
  // own erase then finds nothing) frees the slot at once.
  victim->second->Close();
  state.connections.erase(victim);
  return true;
}

asio::awaitable<void> AcceptLoop(std::shared_ptr<ServerState> state) {
  asio::error_code ec;
  while (!state->stopped) {
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    tcp::socket socket = co_await state->acceptor.async_accept(token);
    if (state->stopped || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors, or the like: pause rather than spin.
      spdlog::warn("http: accept on port {} failed: {}", state->port, ec.message());
      state->retry_timer.expires_after(kAcceptRetryDelay);
      auto wait_token = asio::redirect_error(asio::use_awaitable, ec);
      co_await state->retry_timer.async_wait(wait_token);
      continue;
    }
    if (state->connections.size() >= state->max_connections && !Evict(*state)) {
      socket.close(ec);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);  // each answer is one write; don't hold it back
    auto conn = std::make_shared<Connection>(std::move(socket));
    conn->SetDeadline(Clock::now() + state->idle_timeout);
    const uint64_t id = state->next_connection_id++;
    state->connections.emplace(id, conn);
    asio::co_spawn(state->executor, ServeConnection(state, conn, id),
                   [](std::exception_ptr e) { LogCoroutineFailure("connection", e); });
    asio::co_spawn(state->executor, Watchdog(conn),
                   [](std::exception_ptr e) { LogCoroutineFailure("connection watchdog", e); });
  }
}

}  // namespace

HttpServer::HttpServer(asio::any_io_executor executor)
    : state_(std::make_shared<internal::ServerState>(std::move(executor))) {}

HttpServer::~HttpServer() = default;

void HttpServer::Handle(std::string path, Handler handler) {
  state_->handlers[std::move(path)] = std::move(handler);
}

void HttpServer::set_idle_timeout(std::chrono::milliseconds timeout) { state_->idle_timeout = timeout; }

void HttpServer::set_max_connections(size_t max_connections) { state_->max_connections = max_connections; }

absl::Status HttpServer::Listen(const std::string& address, uint16_t port) {
  const std::string host = address.find(':') != std::string::npos ? "[" + address + "]" : address;
  const std::string where = host + ":" + std::to_string(port);
  auto fail = [&](std::string_view step, const asio::error_code& ec) {
    asio::error_code ignored;
    state_->acceptor.close(ignored);
    return absl::UnavailableError("http: cannot listen on " + where + ": " + std::string(step) + ": " + ec.message());
  };

  asio::error_code ec;
  tcp::endpoint endpoint;
  const asio::ip::address ip = asio::ip::make_address(address, ec);
  if (!ec) {
    endpoint = tcp::endpoint(ip, port);
  } else {
    tcp::resolver resolver(state_->executor);
    const auto results = resolver.resolve(address, std::to_string(port),
                                          tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec) return fail("resolve", ec);
    if (results.empty()) return fail("resolve", asio::error::host_not_found);
    endpoint = results.begin()->endpoint();
  }

  tcp::acceptor& acceptor = state_->acceptor;
  if (acceptor.open(endpoint.protocol(), ec); ec) return fail("open", ec);
  if (acceptor.set_option(tcp::acceptor::reuse_address(true), ec); ec) return fail("set SO_REUSEADDR", ec);
  if (acceptor.bind(endpoint, ec); ec) return fail("bind", ec);
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) return fail("listen", ec);
  const tcp::endpoint bound = acceptor.local_endpoint(ec);
  if (ec) return fail("local address", ec);
  state_->port = bound.port();
  return absl::OkStatus();
}

uint16_t HttpServer::port() const { return state_->port; }

void HttpServer::Start() {
  state_->started = true;
  asio::co_spawn(state_->executor, AcceptLoop(state_),
                 [](std::exception_ptr e) { LogCoroutineFailure("accept loop", e); });
}

void HttpServer::Stop() {
  internal::ServerState& state = *state_;
  if (state.stopped) return;
  state.stopped = true;
  asio::error_code ignored;
  state.acceptor.close(ignored);
  state.retry_timer.cancel();
  for (auto& [id, conn] : state.connections) conn->Close();
}

}  // namespace inventory::http
