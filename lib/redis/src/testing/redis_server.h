// RedisServer — a private redis-server child process for hermetic tests.
//
// Start() picks a free port on 127.0.0.1, runs `redis-server` there with
// persistence off and a private temporary directory, and returns once the
// server answers PING. The destructor kills it (SIGKILL) and removes the
// directory. Stop()/Restart() simulate a crash and a restart on the same
// port; Freeze()/Thaw() (SIGSTOP/SIGCONT) simulate a hung server whose
// kernel still accepts TCP connections.
//
// The binary is $INVENTORY_REDIS_SERVER if set, else /usr/bin/redis-server,
// else `redis-server` on PATH. DEBUG is enabled for local connections (for
// DEBUG SLEEP).
//
// Threading: not thread-safe; use from the test's main thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace redis::testing {

class RedisServer {
 public:
  struct Options {
    std::string password;                // --requirepass when non-empty
    std::vector<std::string> extra_args;  // appended to the command line
  };

  // NOT_FOUND if no redis-server binary exists; other errors if it does not
  // come up.
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(Options options);

  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  uint16_t port() const { return port_; }
  bool running() const { return pid_ > 0; }

  // Kills the server (SIGKILL) and reaps it. Idempotent.
  void Stop();
  // Starts the server again on the same port and waits for PING.
  absl::Status Restart();
  // SIGSTOP / SIGCONT.
  void Freeze();
  void Thaw();

 private:
  RedisServer(Options options, std::string dir, uint16_t port);
  absl::Status Spawn();
  absl::Status WaitReady();

  Options options_;
  std::string dir_;
  uint16_t port_;
  pid_t pid_ = -1;
};

}  // namespace redis::testing
