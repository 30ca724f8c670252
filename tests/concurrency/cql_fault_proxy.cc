#include "cql_fault_proxy.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <set>
#include <utility>

namespace inventory::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kHeaderSize = 9;                      // §2
constexpr uint32_t kMaxBodyLength = 256u * 1024 * 1024;  // §2.5
constexpr uint8_t kResponseBit = 0x80;                 // §2.1
constexpr uint8_t kOpQuery = 0x07;                     // §2.4
constexpr uint8_t kOpExecute = 0x0A;
constexpr uint8_t kOpBatch = 0x0D;
constexpr int kCutAfterMaxWaitMs = 30;
constexpr auto kConnectTimeout = std::chrono::seconds(5);

// One whole frame, its bytes untouched, with the header fields we act on.
struct Frame {
  std::string bytes;
  bool response = false;
  int16_t stream = 0;
  uint8_t opcode = 0;
};

// Cuts a byte stream into whole frames (§2), whatever the TCP boundaries.
// Sans-I/O: Append() what was read, then Pop() until it says kNeedMore.
class FrameSplitter {
 public:
  enum class Next { kFrame, kNeedMore, kMalformed };

  void Append(const char* data, size_t n) {
    if (start_ > 0) {
      buffer_.erase(0, start_);
      start_ = 0;
    }
    buffer_.append(data, n);
  }

  // kFrame: *frame holds the next whole frame. kNeedMore: the buffered bytes
  // end inside a frame. kMalformed: the next header's body length is over
  // 256 MiB or negative; the stream cannot be resynchronised.
  Next Pop(Frame* frame) {
    const size_t available = buffer_.size() - start_;
    if (available < kHeaderSize) return Next::kNeedMore;
    const auto* h = reinterpret_cast<const unsigned char*>(buffer_.data() + start_);
    const uint32_t length = (uint32_t{h[5]} << 24) | (uint32_t{h[6]} << 16) | (uint32_t{h[7]} << 8) | uint32_t{h[8]};
    if (length > kMaxBodyLength) return Next::kMalformed;  // also a negative [int]
    if (available < kHeaderSize + length) return Next::kNeedMore;
    frame->response = (h[0] & kResponseBit) != 0;
    frame->stream = static_cast<int16_t>(static_cast<uint16_t>((h[2] << 8) | h[3]));
    frame->opcode = h[4];
    frame->bytes.assign(buffer_, start_, kHeaderSize + length);
    start_ += kHeaderSize + length;
    return Next::kFrame;
  }

 private:
  std::string buffer_;
  size_t start_ = 0;  // bytes of buffer_ already popped
};

bool IsFaultable(const Frame& f) {
  return !f.response && (f.opcode == kOpQuery || f.opcode == kOpExecute || f.opcode == kOpBatch);
}

// Writes all of `data`; false if the socket failed or was shut down.
bool SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

void SetNoDelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

double ClampProbability(double p) {
  if (!(p > 0)) return 0;  // also NaN
  return p > 1 ? 1 : p;
}

}  // namespace

// One relayed connection and its three threads:
//  * ClientToServer connects to the target, then reads client frames, draws
//    faults and forwards them;
//  * ServerToClient reads server frames, discards the responses doomed by a
//    cut_after and queues the rest with their release time;
//  * WriteToClient relays queued frames to the client when they are due.
// Every path that ends one thread drops the connection (or, when the server
// closed, lets the writer flush and then drop), so all three always end.
struct CqlFaultProxy::Connection {
  explicit Connection(int client) : client_fd(client) {}

  // Shuts both sockets down (waking every blocked recv/send) and wakes every
  // wait. Descriptors are closed only after the threads are joined.
  // REQUIRES: mu held.
  void DropLocked() {
    if (closed) return;
    closed = true;
    ::shutdown(client_fd, SHUT_RDWR);
    if (server_fd >= 0) ::shutdown(server_fd, SHUT_RDWR);
    cv.notify_all();
  }
  void Drop() {
    std::lock_guard<std::mutex> lock(mu);
    DropLocked();
  }

  const int client_fd;

  std::mutex mu;
  std::condition_variable cv;
  int server_fd = -1;         // set once by ClientToServer
  bool connected = false;     // server_fd is connected
  bool closed = false;        // dropped: every thread stops
  bool server_done = false;   // the server side reached EOF or failed
  std::set<int16_t> doomed;   // streams whose response must never be relayed
  std::map<int16_t, int> delay_ms;  // streams whose response is to be delayed
  // Frames for the client by (release time, arrival sequence).
  std::map<std::pair<Clock::time_point, uint64_t>, std::string> outgoing;
  uint64_t next_sequence = 0;

  std::thread threads[3];
  std::atomic<int> finished{0};  // threads that have returned
};

