// LwtBench — the phases of inventory-lwt-bench over one cql::Session:
// create the keyspace and table, load the available rows, send the
// conditional batches, drop the keyspace.
//
// THREADING: like the session it uses, an LwtBench is bound to the
// session's executor (one io_context thread): every method must be called,
// and every returned awaitable awaited, on it. Nothing is locked. Concurrency
// is coroutines on that one thread, the way inventoryd drives its session.
//
// FAILURES are values: set-up steps return a non-OK absl::Status naming the
// step; RunHolds never fails, it counts what each batch came back with.
// A batch that timed out (DEADLINE_EXCEEDED) may still have applied; the
// benchmark counts it as an error and does not read it back.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>

#include "absl/status/status.h"
#include "bench_options.h"
#include "bench_summary.h"
#include "cql/prepared_statement.h"
#include "cql/session.h"

namespace inventory::lwt_bench {

class LwtBench {
 public:
  // Receives one progress line (no newline) about once a second.
  using ProgressFn = std::function<void(const std::string&)>;

  // At most this many distinct error texts are kept in the summary.
  static constexpr size_t kMaxErrorMessages = 8;
  // Attempts of one unconditional load batch before the set-up fails.
  static constexpr int kLoadAttempts = 3;
  // Load batches in flight at least (the load is not what is measured).
  static constexpr int kMinLoadInFlight = 64;
  // Client-side timeout of CREATE/DROP statements.
  static constexpr std::chrono::seconds kSchemaTimeout{60};

  // `session`, `options` and `stop` must outlive the LwtBench. Once *stop
  // turns true, no further request is started; those in flight finish.
  LwtBench(cql::Session& session, const BenchOptions& options, std::shared_ptr<const bool> stop,
           ProgressFn progress);
  LwtBench(const LwtBench&) = delete;
  LwtBench& operator=(const LwtBench&) = delete;

  // Creates the keyspace (ALREADY_EXISTS when it exists: the tool never
  // reuses one), its table, and prepares the two statements.
  asio::awaitable<absl::Status> CreateSchema();

  // True once CreateSchema created the keyspace, i.e. DropKeyspace may drop it.
  bool created_keyspace() const { return created_keyspace_; }

  // Writes `requests` seats x `segments` rows as available: one unlogged
  // batch per seat (one partition), a bounded number in flight, each retried
  // up to kLoadAttempts times. Progress once a second.
  // REQUIRES: CreateSchema succeeded.
  asio::awaitable<absl::Status> LoadRows();

  // Sends one conditional batch per seat, `in_flight` at a time, recording
  // each one's latency and outcome into summary(). Progress once a second.
  // REQUIRES: LoadRows succeeded.
  asio::awaitable<void> RunHolds();

  // DROP KEYSPACE IF EXISTS. REQUIRES: created_keyspace().
  asio::awaitable<absl::Status> DropKeyspace();

  // The figures so far (complete once RunHolds has returned).
  const BenchSummary& summary() const { return summary_; }

 private:
  // The shared bookkeeping of one phase's workers.
  struct Phase;

  asio::awaitable<void> LoadWorker(std::shared_ptr<Phase> phase);
  asio::awaitable<void> HoldWorker(std::shared_ptr<Phase> phase);
  asio::awaitable<void> Ticker(std::shared_ptr<Phase> phase, bool holds);
  // Starts `workers` workers (holds or load) and a ticker, and waits until
  // the last worker has ended.
  asio::awaitable<void> RunPhase(std::shared_ptr<Phase> phase, int workers, bool holds);
  static void WorkerDone(Phase& phase);
  void NoteError(const absl::Status& status);

  cql::Session& session_;
  const BenchOptions& options_;
  const std::shared_ptr<const bool> stop_;
  const ProgressFn progress_;

  cql::QueryOptions write_options_;
  cql::QueryOptions lwt_options_;
  cql::QueryOptions schema_options_;
  cql::PreparedStatement insert_;
  cql::PreparedStatement hold_;
  bool created_keyspace_ = false;

  absl::Status load_failure_;
  std::vector<int64_t> latencies_us_;
  std::chrono::steady_clock::time_point holds_started_{};
  std::chrono::steady_clock::time_point last_answer_{};
  BenchSummary summary_;
};

}  // namespace inventory::lwt_bench
