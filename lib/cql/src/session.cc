#include "cql/session.h"

#include <algorithm>
#include <utility>

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "connection.h"
#include "cql/error.h"
#include "requests.h"
#include "response.h"

namespace cql {

using internal::Connection;
using Clock = std::chrono::steady_clock;

namespace {
const std::vector<std::shared_ptr<PreparedMetadata>>& NoPrepared() {
  static const auto* const kNone = new std::vector<std::shared_ptr<PreparedMetadata>>();
  return *kNone;
}
}  // namespace

const QueryOptions& Session::DefaultQueryOptions() {
  static const auto* const kDefaults = new QueryOptions();
  return *kDefaults;
}

// One pooled connection: its host, the live connection (if any) and the
// reconnect state.
struct Session::Slot {
  std::string host;
  std::shared_ptr<Connection> connection;
  bool connecting = false;
  int failures = 0;
  Clock::time_point next_attempt{};
  absl::Status last_error;
};

Session::Session(asio::any_io_executor executor, SessionOptions options)
    : executor_(std::move(executor)), options_(std::move(options)), connect_event_(executor_) {
  const int per_host = std::max(1, options_.connections_per_host);
  for (const auto& host : options_.contact_points) {
    for (int i = 0; i < per_host; ++i) {
      auto slot = std::make_unique<Slot>();
      slot->host = host;
      slots_.push_back(std::move(slot));
    }
  }
}

Session::~Session() {
  for (auto& slot : slots_) {
    if (slot->connection) slot->connection->Close(absl::UnavailableError("CQL session destroyed"));
  }
}

asio::awaitable<absl::StatusOr<std::unique_ptr<Session>>> Session::Connect(asio::any_io_executor executor,
                                                                            SessionOptions options) {
  if (options.contact_points.empty()) co_return absl::InvalidArgumentError("no CQL contact points configured");
  std::unique_ptr<Session> session(new Session(std::move(executor), std::move(options)));
  std::vector<std::string> errors;
  absl::StatusCode code = absl::StatusCode::kUnavailable;
  bool any = false;
  for (auto& slot : session->slots_) {
    absl::Status s = co_await session->ConnectSlot(*slot);
    if (s.ok()) {
      any = true;
      continue;
    }
    // Configuration problems (credentials, keyspace) beat plain unavailability.
    if (s.code() != absl::StatusCode::kUnavailable && s.code() != absl::StatusCode::kDeadlineExceeded) code = s.code();
    errors.push_back(std::string(s.message()));
  }
  if (!any) {
    co_return absl::Status(code, absl::StrCat("cannot connect to any CQL contact point: ", absl::StrJoin(errors, "; ")));
  }
  co_return std::move(session);
}

asio::awaitable<absl::Status> Session::ConnectSlot(Slot& slot) {
  slot.connecting = true;
  internal::ConnectionOptions co;
  co.host = slot.host;
  co.port = options_.port;
  co.username = options_.username;
  co.password = options_.password;
  co.keyspace = options_.keyspace;
  co.connect_timeout = options_.connect_timeout;
  auto result = co_await Connection::Open(executor_, std::move(co));
  slot.connecting = false;
  connect_event_.cancel();
  if (result.ok()) {
    if (closed_) {
      (*result)->Close(absl::UnavailableError("CQL session closed"));
      co_return absl::UnavailableError("CQL session closed");
    }
    slot.connection = std::move(result).value();
    slot.failures = 0;
    slot.next_attempt = {};
    slot.last_error = absl::OkStatus();
    if (supported_.empty()) supported_ = slot.connection->supported();
    co_return absl::OkStatus();
  }
  ++slot.failures;
  const std::chrono::milliseconds backoff =
      std::min<std::chrono::milliseconds>(options_.reconnect_backoff_min * (int64_t{1} << std::min(slot.failures - 1, 16)),
                                          options_.reconnect_backoff_max);
  slot.next_attempt = Clock::now() + backoff;
  slot.last_error = result.status();
  co_return result.status();
}

asio::awaitable<absl::StatusOr<std::shared_ptr<Connection>>> Session::AcquireConnection() {
  for (;;) {
    if (closed_) co_return absl::UnavailableError("CQL session is closed");
    const size_t n = slots_.size();
    for (size_t k = 0; k < n; ++k) {
      Slot& slot = *slots_[(next_slot_ + k) % n];
      if (slot.connection && slot.connection->is_open()) {
        next_slot_ = (next_slot_ + k + 1) % n;
        co_return slot.connection;
      }
    }
    // No open connection: reconnect a slot whose backoff has elapsed.
    const auto now = Clock::now();
    Slot* candidate = nullptr;
    bool any_connecting = false;
    for (auto& slot : slots_) {
      if (slot->connecting) {
        any_connecting = true;
      } else if (candidate == nullptr && now >= slot->next_attempt) {
        candidate = slot.get();
      }
    }
    if (candidate != nullptr) {
      candidate->connection.reset();
      absl::Status s = co_await ConnectSlot(*candidate);
      if (s.ok()) co_return candidate->connection;
      continue;  // try the next host, or report the backoff below
    }
    if (any_connecting) {
      // Another coroutine is connecting: wait for it (bounded), then re-check.
      connect_event_.expires_after(options_.connect_timeout + std::chrono::milliseconds(100));
      co_await connect_event_.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
      continue;
    }
    Clock::time_point next = Clock::time_point::max();
    std::vector<std::string> errors;
    for (auto& slot : slots_) {
      next = std::min(next, slot->next_attempt);
      errors.push_back(std::string(slot->last_error.message()));
    }
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - now);
    co_return absl::UnavailableError(absl::StrCat("no open CQL connection; next reconnect attempt in ", wait.count(),
                                                  " ms; last errors: ", absl::StrJoin(errors, "; ")));
  }
}

