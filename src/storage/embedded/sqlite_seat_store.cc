#include "storage/embedded/sqlite_seat_store.h"

#include <sqlite3.h>

#include <asio/async_result.hpp>
#include <asio/bind_executor.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/unix_time.h"
#include "cql/uuid.h"
#include "storage/store_rules.h"

namespace inventory::storage {

using domain::BookingState;
using domain::HoldState;
using domain::SeatStatus;
using domain::SegmentRange;
using domain::SegmentState;

namespace {

// How long a live-hold marker outlives its hold before it is purged.
constexpr int64_t kLiveMarkerSlackMs = 60000;

constexpr const char* kSchema[] = {
    "CREATE TABLE IF NOT EXISTS trips (org TEXT NOT NULL, trip TEXT NOT NULL, vehicle_id TEXT, vehicle_type TEXT, "
    "stations TEXT, departures TEXT, arrivals TEXT, seat_count INTEGER, definition_hash TEXT, created_at INTEGER, "
    "ready INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (org, trip)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS trip_seats (org TEXT NOT NULL, trip TEXT NOT NULL, seat_id TEXT NOT NULL, "
    "seat_number TEXT, row_number INTEGER, column_number INTEGER, seat_type TEXT, seat_class TEXT, price INTEGER, "
    "accessible INTEGER, power INTEGER, exit_row INTEGER, PRIMARY KEY (org, trip, seat_id)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS seat_segments (org TEXT NOT NULL, trip TEXT NOT NULL, seat_id TEXT NOT NULL, "
    "segment INTEGER NOT NULL, status TEXT NOT NULL, hold_id TEXT NOT NULL DEFAULT '', booking_id TEXT NOT NULL "
    "DEFAULT '', user_id TEXT NOT NULL DEFAULT '', expires_at INTEGER NOT NULL DEFAULT 0, block_reason TEXT, "
    "updated_at INTEGER, PRIMARY KEY (org, trip, seat_id, segment)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS live_holds (org TEXT NOT NULL, user_id TEXT NOT NULL, hold_id TEXT NOT NULL, "
    "expires_at INTEGER NOT NULL, created_at INTEGER, PRIMARY KEY (org, user_id, hold_id)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS holds (org TEXT NOT NULL, user_id TEXT NOT NULL, hold_id TEXT NOT NULL, "
    "state TEXT NOT NULL, trip TEXT, session_id TEXT, request_key TEXT, seat_ids TEXT, first_segment INTEGER, "
    "last_segment INTEGER, created_at INTEGER, expires_at INTEGER, order_id TEXT NOT NULL DEFAULT '', "
    "booking_id TEXT NOT NULL DEFAULT '', updated_at INTEGER, PRIMARY KEY (org, user_id, hold_id)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS bookings (org TEXT NOT NULL, user_id TEXT NOT NULL, booking_id TEXT NOT NULL, "
    "state TEXT NOT NULL, hold_id TEXT, order_id TEXT, trip TEXT, seat_ids TEXT, seat_numbers TEXT, ticket_ids TEXT, "
    "nids TEXT, names TEXT, first_segment INTEGER, last_segment INTEGER, created_at INTEGER, updated_at INTEGER, "
    "PRIMARY KEY (org, user_id, booking_id)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS intents (win INTEGER NOT NULL, id TEXT NOT NULL, kind TEXT, org TEXT, user_id TEXT, "
    "trip TEXT, hold_id TEXT, booking_id TEXT, seat_ids TEXT, first_segment INTEGER, last_segment INTEGER, "
    "expires_at INTEGER, created_at INTEGER, PRIMARY KEY (win, id)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS repair_progress (id INTEGER PRIMARY KEY, repaired_before INTEGER, updated_at INTEGER)",
    // The order of a queue is the order of joining (seq).
    "CREATE TABLE IF NOT EXISTS waitlist (seq INTEGER PRIMARY KEY AUTOINCREMENT, entry_id TEXT NOT NULL UNIQUE, "
    "org TEXT NOT NULL, trip TEXT NOT NULL, seat_class TEXT NOT NULL, user_id TEXT NOT NULL, requested INTEGER, "
    "status TEXT NOT NULL, created_at INTEGER, UNIQUE (user_id, org, trip, seat_class))",
    "CREATE INDEX IF NOT EXISTS waitlist_queue ON waitlist (org, trip, seat_class, seq)",
};

// Lists as length-prefixed strings ("3:abc2:de"), so that any text survives.
std::string EncodeList(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) absl::StrAppend(&out, s.size(), ":", s);
  return out;
}

std::vector<std::string> DecodeList(const std::string& text) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < text.size()) {
    const size_t colon = text.find(':', at);
    size_t n = 0;
    if (colon == std::string::npos || !absl::SimpleAtoi(text.substr(at, colon - at), &n)) break;
    out.push_back(text.substr(colon + 1, n));
    at = colon + 1 + n;
  }
  return out;
}

absl::Status SqliteError(sqlite3* db, std::string_view what) {
  return absl::UnavailableError(absl::StrCat("embedded store: ", std::string(what), ": ", sqlite3_errmsg(db)));
}

}  // namespace

