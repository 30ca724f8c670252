// Live tests of redis::Client against a real redis-server.
//
// Hermetic: every test starts its own redis-server child process on a free
// port (testing/redis_server.h) and kills it at the end.

#include "redis/client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "absl/strings/str_cat.h"
#include "common/test_coro.h"
#include "redis/script.h"
#include "testing/redis_server.h"

namespace redis {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
using inventory::testing::Millis;
using inventory::testing::Sleep;
using testing::RedisServer;

std::string ToString(const absl::StatusOr<Reply>& r) {
  return r.ok() ? r->DebugString() : r.status().ToString();
}

// Counts outstanding coroutines; Wait() resumes when all called Done().
// Single-threaded (all parties on one io_context thread).
class WaitGroup {
 public:
  explicit WaitGroup(asio::any_io_executor ex)
      : timer_(ex, Clock::time_point::max()) {}
  void Add(int n) { count_ += n; }
  void Done() {
    if (--count_ == 0) timer_.cancel();
  }
  asio::awaitable<void> Wait() {
    while (count_ > 0) {
      asio::error_code ec;
      co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

 private:
  asio::steady_timer timer_;
  int count_ = 0;
};

class ClientTest : public ::testing::Test {
 protected:
  void StartServer(RedisServer::Options options = {}) {
    auto server = RedisServer::Start(std::move(options));
    if (absl::IsNotFound(server.status())) {
      GTEST_SKIP() << "redis-server is not installed";
    }
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  void SetUp() override { StartServer(); }

  ClientOptions Options() const {
    ClientOptions o;
    o.host = "127.0.0.1";
    o.port = server_->port();
    return o;
  }

  // Runs `body` on io_, then closes `clients` and runs io_ until every piece
  // of background work has finished (which also checks that Close() stops
  // the client completely).
  void Run(std::function<asio::awaitable<void>()> body,
           std::vector<Client*> clients) {
    bool finished = false;
    std::exception_ptr error;
    asio::co_spawn(io_, body(), [&](std::exception_ptr e) {
      finished = true;
      error = e;
      for (Client* c : clients) c->Close();
    });
    io_.run_for(std::chrono::seconds(60));
    ASSERT_TRUE(finished) << "test body did not finish";
    EXPECT_TRUE(io_.stopped()) << "work left after Close()";
    if (error) std::rethrow_exception(error);
  }

  asio::io_context io_;
  std::unique_ptr<RedisServer> server_;
};

TEST_F(ClientTest, SetGetRoundTrip) {
  Client client(io_.get_executor(), Options());
  Run(
      [&]() -> asio::awaitable<void> {
        EXPECT_FALSE(client.connected());
        auto set = co_await client.Command("SET", "greeting", "hello");
        CO_ASSERT_OK(set);
        EXPECT_EQ(*set, Reply::SimpleString("OK"));
        EXPECT_TRUE(client.connected());

        auto get = co_await client.Command("GET", "greeting");
        CO_ASSERT_OK(get);
        EXPECT_EQ(*get, Reply::BulkString("hello"));

        auto missing = co_await client.Command("GET", "nope");
        CO_ASSERT_OK(missing);
        EXPECT_TRUE(missing->is_nil());

        // Binary-safe keys and values.
        const std::string key("k\r\n\0k", 5);
        const std::string value("v\0\r\n*1\r\nv", 10);
        std::vector<std::string> argv = {"SET", key, value};
        CO_ASSERT_OK(co_await client.Command(std::move(argv)));
        auto bin = co_await client.Command("GET", key);
        CO_ASSERT_OK(bin);
        EXPECT_EQ(bin->str(), value);

        auto incr = co_await client.Command("INCRBY", "n", "5");
        CO_ASSERT_OK(incr);
        EXPECT_EQ(*incr, Reply::Integer(5));

        // A server error is an error Reply, not a Status.
        auto wrong = co_await client.Command("INCR", "greeting");
        CO_ASSERT_OK(wrong);
        EXPECT_TRUE(wrong->is_error()) << wrong->DebugString();
        EXPECT_EQ(wrong->error_code(), "ERR");
        auto wrong_type = co_await client.Command("LPUSH", "greeting", "x");
        CO_ASSERT_OK(wrong_type);
        EXPECT_EQ(wrong_type->error_code(), "WRONGTYPE");

        std::vector<std::string> no_args;
        auto empty = co_await client.Command(std::move(no_args));
        EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);

        auto ping = co_await client.Ping();
        EXPECT_TRUE(ping.ok()) << ping;
        EXPECT_EQ(client.commands_sent(), 9u);
        EXPECT_EQ(client.stats().connects, 1u);
      },
      {&client});
}

TEST_F(ClientTest, PipelineReturnsOneResultPerCommand) {
  Client client(io_.get_executor(), Options());
  Run(
      [&]() -> asio::awaitable<void> {
        std::vector<std::vector<std::string>> cmds = {
            {"SET", "a", "1"},
            {"INCR", "a"},
            {"GET", "a"},
            {"HGET", "a", "f"},  // WRONGTYPE
            {"GET", "missing"},
            {"MGET", "a", "missing"},
        };
        auto results = co_await client.Pipeline(std::move(cmds));
        CO_ASSERT_TRUE(results.size() == 6u);
        for (const auto& r : results) CO_ASSERT_OK(r);
        EXPECT_EQ(*results[0], Reply::SimpleString("OK"));
        EXPECT_EQ(*results[1], Reply::Integer(2));
        EXPECT_EQ(*results[2], Reply::BulkString("2"));
        EXPECT_EQ(results[3]->error_code(), "WRONGTYPE");
        EXPECT_TRUE(results[4]->is_nil());
        EXPECT_EQ(*results[5],
                  Reply::Array({Reply::BulkString("2"), Reply::Nil()}));
        EXPECT_EQ(client.stats().writes, 2u);  // handshake not counted: PING + 1

        std::vector<std::vector<std::string>> bad = {{"PING"}, {}};
        auto invalid = co_await client.Pipeline(std::move(bad));
        CO_ASSERT_TRUE(invalid.size() == 2u);
        EXPECT_EQ(invalid[0].status().code(),
                  absl::StatusCode::kInvalidArgument);
      },
      {&client});
}

TEST_F(ClientTest, TenThousandPipelinedIncrs) {
  constexpr int kCommands = 10000;
  ClientOptions options = Options();
  options.command_timeout = milliseconds(10000);
  Client client(io_.get_executor(), options);
  Run(
      [&]() -> asio::awaitable<void> {
        CO_ASSERT_TRUE((co_await client.Ping()).ok());
        const uint64_t writes_before = client.stats().writes;
        WaitGroup wg(io_.get_executor());
        int ok = 0;
        int64_t max_seen = 0;
        wg.Add(kCommands);
        for (int i = 0; i < kCommands; ++i) {
          asio::co_spawn(
              io_,
              [&]() -> asio::awaitable<void> {
                auto r = co_await client.Command("INCR", "counter");
                if (r.ok() && r->is_integer()) {
                  ++ok;
                  max_seen = std::max(max_seen, r->integer());
                } else {
                  ADD_FAILURE() << ToString(r);
                }
                wg.Done();
              },
              asio::detached);
        }
        co_await wg.Wait();
        EXPECT_EQ(ok, kCommands);
        EXPECT_EQ(max_seen, kCommands);
        auto final_value = co_await client.Command("GET", "counter");
        CO_ASSERT_OK(final_value);
        EXPECT_EQ(final_value->AsInteger().value_or(-1), kCommands);
        const uint64_t writes = client.stats().writes - writes_before;
        EXPECT_LT(writes, kCommands / 10u) << "writes are not batched";
        EXPECT_EQ(client.commands_sent(), kCommands + 2u);
      },
      {&client});
}

TEST_F(ClientTest, SafeFromAnyThread) {
  // The client's state lives on its strand; callers on a multi-threaded
  // io_context may call it concurrently.
  constexpr int kCommands = 2000;
  ClientOptions options = Options();
  options.command_timeout = milliseconds(10000);  // about safety, not speed
  Client client(io_.get_executor(), options);
  std::atomic<int> remaining{kCommands};
  std::atomic<int> failures{0};
  std::mutex first_failure_mu;
  std::string first_failure;
  std::promise<void> all_done;
  auto work = asio::make_work_guard(io_);
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) threads.emplace_back([&] { io_.run(); });
  for (int i = 0; i < kCommands; ++i) {
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          auto r = co_await client.Command("INCR", "mt");
          if (!r.ok() || !r->is_integer()) {
            if (failures.fetch_add(1) == 0) {
              std::lock_guard<std::mutex> lock(first_failure_mu);
              first_failure = ToString(r);
            }
          }
          (void)client.stats();
          if (remaining.fetch_sub(1) == 1) all_done.set_value();
        },
        asio::detached);
  }
  const bool done = all_done.get_future().wait_for(std::chrono::seconds(30)) ==
                    std::future_status::ready;
  client.Close();
  work.reset();
  for (auto& t : threads) t.join();
  ASSERT_TRUE(done);
  std::lock_guard<std::mutex> lock(first_failure_mu);
  EXPECT_EQ(failures.load(), 0) << "first failure: " << first_failure;
  EXPECT_EQ(client.commands_sent(), static_cast<uint64_t>(kCommands));
}

