#include "storage/cql/schema.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "cql/session.h"
#include "cql/uuid.h"

namespace inventory::storage {
namespace {

bool IsIdentifier(absl::string_view s) {
  if (s.empty() || s.size() > 48) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

}  // namespace

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1,
       "trips, seats per segment, user ledger (holds, slots, bookings), waitlist",
       {
           // A trip's definition. `ready` turns true once every seat row is
           // written; `init_ts` is the write timestamp (µs) of those rows, so
           // re-sending the definition rewrites them under the same old
           // timestamp and can never overwrite a later hold or booking.
           R"(CREATE TABLE IF NOT EXISTS {ks}.trips (
                organization_id text, trip_id text,
                vehicle_id text, vehicle_type text,
                stations list<text>, departures list<bigint>, arrivals list<bigint>,
                seat_count int, definition_hash text, init_ts bigint, ready boolean,
                created_at timestamp,
                PRIMARY KEY ((organization_id, trip_id))))",
           // The seat layout of a trip: one partition per trip, a row a seat.
           R"(CREATE TABLE IF NOT EXISTS {ks}.trip_seats (
                organization_id text, trip_id text, seat_id text,
                seat_number text, row_number int, column_number int,
                seat_type text, seat_class text, price_paisa bigint,
                is_accessible boolean, has_power boolean, is_exit_row boolean,
                PRIMARY KEY ((organization_id, trip_id), seat_id)))",
           // One seat's state on each segment: one partition per seat, so a
           // hold over a segment range is a single conditional batch.
           // status: available | held | booked | blocked.
           R"(CREATE TABLE IF NOT EXISTS {ks}.seat_segments (
                organization_id text, trip_id text, seat_id text, segment_index int,
                status text, hold_id text, user_id text, booking_id text,
                expires_at timestamp, block_reason text, updated_at timestamp,
                PRIMARY KEY ((organization_id, trip_id, seat_id), segment_index)))",
           // Everything of one user in one organisation, in one partition so
           // that a step of a hold's life and of its booking's is one
           // conditional batch. entry: 'live#<hold id>' (kind live, with a
           // TTL: the hold counts against the user's limit), 'hold#<id>'
           // (kind hold), 'booking#<id>' (kind booking). The slot column is
           // no longer used.
           R"(CREATE TABLE IF NOT EXISTS {ks}.user_ledger (
                organization_id text, user_id text, entry text,
                kind text, state text,
                hold_id text, booking_id text, order_id text, trip_id text,
                session_id text, request_key text,
                seat_ids list<text>, seat_numbers list<text>, ticket_ids list<text>,
                passenger_nids list<text>, passenger_names list<text>,
                first_segment int, last_segment int, slot int,
                created_at timestamp, expires_at timestamp, updated_at timestamp,
                PRIMARY KEY ((organization_id, user_id), entry)))",
           // Waitlist FIFO per trip and class, ordered by time.
           R"(CREATE TABLE IF NOT EXISTS {ks}.waitlist (
                organization_id text, trip_id text, seat_class text, entry_id timeuuid,
                user_id text, requested_seats int, status text, created_at timestamp,
                PRIMARY KEY ((organization_id, trip_id, seat_class), entry_id)))",
           // A user's waitlist entries; one row per (organisation, trip, class).
           R"(CREATE TABLE IF NOT EXISTS {ks}.waitlist_by_user (
                user_id text, organization_id text, trip_id text, seat_class text,
                entry_id timeuuid, requested_seats int, status text, created_at timestamp,
                PRIMARY KEY ((user_id), organization_id, trip_id, seat_class)))",
       }},
      {2,
       "intents of operations under way, for the repairer; its shared progress",
       {
           // An operation of several steps is recorded here before its first
           // step and removed after its last; the repairer of every instance
           // reads whole windows (by creation time) once they are old enough
           // and finishes or undoes what it finds. kind: hold | release |
           // confirm | cancel. Rows are deleted soon after they are written,
           // and a window is read only a few times, so tombstones are purged
           // quickly.
           R"(CREATE TABLE IF NOT EXISTS {ks}.intents (
                time_window bigint, shard int, intent_id text,
                kind text, organization_id text, user_id text, trip_id text,
                hold_id text, booking_id text,
                seat_ids list<text>, first_segment int, last_segment int,
                expires_at timestamp, created_at timestamp,
                PRIMARY KEY ((time_window, shard), intent_id))
              WITH gc_grace_seconds = 3600)",
           // name 'intents': every window before repaired_before holds no
           // intent left to repair (any instance may move it forward).
           R"(CREATE TABLE IF NOT EXISTS {ks}.repair_progress (
                name text PRIMARY KEY, repaired_before bigint, updated_at timestamp))",
       }},
  };
  return kMigrations;
}

std::string WithKeyspace(std::string_view statement, std::string_view keyspace) {
  return absl::StrReplaceAll(absl::string_view(statement.data(), statement.size()),
                             {{"{ks}", absl::string_view(keyspace.data(), keyspace.size())}});
}