std::chrono::milliseconds Session::TimeoutFor(const QueryOptions& options) const {
  return options.timeout.value_or(options_.request_timeout);
}

asio::awaitable<absl::Status> Session::Reprepare(Connection& connection, PreparedMetadata& metadata,
                                                 std::chrono::milliseconds timeout) {
  std::string frame;
  CO_RETURN_IF_ERROR(internal::EncodePrepare(metadata.query, &frame));
  CO_ASSIGN_OR_RETURN(internal::Frame response, co_await connection.Send(frame, timeout));
  CO_ASSIGN_OR_RETURN(Result result, internal::DecodeResultResponse(std::move(response)));
  if (result.kind() != ResultKind::kPrepared || !result.prepared()) {
    co_return absl::InternalError("PREPARE did not return a Prepared result");
  }
  // Update the shared metadata in place: every handle sees the new id/types.
  PreparedMetadata& fresh = *result.prepared();
  metadata.id = std::move(fresh.id);
  metadata.keyspace = std::move(fresh.keyspace);
  metadata.pk_indexes = std::move(fresh.pk_indexes);
  metadata.bind_columns = std::move(fresh.bind_columns);
  metadata.result_metadata = std::move(fresh.result_metadata);
  co_return absl::OkStatus();
}

asio::awaitable<absl::StatusOr<Result>> Session::SendWithReprepare(
    std::shared_ptr<Connection> connection, std::chrono::milliseconds timeout,
    absl::FunctionRef<absl::Status(std::string*)> encode,
    const std::vector<std::shared_ptr<PreparedMetadata>>& prepared) {
  std::string frame;
  CO_RETURN_IF_ERROR(encode(&frame));
  CO_ASSIGN_OR_RETURN(internal::Frame response, co_await connection->Send(frame, timeout));
  absl::StatusOr<Result> result = internal::DecodeResultResponse(std::move(response));
  if (result.ok() || prepared.empty()) co_return result;
  std::optional<ServerError> error = ServerErrorOf(result.status());
  if (!error || error->code != ErrorCode::kUnprepared) co_return result;

  // UNPREPARED (§9, 0x2500): the node forgot the statement (restart, schema
  // change, another node). Re-prepare from the cached text, replay once.
  bool matched = false;
  for (const auto& md : prepared) {
    if (md->id == error->unprepared_id) {
      matched = true;
      CO_RETURN_IF_ERROR(co_await Reprepare(*connection, *md, timeout));
    }
  }
  if (!matched) {
    for (const auto& md : prepared) CO_RETURN_IF_ERROR(co_await Reprepare(*connection, *md, timeout));
  }
  frame.clear();
  CO_RETURN_IF_ERROR(encode(&frame));
  CO_ASSIGN_OR_RETURN(internal::Frame retry, co_await connection->Send(frame, timeout));
  co_return internal::DecodeResultResponse(std::move(retry));
}