TEST_F(ClientTest, ScriptUsesEvalShaWithNoscriptFallback) {
  Client client(io_.get_executor(), Options());
  const Script script("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  Run(
      [&]() -> asio::awaitable<void> {
        std::vector<std::string> keys = {"{trip:1}:n"};
        std::vector<std::string> args = {"5"};
        // Fresh server: EVALSHA -> NOSCRIPT -> EVAL.
        auto first = co_await client.Eval(script, keys, args);
        CO_ASSERT_OK(first);
        EXPECT_EQ(*first, Reply::Integer(5));
        EXPECT_EQ(client.stats().noscript_fallbacks, 1u);

        // Cached now: a single EVALSHA.
        const uint64_t sent = client.commands_sent();
        auto second = co_await client.Eval(script, keys, args);
        CO_ASSERT_OK(second);
        EXPECT_EQ(*second, Reply::Integer(10));
        EXPECT_EQ(client.commands_sent(), sent + 1);
        EXPECT_EQ(client.stats().noscript_fallbacks, 1u);

        // Our locally computed SHA1 is the server's.
        auto exists = co_await client.Command("SCRIPT", "EXISTS", script.sha1());
        CO_ASSERT_OK(exists);
        EXPECT_EQ(*exists, Reply::Array({Reply::Integer(1)}));

        CO_ASSERT_OK(co_await client.Command("SCRIPT", "FLUSH"));
        auto third = co_await client.Eval(script, keys, args);
        CO_ASSERT_OK(third);
        EXPECT_EQ(*third, Reply::Integer(15));
        EXPECT_EQ(client.stats().noscript_fallbacks, 2u);
      },
      {&client});
}

