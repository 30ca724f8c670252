// CqlFaultProxy — a fault-injecting TCP proxy in front of a CQL server, for
// tests (the e2e tests' TcpProxy, grown up). It listens on a free loopback
// port and relays each accepted connection to the target, frame by frame:
// it reassembles CQL native protocol frames in both directions
// (native_protocol_v4.spec §2: a 9-byte header — version, flags, stream
// [short], opcode, body length [int] — then the body), whether they arrive
// split across or packed within TCP reads, and never alters a frame's bytes.
//
// FAULTS are drawn for each client→server request frame whose opcode is
// QUERY (0x07), EXECUTE (0x0A) or BATCH (0x0D); every other frame (STARTUP,
// OPTIONS, PREPARE, REGISTER, AUTH_RESPONSE, …) passes untouched, so a client
// can always (re)connect and prepare. For each such request one uniform draw
// picks at most one fault, with the probabilities of FaultOptions:
//  * cut_before — the connection is dropped (both sockets shut down) and the
//    request is NOT forwarded: the server never sees it.
//  * cut_after — the request IS forwarded; after a random 0–30 ms (so the
//    server usually executes it) the connection is dropped. The response to
//    that request is never relayed, even if it arrives before the drop: the
//    client sees the connection break with the outcome unknown.
//  * delay — the request is forwarded; the response carrying its stream id is
//    held for a random [delay_min_ms, delay_max_ms] counted from its arrival
//    from the server, then relayed.
// If the probabilities add up to more than 1, the earlier ones win
// (cut_before, then cut_after, then delay).
//
// ORDERING of responses. Responses are relayed in the order of their release
// time (arrival, plus the delay for a delayed one), ties in arrival order.
// So responses to other requests on the same connection OVERTAKE a delayed
// one (as a real server may answer out of order, §2.3), and never wait behind
// it; two delayed responses come out in the order their delays end. Server
// EVENTs (stream -1) are never delayed.
//
// RANDOMNESS is one generator seeded with `seed`, drawn under a mutex. The
// same seed and the same sequence of faultable requests (one connection, or
// requests that do not race across connections) give the same faults; with
// concurrent connections the order of draws follows the threads' timing.
//
// LIMITS. Only the v3/v4 framing is understood (not v5's segment framing
// after STARTUP). A frame whose body length is negative or over 256 MiB
// (§2.5) drops its connection. Each relayed connection uses three threads;
// finished connections are reaped (joined and closed) within ~100 ms.
//
// THREAD SAFETY. Every public method may be called from any thread,
// concurrently, except the destructor. Test code only: plain blocking
// sockets and threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <sys/socket.h>

namespace inventory::testing {

class CqlFaultProxy {
 public:
  // Per faultable request (see above), the probability of each fault in
  // [0, 1] (values outside are clamped), and the range of a delay in
  // milliseconds (delay_max_ms below delay_min_ms counts as delay_min_ms;
  // negative values count as 0). All zero: a transparent relay.
  struct FaultOptions {
    double cut_before = 0;
    double cut_after = 0;
    double delay = 0;
    int delay_min_ms = 0;
    int delay_max_ms = 0;
  };

  // Starts listening on 127.0.0.1 on a free port and accepting at once.
  // `target_host` is an IP address or a host name (resolved once, here).
  // A target that cannot be resolved or reached is not an error: each
  // accepted connection is then closed. If the listener cannot be set up,
  // port() is 0 and nothing is accepted.
  CqlFaultProxy(std::string target_host, int target_port, uint64_t seed);
  // Drops every connection (pending and delayed frames are discarded), stops
  // and joins every thread and closes every descriptor.
  ~CqlFaultProxy();
  CqlFaultProxy(const CqlFaultProxy&) = delete;
  CqlFaultProxy& operator=(const CqlFaultProxy&) = delete;

  // The loopback port clients connect to.
  int port() const { return port_; }

  // Replaces the fault options; takes effect for the next request frames
  // (faults already chosen — a pending cut or delay — still happen).
  void SetFaults(const FaultOptions& options);

  // Cut() drops every relayed connection and closes new ones at once until
  // Restore(), like TcpProxy. Neither changes the fault options.
  void Cut();
  void Restore();

  // Counters since construction.
  // Faultable request frames (QUERY, EXECUTE, BATCH) seen from clients,
  // whether faulted or not.
  uint64_t requests_seen() const { return requests_seen_.load(); }
  // Requests on which each fault was chosen.
  uint64_t cuts_before() const { return cuts_before_.load(); }
  uint64_t cuts_after() const { return cuts_after_.load(); }
  uint64_t delayed() const { return delayed_.load(); }
  // Client connections accepted by the listener, including those closed at
  // once because the proxy was cut or the target could not be reached.
  uint64_t connections_accepted() const { return connections_accepted_.load(); }

 private:
  struct Connection;
  enum class Fault { kNone, kCutBefore, kCutAfter, kDelay };
  struct Decision {
    Fault fault = Fault::kNone;
    int millis = 0;  // the delay, or the wait before a cut_after drop
  };

  void AcceptLoop();
  // Joins and closes every connection whose threads have all finished.
  // REQUIRES: mu_ held.
  void ReapFinishedLocked();
  // Draws the fault for one faultable request and counts it.
  Decision Draw();

  // Thread bodies of one connection (see the .cc).
  void ClientToServer(Connection& c);
  void ServerToClient(Connection& c);
  void WriteToClient(Connection& c);

  sockaddr_storage target_{};
  socklen_t target_len_ = 0;  // 0: the target could not be resolved
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> cut_{false};
  std::atomic<bool> stopping_{false};

  std::mutex rng_mu_;
  std::mt19937_64 rng_;            // guarded by rng_mu_
  FaultOptions options_;           // guarded by rng_mu_

  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> connections_;  // guarded by mu_

  std::atomic<uint64_t> requests_seen_{0};
  std::atomic<uint64_t> cuts_before_{0};
  std::atomic<uint64_t> cuts_after_{0};
  std::atomic<uint64_t> delayed_{0};
  std::atomic<uint64_t> connections_accepted_{0};

  std::thread acceptor_;  // last: started after everything above exists
};

}  // namespace inventory::testing
