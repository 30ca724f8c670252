#include "http/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace inventory::http {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kBody = "metric_a 1\nmetric_b 2\n";

struct ParsedResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  bool Has(const std::string& name) const { return headers.count(name) > 0; }
  std::string Get(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// A blocking loopback client on a raw socket; every read has a timeout so a
// broken server fails the test instead of hanging it.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~Client() { Close(); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // One response; for a HEAD request the body is not read.
  std::optional<ParsedResponse> Read(bool head_request = false) {
    const auto deadline = Clock::now() + 5s;
    size_t head_end;
    while ((head_end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(deadline)) return std::nullopt;
    }
    ParsedResponse r;
    const std::string head = buf_.substr(0, head_end);
    buf_.erase(0, head_end + 4);
    size_t line_end = head.find("\r\n");
    const std::string status_line = head.substr(0, line_end);
    if (status_line.rfind("HTTP/1.1 ", 0) != 0 || !absl::SimpleAtoi(status_line.substr(9, 3), &r.status)) {
      ADD_FAILURE() << "bad status line: " << status_line;
      return std::nullopt;
    }
    while (line_end != std::string::npos) {
      const size_t start = line_end + 2;
      line_end = head.find("\r\n", start);
      const std::string line = head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
      const size_t colon = line.find(':');
      if (colon == std::string::npos) {
        ADD_FAILURE() << "bad header line: " << line;
        return std::nullopt;
      }
      r.headers[absl::AsciiStrToLower(line.substr(0, colon))] =
          std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    }
    size_t length = 0;
    if (!absl::SimpleAtoi(r.Get("content-length"), &length)) {
      ADD_FAILURE() << "no Content-Length";
      return std::nullopt;
    }
    if (!head_request) {
      while (buf_.size() < length) {
        if (!Fill(deadline)) return std::nullopt;
      }
      r.body = buf_.substr(0, length);
      buf_.erase(0, length);
    }
    return r;
  }

  // True if the server closes the connection (EOF or reset) within
  // `timeout`. Bytes received meanwhile go to unread().
  bool WaitForClose(std::chrono::milliseconds timeout = 5s) {
    const auto deadline = Clock::now() + timeout;
    while (Fill(deadline)) {
    }
    return closed_;
  }

  const std::string& unread() const { return buf_; }

 private:
  // Reads more into buf_; false on EOF, error or timeout.
  bool Fill(Clock::time_point deadline) {
    if (closed_) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) {
      closed_ = true;  // 0 = EOF; < 0 = reset
      return false;
    }
    buf_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
  std::string buf_;
};

std::string Get(std::string_view path, std::string_view extra_headers = "") {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra_headers) + "\r\n";
}

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(const std::function<void(HttpServer&)>& configure = {}) {
    server_ = std::make_unique<HttpServer>(io_.get_executor());
    server_->Handle("/metrics", [] {
      Response r;
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      r.body = std::string(kBody);
      return r;
    });
    server_->Handle("/throws", []() -> Response { throw std::runtime_error("boom"); });
    if (configure) configure(*server_);
    const absl::Status listening = server_->Listen("127.0.0.1", 0);
    ASSERT_TRUE(listening.ok()) << listening;
    ASSERT_NE(server_->port(), 0);
    server_->Start();
    thread_ = std::thread([this] {
      io_.run();
      finished_.set_value();
    });
  }

  // Stops the server on its thread; true if every coroutine then ended (the
  // io_context ran out of work).
  bool StopServer() {
    asio::post(io_, [this] { server_->Stop(); });
    const bool finished = finished_.get_future().wait_for(10s) == std::future_status::ready;
    if (!finished) io_.stop();
    thread_.join();
    return finished;
  }

  void TearDown() override {
    if (thread_.joinable()) {
      EXPECT_TRUE(StopServer()) << "coroutines still running 10 s after Stop()";
    }
  }

  uint16_t port() const { return server_->port(); }

  asio::io_context io_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  std::promise<void> finished_;
};

TEST_F(HttpServerTest, GetReturnsTheHandlersBody) {
  StartServer();
  Client c(port());
  ASSERT_TRUE(c.Send(Get("/metrics")));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, kBody);
  EXPECT_EQ(r->Get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r->Get("content-length"), std::to_string(kBody.size()));
  EXPECT_FALSE(r->Has("connection"));
}

