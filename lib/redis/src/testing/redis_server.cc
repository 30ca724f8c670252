#include "testing/redis_server.h"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace redis::testing {
namespace {

std::string ServerBinary() {
  if (const char* env = std::getenv("INVENTORY_REDIS_SERVER"); env && *env) {
    return env;
  }
  if (std::filesystem::exists("/usr/bin/redis-server")) {
    return "/usr/bin/redis-server";
  }
  return "redis-server";
}

// A port that was free a moment ago (bind to port 0 and give it back).
absl::StatusOr<uint16_t> PickFreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return absl::InternalError("cannot bind an ephemeral port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(
    Options options) {
  const std::string binary = ServerBinary();
  if (binary.front() == '/' && !std::filesystem::exists(binary)) {
    return absl::NotFoundError("redis-server not found");
  }
  char tmpl[] = "/tmp/inventory-redis-test-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    return absl::InternalError("mkdtemp failed");
  }
  absl::Status last = absl::UnknownError("not started");
  for (int attempt = 0; attempt < 5; ++attempt) {
    absl::StatusOr<uint16_t> port = PickFreePort();
    if (!port.ok()) return port.status();
    std::unique_ptr<RedisServer> server(
        new RedisServer(options, std::string(tmpl), *port));
    last = server->Spawn();
    if (last.ok()) last = server->WaitReady();
    if (last.ok()) return server;
    server->Stop();
    server->dir_.clear();  // keep the directory for the next attempt
  }
  std::error_code ec;
  std::filesystem::remove_all(tmpl, ec);
  return last;
}

RedisServer::RedisServer(Options options, std::string dir, uint16_t port)
    : options_(std::move(options)), dir_(std::move(dir)), port_(port) {}

RedisServer::~RedisServer() {
  Stop();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

absl::Status RedisServer::Spawn() {
  const std::string binary = ServerBinary();
  std::vector<std::string> args = {
      binary,
      "--port", std::to_string(port_),
      "--bind", "127.0.0.1",
      "--save", "",
      "--appendonly", "no",
      "--dir", dir_,
      "--logfile", absl::StrCat(dir_, "/redis-", port_, ".log"),
      "--daemonize", "no",
      "--enable-debug-command", "local",
  };
  if (!options_.password.empty()) {
    args.push_back("--requirepass");
    args.push_back(options_.password);
  }
  for (const auto& a : options_.extra_args) args.push_back(a);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, binary.c_str(), nullptr, nullptr,
                                argv.data(), environ);
  if (rc != 0) {
    return absl::InternalError(absl::StrCat("posix_spawn(", binary,
                                            ") failed: ", rc));
  }
  pid_ = pid;
  return absl::OkStatus();
}

absl::Status RedisServer::WaitReady() {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    int wstatus = 0;
    if (pid_ > 0 && ::waitpid(pid_, &wstatus, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::InternalError(absl::StrCat(
          "redis-server exited during start-up (port ", port_, ")"));
    }
    timeval tv{0, 200 * 1000};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
    if (c != nullptr && c->err == 0) {
      redisSetTimeout(c, tv);
      bool ok = true;
      if (!options_.password.empty()) {
        auto* r = static_cast<redisReply*>(
            redisCommand(c, "AUTH %s", options_.password.c_str()));
        ok = r != nullptr && r->type != REDIS_REPLY_ERROR;
        if (r != nullptr) freeReplyObject(r);
      }
      if (ok) {
        auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
        ok = r != nullptr && r->type == REDIS_REPLY_STATUS;
        if (r != nullptr) freeReplyObject(r);
        if (ok) {
          redisFree(c);
          return absl::OkStatus();
        }
      }
    }
    if (c != nullptr) redisFree(c);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("redis-server on port ", port_, " did not answer PING"));
}

void RedisServer::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int wstatus = 0;
  ::waitpid(pid_, &wstatus, 0);
  pid_ = -1;
}

absl::Status RedisServer::Restart() {
  Stop();
  if (absl::Status s = Spawn(); !s.ok()) return s;
  return WaitReady();
}

void RedisServer::Freeze() {
  if (pid_ > 0) ::kill(pid_, SIGSTOP);
}

void RedisServer::Thaw() {
  if (pid_ > 0) ::kill(pid_, SIGCONT);
}

}  // namespace redis::testing
