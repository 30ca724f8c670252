// A child process for end-to-end tests: started with its output in a log
// file, signalled, and waited for with a deadline. Killed (SIGKILL) on
// destruction if still running, so a failing test leaves nothing behind.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace inventory::testing {

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() {
    if (running()) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }

  // Starts `path` with `args`; stdout and stderr go to `log_path`
  // (truncated). The child inherits the test's environment, where `env`
  // replaces or adds variables. Returns false if fork failed; a failed exec
  // exits with 127. Everything the child needs is built before fork():
  // between fork and exec it only makes async-signal-safe calls.
  bool Start(const std::string& path, const std::vector<std::string>& args, const std::string& log_path,
             const std::vector<std::pair<std::string, std::string>>& env = {}) {
    log_path_ = log_path;
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(path.c_str()));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<std::string> env_strings;
    std::vector<char*> envp;
    if (!env.empty()) {
      for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string entry(*e);
        const std::string name = entry.substr(0, entry.find('='));
        const bool replaced =
            std::any_of(env.begin(), env.end(), [&name](const auto& kv) { return kv.first == name; });
        if (!replaced) env_strings.push_back(entry);
      }
      for (const auto& [name, value] : env) env_strings.push_back(name + "=" + value);
      for (std::string& e : env_strings) envp.push_back(e.data());
      envp.push_back(nullptr);
    }

    pid_ = ::fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::close(fd);
      }
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      if (envp.empty()) {
        ::execv(path.c_str(), argv.data());
      } else {
        ::execve(path.c_str(), argv.data(), envp.data());
      }
      ::_exit(127);
    }
    exited_ = false;
    return true;
  }

  bool running() const { return pid_ > 0 && !exited_; }
  pid_t pid() const { return pid_; }
  void Signal(int sig) const {
    if (running()) ::kill(pid_, sig);
  }

  // Waits up to `timeout` for the child to end. Returns its wait status
  // (use WIFEXITED/WEXITSTATUS), or nullopt if it is still running (or was
  // never started).
  std::optional<int> Wait(std::chrono::milliseconds timeout) {
    if (exited_) return status_;
    if (pid_ <= 0) return std::nullopt;  // never started: waitpid(-1) would reap any child
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exited_ = true;
        status_ = status;
        return status;
      }
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  std::string Log() const {
    std::ifstream in(log_path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  int status_ = 0;
  std::string log_path_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
inline int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace inventory::testing