TEST_F(HttpServerTest, HeadSendsHeadersWithoutBody) {
  StartServer();
  Client c(port());
  ASSERT_TRUE(c.Send("HEAD /metrics HTTP/1.1\r\nHost: test\r\n\r\n"));
  auto r = c.Read(/*head_request=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Get("content-length"), std::to_string(kBody.size()));
  // No body bytes follow: the next answer on the connection starts right away.
  ASSERT_TRUE(c.Send(Get("/metrics")));
  auto next = c.Read();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, kBody);
  EXPECT_EQ(c.unread(), "");
}

TEST_F(HttpServerTest, UnknownPathIs404AndKeepsTheConnection) {
  StartServer();
  Client c(port());
  ASSERT_TRUE(c.Send(Get("/nope")));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  ASSERT_TRUE(c.Send(Get("/metrics/")));  // exact match only
  r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  ASSERT_TRUE(c.Send(Get("/metrics")));
  r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpServerTest, QueryStringIsIgnoredForRouting) {
  StartServer();
  Client c(port());
  ASSERT_TRUE(c.Send(Get("/metrics?x=1&y=2")));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, kBody);
  ASSERT_TRUE(c.Send(Get("http://example.com:9100/metrics?x=1")));  // absolute form
  r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpServerTest, OtherMethodsAre405AndTheirBodyIsDiscarded) {
  StartServer();
  Client c(port());
  ASSERT_TRUE(c.Send("POST /metrics HTTP/1.1\r\nHost: test\r\nContent-Length: 11\r\n\r\nhello=world"));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->Get("allow"), "GET, HEAD");
  // The body was consumed, not taken for the next request.
  ASSERT_TRUE(c.Send(Get("/metrics")));
  r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);

  ASSERT_TRUE(c.Send("DELETE /nope HTTP/1.1\r\nHost: test\r\n\r\n"));
  r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
}

TEST_F(HttpServerTest, BodyArrivingInPiecesIsDiscarded) {
  StartServer();
  Client c(port());
  ASSERT_TRUE(c.Send("GET /metrics HTTP/1.1\r\nHost: test\r\nContent-Length: 6000\r\n\r\n"));
  ASSERT_TRUE(c.Send(std::string(3000, 'x')));
  std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(c.Send(std::string(3000, 'y') + Get("/metrics")));  // body end + the next request
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, kBody);
}

TEST_F(HttpServerTest, MalformedRequestsAre400AndClose) {
  StartServer();
  for (std::string_view bad : {
           "GARBAGE\r\n\r\n",
           "GET /metrics\r\n\r\n",
           "GET  /metrics HTTP/1.1\r\n\r\n",
           "GET /metrics HTTP/1.1 extra\r\n\r\n",
           "GET /metrics FTP/1.1\r\n\r\n",
           "GET metrics HTTP/1.1\r\n\r\n",
           "G(T /metrics HTTP/1.1\r\n\r\n",
           "GET /metrics HTTP/1.1\r\nNoColon\r\n\r\n",
           "GET /metrics HTTP/1.1\r\nBad Name: x\r\n\r\n",
           "GET /metrics HTTP/1.1\r\nX: a\r\n folded\r\n\r\n",
           "GET /metrics HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
           "GET /metrics HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
       }) {
    SCOPED_TRACE(bad);
    Client c(port());
    ASSERT_TRUE(c.Send(bad));
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(r->Get("connection"), "close");
    EXPECT_TRUE(c.WaitForClose());
  }
}

TEST_F(HttpServerTest, UnsupportedVersionAndTransferEncoding) {
  StartServer();
  {
    Client c(port());
    ASSERT_TRUE(c.Send("GET /metrics HTTP/2.0\r\n\r\n"));
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 505);
    EXPECT_TRUE(c.WaitForClose());
  }
  {
    Client c(port());
    ASSERT_TRUE(c.Send("GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 501);
    EXPECT_TRUE(c.WaitForClose());
  }
}

TEST_F(HttpServerTest, OversizedHeadIs431AndCloses) {
  StartServer();
  {
    // Never finished: the server gives up once past 8 KiB.
    Client c(port());
    ASSERT_TRUE(c.Send("GET /metrics HTTP/1.1\r\nX-Big: " + std::string(9000, 'a')));
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 431);
    EXPECT_EQ(r->Get("connection"), "close");
    EXPECT_TRUE(c.WaitForClose());
  }
  {
    // Complete but just over the limit, sent at once.
    const std::string prefix = "GET /metrics HTTP/1.1\r\nX-Big: ";
    const std::string head = prefix + std::string(HttpServer::kMaxHeadBytes + 1 - prefix.size() - 4, 'a') + "\r\n\r\n";
    ASSERT_EQ(head.size(), HttpServer::kMaxHeadBytes + 1);
    Client c(port());
    ASSERT_TRUE(c.Send(head));
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 431);
    EXPECT_TRUE(c.WaitForClose());
  }
  {
    // Exactly at the limit is served.
    const std::string prefix = "GET /metrics HTTP/1.1\r\nX-Big: ";
    const std::string head = prefix + std::string(HttpServer::kMaxHeadBytes - prefix.size() - 4, 'a') + "\r\n\r\n";
    ASSERT_EQ(head.size(), HttpServer::kMaxHeadBytes);
    Client c(port());
    ASSERT_TRUE(c.Send(head));
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
}

TEST_F(HttpServerTest, OversizedBodyIs413AndCloses) {
  StartServer();
  Client c(port());
  ASSERT_TRUE(c.Send("POST /metrics HTTP/1.1\r\nHost: test\r\nContent-Length: 9000\r\n\r\n" + std::string(9000, 'b')));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->Get("connection"), "close");
  EXPECT_TRUE(c.WaitForClose());
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  StartServer();
  Client c(port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.Send(Get("/metrics")));
    auto r = c.Read();
    ASSERT_TRUE(r) << "request " << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, kBody);
  }
  // Pipelined: two requests in one write, answered in order.
  ASSERT_TRUE(c.Send(Get("/nope") + Get("/metrics")));
  auto first = c.Read();
  auto second = c.Read();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->status, 404);
  EXPECT_EQ(second->status, 200);
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  StartServer();
  Client c(port());
  ASSERT_TRUE(c.Send(Get("/metrics", "Connection: close\r\n")));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, kBody);
  EXPECT_EQ(r->Get("connection"), "close");
  EXPECT_TRUE(c.WaitForClose());
}

TEST_F(HttpServerTest, Http10ClosesUnlessKeepAliveIsAsked) {
  StartServer();
  {
    Client c(port());
    ASSERT_TRUE(c.Send("GET /metrics HTTP/1.0\r\n\r\n"));
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->Get("connection"), "close");
    EXPECT_TRUE(c.WaitForClose());
  }
  {
    Client c(port());
    ASSERT_TRUE(c.Send("GET /metrics HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->Get("connection"), "keep-alive");
    ASSERT_TRUE(c.Send("GET /metrics HTTP/1.0\r\n\r\n"));
    r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_TRUE(c.WaitForClose());
  }
}

TEST_F(HttpServerTest, ToleratesBareLineFeedsAndLeadingBlankLines) {
  StartServer();
  Client c(port());
  ASSERT_TRUE(c.Send("\r\n\nGET /metrics HTTP/1.1\nHost: test\n\n"));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpServerTest, ThrowingHandlerGives500) {
  StartServer();
  Client c(port());
  ASSERT_TRUE(c.Send(Get("/throws")));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_THAT(r->body, Not(HasSubstr("boom")));
}

TEST_F(HttpServerTest, HandlerStatusAndContentType) {
  StartServer([](HttpServer& server) {
    server.Handle("/healthz", [] { return Response{503, "application/json", "{\"status\":\"NOT_SERVING\"}"}; });
  });
  Client c(port());
  ASSERT_TRUE(c.Send(Get("/healthz")));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->Get("content-type"), "application/json");
  EXPECT_EQ(r->body, "{\"status\":\"NOT_SERVING\"}");
}

TEST_F(HttpServerTest, StopClosesIdleConnections) {
  StartServer();
  Client used(port());
  ASSERT_TRUE(used.Send(Get("/metrics")));
  ASSERT_TRUE(used.Read());
  Client fresh(port());  // accepted, no request yet
  ASSERT_TRUE(fresh.connected());
  std::this_thread::sleep_for(50ms);

  EXPECT_TRUE(StopServer()) << "coroutines still running after Stop()";
  EXPECT_TRUE(used.WaitForClose(2s));
  EXPECT_TRUE(fresh.WaitForClose(2s));
  Client late(port());
  EXPECT_FALSE(late.connected());  // the acceptor is closed
}

TEST_F(HttpServerTest, IdleConnectionsAreClosedAfterTheTimeout) {
  StartServer([](HttpServer& server) { server.set_idle_timeout(300ms); });
  Client silent(port());
  Client used(port());
  ASSERT_TRUE(used.Send(Get("/metrics")));
  ASSERT_TRUE(used.Read());
  const auto start = Clock::now();
  EXPECT_TRUE(silent.WaitForClose(5s));
  EXPECT_TRUE(used.WaitForClose(5s));
  EXPECT_GE(Clock::now() - start, 200ms);

  // A connection in use is not cut while requests keep coming.
  Client busy(port());
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(100ms);
    ASSERT_TRUE(busy.Send(Get("/metrics")));
    auto r = busy.Read();
    ASSERT_TRUE(r) << "request " << i;
    EXPECT_EQ(r->status, 200);
  }
}

// Sends GET /metrics on `c` and reads the answer; true if it is a 200.
bool Served(Client& c) {
  if (!c.Send(Get("/metrics"))) return false;
  auto r = c.Read();
  return r && r->status == 200;
}

TEST_F(HttpServerTest, AtTheLimitANewConnectionEvictsTheLongestIdle) {
  StartServer();  // the default limit
  std::vector<std::unique_ptr<Client>> idle;
  for (size_t i = 0; i < HttpServer::kDefaultMaxConnections; ++i) {
    idle.push_back(std::make_unique<Client>(port()));
    ASSERT_TRUE(Served(*idle.back())) << "connection " << i;  // then idle, kept alive
  }

  // A health probe still gets in...
  Client probe(port());
  EXPECT_TRUE(Served(probe));
  // ...in place of the connection idle the longest; the others stay open.
  EXPECT_TRUE(idle.front()->WaitForClose(2s));
  EXPECT_TRUE(Served(*idle[1]));
  EXPECT_TRUE(Served(*idle.back()));
}

TEST_F(HttpServerTest, AtTheLimitAConnectionReceivingARequestIsKeptOverAnIdleOne) {
  StartServer([](HttpServer& server) { server.set_max_connections(2); });
  Client receiving(port());
  ASSERT_TRUE(receiving.Send("GET /metrics HTTP/1.1\r\n"));  // the head goes on
  std::this_thread::sleep_for(50ms);
  Client idle(port());
  ASSERT_TRUE(Served(idle));

  Client probe(port());
  EXPECT_TRUE(Served(probe));
  EXPECT_TRUE(idle.WaitForClose(2s));
  ASSERT_TRUE(receiving.Send("Host: test\r\n\r\n"));
  auto r = receiving.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpServerTest, AtTheLimitWithNoIdleConnectionTheSlowestRequestIsEvicted) {
  StartServer([](HttpServer& server) { server.set_max_connections(2); });
  Client slowest(port());
  ASSERT_TRUE(slowest.Send("GET /metrics HTTP/1.1\r\n"));
  std::this_thread::sleep_for(50ms);
  Client slow(port());
  ASSERT_TRUE(slow.Send("GET /metrics HTTP/1.1\r\n"));
  std::this_thread::sleep_for(50ms);

  Client probe(port());
  EXPECT_TRUE(Served(probe));
  EXPECT_TRUE(slowest.WaitForClose(2s));
  ASSERT_TRUE(slow.Send("Host: test\r\n\r\n"));
  auto r = slow.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpServerTest, AtTheLimitWhileEveryConnectionIsAnsweringNewOnesAreClosed) {
  // An answer far bigger than the socket buffers stays in writing while its
  // client reads nothing.
  StartServer([](HttpServer& server) {
    server.set_max_connections(1);
    server.Handle("/big", [] {
      Response r;
      r.body = std::string(64 << 20, 'x');
      return r;
    });
  });
  auto answering = std::make_unique<Client>(port());
  ASSERT_TRUE(answering->Send(Get("/big")));
  std::this_thread::sleep_for(200ms);
  Client refused(port());
  EXPECT_TRUE(refused.WaitForClose(2s));

  // Once it closes, its slot is free again.
  answering.reset();
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {
    Client c(port());
    served = Served(c);
    if (!served) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(served);
}

TEST_F(HttpServerTest, ListenFailureNamesTheAddress) {
  StartServer();
  HttpServer other(io_.get_executor());
  const absl::Status status = other.Listen("127.0.0.1", port());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()), HasSubstr(absl::StrCat("127.0.0.1:", port())));
}

}  // namespace
}  // namespace inventory::http
