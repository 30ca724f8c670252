// CqlFaultProxy against an in-process fake CQL server (label: unit; no
// Cassandra). The fake answers every request frame with RESULT/Void on the
// same stream and records the frames it received, so each test can say what
// reached the server and what came back to the raw client socket.
#include "cql_fault_proxy.h"

#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace inventory::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
using Options = CqlFaultProxy::FaultOptions;

constexpr uint8_t kStartup = 0x01;
constexpr uint8_t kOptions = 0x05;
constexpr uint8_t kQuery = 0x07;
constexpr uint8_t kResult = 0x08;
constexpr uint8_t kPrepare = 0x09;
constexpr uint8_t kExecute = 0x0A;
constexpr uint8_t kRegister = 0x0B;
constexpr uint8_t kBatch = 0x0D;
constexpr uint8_t kAuthResponse = 0x0F;
constexpr milliseconds kWait(2000);  // bound of every wait that should succeed

// A v4 frame (§2): version, flags 0, stream, opcode, body length, body.
std::string MakeFrame(uint8_t version, uint8_t opcode, int16_t stream, std::string_view body) {
  const auto s = static_cast<uint16_t>(stream);
  const auto n = static_cast<uint32_t>(body.size());
  std::string f{static_cast<char>(version), 0, static_cast<char>(s >> 8), static_cast<char>(s & 0xFF),
                static_cast<char>(opcode),  static_cast<char>(n >> 24), static_cast<char>((n >> 16) & 0xFF),
                static_cast<char>((n >> 8) & 0xFF), static_cast<char>(n & 0xFF)};
  f.append(body);
  return f;
}
std::string Request(uint8_t opcode, int16_t stream, std::string_view body = "") {
  return MakeFrame(0x04, opcode, stream, body);
}
int16_t StreamOf(const std::string& frame) {
  const auto* h = reinterpret_cast<const unsigned char*>(frame.data());
  return static_cast<int16_t>(static_cast<uint16_t>((h[2] << 8) | h[3]));
}
uint32_t BodyLengthOf(const char* header) {
  const auto* h = reinterpret_cast<const unsigned char*>(header);
  return (uint32_t{h[5]} << 24) | (uint32_t{h[6]} << 16) | (uint32_t{h[7]} << 8) | uint32_t{h[8]};
}

// Open descriptors of this process.
int OpenFds() {
  int n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return -1;
  while (::readdir(d) != nullptr) ++n;
  ::closedir(d);
  return n;
}