TEST_F(ClientTest, ScriptErrorsAreVisible) {
  Client client(io_.get_executor(), Options());
  Run(
      [&]() -> asio::awaitable<void> {
        const std::vector<std::string> none;
        const Script refuse("return redis.error_reply('SEAT_TAKEN seat 12A')");
        auto r1 = co_await client.Eval(refuse, none, none);
        CO_ASSERT_OK(r1);
        EXPECT_TRUE(r1->is_error());
        EXPECT_EQ(r1->error_code(), "SEAT_TAKEN");

        CO_ASSERT_OK(co_await client.Command("SET", "str", "x"));
        const Script bad_call("return redis.call('HGET', KEYS[1], 'f')");
        std::vector<std::string> keys = {"str"};
        auto r2 = co_await client.Eval(bad_call, keys, none);
        CO_ASSERT_OK(r2);
        EXPECT_TRUE(r2->is_error());
        EXPECT_NE(r2->str().find("WRONGTYPE"), std::string::npos) << r2->str();

        const Script syntax("return +");
        auto r3 = co_await client.Eval(syntax, none, none);
        CO_ASSERT_OK(r3);
        EXPECT_TRUE(r3->is_error());
        EXPECT_NE(r3->str().find("compiling"), std::string::npos) << r3->str();

        // A runtime error raised by Lua itself.
        const Script runtime("error('boom')");
        auto r4 = co_await client.Eval(runtime, none, none);
        CO_ASSERT_OK(r4);
        EXPECT_TRUE(r4->is_error());
        EXPECT_NE(r4->str().find("boom"), std::string::npos) << r4->str();

        // The connection is still in step after all of that.
        auto get = co_await client.Command("GET", "str");
        CO_ASSERT_OK(get);
        EXPECT_EQ(*get, Reply::BulkString("x"));
      },
      {&client});
}

class AuthClientTest : public ClientTest {
 protected:
  void SetUp() override { StartServer({.password = "s3cret pass", .extra_args = {}}); }
};

