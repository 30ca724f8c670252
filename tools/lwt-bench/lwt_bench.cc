#include "lwt_bench.h"

#include <fmt/format.h>

#include <algorithm>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "cql/batch.h"
#include "lwt_statements.h"

namespace inventory::lwt_bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

absl::Status Annotate(const absl::Status& status, std::string_view what) {
  return absl::Status(status.code(), fmt::format("{}: {}", what, std::string(status.message())));
}

}  // namespace

struct LwtBench::Phase {
  explicit Phase(const asio::any_io_executor& executor) : all_done(executor), tick(executor) {}
  int64_t next = 0;      // next seat index to start
  int64_t finished = 0;  // seats answered (load: written)
  int workers_left = 0;
  bool over = false;
  Clock::time_point started = Clock::now();
  asio::steady_timer all_done;  // cancelled when the last worker ends
  asio::steady_timer tick;      // the ticker's one-second wait
};

LwtBench::LwtBench(cql::Session& session, const BenchOptions& options, std::shared_ptr<const bool> stop,
                   ProgressFn progress)
    : session_(session), options_(options), stop_(std::move(stop)), progress_(std::move(progress)) {
  // As inventoryd by default: QUORUM writes, SERIAL Paxos.
  write_options_.consistency = cql::Consistency::kQuorum;
  lwt_options_.consistency = cql::Consistency::kQuorum;
  lwt_options_.serial_consistency = cql::Consistency::kSerial;
  schema_options_.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(kSchemaTimeout);
  summary_.keyspace = options.keyspace;
  summary_.segments = options.segments;
  summary_.in_flight = options.in_flight;
  summary_.connections = options.connections;
  summary_.requests = options.requests;
}

asio::awaitable<absl::Status> LwtBench::CreateSchema() {
  const std::string keyspace = CreateKeyspaceStatement(options_.keyspace, session_.IsScylla());
  std::vector<cql::Value> no_values;
  absl::StatusOr<cql::Result> created = co_await session_.Query(keyspace, no_values, schema_options_);
  if (!created.ok()) {
    if (created.status().code() == absl::StatusCode::kAlreadyExists) {
      co_return absl::AlreadyExistsError(fmt::format(
          "keyspace {} already exists (left by a --keep run?): drop it (DROP KEYSPACE {}) or pass another "
          "--keyspace; this tool only writes into and drops a keyspace it created",
          options_.keyspace, options_.keyspace));
    }
    co_return Annotate(created.status(), "CREATE KEYSPACE");
  }
  created_keyspace_ = true;
  const std::string table = CreateTableStatement(options_.keyspace);
  std::vector<cql::Value> no_table_values;
  created = co_await session_.Query(table, no_table_values, schema_options_);
  if (!created.ok()) co_return Annotate(created.status(), "CREATE TABLE");

  const std::string insert_text = InsertStatement(options_.keyspace);
  absl::StatusOr<cql::PreparedStatement> insert = co_await session_.Prepare(insert_text);
  if (!insert.ok()) co_return Annotate(insert.status(), "PREPARE insert");
  insert_ = *insert;
  const std::string hold_text = HoldStatement(options_.keyspace);
  absl::StatusOr<cql::PreparedStatement> hold = co_await session_.Prepare(hold_text);
  if (!hold.ok()) co_return Annotate(hold.status(), "PREPARE hold");
  hold_ = *hold;
  co_return absl::OkStatus();
}

asio::awaitable<absl::Status> LwtBench::DropKeyspace() {
  const std::string drop = DropKeyspaceStatement(options_.keyspace);
  std::vector<cql::Value> no_values;
  absl::StatusOr<cql::Result> dropped = co_await session_.Query(drop, no_values, schema_options_);
  if (!dropped.ok()) co_return Annotate(dropped.status(), "DROP KEYSPACE");
  created_keyspace_ = false;
  co_return absl::OkStatus();
}

void LwtBench::WorkerDone(Phase& phase) {
  if (--phase.workers_left == 0) phase.all_done.cancel();
}