absl::StatusOr<std::string> KeyspaceStatement(const SchemaOptions& o) {
  if (!IsIdentifier(o.keyspace)) {
    return absl::InvalidArgumentError(absl::StrCat("keyspace name '", o.keyspace, "' is not an identifier"));
  }
  std::string replication;
  if (absl::StartsWith(o.replication, "SimpleStrategy:")) {
    int rf = 0;
    if (!absl::SimpleAtoi(o.replication.substr(15), &rf) || rf < 1 || rf > 15) {
      return absl::InvalidArgumentError(absl::StrCat("replication '", o.replication, "': bad factor"));
    }
    replication = absl::StrCat("{'class': 'SimpleStrategy', 'replication_factor': ", rf, "}");
  } else if (absl::StartsWith(o.replication, "NetworkTopologyStrategy:")) {
    replication = "{'class': 'NetworkTopologyStrategy'";
    for (absl::string_view dc_rf : absl::StrSplit(o.replication.substr(24), ',', absl::SkipEmpty())) {
      std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(dc_rf, '=');
      int rf = 0;
      if (kv.first.empty()) return absl::InvalidArgumentError("replication: empty datacenter name");
      for (char c : kv.first) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) {
          return absl::InvalidArgumentError(absl::StrCat("replication: bad datacenter '", kv.first, "'"));
        }
      }
      if (!absl::SimpleAtoi(kv.second, &rf) || rf < 1 || rf > 15) {
        return absl::InvalidArgumentError(absl::StrCat("replication: bad factor for '", kv.first, "'"));
      }
      absl::StrAppend(&replication, ", '", kv.first, "': ", rf);
    }
    if (replication.back() == '\'') {
      return absl::InvalidArgumentError("replication: NetworkTopologyStrategy needs dc=RF");
    }
    absl::StrAppend(&replication, "}");
  } else {
    return absl::InvalidArgumentError(absl::StrCat("replication '", o.replication, "': unknown strategy"));
  }
  std::string stmt = absl::StrCat("CREATE KEYSPACE IF NOT EXISTS ", o.keyspace, " WITH replication = ", replication);
  if (o.scylla) absl::StrAppend(&stmt, " AND tablets = {'enabled': false}");
  return stmt;
}

std::string WithTableId(std::string_view statement, std::string_view keyspace) {
  constexpr std::string_view kCreate = "CREATE TABLE IF NOT EXISTS ";
  std::string out(statement);
  const size_t at = statement.find(kCreate);
  if (at == std::string_view::npos) return out;
  const size_t name_start = at + kCreate.size();
  const size_t name_end = statement.find_first_of(" (\n", name_start);
  if (name_end == std::string_view::npos) return out;
  const std::string_view qualified = statement.substr(name_start, name_end - name_start);
  std::string_view table = qualified.substr(qualified.find('.') == std::string_view::npos ? 0 : qualified.find('.') + 1);
  // A name-based (version 5) UUID of "keyspace.table".
  const std::string name = absl::StrCat(absl::string_view(keyspace.data(), keyspace.size()), ".",
                                        absl::string_view(table.data(), table.size()));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(name.data(), name.size(), digest, &length, EVP_sha1(), nullptr);
  std::array<uint8_t, 16> bytes;
  std::copy(digest, digest + 16, bytes.begin());
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0f) | 0x50);
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3f) | 0x80);
  const size_t close = out.rfind(')');
  const bool has_with = close != std::string::npos && out.find("WITH ", close) != std::string::npos;
  absl::StrAppend(&out, has_with ? " AND id = " : " WITH id = ", cql::Uuid(bytes).ToString());
  return out;
}

// Note: GCC 12 mishandles temporaries inside co_await expressions, so every
// awaited call here takes named locals and its result is a named local too.
asio::awaitable<absl::StatusOr<int>> ApplyMigrations(cql::Session& session, const SchemaOptions& options) {
  absl::StatusOr<std::string> keyspace_stmt = KeyspaceStatement(options);
  if (!keyspace_stmt.ok()) co_return keyspace_stmt.status();
  absl::StatusOr<cql::Result> created = co_await session.Query(*keyspace_stmt);
  if (!created.ok()) co_return created.status();

  std::string ledger = WithKeyspace(
      "CREATE TABLE IF NOT EXISTS {ks}.schema_migrations ("
      "version int PRIMARY KEY, description text, applied_at timestamp)",
      options.keyspace);
  if (!options.scylla) ledger = WithTableId(ledger, options.keyspace);
  created = co_await session.Query(ledger);
  if (!created.ok()) co_return created.status();

  const std::string select = WithKeyspace("SELECT version FROM {ks}.schema_migrations", options.keyspace);
  absl::StatusOr<cql::Result> applied_rows = co_await session.Query(select);
  if (!applied_rows.ok()) co_return applied_rows.status();
  std::vector<int> applied;
  for (size_t i = 0; i < applied_rows->row_count(); ++i) {
    absl::StatusOr<int32_t> v = applied_rows->row(i).GetInt(0);
    if (!v.ok()) co_return v.status();
    applied.push_back(*v);
  }

  const std::string record_stmt = WithKeyspace(
      "INSERT INTO {ks}.schema_migrations (version, description, applied_at) "
      "VALUES (?, ?, toTimestamp(now())) IF NOT EXISTS",
      options.keyspace);
  int count = 0;
  for (const Migration& m : Migrations()) {
    if (std::find(applied.begin(), applied.end(), m.version) != applied.end()) continue;
    for (const std::string& stmt : m.statements) {
      std::string text = WithKeyspace(stmt, options.keyspace);
      if (!options.scylla) text = WithTableId(text, options.keyspace);
      absl::StatusOr<cql::Result> r = co_await session.Query(text);
      if (!r.ok()) co_return r.status();
    }
    std::vector<cql::Value> record = {cql::Value::Int(m.version), cql::Value::Text(m.description)};
    absl::StatusOr<cql::Result> r = co_await session.Query(record_stmt, std::move(record));
    if (!r.ok()) co_return r.status();
    ++count;
  }
  // Instances started together must not go on with different schemas.
  absl::Status agreed = co_await session.WaitForSchemaAgreement();
  if (!agreed.ok()) co_return agreed;
  co_return count;
}

}  // namespace inventory::storage