TEST_F(AuthClientTest, PasswordAuthenticatesEveryConnection) {
  ClientOptions options = Options();
  options.password = "s3cret pass";
  Client client(io_.get_executor(), options);
  ClientOptions acl = options;
  acl.username = "default";  // Redis 6+ AUTH <username> <password>
  acl.db = 2;
  Client acl_client(io_.get_executor(), acl);
  Run(
      [&]() -> asio::awaitable<void> {
        CO_ASSERT_OK(co_await client.Command("SET", "k", "db0"));
        auto get = co_await client.Command("GET", "k");
        CO_ASSERT_OK(get);
        EXPECT_EQ(*get, Reply::BulkString("db0"));

        // ACL form, and SELECT: db 2 does not see db 0's key.
        auto other = co_await acl_client.Command("GET", "k");
        CO_ASSERT_OK(other);
        EXPECT_TRUE(other->is_nil()) << other->DebugString();
        CO_ASSERT_OK(co_await acl_client.Command("SET", "k", "db2"));
        get = co_await client.Command("GET", "k");
        CO_ASSERT_OK(get);
        EXPECT_EQ(*get, Reply::BulkString("db0"));

        // Re-authenticates after the server drops us.
        auto kill = co_await client.Command("CLIENT", "KILL", "TYPE", "normal",
                                            "SKIPME", "no");
        CO_ASSERT_OK(kill);
        EXPECT_EQ(*kill, Reply::Integer(2)) << kill->DebugString();
        absl::StatusOr<Reply> again;
        for (int i = 0; i < 50; ++i) {
          again = co_await client.Command("GET", "k");
          if (again.ok()) break;
          co_await Sleep(milliseconds(20));
        }
        CO_ASSERT_OK(again);
        EXPECT_EQ(*again, Reply::BulkString("db0"));
        EXPECT_GE(client.stats().connects, 2u);
        absl::StatusOr<Reply> acl_again;
        for (int i = 0; i < 50; ++i) {
          acl_again = co_await acl_client.Command("GET", "k");
          if (acl_again.ok()) break;
          co_await Sleep(milliseconds(20));
        }
        CO_ASSERT_OK(acl_again);
        EXPECT_EQ(*acl_again, Reply::BulkString("db2"));
      },
      {&client, &acl_client});
}

TEST_F(AuthClientTest, WrongOrMissingPasswordIsAClearError) {
  ClientOptions wrong = Options();
  wrong.password = "nope";
  Client wrong_client(io_.get_executor(), wrong);
  Client no_password_client(io_.get_executor(), Options());
  Run(
      [&]() -> asio::awaitable<void> {
        auto r = co_await wrong_client.Command("PING");
        EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated)
            << ToString(r);
        const std::string address = absl::StrCat("127.0.0.1:", server_->port());
        EXPECT_NE(r.status().message().find(address), std::string::npos)
            << r.status();
        EXPECT_NE(r.status().message().find("WRONGPASS"), std::string::npos)
            << r.status();
        EXPECT_FALSE(wrong_client.connected());

        // Fails fast while backing off.
        const auto start = Clock::now();
        auto r2 = co_await wrong_client.Command("PING");
        EXPECT_EQ(r2.status().code(), absl::StatusCode::kUnauthenticated);
        EXPECT_LT(Millis(Clock::now() - start), 100);

        auto r3 = co_await no_password_client.Command("PING");
        EXPECT_EQ(r3.status().code(), absl::StatusCode::kUnauthenticated)
            << ToString(r3);
        EXPECT_NE(r3.status().message().find("NOAUTH"), std::string::npos)
            << r3.status();
      },
      {&wrong_client, &no_password_client});
}