// A statement in use: binds, steps, reads columns; reset when it goes.
class Query {
 public:
  Query(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Query() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& Bind(int64_t v) {
    sqlite3_bind_int64(stmt_, ++bound_, v);
    return *this;
  }
  Query& Bind(int v) { return Bind(static_cast<int64_t>(v)); }
  Query& Bind(const std::string& v) {
    sqlite3_bind_text(stmt_, ++bound_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Query& Bind(std::string_view v) {
    sqlite3_bind_text(stmt_, ++bound_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Query& Bind(const char* v) { return Bind(std::string_view(v)); }
  // Next row: true; done: false; an error is kept in status().
  bool Next() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE && status_.ok()) status_ = SqliteError(db_, "step");
    return false;
  }
  // Runs a statement that returns no row.
  absl::Status Run() {
    while (Next()) {
    }
    return status_;
  }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string Text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p),
                                                      static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  const absl::Status& status() const { return status_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int bound_ = 0;
  absl::Status status_;
};

class SqliteSeatStore::Tx {
 public:
  explicit Tx(sqlite3* db, std::map<const char*, sqlite3_stmt*>* cache) : db_(db), cache_(cache) {}
  // A prepared statement of `sql` (a string literal: cached by address).
  absl::StatusOr<std::unique_ptr<Query>> Q(const char* sql) {
    auto it = cache_->find(sql);
    if (it == cache_->end()) {
      sqlite3_stmt* stmt = nullptr;
      if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
        return SqliteError(db_, sql);
      }
      it = cache_->emplace(sql, stmt).first;
    }
    return std::make_unique<Query>(db_, it->second);
  }
  sqlite3* db() const { return db_; }

 private:
  sqlite3* db_;
  std::map<const char*, sqlite3_stmt*>* cache_;
};

namespace {

// The statements' cache, used by the worker thread only.
std::map<const char*, sqlite3_stmt*>& StatementCache(sqlite3* db) {
  static thread_local std::map<sqlite3*, std::map<const char*, sqlite3_stmt*>> caches;
  return caches[db];
}

#define INVENTORY_Q(var, tx, sql)                              \
  absl::StatusOr<std::unique_ptr<Query>> var##_or = (tx).Q(sql); \
  if (!var##_or.ok()) return var##_or.status();                 \
  Query& var = **var##_or

// One seat's segments as stored (nullopt: no row), indexed by segment.
using SeatRead = std::vector<std::optional<SegmentState>>;

absl::StatusOr<SeatRead> ReadSeat(SqliteSeatStore::Tx& tx, const TripRef& trip, const std::string& seat_id,
                                  int segment_count) {
  INVENTORY_Q(q, tx,
              "SELECT segment, status, hold_id, booking_id, user_id, expires_at FROM seat_segments "
              "WHERE org = ? AND trip = ? AND seat_id = ?");
  q.Bind(trip.organization_id).Bind(trip.trip_id).Bind(seat_id);
  SeatRead out(static_cast<size_t>(std::max(0, segment_count)));
  while (q.Next()) {
    const int64_t seg = q.Int(0);
    if (seg < 0) continue;
    if (static_cast<size_t>(seg) >= out.size()) out.resize(static_cast<size_t>(seg) + 1);
    SegmentState s;
    s.status = domain::StatusFromName(q.Text(1));
    s.hold_id = q.Text(2);
    s.booking_id = q.Text(3);
    s.user_id = q.Text(4);
    s.expires_at_ms = q.Int(5);
    out[static_cast<size_t>(seg)] = std::move(s);
  }
  if (!q.status().ok()) return q.status();
  return out;
}

// Writes one segment's state.
absl::Status WriteSegment(SqliteSeatStore::Tx& tx, const TripRef& trip, const std::string& seat_id, int segment,
                          const SegmentState& s, const std::string& block_reason, int64_t now) {
  INVENTORY_Q(q, tx,
              "UPDATE seat_segments SET status = ?, hold_id = ?, booking_id = ?, user_id = ?, expires_at = ?, "
              "block_reason = ?, updated_at = ? WHERE org = ? AND trip = ? AND seat_id = ? AND segment = ?");
  q.Bind(domain::StatusName(s.status))
      .Bind(s.hold_id)
      .Bind(s.booking_id)
      .Bind(s.user_id)
      .Bind(s.expires_at_ms)
      .Bind(block_reason)
      .Bind(now)
      .Bind(trip.organization_id)
      .Bind(trip.trip_id)
      .Bind(seat_id)
      .Bind(segment);
  return q.Run();
}

HoldRecord HoldFrom(const Query& q, const std::string& org, const std::string& user) {
  HoldRecord h;
  h.organization_id = org;
  h.user_id = user;
  h.hold_id = q.Text(0);
  h.state = domain::HoldStateFromName(q.Text(1)).value_or(HoldState::kActive);
  h.trip_id = q.Text(2);
  h.session_id = q.Text(3);
  h.request_key = q.Text(4);
  h.seat_ids = DecodeList(q.Text(5));
  h.range = {static_cast<int>(q.Int(6)), static_cast<int>(q.Int(7))};
  h.created_at_ms = q.Int(8);
  h.expires_at_ms = q.Int(9);
  h.order_id = q.Text(10);
  h.booking_id = q.Text(11);
  return h;
}

absl::StatusOr<std::optional<HoldRecord>> ReadHold(SqliteSeatStore::Tx& tx, const std::string& org,
                                                   const std::string& user, const std::string& hold_id) {
  INVENTORY_Q(q, tx,
              "SELECT hold_id, state, trip, session_id, request_key, seat_ids, first_segment, last_segment, "
              "created_at, expires_at, order_id, booking_id FROM holds WHERE org = ? AND user_id = ? AND hold_id = ?");
  q.Bind(org).Bind(user).Bind(hold_id);
  if (!q.Next()) {
    if (!q.status().ok()) return q.status();
    return std::optional<HoldRecord>();
  }
  return std::optional<HoldRecord>(HoldFrom(q, org, user));
}

absl::StatusOr<std::optional<BookingRecord>> ReadBooking(SqliteSeatStore::Tx& tx, const std::string& org,
                                                         const std::string& user, const std::string& booking_id) {
  INVENTORY_Q(q, tx,
              "SELECT booking_id, state, hold_id, order_id, trip, seat_ids, seat_numbers, ticket_ids, nids, names, "
              "first_segment, last_segment, created_at FROM bookings WHERE org = ? AND user_id = ? AND booking_id = ?");
  q.Bind(org).Bind(user).Bind(booking_id);
  if (!q.Next()) {
    if (!q.status().ok()) return q.status();
    return std::optional<BookingRecord>();
  }
  BookingRecord b;
  b.organization_id = org;
  b.user_id = user;
  b.booking_id = q.Text(0);
  b.state = domain::BookingStateFromName(q.Text(1)).value_or(BookingState::kPending);
  b.hold_id = q.Text(2);
  b.order_id = q.Text(3);
  b.trip_id = q.Text(4);
  b.seat_ids = DecodeList(q.Text(5));
  b.seat_numbers = DecodeList(q.Text(6));
  b.ticket_ids = DecodeList(q.Text(7));
  const std::vector<std::string> nids = DecodeList(q.Text(8));
  const std::vector<std::string> names = DecodeList(q.Text(9));
  for (size_t i = 0; i < nids.size(); ++i) {
    b.passengers.push_back({i < b.seat_ids.size() ? b.seat_ids[i] : "", nids[i], i < names.size() ? names[i] : ""});
  }
  b.range = {static_cast<int>(q.Int(10)), static_cast<int>(q.Int(11))};
  b.created_at_ms = q.Int(12);
  return std::optional<BookingRecord>(std::move(b));
}

absl::Status InsertIntent(SqliteSeatStore::Tx& tx, const Intent& i) {
  INVENTORY_Q(q, tx,
              "INSERT OR REPLACE INTO intents (win, id, kind, org, user_id, trip, hold_id, booking_id, seat_ids, "
              "first_segment, last_segment, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  q.Bind(i.key.window)
      .Bind(i.key.id)
      .Bind(domain::IntentKindName(i.kind))
      .Bind(i.organization_id)
      .Bind(i.user_id)
      .Bind(i.trip_id)
      .Bind(i.hold_id)
      .Bind(i.booking_id)
      .Bind(EncodeList(i.seat_ids))
      .Bind(i.range.first)
      .Bind(i.range.last)
      .Bind(i.expires_at_ms)
      .Bind(i.created_at_ms);
  return q.Run();
}

// The entry's 1-based place among its queue's pending entries (0: not there).
absl::StatusOr<int> Position(SqliteSeatStore::Tx& tx, const WaitlistEntry& e) {
  INVENTORY_Q(q, tx,
              "SELECT COUNT(*) FROM waitlist WHERE org = ? AND trip = ? AND seat_class = ? AND status = 'pending' "
              "AND seq <= (SELECT seq FROM waitlist WHERE entry_id = ? AND status = 'pending')");
  q.Bind(e.organization_id).Bind(e.trip_id).Bind(e.seat_class).Bind(e.entry_id);
  if (!q.Next()) return q.status().ok() ? absl::InternalError("COUNT answered no row") : q.status();
  return static_cast<int>(q.Int(0));
}

}  // namespace

// --- Opening and transactions ---

absl::StatusOr<std::unique_ptr<SqliteSeatStore>> SqliteSeatStore::Open(SqliteStoreOptions options) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(options.path.c_str(), &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status s = absl::UnavailableError(
        absl::StrCat("embedded store: cannot open ", options.path, ": ", db != nullptr ? sqlite3_errmsg(db) : "?"));
    sqlite3_close(db);
    return s;
  }
  std::vector<std::string> setup = {"PRAGMA journal_mode=WAL",
                                     options.durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
                                     "PRAGMA busy_timeout=5000"};
  for (const char* s : kSchema) setup.emplace_back(s);
  for (const std::string& sql : setup) {
    char* error = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      absl::Status s = absl::UnavailableError(absl::StrCat("embedded store: ", sql, ": ", error ? error : "?"));
      sqlite3_free(error);
      sqlite3_close(db);
      return s;
    }
  }
  return std::unique_ptr<SqliteSeatStore>(new SqliteSeatStore(std::move(options), db));
}

SqliteSeatStore::SqliteSeatStore(SqliteStoreOptions options, sqlite3* db) : options_(std::move(options)), db_(db) {
  if (!options_.now) options_.now = UnixNowMs;
  if (!options_.reclaim_now) options_.reclaim_now = options_.now;
  options_.intent_window_ms = std::max<int64_t>(1000, options_.intent_window_ms);
}

SqliteSeatStore::~SqliteSeatStore() {
  sqlite3* db = db_;
  // The statements live on the worker thread: finalized there, then closed.
  asio::post(worker_, [db] {
    auto& cache = StatementCache(db);
    for (auto& [sql, stmt] : cache) sqlite3_finalize(stmt);
    cache.clear();
    sqlite3_close(db);
  });
  worker_.join();
}

template <typename T, typename Body>
asio::awaitable<absl::StatusOr<T>> SqliteSeatStore::Transact(Body body) {
  std::function<absl::StatusOr<T>()> run = [this, body = std::move(body)]() mutable -> absl::StatusOr<T> {
    Tx tx(db_, &StatementCache(db_));
    if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
      return SqliteError(db_, "begin");
    }
    absl::StatusOr<T> result = body(tx);
    if (!result.ok()) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return result;
    }
    if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
      absl::Status s = SqliteError(db_, "commit");
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return s;
    }
    commits_.fetch_add(1);
    return result;
  };
  auto initiation = [this](auto handler, std::function<absl::StatusOr<T>()> work) {
    asio::post(worker_, [handler = std::move(handler), work = std::move(work)]() mutable {
      absl::StatusOr<T> result = work();
      auto ex = asio::get_associated_executor(handler);
      asio::post(ex, [handler = std::move(handler), result = std::move(result)]() mutable {
        std::move(handler)(std::move(result));
      });
    });
  };
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(absl::StatusOr<T>)>(
      std::move(initiation), asio::use_awaitable, std::move(run));
}