asio::awaitable<absl::StatusOr<Result>> Session::Query(std::string cql, std::vector<Value> values,
                                                       const QueryOptions& options) {
  CO_ASSIGN_OR_RETURN(std::shared_ptr<Connection> connection, co_await AcquireConnection());
  internal::QueryParameters params;
  params.consistency = options.consistency.value_or(options_.default_consistency);
  params.values = &values;
  params.page_size = options.page_size;
  params.paging_state = options.paging_state;
  params.serial_consistency = options.serial_consistency;
  params.default_timestamp = options.default_timestamp;
  co_return co_await SendWithReprepare(
      std::move(connection), TimeoutFor(options),
      [&](std::string* out) { return internal::EncodeQuery(cql, params, out); }, NoPrepared());
}

asio::awaitable<absl::StatusOr<PreparedStatement>> Session::Prepare(std::string cql) {
  std::string key(cql);
  if (auto it = prepared_cache_.find(key); it != prepared_cache_.end()) co_return PreparedStatement(it->second);
  CO_ASSIGN_OR_RETURN(std::shared_ptr<Connection> connection, co_await AcquireConnection());
  std::string frame;
  CO_RETURN_IF_ERROR(internal::EncodePrepare(cql, &frame));
  CO_ASSIGN_OR_RETURN(internal::Frame response, co_await connection->Send(frame, options_.request_timeout));
  CO_ASSIGN_OR_RETURN(Result result, internal::DecodeResultResponse(std::move(response)));
  if (result.kind() != ResultKind::kPrepared || !result.prepared()) {
    co_return absl::InternalError("PREPARE did not return a Prepared result");
  }
  std::shared_ptr<PreparedMetadata> metadata = result.prepared();
  metadata->query = key;
  // A concurrent Prepare of the same text may have won; keep the first.
  auto [it, inserted] = prepared_cache_.emplace(std::move(key), metadata);
  co_return PreparedStatement(it->second);
}

asio::awaitable<absl::StatusOr<Result>> Session::Execute(const PreparedStatement& statement,
                                                         std::vector<Value> values, const QueryOptions& options) {
  if (!statement.valid()) co_return absl::InvalidArgumentError("Execute() with an empty PreparedStatement");
  CO_ASSIGN_OR_RETURN(std::shared_ptr<Connection> connection, co_await AcquireConnection());
  const std::shared_ptr<PreparedMetadata> metadata = statement.metadata();
  auto encode = [&](std::string* out) {
    internal::QueryParameters params;
    params.consistency = options.consistency.value_or(options_.default_consistency);
    params.values = &values;
    params.bind_columns = &metadata->bind_columns;
    params.page_size = options.page_size;
    params.paging_state = options.paging_state;
    params.serial_consistency = options.serial_consistency;
    params.default_timestamp = options.default_timestamp;
    return internal::EncodeExecute(metadata->id, params, out);
  };
  const std::vector<std::shared_ptr<PreparedMetadata>> prepared{metadata};
  co_return co_await SendWithReprepare(std::move(connection), TimeoutFor(options), encode, prepared);
}

asio::awaitable<absl::StatusOr<Result>> Session::ExecuteBatch(const Batch& batch, const QueryOptions& options) {
  CO_ASSIGN_OR_RETURN(std::shared_ptr<Connection> connection, co_await AcquireConnection());
  std::vector<std::shared_ptr<PreparedMetadata>> prepared;
  for (const auto& s : batch.statements()) {
    if (s.prepared.valid() &&
        std::find(prepared.begin(), prepared.end(), s.prepared.metadata()) == prepared.end()) {
      prepared.push_back(s.prepared.metadata());
    }
  }
  const Consistency consistency = options.consistency.value_or(options_.default_consistency);
  auto encode = [&](std::string* out) {
    return internal::EncodeBatch(batch, consistency, options.serial_consistency, options.default_timestamp, out);
  };
  co_return co_await SendWithReprepare(std::move(connection), TimeoutFor(options), encode, prepared);
}

bool Session::IsScylla() const {
  for (const auto& [key, value] : supported_) {
    if (key.rfind("SCYLLA_", 0) == 0) return true;
  }
  return false;
}

int Session::open_connections() const {
  int n = 0;
  for (const auto& slot : slots_) n += (slot->connection && slot->connection->is_open()) ? 1 : 0;
  return n;
}

asio::awaitable<void> Session::Close() {
  closed_ = true;
  for (auto& slot : slots_) {
    if (slot->connection) slot->connection->Close(absl::UnavailableError("CQL session closed"));
  }
  connect_event_.cancel();
  co_return;
}

}  // namespace cql