TEST_F(ClientTest, TimeoutThenRecoverOnSameConnection) {
  ClientOptions options = Options();
  options.command_timeout = milliseconds(200);
  Client client(io_.get_executor(), options);
  Run(
      [&]() -> asio::awaitable<void> {
        CO_ASSERT_OK(co_await client.Command("SET", "k", "v"));
        auto start = Clock::now();
        auto slow = co_await client.Command("DEBUG", "SLEEP", "1");
        const long elapsed = Millis(Clock::now() - start);
        EXPECT_EQ(slow.status().code(), absl::StatusCode::kDeadlineExceeded)
            << ToString(slow);
        EXPECT_GE(elapsed, 150);
        EXPECT_LT(elapsed, 600);

        // Queued behind the sleeping server: may time out as well.
        auto behind = co_await client.Command("ECHO", "behind");
        if (behind.ok()) {
          EXPECT_EQ(*behind, Reply::BulkString("behind"));
        } else {
          EXPECT_EQ(behind.status().code(),
                    absl::StatusCode::kDeadlineExceeded);
        }

        // Once the server wakes up, replies line up with their requests: the
        // late "+OK" of DEBUG SLEEP (and of ECHO) are discarded.
        absl::StatusOr<Reply> echo;
        for (int i = 0; i < 40; ++i) {
          echo = co_await client.Command("ECHO", absl::StrCat("e", i));
          if (echo.ok()) {
            EXPECT_EQ(*echo, Reply::BulkString(absl::StrCat("e", i)));
            break;
          }
          co_await Sleep(milliseconds(50));
        }
        CO_ASSERT_OK(echo);
        auto get = co_await client.Command("GET", "k");
        CO_ASSERT_OK(get);
        EXPECT_EQ(*get, Reply::BulkString("v"));
        // Per-call timeout override.
        std::vector<std::string> sleep_argv = {"DEBUG", "SLEEP", "0.3"};
        auto longer =
            co_await client.Command(std::move(sleep_argv), milliseconds(2000));
        CO_ASSERT_OK(longer);
        EXPECT_EQ(*longer, Reply::SimpleString("OK"));
        EXPECT_GE(client.stats().timeouts, 1u);
        EXPECT_EQ(client.stats().disconnects, 0u);  // slow, not stuck
      },
      {&client});
}

TEST_F(ClientTest, StuckConnectionIsDroppedAndReplaced) {
  ClientOptions options = Options();
  options.command_timeout = milliseconds(200);
  options.stall_timeout = milliseconds(300);
  options.connect_timeout = milliseconds(300);
  Client client(io_.get_executor(), options);
  Run(
      [&]() -> asio::awaitable<void> {
        CO_ASSERT_TRUE((co_await client.Ping()).ok());
        auto slow = co_await client.Command("DEBUG", "SLEEP", "1.5");
        EXPECT_EQ(slow.status().code(), absl::StatusCode::kDeadlineExceeded);
        auto stuck = co_await client.Command("PING");
        EXPECT_FALSE(stuck.ok());
        // The second timeout saw > 300 ms of silence: connection dropped.
        EXPECT_EQ(client.stats().disconnects, 1u);

        absl::Status ping;
        for (int i = 0; i < 100; ++i) {
          ping = co_await client.Ping();
          if (ping.ok()) break;
          co_await Sleep(milliseconds(50));
        }
        EXPECT_TRUE(ping.ok()) << ping;
        EXPECT_GE(client.stats().connects, 2u);
      },
      {&client});
}

TEST_F(ClientTest, ConnectTimeoutOnHungServer) {
  ClientOptions options = Options();
  options.connect_timeout = milliseconds(300);
  options.command_timeout = milliseconds(3000);
  Client client(io_.get_executor(), options);
  server_->Freeze();  // kernel still accepts, nobody answers
  Run(
      [&]() -> asio::awaitable<void> {
        const auto start = Clock::now();
        auto r = co_await client.Command("PING");
        const long elapsed = Millis(Clock::now() - start);
        EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable)
            << ToString(r);
        EXPECT_NE(r.status().message().find("timed out"), std::string::npos)
            << r.status();
        EXPECT_GE(elapsed, 250);
        EXPECT_LT(elapsed, 1500);
        server_->Thaw();
        absl::Status ping;
        for (int i = 0; i < 100; ++i) {
          ping = co_await client.Ping();
          if (ping.ok()) break;
          co_await Sleep(milliseconds(50));
        }
        EXPECT_TRUE(ping.ok()) << ping;
      },
      {&client});
}

TEST_F(ClientTest, InFlightCommandsFailWhenServerDies) {
  ClientOptions options = Options();
  options.command_timeout = milliseconds(5000);
  Client client(io_.get_executor(), options);
  Run(
      [&]() -> asio::awaitable<void> {
        CO_ASSERT_TRUE((co_await client.Ping()).ok());
        asio::co_spawn(
            io_,
            [&]() -> asio::awaitable<void> {
              co_await Sleep(milliseconds(200));
              server_->Stop();
            },
            asio::detached);
        const auto start = Clock::now();
        auto r = co_await client.Command("DEBUG", "SLEEP", "3");
        EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable)
            << ToString(r);
        EXPECT_LT(Millis(Clock::now() - start), 1500);
        EXPECT_FALSE(client.connected());
      },
      {&client});
}