// --- Trips ---

asio::awaitable<absl::StatusOr<CreateTripOutcome>> SqliteSeatStore::CreateTrip(const domain::TripDefinition& trip) {
  const int64_t now = Now();
  co_return co_await Transact<CreateTripOutcome>([&trip, now](Tx& tx) -> absl::StatusOr<CreateTripOutcome> {
    const std::string hash = domain::DefinitionFingerprint(trip);
    {
      INVENTORY_Q(q, tx, "SELECT definition_hash FROM trips WHERE org = ? AND trip = ?");
      q.Bind(trip.organization_id).Bind(trip.trip_id);
      if (q.Next()) return q.Text(0) == hash ? CreateTripOutcome::kUnchanged : CreateTripOutcome::kConflict;
      if (!q.status().ok()) return q.status();
    }
    std::vector<std::string> departures, arrivals;
    for (const domain::SegmentDefinition& s : trip.segments) {
      departures.push_back(absl::StrCat(s.departure_time));
      arrivals.push_back(absl::StrCat(s.arrival_time));
    }
    {
      INVENTORY_Q(q, tx,
                  "INSERT INTO trips (org, trip, vehicle_id, vehicle_type, stations, departures, arrivals, seat_count, "
                  "definition_hash, created_at, ready) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)");
      q.Bind(trip.organization_id)
          .Bind(trip.trip_id)
          .Bind(trip.vehicle_id)
          .Bind(trip.vehicle_type)
          .Bind(EncodeList(trip.Stations()))
          .Bind(EncodeList(departures))
          .Bind(EncodeList(arrivals))
          .Bind(static_cast<int64_t>(trip.seats.size()))
          .Bind(hash)
          .Bind(now);
      if (absl::Status s = q.Run(); !s.ok()) return s;
    }
    for (const domain::SeatDefinition& s : trip.seats) {
      INVENTORY_Q(q, tx,
                  "INSERT OR REPLACE INTO trip_seats (org, trip, seat_id, seat_number, row_number, column_number, "
                  "seat_type, seat_class, price, accessible, power, exit_row) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      q.Bind(trip.organization_id)
          .Bind(trip.trip_id)
          .Bind(s.seat_id)
          .Bind(s.seat_number)
          .Bind(s.row)
          .Bind(s.column)
          .Bind(s.seat_type)
          .Bind(s.seat_class)
          .Bind(s.price_paisa)
          .Bind(s.is_accessible ? 1 : 0)
          .Bind(s.has_power ? 1 : 0)
          .Bind(s.is_exit_row ? 1 : 0);
      if (absl::Status st = q.Run(); !st.ok()) return st;
    }
    for (const domain::SeatDefinition& s : trip.seats) {
      for (const domain::SegmentDefinition& seg : trip.segments) {
        // Only where no row exists: a later hold or booking is never reset.
        INVENTORY_Q(q, tx,
                    "INSERT OR IGNORE INTO seat_segments (org, trip, seat_id, segment, status, updated_at) "
                    "VALUES (?, ?, ?, ?, 'available', ?)");
        q.Bind(trip.organization_id).Bind(trip.trip_id).Bind(s.seat_id).Bind(seg.index).Bind(now);
        if (absl::Status st = q.Run(); !st.ok()) return st;
      }
    }
    return CreateTripOutcome::kCreated;
  });
}

asio::awaitable<absl::StatusOr<std::shared_ptr<domain::TripSnapshot>>> SqliteSeatStore::LoadSnapshot(TripRef ref) {
  const int64_t now = Now();
  using Result = std::shared_ptr<domain::TripSnapshot>;
  co_return co_await Transact<Result>([&ref, now](Tx& tx) -> absl::StatusOr<Result> {
    auto snapshot = std::make_shared<domain::TripSnapshot>();
    domain::TripDefinition& trip = snapshot->trip;
    trip.organization_id = ref.organization_id;
    trip.trip_id = ref.trip_id;
    {
      INVENTORY_Q(q, tx,
                  "SELECT vehicle_id, vehicle_type, stations, departures, arrivals FROM trips "
                  "WHERE org = ? AND trip = ? AND ready = 1");
      q.Bind(ref.organization_id).Bind(ref.trip_id);
      if (!q.Next()) {
        if (!q.status().ok()) return q.status();
        return absl::NotFoundError(absl::StrCat("trip '", ref.trip_id, "' not found"));
      }
      trip.vehicle_id = q.Text(0);
      trip.vehicle_type = q.Text(1);
      snapshot->stations = DecodeList(q.Text(2));
      const std::vector<std::string> departures = DecodeList(q.Text(3));
      const std::vector<std::string> arrivals = DecodeList(q.Text(4));
      for (size_t i = 0; i + 1 < snapshot->stations.size(); ++i) {
        int64_t dep = 0, arr = 0;
        if (i < departures.size()) (void)absl::SimpleAtoi(departures[i], &dep);
        if (i < arrivals.size()) (void)absl::SimpleAtoi(arrivals[i], &arr);
        trip.segments.push_back(
            {static_cast<int32_t>(i), snapshot->stations[i], snapshot->stations[i + 1], dep, arr});
      }
    }
    {
      INVENTORY_Q(q, tx,
                  "SELECT seat_id, seat_number, row_number, column_number, seat_type, seat_class, price, accessible, "
                  "power, exit_row FROM trip_seats WHERE org = ? AND trip = ? ORDER BY seat_id");
      q.Bind(ref.organization_id).Bind(ref.trip_id);
      while (q.Next()) {
        domain::SeatDefinition s;
        s.seat_id = q.Text(0);
        s.seat_number = q.Text(1);
        s.row = static_cast<int32_t>(q.Int(2));
        s.column = static_cast<int32_t>(q.Int(3));
        s.seat_type = q.Text(4);
        s.seat_class = q.Text(5);
        s.price_paisa = q.Int(6);
        s.is_accessible = q.Int(7) != 0;
        s.has_power = q.Int(8) != 0;
        s.is_exit_row = q.Int(9) != 0;
        trip.seats.push_back(std::move(s));
      }
      if (!q.status().ok()) return q.status();
    }
    snapshot->IndexSeats();
    const size_t segments = trip.segments.size();
    // Cells with no row read as blocked (never free), as in the CQL store.
    SegmentState missing;
    missing.status = SeatStatus::kBlocked;
    snapshot->states.assign(trip.seats.size(), std::vector<SegmentState>(segments, missing));
    {
      INVENTORY_Q(q, tx,
                  "SELECT seat_id, segment, status, hold_id, booking_id, user_id, expires_at FROM seat_segments "
                  "WHERE org = ? AND trip = ?");
      q.Bind(ref.organization_id).Bind(ref.trip_id);
      while (q.Next()) {
        const int seat = snapshot->SeatIndex(q.Text(0));
        const int64_t seg = q.Int(1);
        if (seat < 0 || seg < 0 || static_cast<size_t>(seg) >= segments) continue;
        SegmentState& st = snapshot->states[static_cast<size_t>(seat)][static_cast<size_t>(seg)];
        st.status = domain::StatusFromName(q.Text(2));
        st.hold_id = q.Text(3);
        st.booking_id = q.Text(4);
        st.user_id = q.Text(5);
        st.expires_at_ms = q.Int(6);
      }
      if (!q.status().ok()) return q.status();
    }
    snapshot->loaded_at_ms = now;
    return snapshot;
  });
}

// --- Seats ---

asio::awaitable<absl::StatusOr<SeatClaim>> SqliteSeatStore::HoldSeat(TripRef trip, std::string seat_id,
                                                                     SegmentRange range, std::string hold_id,
                                                                     std::string user_id, int64_t expires_at_ms,
                                                                     std::vector<SegmentState> believed) {
  const int segment_count = std::max(range.last + 1, static_cast<int>(believed.size()));
  const int64_t now = Now();
  const int64_t reclaim_now = options_.reclaim_now();
  co_return co_await Transact<SeatClaim>([&, segment_count, now, reclaim_now](Tx& tx) -> absl::StatusOr<SeatClaim> {
    absl::StatusOr<SeatRead> read = ReadSeat(tx, trip, seat_id, segment_count);
    if (!read.ok()) return read.status();
    bool free = true;
    for (int s = range.first; s <= range.last && free; ++s) {
      const std::optional<SegmentState>& st = (*read)[static_cast<size_t>(s)];
      free = st.has_value() && domain::EffectiveStatus(*st, reclaim_now) == SeatStatus::kAvailable;
    }
    if (free) {
      for (int s = range.first; s <= range.last; ++s) {
        SegmentState held;
        held.status = SeatStatus::kHeld;
        held.hold_id = hold_id;
        held.user_id = user_id;
        held.expires_at_ms = expires_at_ms;
        if (absl::Status w = WriteSegment(tx, trip, seat_id, s, held, "", now); !w.ok()) return w;
      }
      SeatClaim claim;
      claim.applied = true;
      return claim;
    }
    // Taken: what took it, as read (a cell without a row is no seat: blocked).
    std::vector<SegmentState> known;
    for (const std::optional<SegmentState>& st : *read) {
      known.push_back(st.value_or(SegmentState{SeatStatus::kBlocked, "", "", 0, ""}));
    }
    SeatClaim claim = RefusedClaim(known, range, reclaim_now);
    claim.read = std::move(known);
    return claim;
  });
}

namespace {

// Frees the segments of `range` that `ours` says belong to the owner; true
// if any was freed.
template <typename Ours>
absl::StatusOr<bool> LetGo(SqliteSeatStore::Tx& tx, const TripRef& trip, const std::string& seat_id,
                           SegmentRange range, Ours ours, int64_t now) {
  absl::StatusOr<SeatRead> read = ReadSeat(tx, trip, seat_id, range.last + 1);
  if (!read.ok()) return read.status();
  bool freed = false;
  for (int s = range.first; s <= range.last; ++s) {
    const std::optional<SegmentState>& st = (*read)[static_cast<size_t>(s)];
    if (!st.has_value() || !ours(*st)) continue;
    if (absl::Status w = WriteSegment(tx, trip, seat_id, s, SegmentState{}, "", now); !w.ok()) return w;
    freed = true;
  }
  return freed;
}

}  // namespace

asio::awaitable<absl::StatusOr<bool>> SqliteSeatStore::ReleaseSeat(TripRef trip, std::string seat_id,
                                                                   SegmentRange range, std::string hold_id) {
  const int64_t now = Now();
  co_return co_await Transact<bool>([&, now](Tx& tx) {
    return LetGo(
        tx, trip, seat_id, range,
        [&](const SegmentState& st) { return st.status == SeatStatus::kHeld && st.hold_id == hold_id; }, now);
  });
}

asio::awaitable<absl::StatusOr<bool>> SqliteSeatStore::BookSeat(TripRef trip, std::string seat_id,
                                                                SegmentRange range, std::string hold_id,
                                                                std::string booking_id) {
  const int64_t now = Now();
  co_return co_await Transact<bool>([&, now](Tx& tx) -> absl::StatusOr<bool> {
    absl::StatusOr<SeatRead> read = ReadSeat(tx, trip, seat_id, range.last + 1);
    if (!read.ok()) return read.status();
    bool held = true, booked = true;
    for (int s = range.first; s <= range.last; ++s) {
      const std::optional<SegmentState>& st = (*read)[static_cast<size_t>(s)];
      held = held && st.has_value() && st->status == SeatStatus::kHeld && st->hold_id == hold_id;
      booked = booked && st.has_value() && st->status == SeatStatus::kBooked && st->booking_id == booking_id;
    }
    if (booked) return true;
    if (!held) return false;  // the hold no longer owns it
    for (int s = range.first; s <= range.last; ++s) {
      SegmentState b;
      b.status = SeatStatus::kBooked;
      b.booking_id = booking_id;
      b.user_id = (*read)[static_cast<size_t>(s)]->user_id;
      if (absl::Status w = WriteSegment(tx, trip, seat_id, s, b, "", now); !w.ok()) return w;
    }
    return true;
  });
}

asio::awaitable<absl::StatusOr<bool>> SqliteSeatStore::UnbookSeat(TripRef trip, std::string seat_id,
                                                                  SegmentRange range, std::string booking_id) {
  const int64_t now = Now();
  co_return co_await Transact<bool>([&, now](Tx& tx) {
    return LetGo(
        tx, trip, seat_id, range,
        [&](const SegmentState& st) { return st.status == SeatStatus::kBooked && st.booking_id == booking_id; },
        now);
  });
}

asio::awaitable<absl::StatusOr<bool>> SqliteSeatStore::SetBlocked(TripRef trip, std::string seat_id,
                                                                  int segment_count, bool blocked,
                                                                  std::string reason) {
  const int64_t now = Now();
  const int64_t reclaim_now = options_.reclaim_now();
  co_return co_await Transact<bool>([&, now, reclaim_now](Tx& tx) -> absl::StatusOr<bool> {
    absl::StatusOr<SeatRead> read = ReadSeat(tx, trip, seat_id, segment_count);
    if (!read.ok()) return read.status();
    bool changed = false;
    for (int s = 0; s < segment_count; ++s) {
      const std::optional<SegmentState>& st = (*read)[static_cast<size_t>(s)];
      if (!st.has_value()) return false;
      // Only where nothing is held or booked (a reclaimable expired hold is free).
      if (blocked && domain::EffectiveStatus(*st, reclaim_now) != SeatStatus::kAvailable) return false;
    }
    for (int s = 0; s < segment_count; ++s) {
      const SegmentState& st = *(*read)[static_cast<size_t>(s)];
      if (blocked) {
        SegmentState b;
        b.status = SeatStatus::kBlocked;
        if (absl::Status w = WriteSegment(tx, trip, seat_id, s, b, reason, now); !w.ok()) return w;
        changed = true;
      } else if (st.status == SeatStatus::kBlocked) {
        if (absl::Status w = WriteSegment(tx, trip, seat_id, s, SegmentState{}, "", now); !w.ok()) return w;
        changed = true;
      }
    }
    return changed;
  });
}

// --- Intents ---

namespace {

IntentKey KeyOf(const Intent& intent, int64_t window_ms) {
  IntentKey key;
  key.window = intent.created_at_ms / window_ms;
  key.id = std::string(domain::IntentKindName(intent.kind)) + "#" +
           (intent.kind == domain::IntentKind::kCancel ? intent.booking_id : intent.hold_id);
  return key;
}

}  // namespace

asio::awaitable<absl::Status> SqliteSeatStore::RecordIntent(Intent& intent) {
  intent.key = KeyOf(intent, options_.intent_window_ms);
  const Intent copy = intent;
  absl::StatusOr<bool> done =
      co_await Transact<bool>([&copy](Tx& tx) -> absl::StatusOr<bool> {
        if (absl::Status s = InsertIntent(tx, copy); !s.ok()) return s;
        return true;
      });
  co_return done.status();
}

asio::awaitable<absl::Status> SqliteSeatStore::DropIntents(std::vector<IntentKey> keys) {
  absl::StatusOr<bool> done = co_await Transact<bool>([&keys](Tx& tx) -> absl::StatusOr<bool> {
    for (const IntentKey& k : keys) {
      INVENTORY_Q(q, tx, "DELETE FROM intents WHERE win = ? AND id = ?");
      q.Bind(k.window).Bind(k.id);
      if (absl::Status s = q.Run(); !s.ok()) return s;
    }
    return true;
  });
  co_return done.status();
}

asio::awaitable<absl::StatusOr<std::vector<Intent>>> SqliteSeatStore::IntentsIn(int64_t window) {
  co_return co_await Transact<std::vector<Intent>>([window](Tx& tx) -> absl::StatusOr<std::vector<Intent>> {
    INVENTORY_Q(q, tx,
                "SELECT id, kind, org, user_id, trip, hold_id, booking_id, seat_ids, first_segment, last_segment, "
                "expires_at, created_at FROM intents WHERE win = ?");
    q.Bind(window);
    std::vector<Intent> out;
    while (q.Next()) {
      Intent i;
      i.key.window = window;
      i.key.id = q.Text(0);
      i.kind = domain::IntentKindFromName(q.Text(1)).value_or(domain::IntentKind::kHold);
      i.organization_id = q.Text(2);
      i.user_id = q.Text(3);
      i.trip_id = q.Text(4);
      i.hold_id = q.Text(5);
      i.booking_id = q.Text(6);
      i.seat_ids = DecodeList(q.Text(7));
      i.range = {static_cast<int>(q.Int(8)), static_cast<int>(q.Int(9))};
      i.expires_at_ms = q.Int(10);
      i.created_at_ms = q.Int(11);
      out.push_back(std::move(i));
    }
    if (!q.status().ok()) return q.status();
    return out;
  });
}

asio::awaitable<absl::StatusOr<std::optional<int64_t>>> SqliteSeatStore::RepairedBefore() {
  co_return co_await Transact<std::optional<int64_t>>([](Tx& tx) -> absl::StatusOr<std::optional<int64_t>> {
    INVENTORY_Q(q, tx, "SELECT repaired_before FROM repair_progress WHERE id = 0");
    if (!q.Next()) {
      if (!q.status().ok()) return q.status();
      return std::optional<int64_t>();
    }
    return std::optional<int64_t>(q.Int(0));
  });
}

asio::awaitable<absl::Status> SqliteSeatStore::SetRepairedBefore(int64_t window) {
  const int64_t now = Now();
  absl::StatusOr<bool> done = co_await Transact<bool>([window, now](Tx& tx) -> absl::StatusOr<bool> {
    INVENTORY_Q(q, tx, "INSERT OR REPLACE INTO repair_progress (id, repaired_before, updated_at) VALUES (0, ?, ?)");
    q.Bind(window).Bind(now);
    if (absl::Status s = q.Run(); !s.ok()) return s;
    return true;
  });
  co_return done.status();
}

// --- Holds ---

asio::awaitable<absl::StatusOr<LimitOutcome>> SqliteSeatStore::BeginHold(Intent& intent, int max_live) {
  if (max_live <= 0) co_return LimitOutcome::kLimitReached;
  intent.key = KeyOf(intent, options_.intent_window_ms);
  const Intent copy = intent;
  const int64_t now = Now();
  co_return co_await Transact<LimitOutcome>([&copy, now, max_live](Tx& tx) -> absl::StatusOr<LimitOutcome> {
    if (absl::Status s = InsertIntent(tx, copy); !s.ok()) return s;
    {
      // Markers of holds long over go (the CQL store's expire by TTL).
      INVENTORY_Q(q, tx, "DELETE FROM live_holds WHERE org = ? AND user_id = ? AND expires_at < ?");
      q.Bind(copy.organization_id).Bind(copy.user_id).Bind(now - kLiveMarkerSlackMs);
      if (absl::Status s = q.Run(); !s.ok()) return s;
    }
    {
      INVENTORY_Q(q, tx,
                  "INSERT OR REPLACE INTO live_holds (org, user_id, hold_id, expires_at, created_at) "
                  "VALUES (?, ?, ?, ?, ?)");
      q.Bind(copy.organization_id).Bind(copy.user_id).Bind(copy.hold_id).Bind(copy.expires_at_ms).Bind(now);
      if (absl::Status s = q.Run(); !s.ok()) return s;
    }
    INVENTORY_Q(q, tx,
                "SELECT COUNT(*) FROM live_holds WHERE org = ? AND user_id = ? AND hold_id != ? AND expires_at > ?");
    q.Bind(copy.organization_id).Bind(copy.user_id).Bind(copy.hold_id).Bind(now);
    if (!q.Next()) return q.status().ok() ? absl::InternalError("COUNT answered no row") : q.status();
    return q.Int(0) + 1 <= max_live ? LimitOutcome::kRecorded : LimitOutcome::kLimitReached;
  });
}

asio::awaitable<absl::Status> SqliteSeatStore::EndLive(std::string organization_id, std::string user_id,
                                                       std::string hold_id) {
  absl::StatusOr<bool> done = co_await Transact<bool>([&](Tx& tx) -> absl::StatusOr<bool> {
    INVENTORY_Q(q, tx, "DELETE FROM live_holds WHERE org = ? AND user_id = ? AND hold_id = ?");
    q.Bind(organization_id).Bind(user_id).Bind(hold_id);
    if (absl::Status s = q.Run(); !s.ok()) return s;
    return true;
  });
  co_return done.status();
}

asio::awaitable<absl::StatusOr<LedgerResult>> SqliteSeatStore::CreateHoldRecord(HoldRecord h) {
  const int64_t now = Now();
  co_return co_await Transact<LedgerResult>([&h, now](Tx& tx) -> absl::StatusOr<LedgerResult> {
    absl::StatusOr<std::optional<HoldRecord>> there = ReadHold(tx, h.organization_id, h.user_id, h.hold_id);
    if (!there.ok()) return there.status();
    LedgerResult out;
    if (there->has_value()) {
      // Written before: by this very call's retry (same state, expiry and
      // request) it is ours, otherwise not.
      out.applied = (*there)->state == h.state && (*there)->expires_at_ms == h.expires_at_ms &&
                    (*there)->request_key == h.request_key;
      if (!out.applied) out.hold = std::move(*there);
      return out;
    }
    INVENTORY_Q(q, tx,
                "INSERT INTO holds (org, user_id, hold_id, state, trip, session_id, request_key, seat_ids, "
                "first_segment, last_segment, created_at, expires_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Bind(h.organization_id)
        .Bind(h.user_id)
        .Bind(h.hold_id)
        .Bind(domain::HoldStateName(h.state))
        .Bind(h.trip_id)
        .Bind(h.session_id)
        .Bind(h.request_key)
        .Bind(EncodeList(h.seat_ids))
        .Bind(h.range.first)
        .Bind(h.range.last)
        .Bind(h.created_at_ms)
        .Bind(h.expires_at_ms)
        .Bind(now);
    if (absl::Status s = q.Run(); !s.ok()) return s;
    out.applied = true;
    return out;
  });
}

asio::awaitable<absl::StatusOr<std::optional<HoldRecord>>> SqliteSeatStore::GetHold(std::string organization_id,
                                                                                    std::string user_id,
                                                                                    std::string hold_id, bool) {
  co_return co_await Transact<std::optional<HoldRecord>>(
      [&](Tx& tx) { return ReadHold(tx, organization_id, user_id, hold_id); });
}

asio::awaitable<absl::StatusOr<std::optional<BookingRecord>>> SqliteSeatStore::GetBooking(std::string organization_id,
                                                                                          std::string user_id,
                                                                                          std::string booking_id) {
  co_return co_await Transact<std::optional<BookingRecord>>(
      [&](Tx& tx) { return ReadBooking(tx, organization_id, user_id, booking_id); });
}

asio::awaitable<absl::StatusOr<LedgerResult>> SqliteSeatStore::Step(LedgerStep step) {
  if (absl::Status allowed = CheckStep(step); !allowed.ok()) co_return allowed;
  const int64_t now = Now();
  co_return co_await Transact<LedgerResult>([&step, now](Tx& tx) -> absl::StatusOr<LedgerResult> {
    absl::StatusOr<std::optional<HoldRecord>> hold = ReadHold(tx, step.organization_id, step.user_id, step.hold_id);
    if (!hold.ok()) return hold.status();
    std::optional<BookingRecord> booking;
    if (!step.booking_id.empty()) {
      absl::StatusOr<std::optional<BookingRecord>> b =
          ReadBooking(tx, step.organization_id, step.user_id, step.booking_id);
      if (!b.ok()) return b.status();
      booking = std::move(*b);
    }
    // Every condition, as the CQL store's batch names them.
    bool conditions = true;
    if (step.hold_to) conditions = hold->has_value() && (*hold)->state == *step.hold_from;
    if (step.booking_to) {
      conditions = conditions && (step.new_booking ? !booking.has_value()
                                                   : booking.has_value() && booking->state == *step.booking_from);
    }
    LedgerResult out;
    if (!conditions) {
      // Not applied: in place already (a retry), or moved on.
      out.hold = std::move(*hold);
      out.booking = std::move(booking);
      out.applied = StepInPlace(step, out.hold, out.booking);
      return out;
    }
    if (step.hold_to) {
      if (*step.hold_to == HoldState::kConfirming) {
        INVENTORY_Q(q, tx,
                    "UPDATE holds SET state = ?, order_id = ?, booking_id = ?, updated_at = ? "
                    "WHERE org = ? AND user_id = ? AND hold_id = ?");
        q.Bind(domain::HoldStateName(*step.hold_to))
            .Bind(step.order_id)
            .Bind(step.booking_id)
            .Bind(now)
            .Bind(step.organization_id)
            .Bind(step.user_id)
            .Bind(step.hold_id);
        if (absl::Status s = q.Run(); !s.ok()) return s;
      } else {
        INVENTORY_Q(q, tx, "UPDATE holds SET state = ?, updated_at = ? WHERE org = ? AND user_id = ? AND hold_id = ?");
        q.Bind(domain::HoldStateName(*step.hold_to)).Bind(now).Bind(step.organization_id).Bind(step.user_id);
        q.Bind(step.hold_id);
        if (absl::Status s = q.Run(); !s.ok()) return s;
      }
    }
    if (step.booking_to) {
      if (step.new_booking) {
        const BookingRecord& b = *step.new_booking;
        std::vector<std::string> nids, names;
        for (const Passenger& p : b.passengers) {
          nids.push_back(p.nid);
          names.push_back(p.name);
        }
        INVENTORY_Q(q, tx,
                    "INSERT INTO bookings (org, user_id, booking_id, state, hold_id, order_id, trip, seat_ids, "
                    "seat_numbers, ticket_ids, nids, names, first_segment, last_segment, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        q.Bind(b.organization_id)
            .Bind(b.user_id)
            .Bind(b.booking_id)
            .Bind(domain::BookingStateName(*step.booking_to))
            .Bind(b.hold_id)
            .Bind(b.order_id)
            .Bind(b.trip_id)
            .Bind(EncodeList(b.seat_ids))
            .Bind(EncodeList(b.seat_numbers))
            .Bind(EncodeList(b.ticket_ids))
            .Bind(EncodeList(nids))
            .Bind(EncodeList(names))
            .Bind(b.range.first)
            .Bind(b.range.last)
            .Bind(b.created_at_ms)
            .Bind(now);
        if (absl::Status s = q.Run(); !s.ok()) return s;
      } else {
        INVENTORY_Q(q, tx,
                    "UPDATE bookings SET state = ?, updated_at = ? WHERE org = ? AND user_id = ? AND booking_id = ?");
        q.Bind(domain::BookingStateName(*step.booking_to)).Bind(now).Bind(step.organization_id).Bind(step.user_id);
        q.Bind(step.booking_id);
        if (absl::Status s = q.Run(); !s.ok()) return s;
      }
    }
    if (step.end_live) {
      INVENTORY_Q(q, tx, "DELETE FROM live_holds WHERE org = ? AND user_id = ? AND hold_id = ?");
      q.Bind(step.organization_id).Bind(step.user_id).Bind(step.hold_id);
      if (absl::Status s = q.Run(); !s.ok()) return s;
    }
    out.applied = true;
    return out;
  });
}

// --- Waitlist ---

asio::awaitable<absl::StatusOr<WaitlistEntry>> SqliteSeatStore::JoinWaitlist(WaitlistEntry entry) {
  const int64_t now = Now();
  const std::string id = cql::Uuid::TimeBased().ToString();
  co_return co_await Transact<WaitlistEntry>([&entry, now, &id](Tx& tx) -> absl::StatusOr<WaitlistEntry> {
    WaitlistEntry e = entry;
    {
      INVENTORY_Q(q, tx,
                  "SELECT entry_id, requested, status, created_at FROM waitlist "
                  "WHERE user_id = ? AND org = ? AND trip = ? AND seat_class = ?");
      q.Bind(e.user_id).Bind(e.organization_id).Bind(e.trip_id).Bind(e.seat_class);
      if (q.Next()) {
        e.entry_id = q.Text(0);
        e.requested_seats = static_cast<int32_t>(q.Int(1));
        e.status = q.Text(2);
        e.created_at_ms = q.Int(3);
      } else if (!q.status().ok()) {
        return q.status();
      }
    }
    if (e.entry_id.empty()) {
      e.entry_id = id;
      e.status = "pending";
      e.created_at_ms = now;
      INVENTORY_Q(q, tx,
                  "INSERT INTO waitlist (entry_id, org, trip, seat_class, user_id, requested, status, created_at) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
      q.Bind(e.entry_id)
          .Bind(e.organization_id)
          .Bind(e.trip_id)
          .Bind(e.seat_class)
          .Bind(e.user_id)
          .Bind(e.requested_seats)
          .Bind(e.status)
          .Bind(e.created_at_ms);
      if (absl::Status s = q.Run(); !s.ok()) return s;
    }
    absl::StatusOr<int> position = Position(tx, e);
    if (!position.ok()) return position.status();
    e.position = *position;
    return e;
  });
}

asio::awaitable<absl::StatusOr<std::vector<WaitlistEntry>>> SqliteSeatStore::UserWaitlist(
    std::string user_id, std::string organization_id) {
  using Entries = std::vector<WaitlistEntry>;
  co_return co_await Transact<Entries>([&](Tx& tx) -> absl::StatusOr<Entries> {
    Entries out;
    {
      INVENTORY_Q(q, tx,
                  "SELECT entry_id, org, trip, seat_class, requested, status, created_at FROM waitlist "
                  "WHERE user_id = ? AND (? = '' OR org = ?) ORDER BY org, trip, seat_class");
      q.Bind(user_id).Bind(organization_id).Bind(organization_id);
      while (q.Next()) {
        WaitlistEntry e;
        e.user_id = user_id;
        e.entry_id = q.Text(0);
        e.organization_id = q.Text(1);
        e.trip_id = q.Text(2);
        e.seat_class = q.Text(3);
        e.requested_seats = static_cast<int32_t>(q.Int(4));
        e.status = q.Text(5);
        e.created_at_ms = q.Int(6);
        out.push_back(std::move(e));
      }
      if (!q.status().ok()) return q.status();
    }
    for (WaitlistEntry& e : out) {
      absl::StatusOr<int> position = Position(tx, e);
      if (!position.ok()) return position.status();
      e.position = *position;
    }
    return out;
  });
}

// --- Time ---

asio::awaitable<absl::StatusOr<int64_t>> SqliteSeatStore::DatabaseNowMs() {
  // One process on one machine: the database's clock is this clock; the
  // read proves the worker and the file answer (the health probe uses it).
  co_return co_await Transact<int64_t>([this](Tx& tx) -> absl::StatusOr<int64_t> {
    INVENTORY_Q(q, tx, "SELECT 1");
    if (!q.Next()) return q.status().ok() ? absl::InternalError("SELECT 1 answered no row") : q.status();
    return Now();
  });
}

}  // namespace inventory::storage
