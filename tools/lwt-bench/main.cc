// inventory-lwt-bench: the raw rate at which a Cassandra/ScyllaDB answers
// the service's seat-hold LWT (a conditional batch over one seat's segment
// rows) through the project's own CQL client. See bench_options.h for the
// flags and lwt_bench.h for the phases.
//
// Exit status: 0 every conditional batch applied; 1 some did not (or the run
// was interrupted); 2 bad options, unreachable database or failed set-up.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <memory>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/this_coro.hpp>
#include <fmt/format.h>

#include "common/progress_line.h"
#include "bench_options.h"
#include "bench_summary.h"
#include "cql/session.h"
#include "lwt_bench.h"

namespace inventory::lwt_bench {
namespace {

constexpr int kExitPass = 0;
constexpr int kExitFail = 1;
constexpr int kExitUsage = 2;

// One progress line on stderr: rewritten in place on a terminal, appended
using ProgressPrinter = ::inventory::ProgressLine;

std::string HostsText(const BenchOptions& o) {
  std::string hosts;
  for (const std::string& h : o.hosts) hosts += (hosts.empty() ? "" : ",") + h;
  return fmt::format("{}:{}", hosts, o.port);
}

// What the run ended with, for Run() to report.
struct Outcome {
  int exit_code = kExitUsage;
  bool measured = false;  // RunHolds ran: there is a summary
  BenchSummary summary;
};

// The whole run on the io thread. `options`, `progress` and `out` outlive it.
asio::awaitable<void> Bench(const BenchOptions& options, ProgressPrinter& progress, Outcome& out) {
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  cql::SessionOptions session_options;
  session_options.contact_points = options.hosts;
  session_options.port = options.port;
  session_options.connections_per_host = options.connections;
  session_options.request_timeout = std::chrono::milliseconds(options.timeout_ms);
  session_options.connect_timeout = std::chrono::milliseconds(5000);
  session_options.default_consistency = cql::Consistency::kQuorum;
  absl::StatusOr<std::unique_ptr<cql::Session>> connected =
      co_await cql::Session::Connect(executor, std::move(session_options));
  if (!connected.ok()) {
    progress.Note(fmt::format("inventory-lwt-bench: cannot connect to {}: {}", HostsText(options),
                              std::string(connected.status().message())));
    out.exit_code = kExitUsage;
    co_return;
  }
  std::unique_ptr<cql::Session> session = std::move(connected).value();

  // First interrupt: start nothing new, let the requests in flight finish,
  // clean up and report. A second one: quit at once.
  auto stop = std::make_shared<bool>(false);
  asio::signal_set signals(executor, SIGINT, SIGTERM);
  signals.async_wait([stop, &signals, &progress](const asio::error_code& ec, int) {
    if (ec) return;
    *stop = true;
    progress.Note("inventory-lwt-bench: interrupted: finishing the requests in flight (interrupt again to quit now)");
    signals.async_wait([](const asio::error_code& again, int) {
      if (!again) std::_Exit(130);
    });
  });

  LwtBench bench(*session, options, stop, [&progress](const std::string& line) { progress.Print(line); });
  progress.Note(fmt::format("inventory-lwt-bench: {} conditional batches of {} rows, {} in flight, against {}, "
                            "keyspace {}",
                            options.requests, options.segments, options.in_flight, HostsText(options),
                            options.keyspace));
  absl::Status status = co_await bench.CreateSchema();
  if (status.ok()) status = co_await bench.LoadRows();
  progress.Finish();
  if (!status.ok()) {
    progress.Note(fmt::format("inventory-lwt-bench: set-up failed: {}", std::string(status.message())));
    out.exit_code = status.code() == absl::StatusCode::kCancelled ? kExitFail : kExitUsage;
  } else {
    co_await bench.RunHolds();
    progress.Finish();
    out.measured = true;
    out.summary = bench.summary();
    out.summary.hosts = HostsText(options);
    out.exit_code = out.summary.passed() ? kExitPass : kExitFail;
  }

  if (bench.created_keyspace()) {
    if (options.keep) {
      progress.Note(fmt::format("inventory-lwt-bench: keeping keyspace {} (--keep)", options.keyspace));
    } else {
      absl::Status dropped = co_await bench.DropKeyspace();
      if (!dropped.ok()) {
        progress.Note(fmt::format("inventory-lwt-bench: could not drop keyspace {}: {}", options.keyspace,
                                  std::string(dropped.message())));
      }
    }
  }
  asio::error_code ignored;
  signals.cancel(ignored);
  co_await session->Close();
}

int Run(int argc, char** argv) {
  absl::StatusOr<ParsedBenchOptions> parsed = ParseBenchOptions(argc, argv);
  if (!parsed.ok()) {
    std::cerr << "inventory-lwt-bench: " << parsed.status().message() << "\nRun with --help for the options.\n";
    return kExitUsage;
  }
  if (!parsed->help_text.empty()) {
    std::cout << parsed->help_text;
    return kExitPass;
  }
  const BenchOptions& options = parsed->options;

  // Fail on an unwritable --json before touching the database.
  std::ofstream json_out;
  if (!options.json_path.empty()) {
    json_out.open(options.json_path, std::ios::out | std::ios::trunc);
    if (!json_out) {
      std::cerr << "inventory-lwt-bench: --json: cannot write " << options.json_path << "\n";
      return kExitUsage;
    }
  }

  asio::io_context io;
  ProgressPrinter progress;
  Outcome outcome;
  std::exception_ptr failure;
  asio::co_spawn(io, Bench(options, progress, outcome), [&io, &failure](std::exception_ptr e) {
    failure = e;
    io.stop();  // the session's connections keep reads pending: run() would not return
  });
  io.run();
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      std::cerr << "inventory-lwt-bench: unexpected exception: " << e.what() << "\n";
    }
    return kExitUsage;
  }

  if (!outcome.measured) {
    if (json_out.is_open()) {
      json_out.close();
      std::remove(options.json_path.c_str());  // nothing was measured
    }
    return outcome.exit_code;
  }
  std::cout << FormatSummary(outcome.summary) << std::flush;
  if (json_out.is_open()) {
    json_out << SummaryToJson(outcome.summary).dump(2) << "\n";
    json_out.close();
    if (!json_out) {
      std::cerr << "inventory-lwt-bench: --json: writing " << options.json_path << " failed\n";
      return kExitFail;
    }
  }
  return outcome.exit_code;
}

}  // namespace
}  // namespace inventory::lwt_bench

int main(int argc, char** argv) { return inventory::lwt_bench::Run(argc, argv); }