TEST_F(ClientTest, FailsFastWhileServerIsDown) {
  Client client(io_.get_executor(), Options());
  Run(
      [&]() -> asio::awaitable<void> {
        CO_ASSERT_TRUE((co_await client.Ping()).ok());
        server_->Stop();
        const std::string address = absl::StrCat("127.0.0.1:", server_->port());
        // The first call may notice the dead connection; all fail quickly.
        long worst_after_first = 0;
        for (int i = 0; i < 50; ++i) {
          const auto start = Clock::now();
          auto r = co_await client.Command("GET", "k");
          const long elapsed = Millis(Clock::now() - start);
          if (i > 0) worst_after_first = std::max(worst_after_first, elapsed);
          EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable)
              << ToString(r);
          EXPECT_NE(r.status().message().find(address), std::string::npos)
              << r.status();
          co_await Sleep(milliseconds(10));
        }
        EXPECT_LT(worst_after_first, 100);
        EXPECT_GT(client.stats().fail_fast, 0u);
      },
      {&client});
}

TEST_F(ClientTest, NeverConnectedServerFailsFast) {
  ClientOptions options = Options();
  server_->Stop();  // nothing listens on this port now
  Client client(io_.get_executor(), options);
  Run(
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 20; ++i) {
          const auto start = Clock::now();
          auto r = co_await client.Command("PING");
          EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
          EXPECT_NE(r.status().message().find("connect failed"),
                    std::string::npos)
              << r.status();
          EXPECT_LT(Millis(Clock::now() - start), 100);
        }
        EXPECT_EQ(client.commands_sent(), 0u);
      },
      {&client});
}

TEST_F(ClientTest, ReconnectsAfterServerRestart) {
  ClientOptions options = Options();
  options.reconnect_backoff_max = milliseconds(500);
  Client client(io_.get_executor(), options);
  Run(
      [&]() -> asio::awaitable<void> {
        CO_ASSERT_OK(co_await client.Command("SET", "k", "before"));
        server_->Stop();
        auto down = co_await client.Command("GET", "k");
        EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable);
        co_await Sleep(milliseconds(600));  // let backoff grow
        const absl::Status restarted = server_->Restart();
        CO_ASSERT_TRUE(restarted.ok());

        const auto start = Clock::now();
        absl::StatusOr<Reply> r;
        while (Clock::now() - start < std::chrono::seconds(5)) {
          r = co_await client.Command("SET", "k", "after");
          if (r.ok()) break;
          co_await Sleep(milliseconds(20));
        }
        CO_ASSERT_OK(r);
        EXPECT_EQ(*r, Reply::SimpleString("OK"));
        EXPECT_LT(Millis(Clock::now() - start), 1000);
        auto get = co_await client.Command("GET", "k");
        CO_ASSERT_OK(get);
        EXPECT_EQ(*get, Reply::BulkString("after"));
        EXPECT_TRUE(client.connected());
        EXPECT_EQ(client.stats().connects, 2u);
        EXPECT_GE(client.stats().disconnects, 1u);
      },
      {&client});
}

TEST_F(ClientTest, CloseCancelsInFlightAndLaterCalls) {
  ClientOptions options = Options();
  options.command_timeout = milliseconds(5000);
  Client client(io_.get_executor(), options);
  Run(
      [&]() -> asio::awaitable<void> {
        CO_ASSERT_TRUE((co_await client.Ping()).ok());
        asio::co_spawn(
            io_,
            [&]() -> asio::awaitable<void> {
              co_await Sleep(milliseconds(100));
              client.Close();
            },
            asio::detached);
        auto r = co_await client.Command("DEBUG", "SLEEP", "0.5");
        EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled)
            << ToString(r);
        auto after = co_await client.Command("PING");
        EXPECT_EQ(after.status().code(), absl::StatusCode::kCancelled);
        EXPECT_FALSE(client.connected());
      },
      {&client});
}

TEST_F(ClientTest, DestroyingClientWithCallsInFlightIsSafe) {
  auto client = std::make_unique<Client>(io_.get_executor(), Options());
  absl::StatusOr<Reply> result;
  bool done = false;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        result = co_await client->Command("DEBUG", "SLEEP", "0.2");
        done = true;
      },
      asio::detached);
  io_.run_for(milliseconds(50));  // request written, reply pending
  client.reset();
  io_.restart();
  io_.run_for(std::chrono::seconds(10));
  EXPECT_TRUE(done);
  EXPECT_TRUE(io_.stopped());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled);
}

}  // namespace
}  // namespace redis