int ListenOnLoopback(int* port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ADD_FAILURE() << "cannot bind a loopback socket";
    return fd;
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool RecvExact(int fd, char* out, size_t n) {
  while (n > 0) {
    const ssize_t r = ::recv(fd, out, n, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    out += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

// The fake server: a loopback listener thread and one thread per connection.
class FakeCqlServer {
 public:
  FakeCqlServer() {
    listener_ = ListenOnLoopback(&port_);
    ::listen(listener_, 64);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~FakeCqlServer() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    acceptor_.join();
    ::close(listener_);
    // The acceptor is gone; join outside mu_, which Serve() takes.
    std::vector<int> fds;
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mu_);
      fds.swap(fds_);
      threads.swap(threads_);
    }
    for (int fd : fds) ::shutdown(fd, SHUT_RDWR);
    for (std::thread& t : threads) t.join();
    for (int fd : fds) ::close(fd);
  }
  FakeCqlServer(const FakeCqlServer&) = delete;
  FakeCqlServer& operator=(const FakeCqlServer&) = delete;

  int port() const { return port_; }
  // When set, each answer is written in two pieces (header, then body) with
  // a pause between, so the proxy reads it split.
  void set_split_answers(bool split) { split_answers_ = split; }

  // Every request frame received so far (all connections, arrival order).
  std::vector<std::string> frames() {
    std::lock_guard<std::mutex> lock(mu_);
    return frames_;
  }
  // Waits until at least n frames were received; false after kWait.
  bool WaitForFrames(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kWait, [&] { return frames_.size() >= n; });
  }

 private:
  void AcceptLoop() {
    while (!stopping_) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      std::lock_guard<std::mutex> lock(mu_);
      fds_.push_back(fd);
      threads_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  void Serve(int fd) {
    for (;;) {
      std::string frame(9, '\0');
      if (!RecvExact(fd, frame.data(), 9)) break;
      const uint32_t length = BodyLengthOf(frame.data());
      frame.resize(9 + length);
      if (!RecvExact(fd, frame.data() + 9, length)) break;
      {
        std::lock_guard<std::mutex> lock(mu_);
        frames_.push_back(frame);
      }
      cv_.notify_all();
      const std::string answer = MakeFrame(0x84, kResult, StreamOf(frame), std::string("\0\0\0\1", 4));
      if (split_answers_) {
        if (!SendAll(fd, std::string_view(answer).substr(0, 9))) break;
        std::this_thread::sleep_for(milliseconds(1));
        if (!SendAll(fd, std::string_view(answer).substr(9))) break;
      } else if (!SendAll(fd, answer)) {
        break;
      }
    }
    ::shutdown(fd, SHUT_RDWR);
  }

  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> split_answers_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> frames_;
  std::vector<int> fds_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

// A raw client socket that reads whole frames with a bounded wait.
class Client {
 public:
  enum class Got { kFrame, kEof, kTimeout };
  struct Reply {
    Got got = Got::kTimeout;
    std::string frame;
  };

  explicit Client(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }
  bool Send(std::string_view bytes) { return SendAll(fd_, bytes); }

  // The next whole frame; kEof on EOF or reset; kTimeout after `timeout`.
  Reply Read(milliseconds timeout = kWait) {
    const Clock::time_point deadline = Clock::now() + timeout;
    for (;;) {
      if (buffer_.size() >= 9 && buffer_.size() >= 9 + BodyLengthOf(buffer_.data())) {
        const size_t n = 9 + BodyLengthOf(buffer_.data());
        Reply r{Got::kFrame, buffer_.substr(0, n)};
        buffer_.erase(0, n);
        return r;
      }
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return {};
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      char chunk[65536];
      const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return {Got::kEof, ""};
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

// Reads one frame and checks it is the fake server's answer on `stream`.
void ExpectAnswer(Client& client, int16_t stream) {
  const Client::Reply r = client.Read();
  ASSERT_EQ(r.got, Client::Got::kFrame) << "no answer on stream " << stream;
  EXPECT_EQ(r.frame, MakeFrame(0x84, kResult, stream, std::string("\0\0\0\1", 4)));
}

TEST(CqlFaultProxyTest, RelaysFramesSplitAcrossAndPackedWithinWrites) {
  FakeCqlServer server;
  CqlFaultProxy proxy("127.0.0.1", server.port(), 1);
  Client client(proxy.port());
  ASSERT_TRUE(client.connected());
  std::vector<std::string> sent;

  // Frames written a few bytes at a time (header cut in two, body in two),
  // answers written header first, then body.
  server.set_split_answers(true);
  for (int i = 0; i < 20; ++i) {
    const uint8_t opcode = i == 0 ? kStartup : (i % 3 == 0 ? kExecute : (i % 3 == 1 ? kQuery : kBatch));
    const std::string body(static_cast<size_t>(i * 37), static_cast<char>('a' + i % 26));
    const std::string frame = Request(opcode, static_cast<int16_t>(i), body);
    const size_t cuts[] = {3, 9, 9 + frame.size() / 2 - 4};
    size_t at = 0;
    for (size_t cut : cuts) {
      ASSERT_TRUE(client.Send(std::string_view(frame).substr(at, cut - at)));
      at = cut;
      std::this_thread::sleep_for(milliseconds(1));
    }
    ASSERT_TRUE(client.Send(std::string_view(frame).substr(at)));
    sent.push_back(frame);
    ExpectAnswer(client, static_cast<int16_t>(i));
  }
  server.set_split_answers(false);

  // A hundred frames in one write, one of them bigger than any single read;
  // the answers come back packed too.
  std::string packed;
  std::set<int16_t> streams;
  for (int i = 0; i < 100; ++i) {
    const auto stream = static_cast<int16_t>(100 + i);
    const size_t size = i == 50 ? 300000 : static_cast<size_t>(i % 7) * 11;
    const std::string frame = Request(kQuery, stream, std::string(size, static_cast<char>('0' + i % 10)));
    packed += frame;
    sent.push_back(frame);
    streams.insert(stream);
  }
  ASSERT_TRUE(client.Send(packed));
  for (int i = 0; i < 100; ++i) {
    const Client::Reply r = client.Read();
    ASSERT_EQ(r.got, Client::Got::kFrame) << "answer " << i;
    EXPECT_EQ(streams.erase(StreamOf(r.frame)), 1u) << StreamOf(r.frame);
  }

  EXPECT_EQ(server.frames(), sent);  // byte for byte, in order
  EXPECT_EQ(proxy.requests_seen(), 119u);  // all but the STARTUP
  EXPECT_EQ(proxy.cuts_before() + proxy.cuts_after() + proxy.delayed(), 0u);
  EXPECT_EQ(proxy.connections_accepted(), 1u);
}

TEST(CqlFaultProxyTest, CutBeforeDropsTheConnectionWithoutForwarding) {
  FakeCqlServer server;
  CqlFaultProxy proxy("127.0.0.1", server.port(), 2);
  proxy.SetFaults({.cut_before = 1});
  Client client(proxy.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send(Request(kStartup, 0)));
  ExpectAnswer(client, 0);

  ASSERT_TRUE(client.Send(Request(kQuery, 3, "SELECT")));
  EXPECT_EQ(client.Read().got, Client::Got::kEof);
  // The drop happens instead of forwarding, so by now it is final.
  ASSERT_EQ(server.frames().size(), 1u);
  EXPECT_EQ(server.frames()[0], Request(kStartup, 0));
  EXPECT_EQ(proxy.requests_seen(), 1u);
  EXPECT_EQ(proxy.cuts_before(), 1u);
  EXPECT_EQ(proxy.cuts_after(), 0u);
}

TEST(CqlFaultProxyTest, CutAfterForwardsTheRequestButNeverItsAnswer) {
  FakeCqlServer server;
  CqlFaultProxy proxy("127.0.0.1", server.port(), 3);
  proxy.SetFaults({.cut_after = 1});
  // Several connections, so several random waits (0-30 ms) are covered; the
  // fake answers at once, i.e. well before the drop.
  for (int i = 0; i < 5; ++i) {
    Client client(proxy.port());
    ASSERT_TRUE(client.connected());
    const std::string request = Request(kExecute, static_cast<int16_t>(9 + i), "bound values");
    ASSERT_TRUE(client.Send(request));
    ASSERT_TRUE(server.WaitForFrames(static_cast<size_t>(i + 1)));
    EXPECT_EQ(server.frames().back(), request);
    EXPECT_EQ(client.Read().got, Client::Got::kEof) << "the answer must not be relayed";
  }
  EXPECT_EQ(proxy.requests_seen(), 5u);
  EXPECT_EQ(proxy.cuts_after(), 5u);
  EXPECT_EQ(proxy.connections_accepted(), 5u);
}

TEST(CqlFaultProxyTest, DelayHoldsTheAnswerWhileOthersOvertakeIt) {
  FakeCqlServer server;
  CqlFaultProxy proxy("127.0.0.1", server.port(), 4);
  Client client(proxy.port());
  ASSERT_TRUE(client.connected());
  proxy.SetFaults({.delay = 1, .delay_min_ms = 200, .delay_max_ms = 300});
  const Clock::time_point start = Clock::now();
  ASSERT_TRUE(client.Send(Request(kQuery, 1, "slow")));
  ASSERT_TRUE(server.WaitForFrames(1));  // its fault is drawn by now
  proxy.SetFaults({});
  ASSERT_TRUE(client.Send(Request(kQuery, 2, "fast")));

  Client::Reply first = client.Read();
  ASSERT_EQ(first.got, Client::Got::kFrame);
  EXPECT_EQ(StreamOf(first.frame), 2) << "an undelayed answer overtakes the delayed one";
  EXPECT_LT(Clock::now() - start, milliseconds(200));
  Client::Reply second = client.Read();
  ASSERT_EQ(second.got, Client::Got::kFrame);
  EXPECT_EQ(StreamOf(second.frame), 1);
  const auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, milliseconds(200));
  EXPECT_LT(elapsed, milliseconds(1000));
  EXPECT_EQ(proxy.delayed(), 1u);
  EXPECT_EQ(proxy.requests_seen(), 2u);
}

TEST(CqlFaultProxyTest, HandshakeOpcodesAreNeverFaulted) {
  FakeCqlServer server;
  CqlFaultProxy proxy("127.0.0.1", server.port(), 5);
  proxy.SetFaults({.cut_before = 1, .cut_after = 1, .delay = 1, .delay_min_ms = 200, .delay_max_ms = 300});
  Client client(proxy.port());
  ASSERT_TRUE(client.connected());
  const Clock::time_point start = Clock::now();
  const uint8_t opcodes[] = {kStartup, kOptions, kPrepare, kRegister, kAuthResponse};
  int16_t stream = 0;
  for (uint8_t opcode : opcodes) {
    ASSERT_TRUE(client.Send(Request(opcode, stream, "x")));
    ExpectAnswer(client, stream);
    ++stream;
  }
  EXPECT_LT(Clock::now() - start, milliseconds(200)) << "nothing was delayed";
  EXPECT_EQ(proxy.requests_seen(), 0u);
  EXPECT_EQ(proxy.cuts_before() + proxy.cuts_after() + proxy.delayed(), 0u);

  // A QUERY is faulted; with every probability 1 the first fault wins.
  ASSERT_TRUE(client.Send(Request(kQuery, stream)));
  EXPECT_EQ(client.Read().got, Client::Got::kEof);
  EXPECT_EQ(proxy.cuts_before(), 1u);
  EXPECT_EQ(server.frames().size(), 5u);
}

TEST(CqlFaultProxyTest, CutDropsAndRefusesUntilRestore) {
  FakeCqlServer server;
  CqlFaultProxy proxy("127.0.0.1", server.port(), 6);
  Client before(proxy.port());
  ASSERT_TRUE(before.Send(Request(kStartup, 0)));
  ExpectAnswer(before, 0);

  proxy.Cut();
  EXPECT_EQ(before.Read().got, Client::Got::kEof);
  Client during(proxy.port());  // TCP-accepted, then closed at once
  EXPECT_EQ(during.Read().got, Client::Got::kEof);

  proxy.Restore();
  Client after(proxy.port());
  ASSERT_TRUE(after.Send(Request(kQuery, 7)));
  ExpectAnswer(after, 7);
  EXPECT_EQ(proxy.connections_accepted(), 3u);
  EXPECT_EQ(proxy.requests_seen(), 1u);
}

TEST(CqlFaultProxyTest, UnreachableTargetClosesTheAcceptedConnection) {
  int dead_port = 0;
  const int bound_not_listening = ListenOnLoopback(&dead_port);  // connect is refused
  {
    CqlFaultProxy proxy("127.0.0.1", dead_port, 7);
    Client client(proxy.port());
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.Send(Request(kStartup, 0)));
    EXPECT_EQ(client.Read().got, Client::Got::kEof);
    EXPECT_EQ(proxy.connections_accepted(), 1u);
  }
  ::close(bound_not_listening);
}

TEST(CqlFaultProxyTest, DestructorDiscardsPendingDelaysPromptly) {
  FakeCqlServer server;
  auto proxy = std::make_unique<CqlFaultProxy>("127.0.0.1", server.port(), 8);
  proxy->SetFaults({.delay = 1, .delay_min_ms = 10000, .delay_max_ms = 10000});
  Client client(proxy->port());
  ASSERT_TRUE(client.Send(Request(kBatch, 4, "batch")));
  ASSERT_TRUE(server.WaitForFrames(1));
  const Clock::time_point start = Clock::now();
  proxy.reset();
  EXPECT_LT(Clock::now() - start, milliseconds(1000));
  EXPECT_EQ(client.Read().got, Client::Got::kEof);
}

TEST(CqlFaultProxyTest, ReapsDroppedConnectionsAndLeavesNoDescriptorsBehind) {
  const int before = OpenFds();
  {
    FakeCqlServer server;
    CqlFaultProxy proxy("127.0.0.1", server.port(), 9);
    const int idle = OpenFds();
    proxy.SetFaults({.cut_before = 1});
    for (int i = 0; i < 10; ++i) {
      Client client(proxy.port());
      ASSERT_TRUE(client.Send(Request(kStartup, 0)));
      ExpectAnswer(client, 0);  // relayed: the proxy holds two sockets
      ASSERT_TRUE(client.Send(Request(kQuery, 1)));
      EXPECT_EQ(client.Read().got, Client::Got::kEof);
    }
    // Dropped connections are joined and closed by the proxy while it runs;
    // what stays open is the fake server's side of each (closed by it at the
    // end).
    const Clock::time_point deadline = Clock::now() + kWait;
    while (OpenFds() != idle + 10 && Clock::now() < deadline) std::this_thread::sleep_for(milliseconds(10));
    EXPECT_EQ(OpenFds(), idle + 10);

    // Live, cut-after and delayed connections at destruction.
    proxy.SetFaults({.delay = 1, .delay_min_ms = 5000, .delay_max_ms = 5000});
    Client delayed(proxy.port());
    ASSERT_TRUE(delayed.Send(Request(kQuery, 2)));
    proxy.SetFaults({});
    Client live(proxy.port());
    ASSERT_TRUE(live.Send(Request(kStartup, 0)));
    ExpectAnswer(live, 0);
  }
  EXPECT_EQ(OpenFds(), before);
}

// Which requests are cut, for 40 sequential requests (a new connection after
// each cut).
std::vector<bool> CutPattern(int server_port, uint64_t seed) {
  CqlFaultProxy proxy("127.0.0.1", server_port, seed);
  proxy.SetFaults({.cut_before = 0.5});
  std::vector<bool> cut;
  auto client = std::make_unique<Client>(proxy.port());
  for (int i = 0; i < 40; ++i) {
    client->Send(Request(kQuery, static_cast<int16_t>(i)));
    const bool dropped = client->Read().got != Client::Got::kFrame;
    cut.push_back(dropped);
    if (dropped) client = std::make_unique<Client>(proxy.port());
  }
  return cut;
}

TEST(CqlFaultProxyTest, SameSeedSameFaults) {
  FakeCqlServer server;
  const std::vector<bool> a = CutPattern(server.port(), 42);
  const std::vector<bool> b = CutPattern(server.port(), 42);
  EXPECT_EQ(a, b);
  const auto cuts = std::count(a.begin(), a.end(), true);
  EXPECT_GT(cuts, 5);
  EXPECT_LT(cuts, 35);
}

}  // namespace
}  // namespace inventory::testing
