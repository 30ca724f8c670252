// inventoryd: the seat inventory service.
//
// Reads the configuration (flags and environment, see --help), starts the
// server, and waits for SIGINT or SIGTERM to shut it down gracefully.
// Exit codes: 0 after a clean shutdown, 1 when start-up fails, 2 for a bad
// configuration.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "app/inventory_server.h"
#include "config/config.h"

int main(int argc, char** argv) {
  auto parsed = inventory::ParseConfig(argc, argv);
  if (!parsed.ok()) {
    std::fprintf(stderr, "inventoryd: %s\nTry --help.\n", std::string(parsed.status().message()).c_str());
    return 2;
  }
  if (!parsed->help_text.empty()) {
    std::fputs(parsed->help_text.c_str(), stdout);
    return 0;
  }
  const inventory::Config& config = parsed->config;
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z level=%l %v");
  spdlog::set_level(spdlog::level::from_str(config.log_level));

  // Signals are taken synchronously by this thread; every thread started from
  // here on inherits the mask, so none of them is interrupted by one.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  inventory::InventoryServer server(config);
  if (absl::Status s = server.Start(); !s.ok()) {
    spdlog::error("startup=failed error=\"{}\"", std::string(s.message()));
    server.Shutdown();
    return 1;
  }
  spdlog::info("startup=done grpc_port={}", server.grpc_port());

  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("signal={} action=shutdown", received == SIGTERM ? "SIGTERM" : "SIGINT");
  server.Shutdown();
  return 0;
}