CqlFaultProxy::CqlFaultProxy(std::string target_host, int target_port, uint64_t seed) : rng_(seed) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(target_host.c_str(), std::to_string(target_port).c_str(), &hints, &found) == 0 &&
      found != nullptr) {
    if (found->ai_addrlen <= sizeof(target_)) {
      std::memcpy(&target_, found->ai_addr, found->ai_addrlen);
      target_len_ = found->ai_addrlen;
    }
  }
  if (found != nullptr) ::freeaddrinfo(found);

  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener_ < 0) return;
  int one = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || ::listen(listener_, 128) != 0) {
    ::close(listener_);
    listener_ = -1;
    return;
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

CqlFaultProxy::~CqlFaultProxy() {
  stopping_ = true;
  if (listener_ >= 0) ::shutdown(listener_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  if (listener_ >= 0) ::close(listener_);
  // The acceptor is gone: nothing adds connections any more.
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& c : connections_) c->Drop();
  for (auto& c : connections_) {
    for (std::thread& t : c->threads) t.join();
    ::close(c->client_fd);
    if (c->server_fd >= 0) ::close(c->server_fd);
  }
  connections_.clear();
}

void CqlFaultProxy::SetFaults(const FaultOptions& options) {
  FaultOptions o;
  o.cut_before = ClampProbability(options.cut_before);
  o.cut_after = ClampProbability(options.cut_after);
  o.delay = ClampProbability(options.delay);
  o.delay_min_ms = std::max(0, options.delay_min_ms);
  o.delay_max_ms = std::max(o.delay_min_ms, options.delay_max_ms);
  std::lock_guard<std::mutex> lock(rng_mu_);
  options_ = o;
}

void CqlFaultProxy::Cut() {
  cut_ = true;  // before taking mu_: see AcceptLoop
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& c : connections_) c->Drop();
}

void CqlFaultProxy::Restore() { cut_ = false; }

CqlFaultProxy::Decision CqlFaultProxy::Draw() {
  std::lock_guard<std::mutex> lock(rng_mu_);
  ++requests_seen_;
  // 53 random bits: u is uniform in [0, 1), never 1, so a probability of 1
  // always fires and 0 never does.
  const double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
  const FaultOptions& o = options_;
  Decision d;
  if (u < o.cut_before) {
    d.fault = Fault::kCutBefore;
    ++cuts_before_;
  } else if (u < o.cut_before + o.cut_after) {
    d.fault = Fault::kCutAfter;
    d.millis = std::uniform_int_distribution<int>(0, kCutAfterMaxWaitMs)(rng_);
    ++cuts_after_;
  } else if (u < o.cut_before + o.cut_after + o.delay) {
    d.fault = Fault::kDelay;
    d.millis = std::uniform_int_distribution<int>(o.delay_min_ms, o.delay_max_ms)(rng_);
    ++delayed_;
  }
  return d;
}

void CqlFaultProxy::AcceptLoop() {
  while (!stopping_) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ReapFinishedLocked();
    }
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;  // includes the listener shut down by the destructor
    ++connections_accepted_;
    if (stopping_ || target_len_ == 0) {
      ::close(client);
      continue;
    }
    SetNoDelay(client);
    std::lock_guard<std::mutex> lock(mu_);
    // Checked under mu_: a concurrent Cut() either sees this connection in
    // connections_ or has already set cut_.
    if (cut_) {
      ::close(client);
      continue;
    }
    auto c = std::make_unique<Connection>(client);
    Connection* raw = c.get();
    raw->threads[0] = std::thread([this, raw] {
      ClientToServer(*raw);
      ++raw->finished;
    });
    raw->threads[1] = std::thread([this, raw] {
      ServerToClient(*raw);
      ++raw->finished;
    });
    raw->threads[2] = std::thread([this, raw] {
      WriteToClient(*raw);
      ++raw->finished;
    });
    connections_.push_back(std::move(c));
  }
}

void CqlFaultProxy::ReapFinishedLocked() {
  // One decision per connection: a connection finishing meanwhile is left
  // for the next round, never dropped unjoined.
  for (size_t i = 0; i < connections_.size();) {
    Connection& c = *connections_[i];
    if (c.finished.load() != 3) {
      ++i;
      continue;
    }
    for (std::thread& t : c.threads) t.join();
    ::close(c.client_fd);
    if (c.server_fd >= 0) ::close(c.server_fd);
    connections_[i] = std::move(connections_.back());
    connections_.pop_back();
  }
}