asio::awaitable<void> LwtBench::RunPhase(std::shared_ptr<Phase> phase, int workers, bool holds) {
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  phase->all_done.expires_at(asio::steady_timer::time_point::max());
  phase->workers_left = workers;
  phase->started = Clock::now();
  for (int w = 0; w < workers; ++w) {
    if (holds) {
      asio::co_spawn(executor, HoldWorker(phase), asio::detached);
    } else {
      asio::co_spawn(executor, LoadWorker(phase), asio::detached);
    }
  }
  asio::co_spawn(executor, Ticker(phase, holds), asio::detached);
  if (phase->workers_left > 0) {
    asio::error_code ec;
    co_await phase->all_done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  phase->over = true;
  phase->tick.cancel();
}

asio::awaitable<void> LwtBench::Ticker(std::shared_ptr<Phase> phase, bool holds) {
  while (!phase->over) {
    phase->tick.expires_after(1s);
    asio::error_code ec;
    co_await phase->tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (phase->over) break;
    const Clock::duration elapsed = Clock::now() - phase->started;
    if (holds) {
      progress_(FormatHoldProgress(summary_.completed, options_.requests, elapsed, summary_.applied,
                                   summary_.not_applied, summary_.errors));
    } else {
      progress_(FormatLoadProgress(phase->finished * options_.segments, options_.requests * options_.segments,
                                   elapsed));
    }
  }
}

asio::awaitable<absl::Status> LwtBench::LoadRows() {
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  auto phase = std::make_shared<Phase>(executor);
  const int workers = static_cast<int>(
      std::min<int64_t>(options_.requests, std::max(options_.in_flight, kMinLoadInFlight)));
  co_await RunPhase(phase, workers, /*holds=*/false);
  summary_.rows_loaded = phase->finished * options_.segments;
  summary_.load_seconds = std::chrono::duration<double>(Clock::now() - phase->started).count();
  progress_(FormatLoadProgress(summary_.rows_loaded, options_.requests * options_.segments,
                               Clock::now() - phase->started));
  if (!load_failure_.ok()) co_return load_failure_;
  if (*stop_) co_return absl::CancelledError("interrupted while loading rows");
  co_return absl::OkStatus();
}

asio::awaitable<void> LwtBench::LoadWorker(std::shared_ptr<Phase> phase) {
  while (!*stop_ && load_failure_.ok() && phase->next < options_.requests) {
    const int64_t seat = phase->next++;
    cql::Batch batch(cql::BatchType::kUnlogged);
    for (int32_t s = 0; s < options_.segments; ++s) batch.Add(insert_, InsertValues(seat, s));
    absl::Status status;
    for (int attempt = 0; attempt < kLoadAttempts; ++attempt) {
      absl::StatusOr<cql::Result> written = co_await session_.ExecuteBatch(batch, write_options_);
      status = written.status();
      if (status.ok()) break;
    }
    if (!status.ok()) {
      if (load_failure_.ok()) load_failure_ = Annotate(status, fmt::format("loading the rows of {}", SeatId(seat)));
      break;
    }
    ++phase->finished;
  }
  WorkerDone(*phase);
}

asio::awaitable<void> LwtBench::RunHolds() {
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  auto phase = std::make_shared<Phase>(executor);
  latencies_us_.clear();
  latencies_us_.reserve(static_cast<size_t>(options_.requests));
  holds_started_ = Clock::now();
  last_answer_ = holds_started_;
  const int workers = static_cast<int>(std::min<int64_t>(options_.requests, options_.in_flight));
  co_await RunPhase(phase, workers, /*holds=*/true);
  progress_(FormatHoldProgress(summary_.completed, options_.requests, last_answer_ - holds_started_,
                               summary_.applied, summary_.not_applied, summary_.errors));
  summary_.interrupted = *stop_ && summary_.completed < options_.requests;
  summary_.elapsed = last_answer_ - holds_started_;
  summary_.latency = LatencyFigures::FromMicros(latencies_us_);
}

asio::awaitable<void> LwtBench::HoldWorker(std::shared_ptr<Phase> phase) {
  while (!*stop_ && phase->next < options_.requests) {
    const int64_t seat = phase->next++;
    const int64_t now_ms = NowMs();
    cql::Batch batch(cql::BatchType::kUnlogged);  // as CqlSeatStore builds its seat batches
    for (int32_t s = 0; s < options_.segments; ++s) batch.Add(hold_, HoldValues(seat, s, now_ms));
    const Clock::time_point sent = Clock::now();
    absl::StatusOr<cql::Result> result = co_await session_.ExecuteBatch(batch, lwt_options_);
    last_answer_ = Clock::now();
    latencies_us_.push_back(std::chrono::duration_cast<std::chrono::microseconds>(last_answer_ - sent).count());
    ++summary_.completed;
    ++phase->finished;
    if (!result.ok()) {
      NoteError(result.status());
      continue;
    }
    absl::StatusOr<bool> applied = result->Applied();
    if (!applied.ok()) {
      NoteError(applied.status());
    } else if (*applied) {
      ++summary_.applied;
    } else {
      ++summary_.not_applied;
    }
  }
  WorkerDone(*phase);
}

void LwtBench::NoteError(const absl::Status& status) {
  ++summary_.errors;
  std::string text = fmt::format("{}: {}", absl::StatusCodeToString(status.code()), std::string(status.message()));
  auto it = summary_.error_messages.find(text);
  if (it != summary_.error_messages.end()) {
    ++it->second;
  } else if (summary_.error_messages.size() < kMaxErrorMessages) {
    summary_.error_messages.emplace(std::move(text), 1);
  } else {
    ++summary_.error_messages["(other)"];
  }
}

}  // namespace inventory::lwt_bench
