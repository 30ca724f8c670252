// Faults a real server will not produce on demand, against a scripted
// in-process fake server (hermetic: binds 127.0.0.1 port 0): a connection
// dropped with requests in flight, a server that never answers, and a
// server that went away.
#include <chrono>
#include <memory>
#include <string>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <gtest/gtest.h>

#include "cql/session.h"
#include "cql_test_env.h"
#include "frame_header.h"
#include "request_writer.h"

namespace cql::internal {
namespace {

using asio::ip::tcp;
constexpr auto kTuple = asio::experimental::as_tuple(asio::use_awaitable);

enum class Mode { kAnswer, kDropOnQuery, kSilentOnQuery };

struct FakeServer {
  explicit FakeServer(asio::io_context& io) : acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
  uint16_t port() const { return acceptor.local_endpoint().port(); }

  asio::awaitable<void> Serve(tcp::socket socket) {
    for (;;) {
      std::string header(kFrameHeaderSize, '\0');
      auto [ec, n] = co_await asio::async_read(socket, asio::buffer(header), kTuple);
      if (ec) co_return;
      auto h = DecodeFrameHeader(header);
      if (!h.ok()) co_return;
      std::string body(static_cast<size_t>(h->length), '\0');
      auto [ec2, n2] = co_await asio::async_read(socket, asio::buffer(body), kTuple);
      if (ec2) co_return;
      std::string out;
      RequestWriter w(&out);
      Opcode reply = Opcode::kReady;
      size_t start = 0;
      if (h->opcode == Opcode::kOptions) {
        reply = Opcode::kSupported;
        start = w.BeginFrame(reply, h->stream);
        w.WriteStringMultimap({{"CQL_VERSION", "3.0.0"}});
      } else if (h->opcode == Opcode::kStartup) {
        start = w.BeginFrame(reply, h->stream);
      } else {
        ++queries;
        if (mode == Mode::kDropOnQuery) {
          socket.close();
          co_return;
        }
        if (mode == Mode::kSilentOnQuery) continue;
        reply = Opcode::kResult;
        start = w.BeginFrame(reply, h->stream);
        w.WriteInt(1);  // Void
      }
      w.EndFrame(start);
      out[start] = static_cast<char>(0x84);
      auto [ec3, n3] = co_await asio::async_write(socket, asio::buffer(out), kTuple);
      if (ec3) co_return;
    }
  }

  asio::awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kTuple);
      if (ec) co_return;
      ++connections;
      asio::co_spawn(acceptor.get_executor(), Serve(std::move(socket)), asio::detached);
    }
  }

  tcp::acceptor acceptor;
  Mode mode = Mode::kAnswer;
  int connections = 0;
  int queries = 0;
};

SessionOptions OptionsFor(uint16_t port) {
  SessionOptions o;
  o.contact_points = {"127.0.0.1"};
  o.port = port;
  o.connect_timeout = std::chrono::milliseconds(2000);
  o.request_timeout = std::chrono::milliseconds(2000);
  return o;
}

TEST(ConnectionFaultTest, DroppedConnectionFailsInFlightRequestsThenReconnects) {
  asio::io_context io;
  FakeServer server(io);
  asio::co_spawn(io, server.Accept(), asio::detached);
  auto session = testing::RunSync(io, Session::Connect(io.get_executor(), OptionsFor(server.port())));
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ(server.connections, 1);

  server.mode = Mode::kDropOnQuery;
  int failed_unavailable = 0;
  int finished = 0;
  for (int i = 0; i < 3; ++i) {
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      auto r = co_await (*session)->Query("SELECT 1");
      if (!r.ok() && r.status().code() == absl::StatusCode::kUnavailable) ++failed_unavailable;
    }, [&](std::exception_ptr) { if (++finished == 3) io.stop(); });
  }
  const auto start = std::chrono::steady_clock::now();
  io.restart();
  io.run();
  EXPECT_EQ(failed_unavailable, 3);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ((*session)->open_connections(), 0);

  // The next request reconnects.
  server.mode = Mode::kAnswer;
  auto r = testing::RunSync(io, (*session)->Query("SELECT 1"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->kind(), ResultKind::kVoid);
  EXPECT_EQ(server.connections, 2);
}

TEST(ConnectionFaultTest, SilentServerHitsClientTimeout) {
  asio::io_context io;
  FakeServer server(io);
  asio::co_spawn(io, server.Accept(), asio::detached);
  auto session = testing::RunSync(io, Session::Connect(io.get_executor(), OptionsFor(server.port())));
  ASSERT_TRUE(session.ok()) << session.status();
  server.mode = Mode::kSilentOnQuery;
  QueryOptions options;
  options.timeout = std::chrono::milliseconds(200);
  const auto start = std::chrono::steady_clock::now();
  auto r = testing::RunSync(io, (*session)->Query("SELECT 1", {}, options));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_GE(elapsed, std::chrono::milliseconds(190));
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST(ConnectionFaultTest, ServerGoneFailsFastWithBackoff) {
  asio::io_context io;
  auto server = std::make_unique<FakeServer>(io);
  const uint16_t port = server->port();
  asio::co_spawn(io, server->Accept(), asio::detached);
  auto session = testing::RunSync(io, Session::Connect(io.get_executor(), OptionsFor(port)));
  ASSERT_TRUE(session.ok()) << session.status();
  server->mode = Mode::kDropOnQuery;
  server->acceptor.close();  // nothing listens any more
  auto r = testing::RunSync(io, (*session)->Query("SELECT 1"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  // Reconnect refused, then backoff: both fail fast and name the endpoint.
  for (int i = 0; i < 2; ++i) {
    const auto start = std::chrono::steady_clock::now();
    r = testing::RunSync(io, (*session)->Query("SELECT 1"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
    EXPECT_NE(r.status().message().find("127.0.0.1:" + std::to_string(port)), absl::string_view::npos)
        << r.status();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  }
}

}  // namespace
}  // namespace cql::internal