void CqlFaultProxy::ClientToServer(Connection& c) {
  // Connect without blocking the acceptor or ignoring a Drop().
  const int server = ::socket(target_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  bool ok = server >= 0;
  if (ok && ::connect(server, reinterpret_cast<const sockaddr*>(&target_), target_len_) != 0) {
    ok = errno == EINPROGRESS;
    const Clock::time_point deadline = Clock::now() + kConnectTimeout;
    while (ok) {
      pollfd p{server, POLLOUT, 0};
      const int r = ::poll(&p, 1, 50);
      if (r > 0) {
        int error = 0;
        socklen_t len = sizeof(error);
        ok = ::getsockopt(server, SOL_SOCKET, SO_ERROR, &error, &len) == 0 && error == 0;
        break;
      }
      std::lock_guard<std::mutex> lock(c.mu);
      if (c.closed || Clock::now() >= deadline) ok = false;
    }
  }
  if (ok) {
    ok = ::fcntl(server, F_SETFL, ::fcntl(server, F_GETFL) & ~O_NONBLOCK) == 0;
    SetNoDelay(server);
  }
  {
    std::lock_guard<std::mutex> lock(c.mu);
    c.server_fd = server;  // closed by whoever joins the threads
    if (!ok || c.closed) {
      c.DropLocked();
      return;
    }
    c.connected = true;
    c.cv.notify_all();
  }

  FrameSplitter splitter;
  char buffer[65536];
  std::string out;  // whole frames to forward, in order
  for (;;) {
    const ssize_t n = ::recv(c.client_fd, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    splitter.Append(buffer, static_cast<size_t>(n));
    Frame frame;
    FrameSplitter::Next next;
    while ((next = splitter.Pop(&frame)) == FrameSplitter::Next::kFrame) {
      const Decision d = IsFaultable(frame) ? Draw() : Decision{};
      switch (d.fault) {
        case Fault::kNone:
          break;
        case Fault::kCutBefore:
          SendAll(server, out);  // the frames before it were forwarded
          c.Drop();
          return;
        case Fault::kCutAfter: {
          // Doomed before it is sent, so its response cannot slip through.
          std::unique_lock<std::mutex> lock(c.mu);
          c.doomed.insert(frame.stream);
          lock.unlock();
          out += frame.bytes;
          SendAll(server, out);
          lock.lock();
          c.cv.wait_for(lock, std::chrono::milliseconds(d.millis), [&] { return c.closed; });
          c.DropLocked();
          return;
        }
        case Fault::kDelay: {
          std::lock_guard<std::mutex> lock(c.mu);
          c.delay_ms[frame.stream] = d.millis;
          break;
        }
      }
      out += frame.bytes;
    }
    if (next == FrameSplitter::Next::kMalformed) break;
    if (!SendAll(server, out)) break;
    out.clear();
  }
  c.Drop();
}

void CqlFaultProxy::ServerToClient(Connection& c) {
  int server = -1;
  {
    std::unique_lock<std::mutex> lock(c.mu);
    c.cv.wait(lock, [&] { return c.connected || c.closed; });
    if (c.closed) return;
    server = c.server_fd;
  }
  FrameSplitter splitter;
  char buffer[65536];
  bool malformed = false;
  while (!malformed) {
    const ssize_t n = ::recv(server, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    splitter.Append(buffer, static_cast<size_t>(n));
    Frame frame;
    FrameSplitter::Next next;
    std::lock_guard<std::mutex> lock(c.mu);
    const Clock::time_point now = Clock::now();
    while ((next = splitter.Pop(&frame)) == FrameSplitter::Next::kFrame) {
      Clock::time_point release = now;
      if (frame.response && frame.stream >= 0) {
        if (c.doomed.erase(frame.stream) > 0) continue;  // a cut_after's answer: never relayed
        auto delayed = c.delay_ms.find(frame.stream);
        if (delayed != c.delay_ms.end()) {
          release += std::chrono::milliseconds(delayed->second);
          c.delay_ms.erase(delayed);
        }
      }
      c.outgoing.emplace(std::make_pair(release, c.next_sequence++), std::move(frame.bytes));
    }
    c.cv.notify_all();
    malformed = next == FrameSplitter::Next::kMalformed;
  }
  std::lock_guard<std::mutex> lock(c.mu);
  if (malformed) {
    c.DropLocked();
  } else {
    c.server_done = true;  // the writer flushes what is queued, then drops
    c.cv.notify_all();
  }
}

void CqlFaultProxy::WriteToClient(Connection& c) {
  std::string out;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(c.mu);
      for (;;) {
        if (c.closed) return;
        if (!c.outgoing.empty()) {
          const Clock::time_point first = c.outgoing.begin()->first.first;
          if (first <= Clock::now()) break;
          c.cv.wait_until(lock, first);
          continue;
        }
        if (c.server_done) {
          c.DropLocked();
          return;
        }
        c.cv.wait(lock);
      }
      const Clock::time_point now = Clock::now();
      while (!c.outgoing.empty() && c.outgoing.begin()->first.first <= now) {
        out += c.outgoing.begin()->second;
        c.outgoing.erase(c.outgoing.begin());
      }
    }
    if (!SendAll(c.client_fd, out)) {
      c.Drop();
      return;
    }
    out.clear();
  }
}

}  // namespace inventory::testing
