#include "storage/cql/cql_seat_store.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/gather.h"
#include "cql/batch.h"
#include "cql/error.h"
#include "cql/session.h"
#include "cql/uuid.h"
#include "storage/cql/schema.h"

namespace inventory::storage {
namespace {

using domain::SeatStatus;
using domain::SegmentRange;
using domain::SegmentState;

// Attempts of one conditional seat write before answering "taken" (each
// retry follows a SERIAL read that showed the seat free).
constexpr int kSeatWriteAttempts = 4;
// How long a live-hold marker outlives its hold before it goes by itself.
constexpr int64_t kLiveMarkerSlackSeconds = 60;
// IN lists of partition keys per snapshot read.
constexpr size_t kSnapshotChunk = 100;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

cql::Value Ms(int64_t ms) { return cql::Value(cql::Timestamp(std::chrono::milliseconds(ms))); }

cql::Value TextList(const std::vector<std::string>& items) {
  std::vector<cql::Value> values;
  values.reserve(items.size());
  for (const std::string& s : items) values.emplace_back(s);
  return cql::Value::List(std::move(values));
}

std::string Str(const cql::Row& row, std::string_view column) {
  if (row.IsNull(column)) return "";
  absl::StatusOr<std::string> v = row.GetString(column);
  return v.ok() ? *v : "";
}

int64_t TimeMs(const cql::Row& row, std::string_view column) {
  if (row.IsNull(column)) return 0;
  absl::StatusOr<cql::Timestamp> v = row.GetTimestamp(column);
  return v.ok() ? v->time_since_epoch().count() : 0;
}

int32_t Int(const cql::Row& row, std::string_view column) {
  if (row.IsNull(column)) return 0;
  absl::StatusOr<int32_t> v = row.GetInt(column);
  return v.ok() ? *v : 0;
}

std::vector<std::string> Strings(const cql::Row& row, std::string_view column) {
  std::vector<std::string> out;
  if (row.IsNull(column)) return out;
  absl::StatusOr<std::vector<cql::Value>> v = row.GetList(column);
  if (!v.ok()) return out;
  for (const cql::Value& e : *v) out.push_back(e.text());
  return out;
}

std::vector<int64_t> Bigints(const cql::Row& row, std::string_view column) {
  std::vector<int64_t> out;
  if (row.IsNull(column)) return out;
  absl::StatusOr<std::vector<cql::Value>> v = row.GetList(column);
  if (!v.ok()) return out;
  for (const cql::Value& e : *v) out.push_back(e.bigint_value());
  return out;
}

SegmentState StateOf(const cql::Row& row) {
  SegmentState s;
  s.status = domain::StatusFromName(Str(row, "status"));
  s.hold_id = Str(row, "hold_id");
  s.booking_id = Str(row, "booking_id");
  s.expires_at_ms = TimeMs(row, "expires_at");
  s.user_id = Str(row, "user_id");
  return s;
}

std::string_view HoldStateName(HoldRecord::State s) {
  switch (s) {
    case HoldRecord::State::kActive:
      return "active";
    case HoldRecord::State::kReleased:
      return "released";
    case HoldRecord::State::kConfirmed:
      return "confirmed";
  }
  return "active";
}

HoldRecord::State HoldStateFrom(std::string_view s) {
  if (s == "released") return HoldRecord::State::kReleased;
  if (s == "confirmed") return HoldRecord::State::kConfirmed;
  return HoldRecord::State::kActive;
}

std::string_view BookingStateName(BookingRecord::State s) {
  switch (s) {
    case BookingRecord::State::kPending:
      return "pending";
    case BookingRecord::State::kConfirmed:
      return "confirmed";
    case BookingRecord::State::kCancelled:
      return "cancelled";
  }
  return "pending";
}

BookingRecord::State BookingStateFrom(std::string_view s) {
  if (s == "confirmed") return BookingRecord::State::kConfirmed;
  if (s == "cancelled") return BookingRecord::State::kCancelled;
  return BookingRecord::State::kPending;
}

BookingRecord BookingFromRow(const cql::Row& row, std::string organization_id, std::string user_id) {
  BookingRecord b;
  b.organization_id = std::move(organization_id);
  b.user_id = std::move(user_id);
  b.booking_id = Str(row, "booking_id");
  b.hold_id = Str(row, "hold_id");
  b.order_id = Str(row, "order_id");
  b.trip_id = Str(row, "trip_id");
  b.seat_ids = Strings(row, "seat_ids");
  b.seat_numbers = Strings(row, "seat_numbers");
  b.ticket_ids = Strings(row, "ticket_ids");
  std::vector<std::string> nids = Strings(row, "passenger_nids");
  std::vector<std::string> names = Strings(row, "passenger_names");
  for (size_t i = 0; i < b.seat_ids.size() && i < nids.size() && i < names.size(); ++i) {
    b.passengers.push_back({b.seat_ids[i], nids[i], names[i]});
  }
  b.range = SegmentRange{Int(row, "first_segment"), Int(row, "last_segment")};
  b.created_at_ms = TimeMs(row, "created_at");
  b.state = BookingStateFrom(Str(row, "state"));
  return b;
}

// True when the outcome of a conditional write is unknown: the server timed
// out in the CAS phase, or the client gave up waiting.
bool Ambiguous(const absl::Status& s) {
  return cql::IsCasWriteTimeout(s) || s.code() == absl::StatusCode::kDeadlineExceeded;
}

// True if some segment of `range` in `read` satisfies `pred`.
bool AnySegment(const std::vector<std::optional<SegmentState>>& read, SegmentRange range,
                const std::function<bool(const SegmentState&)>& pred) {
  for (int s = range.first; s <= range.last; ++s) {
    const std::optional<SegmentState>& st = read[static_cast<size_t>(s)];
    if (st.has_value() && pred(*st)) return true;
  }
  return false;
}

// A live hold's marker row: present (with a TTL a minute past the hold's
// expiry) from the hold's record until its release or confirmation.
std::string LiveEntry(std::string_view id) { return absl::StrCat("live#", std::string(id)); }
std::string HoldEntry(std::string_view id) { return absl::StrCat("hold#", std::string(id)); }
std::string BookingEntry(std::string_view id) { return absl::StrCat("booking#", std::string(id)); }

}  // namespace

struct CqlSeatStore::Statements {
  cql::PreparedStatement insert_trip, select_trip, mark_ready, insert_layout, insert_segment, select_layout,
      select_segments_in, select_seat, hold_if_available, hold_if_held_by, release, book, unbook, block_if_available,
      block_if_held_by, unblock, insert_hold, insert_live, select_live, select_entry, delete_entry,
      update_hold_state, insert_booking, update_booking_state, wl_user_insert, wl_insert, wl_queue, wl_user_all,
      wl_user_org;
};

CqlSeatStore::CqlSeatStore(cql::Session& session, CqlStoreOptions options)
    : session_(session), options_(std::move(options)), st_(std::make_unique<Statements>()) {}

CqlSeatStore::~CqlSeatStore() = default;

asio::awaitable<absl::Status> CqlSeatStore::Prepare() {
  const std::string seg_where =
      " WHERE organization_id = ? AND trip_id = ? AND seat_id = ? AND segment_index = ?";
  const std::string ledger_where = " WHERE organization_id = ? AND user_id = ? AND entry = ?";
  const std::vector<std::pair<cql::PreparedStatement*, std::string>> all = {
      {&st_->insert_trip,
       "INSERT INTO {ks}.trips (organization_id, trip_id, vehicle_id, vehicle_type, stations, departures, "
       "arrivals, seat_count, definition_hash, init_ts, ready, created_at) "
       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, false, ?) IF NOT EXISTS"},
      {&st_->select_trip,
       "SELECT vehicle_id, vehicle_type, stations, departures, arrivals, seat_count, definition_hash, init_ts, "
       "ready FROM {ks}.trips WHERE organization_id = ? AND trip_id = ?"},
      {&st_->mark_ready, "UPDATE {ks}.trips SET ready = true WHERE organization_id = ? AND trip_id = ?"},
      {&st_->insert_layout,
       "INSERT INTO {ks}.trip_seats (organization_id, trip_id, seat_id, seat_number, row_number, column_number, "
       "seat_type, seat_class, price_paisa, is_accessible, has_power, is_exit_row) "
       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?"},
      {&st_->insert_segment,
       "INSERT INTO {ks}.seat_segments (organization_id, trip_id, seat_id, segment_index, status) "
       "VALUES (?, ?, ?, ?, 'available') USING TIMESTAMP ?"},
      {&st_->select_layout,
       "SELECT seat_id, seat_number, row_number, column_number, seat_type, seat_class, price_paisa, "
       "is_accessible, has_power, is_exit_row FROM {ks}.trip_seats WHERE organization_id = ? AND trip_id = ?"},
      {&st_->select_segments_in,
       "SELECT seat_id, segment_index, status, hold_id, user_id, booking_id, expires_at FROM {ks}.seat_segments "
       "WHERE organization_id = ? AND trip_id = ? AND seat_id IN ?"},
      {&st_->select_seat,
       "SELECT segment_index, status, hold_id, user_id, booking_id, expires_at FROM {ks}.seat_segments "
       "WHERE organization_id = ? AND trip_id = ? AND seat_id = ?"},
      {&st_->hold_if_available,
       "UPDATE {ks}.seat_segments SET status = 'held', hold_id = ?, user_id = ?, booking_id = null, "
       "expires_at = ?, updated_at = ?" + seg_where + " IF status = 'available'"},
      {&st_->hold_if_held_by,
       "UPDATE {ks}.seat_segments SET status = 'held', hold_id = ?, user_id = ?, booking_id = null, "
       "expires_at = ?, updated_at = ?" + seg_where + " IF status = 'held' AND hold_id = ?"},
      {&st_->release,
       "UPDATE {ks}.seat_segments SET status = 'available', hold_id = null, user_id = null, expires_at = null, "
       "updated_at = ?" + seg_where + " IF status = 'held' AND hold_id = ?"},
      {&st_->book,
       "UPDATE {ks}.seat_segments SET status = 'booked', booking_id = ?, hold_id = null, expires_at = null, "
       "updated_at = ?" + seg_where + " IF status = 'held' AND hold_id = ?"},
      {&st_->unbook,
       "UPDATE {ks}.seat_segments SET status = 'available', booking_id = null, user_id = null, updated_at = ?" +
           seg_where + " IF status = 'booked' AND booking_id = ?"},
      {&st_->block_if_available,
       "UPDATE {ks}.seat_segments SET status = 'blocked', block_reason = ?, hold_id = null, user_id = null, "
       "expires_at = null, updated_at = ?" + seg_where + " IF status = 'available'"},
      {&st_->block_if_held_by,
       "UPDATE {ks}.seat_segments SET status = 'blocked', block_reason = ?, hold_id = null, user_id = null, "
       "expires_at = null, updated_at = ?" + seg_where + " IF status = 'held' AND hold_id = ?"},
      {&st_->unblock,
       "UPDATE {ks}.seat_segments SET status = 'available', block_reason = null, updated_at = ?" + seg_where +
           " IF status = 'blocked'"},
      {&st_->insert_hold,
       "INSERT INTO {ks}.user_ledger (organization_id, user_id, entry, kind, state, hold_id, trip_id, session_id, "
       "request_key, seat_ids, first_segment, last_segment, created_at, expires_at, updated_at) "
       "VALUES (?, ?, ?, 'hold', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"},
      {&st_->insert_live,
       "INSERT INTO {ks}.user_ledger (organization_id, user_id, entry, kind, hold_id, expires_at, updated_at) "
       "VALUES (?, ?, ?, 'live', ?, ?, ?) USING TTL ?"},
      {&st_->select_live,
       "SELECT entry, hold_id, expires_at FROM {ks}.user_ledger WHERE organization_id = ? AND user_id = ? "
       "AND entry > 'live#' AND entry < 'live$'"},
      {&st_->select_entry, "SELECT * FROM {ks}.user_ledger" + ledger_where},
      {&st_->delete_entry, "DELETE FROM {ks}.user_ledger" + ledger_where},
      {&st_->update_hold_state,
       "UPDATE {ks}.user_ledger SET state = ?, booking_id = ?, updated_at = ?" + ledger_where},
      {&st_->insert_booking,
       "INSERT INTO {ks}.user_ledger (organization_id, user_id, entry, kind, state, booking_id, hold_id, order_id, "
       "trip_id, seat_ids, seat_numbers, ticket_ids, passenger_nids, passenger_names, first_segment, "
       "last_segment, created_at, updated_at) "
       "VALUES (?, ?, ?, 'booking', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS"},
      {&st_->update_booking_state, "UPDATE {ks}.user_ledger SET state = ?, updated_at = ?" + ledger_where},
      {&st_->wl_user_insert,
       "INSERT INTO {ks}.waitlist_by_user (user_id, organization_id, trip_id, seat_class, entry_id, "
       "requested_seats, status, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?) IF NOT EXISTS"},
      {&st_->wl_insert,
       "INSERT INTO {ks}.waitlist (organization_id, trip_id, seat_class, entry_id, user_id, requested_seats, "
       "status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"},
      {&st_->wl_queue,
       "SELECT entry_id, status FROM {ks}.waitlist WHERE organization_id = ? AND trip_id = ? AND seat_class = ?"},
      {&st_->wl_user_all,
       "SELECT organization_id, trip_id, seat_class, entry_id, requested_seats, status, created_at "
       "FROM {ks}.waitlist_by_user WHERE user_id = ?"},
      {&st_->wl_user_org,
       "SELECT organization_id, trip_id, seat_class, entry_id, requested_seats, status, created_at "
       "FROM {ks}.waitlist_by_user WHERE user_id = ? AND organization_id = ?"},
  };
  for (const auto& [slot, text] : all) {
    std::string cql = WithKeyspace(text, options_.keyspace);
    absl::StatusOr<cql::PreparedStatement> prepared = co_await session_.Prepare(std::move(cql));
    if (!prepared.ok()) {
      co_return absl::Status(prepared.status().code(),
                             absl::StrCat("prepare '", text, "': ", prepared.status().message()));
    }
    *slot = *prepared;
  }
  co_return absl::OkStatus();
}

std::string_view DbOpName(DbOp op) {
  switch (op) {
    case DbOp::kRead:
      return "read";
    case DbOp::kSerialRead:
      return "serial_read";
    case DbOp::kWrite:
      return "write";
    case DbOp::kLwt:
      return "lwt";
  }
  return "unknown";
}

std::string_view DbTableName(DbTable table) {
  switch (table) {
    case DbTable::kTrips:
      return "trips";
    case DbTable::kTripSeats:
      return "trip_seats";
    case DbTable::kSeatSegments:
      return "seat_segments";
    case DbTable::kUserLedger:
      return "user_ledger";
    case DbTable::kWaitlist:
      return "waitlist";
  }
  return "unknown";
}

uint64_t StoreCounters::Of(DbOp op) const {
  uint64_t n = 0;
  for (uint64_t v : sent[static_cast<size_t>(op)]) n += v;
  return n;
}

uint64_t StoreCounters::Total() const {
  uint64_t n = 0;
  for (int op = 0; op < kDbOpCount; ++op) n += Of(static_cast<DbOp>(op));
  return n;
}

asio::awaitable<absl::StatusOr<cql::Result>> CqlSeatStore::Run(const cql::PreparedStatement& statement,
                                                              std::vector<cql::Value> values, DbOp op,
                                                              DbTable table) {
  cql::QueryOptions q;
  q.consistency = op == DbOp::kSerialRead ? options_.serial_consistency : options_.consistency;
  q.serial_consistency = options_.serial_consistency;
  counters_.Add(op, table);
  co_return co_await session_.Execute(statement, std::move(values), q);
}

asio::awaitable<absl::StatusOr<cql::Result>> CqlSeatStore::RunBatch(const cql::Batch& batch, DbOp op,
                                                                   DbTable table) {
  cql::QueryOptions q;
  q.consistency = options_.consistency;
  q.serial_consistency = options_.serial_consistency;
  counters_.Add(op, table);
  co_return co_await session_.ExecuteBatch(batch, q);
}

asio::awaitable<absl::StatusOr<std::optional<bool>>> CqlSeatStore::SeatBatch(
    const cql::PreparedStatement& statement, SegmentRange range, std::function<std::vector<cql::Value>(int)> row) {
  cql::Batch batch(cql::BatchType::kUnlogged);
  for (int s = range.first; s <= range.last; ++s) batch.Add(statement, row(s));
  absl::StatusOr<cql::Result> result = co_await RunBatch(batch, DbOp::kLwt, DbTable::kSeatSegments);
  if (!result.ok()) {
    if (Ambiguous(result.status())) co_return std::optional<bool>();
    co_return result.status();
  }
  absl::StatusOr<bool> applied = result->Applied();
  if (!applied.ok()) co_return applied.status();
  co_return std::optional<bool>(*applied);
}

// --- Trips ---

asio::awaitable<absl::StatusOr<CreateTripOutcome>> CqlSeatStore::CreateTrip(const domain::TripDefinition& trip) {
  const std::string hash = domain::DefinitionFingerprint(trip);
  std::vector<cql::Value> stations, departures, arrivals;
  for (const std::string& s : trip.Stations()) stations.emplace_back(s);
  for (const domain::SegmentDefinition& s : trip.segments) {
    departures.emplace_back(s.departure_time);
    arrivals.emplace_back(s.arrival_time);
  }
  const int64_t now_ms = NowMs();
  // Initial rows carry a write timestamp one second before the trip existed:
  // any real write made afterwards is newer and wins over a re-sent load.
  int64_t init_ts = (now_ms - 1000) * 1000;
  std::vector<cql::Value> values = {trip.organization_id,
                                    trip.trip_id,
                                    trip.vehicle_id,
                                    trip.vehicle_type,
                                    cql::Value::List(std::move(stations)),
                                    cql::Value::List(std::move(departures)),
                                    cql::Value::List(std::move(arrivals)),
                                    static_cast<int32_t>(trip.seats.size()),
                                    hash,
                                    init_ts,
                                    Ms(now_ms)};
  absl::StatusOr<cql::Result> inserted = co_await Run(st_->insert_trip, std::move(values), DbOp::kLwt, DbTable::kTrips);
  if (!inserted.ok()) co_return inserted.status();
  absl::StatusOr<bool> applied = inserted->Applied();
  if (!applied.ok()) co_return applied.status();
  CreateTripOutcome outcome = CreateTripOutcome::kCreated;
  if (!*applied) {
    const cql::Row existing = inserted->row(0);
    if (Str(existing, "definition_hash") != hash) co_return CreateTripOutcome::kConflict;
    absl::StatusOr<bool> ready = existing.IsNull("ready") ? absl::StatusOr<bool>(false) : existing.GetBool("ready");
    if (ready.ok() && *ready) co_return CreateTripOutcome::kUnchanged;
    // Same definition, load interrupted: finish it under the first init_ts.
    absl::StatusOr<int64_t> ts = existing.GetBigint("init_ts");
    if (!ts.ok()) co_return ts.status();
    init_ts = *ts;
    outcome = CreateTripOutcome::kUnchanged;
  }

  // Seat layout (one partition) and per-seat segment rows (a partition per
  // seat), in bounded unlogged batches, a bounded number at a time.
  std::vector<cql::Batch> batches;
  cql::Batch layout(cql::BatchType::kUnlogged);
  for (const domain::SeatDefinition& s : trip.seats) {
    layout.Add(st_->insert_layout,
               {trip.organization_id, trip.trip_id, s.seat_id, s.seat_number, s.row, s.column, s.seat_type,
                s.seat_class, s.price_paisa, s.is_accessible, s.has_power, s.is_exit_row, init_ts});
    if (static_cast<int>(layout.size()) >= options_.load_batch_rows) {
      batches.push_back(std::move(layout));
      layout = cql::Batch(cql::BatchType::kUnlogged);
    }
  }
  if (!layout.empty()) batches.push_back(std::move(layout));
  const size_t layout_batches = batches.size();
  for (const domain::SeatDefinition& s : trip.seats) {
    cql::Batch seat(cql::BatchType::kUnlogged);
    for (const domain::SegmentDefinition& seg : trip.segments) {
      seat.Add(st_->insert_segment, {trip.organization_id, trip.trip_id, s.seat_id, seg.index, init_ts});
    }
    batches.push_back(std::move(seat));
  }
  for (size_t begin = 0; begin < batches.size(); begin += static_cast<size_t>(options_.load_parallelism)) {
    const size_t end = std::min(batches.size(), begin + static_cast<size_t>(options_.load_parallelism));
    std::vector<asio::awaitable<absl::StatusOr<cql::Result>>> wave;
    for (size_t i = begin; i < end; ++i) {
      wave.push_back(RunBatch(batches[i], DbOp::kWrite, i < layout_batches ? DbTable::kTripSeats : DbTable::kSeatSegments));
    }
    std::vector<absl::StatusOr<cql::Result>> results = co_await Gather(std::move(wave));
    for (absl::StatusOr<cql::Result>& r : results) {
      if (!r.ok()) co_return r.status();
    }
  }
  std::vector<cql::Value> key = {trip.organization_id, trip.trip_id};
  absl::StatusOr<cql::Result> ready = co_await Run(st_->mark_ready, std::move(key), DbOp::kWrite, DbTable::kTrips);
  if (!ready.ok()) co_return ready.status();
  co_return outcome;
}

asio::awaitable<absl::StatusOr<std::shared_ptr<domain::TripSnapshot>>> CqlSeatStore::LoadSnapshot(
    TripRef ref) {
  std::vector<cql::Value> key = {ref.organization_id, ref.trip_id};
  absl::StatusOr<cql::Result> trip_rows = co_await Run(st_->select_trip, key, DbOp::kRead, DbTable::kTrips);
  if (!trip_rows.ok()) co_return trip_rows.status();
  if (trip_rows->row_count() == 0) co_return absl::NotFoundError(absl::StrCat("trip '", ref.trip_id, "' not found"));
  const cql::Row t = trip_rows->row(0);
  absl::StatusOr<bool> ready = t.IsNull("ready") ? absl::StatusOr<bool>(false) : t.GetBool("ready");
  if (!ready.ok() || !*ready) {
    co_return absl::NotFoundError(absl::StrCat("trip '", ref.trip_id, "' is still being loaded"));
  }
  auto snapshot = std::make_shared<domain::TripSnapshot>();
  snapshot->loaded_at_ms = NowMs();
  domain::TripDefinition& trip = snapshot->trip;
  trip.organization_id = ref.organization_id;
  trip.trip_id = ref.trip_id;
  trip.vehicle_id = Str(t, "vehicle_id");
  trip.vehicle_type = Str(t, "vehicle_type");
  snapshot->stations = Strings(t, "stations");
  std::vector<int64_t> departures = Bigints(t, "departures");
  std::vector<int64_t> arrivals = Bigints(t, "arrivals");
  for (size_t i = 0; i + 1 < snapshot->stations.size(); ++i) {
    trip.segments.push_back({static_cast<int32_t>(i), snapshot->stations[i], snapshot->stations[i + 1],
                             i < departures.size() ? departures[i] : 0, i < arrivals.size() ? arrivals[i] : 0});
  }

  absl::StatusOr<cql::Result> layout = co_await Run(st_->select_layout, key, DbOp::kRead, DbTable::kTripSeats);
  if (!layout.ok()) co_return layout.status();
  for (size_t i = 0; i < layout->row_count(); ++i) {
    const cql::Row r = layout->row(i);
    domain::SeatDefinition s;
    s.seat_id = Str(r, "seat_id");
    s.seat_number = Str(r, "seat_number");
    s.row = Int(r, "row_number");
    s.column = Int(r, "column_number");
    s.seat_type = Str(r, "seat_type");
    s.seat_class = Str(r, "seat_class");
    absl::StatusOr<int64_t> price = r.IsNull("price_paisa") ? absl::StatusOr<int64_t>(0) : r.GetBigint("price_paisa");
    s.price_paisa = price.ok() ? *price : 0;
    auto flag = [&r](std::string_view c) {
      absl::StatusOr<bool> b = r.IsNull(c) ? absl::StatusOr<bool>(false) : r.GetBool(c);
      return b.ok() && *b;
    };
    s.is_accessible = flag("is_accessible");
    s.has_power = flag("has_power");
    s.is_exit_row = flag("is_exit_row");
    trip.seats.push_back(std::move(s));
  }
  snapshot->IndexSeats();
  const size_t segments = trip.segments.size();
  snapshot->states.assign(trip.seats.size(), std::vector<SegmentState>(segments));
  // Seats not found below keep no row: they read as blocked (never free).
  std::vector<std::vector<bool>> seen(trip.seats.size(), std::vector<bool>(segments, false));
  for (size_t begin = 0; begin < trip.seats.size(); begin += kSnapshotChunk) {
    const size_t end = std::min(trip.seats.size(), begin + kSnapshotChunk);
    std::vector<cql::Value> ids;
    for (size_t i = begin; i < end; ++i) ids.emplace_back(trip.seats[i].seat_id);
    std::vector<cql::Value> values = {ref.organization_id, ref.trip_id, cql::Value::List(std::move(ids))};
    absl::StatusOr<cql::Result> rows = co_await Run(st_->select_segments_in, std::move(values), DbOp::kRead, DbTable::kSeatSegments);
    if (!rows.ok()) co_return rows.status();
    for (size_t i = 0; i < rows->row_count(); ++i) {
      const cql::Row r = rows->row(i);
      const int seat = snapshot->SeatIndex(Str(r, "seat_id"));
      const int seg = Int(r, "segment_index");
      if (seat < 0 || seg < 0 || static_cast<size_t>(seg) >= segments) continue;
      snapshot->states[static_cast<size_t>(seat)][static_cast<size_t>(seg)] = StateOf(r);
      seen[static_cast<size_t>(seat)][static_cast<size_t>(seg)] = true;
    }
  }
  for (size_t i = 0; i < seen.size(); ++i) {
    for (size_t j = 0; j < segments; ++j) {
      if (!seen[i][j]) snapshot->states[i][j].status = SeatStatus::kBlocked;
    }
  }
  co_return std::shared_ptr<domain::TripSnapshot>(std::move(snapshot));
}

// --- Seats ---

asio::awaitable<absl::StatusOr<std::vector<std::optional<SegmentState>>>> CqlSeatStore::ReadSeatSerial(
    const TripRef& trip, const std::string& seat_id, int segment_count) {
  std::vector<cql::Value> key = {trip.organization_id, trip.trip_id, seat_id};
  absl::StatusOr<cql::Result> rows = co_await Run(st_->select_seat, std::move(key), DbOp::kSerialRead, DbTable::kSeatSegments);
  if (!rows.ok()) co_return rows.status();
  std::vector<std::optional<SegmentState>> out(static_cast<size_t>(segment_count));
  for (size_t i = 0; i < rows->row_count(); ++i) {
    const cql::Row r = rows->row(i);
    const int seg = Int(r, "segment_index");
    if (seg >= 0 && seg < segment_count) out[static_cast<size_t>(seg)] = StateOf(r);
  }
  co_return out;
}

asio::awaitable<absl::StatusOr<SeatClaim>> CqlSeatStore::HoldSeat(TripRef trip, std::string seat_id,
                                                                  SegmentRange range, std::string hold_id,
                                                                  std::string user_id, int64_t expires_at_ms,
                                                                  std::vector<SegmentState> believed) {
  const int segment_count = std::max(range.last + 1, static_cast<int>(believed.size()));
  std::vector<std::optional<SegmentState>> view(static_cast<size_t>(segment_count));
  for (size_t i = 0; i < believed.size(); ++i) view[i] = believed[i];
  for (int attempt = 0; attempt < kSeatWriteAttempts; ++attempt) {
    const int64_t now = NowMs();
    // Is the seat free over the range, as far as we know?
    bool free = true;
    for (int s = range.first; s <= range.last && free; ++s) {
      const std::optional<SegmentState>& st = view[static_cast<size_t>(s)];
      if (st.has_value() && domain::EffectiveStatus(*st, now) != SeatStatus::kAvailable) free = false;
      if (!st.has_value() && attempt > 0) free = false;  // no row: not a seat of this trip
    }
    if (!free) {
      SeatClaim claim;
      std::vector<SegmentState> known;
      for (const std::optional<SegmentState>& st : view) {
        known.push_back(st.value_or(SegmentState{SeatStatus::kBlocked, "", "", 0, ""}));
      }
      domain::JourneyStatus js = domain::StatusOver(known, range, now);
      claim.blocking = js.status;
      claim.holder_expires_at_ms = js.hold_expires_at_ms;
      for (int s = range.first; s <= range.last; ++s) {
        const SegmentState& st = known[static_cast<size_t>(s)];
        if (domain::EffectiveStatus(st, now) == SeatStatus::kHeld) {
          claim.holder_hold_id = st.hold_id;
          claim.holder_user_id = st.user_id;
        }
      }
      co_return claim;
    }
    cql::Batch batch(cql::BatchType::kUnlogged);
    for (int s = range.first; s <= range.last; ++s) {
      const std::optional<SegmentState>& st = view[static_cast<size_t>(s)];
      if (st.has_value() && st->status == SeatStatus::kHeld) {
        batch.Add(st_->hold_if_held_by, {hold_id, user_id, Ms(expires_at_ms), Ms(now), trip.organization_id,
                                         trip.trip_id, seat_id, s, st->hold_id});
      } else {
        batch.Add(st_->hold_if_available,
                  {hold_id, user_id, Ms(expires_at_ms), Ms(now), trip.organization_id, trip.trip_id, seat_id, s});
      }
    }
    absl::StatusOr<cql::Result> result = co_await RunBatch(batch, DbOp::kLwt, DbTable::kSeatSegments);
    if (!result.ok() && !Ambiguous(result.status())) co_return result.status();
    if (result.ok()) {
      absl::StatusOr<bool> applied = result->Applied();
      if (!applied.ok()) co_return applied.status();
      if (*applied) {
        SeatClaim claim;
        claim.applied = true;
        co_return claim;
      }
    }
    // Not applied, or unknown: read what is there (SERIAL completes any
    // in-flight Paxos round, so this read is the truth).
    absl::StatusOr<std::vector<std::optional<SegmentState>>> read =
        co_await ReadSeatSerial(trip, seat_id, segment_count);
    if (!read.ok()) co_return read.status();
    bool ours = true;
    for (int s = range.first; s <= range.last; ++s) {
      const std::optional<SegmentState>& st = (*read)[static_cast<size_t>(s)];
      if (!st.has_value() || st->status != SeatStatus::kHeld || st->hold_id != hold_id) ours = false;
    }
    if (ours) {
      SeatClaim claim;
      claim.applied = true;
      co_return claim;
    }
    view = std::move(*read);
  }
  // Kept losing to concurrent writers: the seat is contended, say taken.
  SeatClaim claim;
  claim.blocking = SeatStatus::kHeld;
  co_return claim;
}

asio::awaitable<absl::StatusOr<bool>> CqlSeatStore::ReleaseSeat(TripRef trip, std::string seat_id,
                                                                SegmentRange range, std::string hold_id) {
  const int64_t now = NowMs();
  std::function<std::vector<cql::Value>(int)> row = [&](int s) {
    return std::vector<cql::Value>{Ms(now), trip.organization_id, trip.trip_id, seat_id, s, hold_id};
  };
  absl::StatusOr<std::optional<bool>> applied = co_await SeatBatch(st_->release, range, std::move(row));
  if (!applied.ok()) co_return applied.status();
  if (applied->has_value()) co_return **applied;
  // Unknown: freed unless some segment still carries the hold.
  absl::StatusOr<std::vector<std::optional<SegmentState>>> read =
      co_await ReadSeatSerial(trip, seat_id, range.last + 1);
  if (!read.ok()) co_return read.status();
  co_return !AnySegment(*read, range, [&](const SegmentState& st) {
    return st.status == SeatStatus::kHeld && st.hold_id == hold_id;
  });
}

asio::awaitable<absl::StatusOr<bool>> CqlSeatStore::BookSeat(TripRef trip, std::string seat_id, SegmentRange range,
                                                             std::string hold_id, std::string booking_id) {
  const int64_t now = NowMs();
  std::function<std::vector<cql::Value>(int)> row = [&](int s) {
    return std::vector<cql::Value>{booking_id, Ms(now), trip.organization_id, trip.trip_id, seat_id, s, hold_id};
  };
  absl::StatusOr<std::optional<bool>> applied = co_await SeatBatch(st_->book, range, std::move(row));
  if (!applied.ok()) co_return applied.status();
  if (applied->has_value() && **applied) co_return true;
  // Not applied or unknown: booked already by this booking (a retry)?
  absl::StatusOr<std::vector<std::optional<SegmentState>>> read =
      co_await ReadSeatSerial(trip, seat_id, range.last + 1);
  if (!read.ok()) co_return read.status();
  for (int s = range.first; s <= range.last; ++s) {
    const std::optional<SegmentState>& st = (*read)[static_cast<size_t>(s)];
    if (!st.has_value() || st->status != SeatStatus::kBooked || st->booking_id != booking_id) co_return false;
  }
  co_return true;
}

asio::awaitable<absl::StatusOr<bool>> CqlSeatStore::UnbookSeat(TripRef trip, std::string seat_id,
                                                               SegmentRange range, std::string booking_id) {
  const int64_t now = NowMs();
  std::function<std::vector<cql::Value>(int)> row = [&](int s) {
    return std::vector<cql::Value>{Ms(now), trip.organization_id, trip.trip_id, seat_id, s, booking_id};
  };
  absl::StatusOr<std::optional<bool>> applied = co_await SeatBatch(st_->unbook, range, std::move(row));
  if (!applied.ok()) co_return applied.status();
  if (applied->has_value()) co_return **applied;
  // Unknown: freed unless some segment still carries the booking.
  absl::StatusOr<std::vector<std::optional<SegmentState>>> read =
      co_await ReadSeatSerial(trip, seat_id, range.last + 1);
  if (!read.ok()) co_return read.status();
  co_return !AnySegment(*read, range, [&](const SegmentState& st) { return st.booking_id == booking_id; });
}

asio::awaitable<absl::StatusOr<bool>> CqlSeatStore::SetBlocked(TripRef trip, std::string seat_id, int segment_count,
                                                               bool blocked, std::string reason) {
  for (int attempt = 0; attempt < kSeatWriteAttempts; ++attempt) {
    absl::StatusOr<std::vector<std::optional<SegmentState>>> read =
        co_await ReadSeatSerial(trip, seat_id, segment_count);
    if (!read.ok()) co_return read.status();
    const int64_t now = NowMs();
    cql::Batch batch(cql::BatchType::kUnlogged);
    for (int s = 0; s < segment_count; ++s) {
      const std::optional<SegmentState>& st = (*read)[static_cast<size_t>(s)];
      if (!st.has_value()) co_return false;
      const SeatStatus effective = domain::EffectiveStatus(*st, now);
      if (blocked) {
        if (effective != SeatStatus::kAvailable) co_return false;  // live hold, booking, or already blocked
        if (st->status == SeatStatus::kHeld) {
          batch.Add(st_->block_if_held_by,
                    {reason, Ms(now), trip.organization_id, trip.trip_id, seat_id, s, st->hold_id});
        } else {
          batch.Add(st_->block_if_available, {reason, Ms(now), trip.organization_id, trip.trip_id, seat_id, s});
        }
      } else if (st->status == SeatStatus::kBlocked) {
        batch.Add(st_->unblock, {Ms(now), trip.organization_id, trip.trip_id, seat_id, s});
      }
    }
    if (batch.empty()) co_return false;
    absl::StatusOr<cql::Result> result = co_await RunBatch(batch, DbOp::kLwt, DbTable::kSeatSegments);
    if (result.ok()) {
      absl::StatusOr<bool> applied = result->Applied();
      if (!applied.ok() || *applied) co_return applied;
    } else if (!Ambiguous(result.status())) {
      co_return result.status();
    }
    // Lost a race or unknown: read again and decide.
  }
  co_return false;
}

// --- Holds and slots ---

asio::awaitable<absl::StatusOr<LimitOutcome>> CqlSeatStore::RecordHoldWithinLimit(HoldRecord hold, int max_live) {
  if (max_live <= 0) co_return LimitOutcome::kLimitReached;
  const int64_t now = NowMs();
  // The marker outlives the hold by a minute, then goes by itself.
  const int32_t ttl_seconds =
      static_cast<int32_t>(std::max<int64_t>(1, (hold.expires_at_ms - now) / 1000 + kLiveMarkerSlackSeconds));
  cql::Batch record(cql::BatchType::kUnlogged);
  record.Add(st_->insert_hold, {hold.organization_id, hold.user_id, HoldEntry(hold.hold_id),
                                std::string(HoldStateName(hold.state)), hold.hold_id, hold.trip_id, hold.session_id,
                                hold.request_key, TextList(hold.seat_ids), hold.range.first, hold.range.last,
                                Ms(hold.created_at_ms), Ms(hold.expires_at_ms), Ms(now)});
  record.Add(st_->insert_live, {hold.organization_id, hold.user_id, LiveEntry(hold.hold_id), hold.hold_id,
                                Ms(hold.expires_at_ms), Ms(now), ttl_seconds});
  absl::StatusOr<cql::Result> written = co_await RunBatch(record, DbOp::kWrite, DbTable::kUserLedger);
  if (!written.ok()) {
    co_await Withdraw(hold);  // best effort: an unknown write must not count against the user
    co_return written.status();
  }
  // Count after writing: see the interface for why this is race-free.
  std::vector<cql::Value> key = {hold.organization_id, hold.user_id};
  absl::StatusOr<cql::Result> live = co_await Run(st_->select_live, std::move(key), DbOp::kRead, DbTable::kUserLedger);
  if (!live.ok()) {
    co_await Withdraw(hold);
    co_return live.status();
  }
  const int64_t counted_at = NowMs();
  int others = 0;
  for (size_t i = 0; i < live->row_count(); ++i) {
    const cql::Row row = live->row(i);
    if (Str(row, "hold_id") != hold.hold_id && TimeMs(row, "expires_at") > counted_at) ++others;
  }
  if (others + 1 <= max_live) co_return LimitOutcome::kRecorded;
  co_await Withdraw(hold);
  co_return LimitOutcome::kLimitReached;
}

asio::awaitable<void> CqlSeatStore::Withdraw(HoldRecord hold) {
  cql::Batch gone(cql::BatchType::kUnlogged);
  gone.Add(st_->delete_entry, {hold.organization_id, hold.user_id, LiveEntry(hold.hold_id)});
  gone.Add(st_->delete_entry, {hold.organization_id, hold.user_id, HoldEntry(hold.hold_id)});
  (void)co_await RunBatch(gone, DbOp::kWrite, DbTable::kUserLedger);
}

asio::awaitable<absl::StatusOr<std::optional<HoldRecord>>> CqlSeatStore::GetHold(std::string organization_id,
                                                                                 std::string user_id,
                                                                                 std::string hold_id) {
  std::vector<cql::Value> key = {organization_id, user_id, HoldEntry(hold_id)};
  absl::StatusOr<cql::Result> rows = co_await Run(st_->select_entry, std::move(key), DbOp::kRead, DbTable::kUserLedger);
  if (!rows.ok()) co_return rows.status();
  if (rows->row_count() == 0) co_return std::optional<HoldRecord>();
  const cql::Row r = rows->row(0);
  if (Str(r, "kind") != "hold") co_return std::optional<HoldRecord>();
  HoldRecord h;
  h.hold_id = hold_id;
  h.organization_id = organization_id;
  h.user_id = user_id;
  h.trip_id = Str(r, "trip_id");
  h.session_id = Str(r, "session_id");
  h.request_key = Str(r, "request_key");
  h.seat_ids = Strings(r, "seat_ids");
  h.range = SegmentRange{Int(r, "first_segment"), Int(r, "last_segment")};
  h.created_at_ms = TimeMs(r, "created_at");
  h.expires_at_ms = TimeMs(r, "expires_at");
  h.state = HoldStateFrom(Str(r, "state"));
  h.booking_id = Str(r, "booking_id");
  co_return std::optional<HoldRecord>(std::move(h));
}

asio::awaitable<absl::Status> CqlSeatStore::FinishHold(HoldRecord hold, HoldRecord::State state,
                                                       std::string booking_id) {
  // Idempotent: the state update and the marker's removal can be repeated.
  cql::Batch batch(cql::BatchType::kUnlogged);
  batch.Add(st_->update_hold_state, {std::string(HoldStateName(state)), booking_id, Ms(NowMs()), hold.organization_id,
                                     hold.user_id, HoldEntry(hold.hold_id)});
  batch.Add(st_->delete_entry, {hold.organization_id, hold.user_id, LiveEntry(hold.hold_id)});
  absl::StatusOr<cql::Result> result = co_await RunBatch(batch, DbOp::kWrite, DbTable::kUserLedger);
  co_return result.status();
}

// --- Bookings ---

asio::awaitable<absl::StatusOr<BookingRecord>> CqlSeatStore::CreateBooking(BookingRecord b) {
  std::vector<std::string> nids, names;
  for (const Passenger& p : b.passengers) {
    nids.push_back(p.nid);
    names.push_back(p.name);
  }
  std::vector<cql::Value> values = {b.organization_id,
                                    b.user_id,
                                    BookingEntry(b.booking_id),
                                    std::string(BookingStateName(b.state)),
                                    b.booking_id,
                                    b.hold_id,
                                    b.order_id,
                                    b.trip_id,
                                    TextList(b.seat_ids),
                                    TextList(b.seat_numbers),
                                    TextList(b.ticket_ids),
                                    TextList(nids),
                                    TextList(names),
                                    b.range.first,
                                    b.range.last,
                                    Ms(b.created_at_ms),
                                    Ms(NowMs())};
  absl::StatusOr<cql::Result> result =
      co_await Run(st_->insert_booking, std::move(values), DbOp::kLwt, DbTable::kUserLedger);
  if (!result.ok() && !Ambiguous(result.status())) co_return result.status();
  if (result.ok()) {
    absl::StatusOr<bool> applied = result->Applied();
    if (!applied.ok()) co_return applied.status();
    if (*applied) co_return b;
  }
  absl::StatusOr<std::optional<BookingRecord>> existing = co_await GetBooking(b.organization_id, b.user_id, b.booking_id);
  if (!existing.ok()) co_return existing.status();
  if (!existing->has_value()) co_return absl::UnavailableError("booking write outcome unknown; retry");
  co_return **existing;
}

asio::awaitable<absl::StatusOr<std::optional<BookingRecord>>> CqlSeatStore::GetBooking(std::string organization_id,
                                                                                       std::string user_id,
                                                                                       std::string booking_id) {
  std::vector<cql::Value> key = {organization_id, user_id, BookingEntry(booking_id)};
  absl::StatusOr<cql::Result> rows = co_await Run(st_->select_entry, std::move(key), DbOp::kSerialRead, DbTable::kUserLedger);
  if (!rows.ok()) co_return rows.status();
  if (rows->row_count() == 0 || Str(rows->row(0), "kind") != "booking") co_return std::optional<BookingRecord>();
  co_return std::optional<BookingRecord>(BookingFromRow(rows->row(0), organization_id, user_id));
}

asio::awaitable<absl::Status> CqlSeatStore::SetBookingState(BookingRecord b, BookingRecord::State state) {
  std::vector<cql::Value> values = {std::string(BookingStateName(state)), Ms(NowMs()), b.organization_id, b.user_id,
                                    BookingEntry(b.booking_id)};
  absl::StatusOr<cql::Result> r = co_await Run(st_->update_booking_state, std::move(values), DbOp::kWrite, DbTable::kUserLedger);
  co_return r.status();
}

// --- Waitlist ---

asio::awaitable<absl::StatusOr<int>> CqlSeatStore::Position(const WaitlistEntry& entry) {
  std::vector<cql::Value> key = {entry.organization_id, entry.trip_id, entry.seat_class};
  absl::StatusOr<cql::Result> rows = co_await Run(st_->wl_queue, std::move(key), DbOp::kRead, DbTable::kWaitlist);
  if (!rows.ok()) co_return rows.status();
  int position = 0;
  for (size_t i = 0; i < rows->row_count(); ++i) {
    const cql::Row r = rows->row(i);
    if (Str(r, "status") != "pending") continue;
    ++position;
    absl::StatusOr<cql::Uuid> id = r.GetUuid("entry_id");
    if (id.ok() && id->ToString() == entry.entry_id) co_return position;
  }
  co_return 0;
}

asio::awaitable<absl::StatusOr<WaitlistEntry>> CqlSeatStore::JoinWaitlist(WaitlistEntry entry) {
  const cql::Uuid id = cql::Uuid::TimeBased();
  entry.created_at_ms = NowMs();
  entry.status = "pending";
  std::vector<cql::Value> values = {entry.user_id,         entry.organization_id, entry.trip_id, entry.seat_class, id,
                                    entry.requested_seats, Ms(entry.created_at_ms)};
  absl::StatusOr<cql::Result> inserted =
      co_await Run(st_->wl_user_insert, std::move(values), DbOp::kLwt, DbTable::kWaitlist);
  if (!inserted.ok()) co_return inserted.status();
  absl::StatusOr<bool> applied = inserted->Applied();
  if (!applied.ok()) co_return applied.status();
  cql::Uuid entry_id = id;
  if (!*applied) {
    const cql::Row r = inserted->row(0);
    absl::StatusOr<cql::Uuid> existing = r.GetUuid("entry_id");
    if (!existing.ok()) co_return existing.status();
    entry_id = *existing;
    entry.requested_seats = Int(r, "requested_seats");
    entry.created_at_ms = TimeMs(r, "created_at");
    entry.status = Str(r, "status");
  }
  entry.entry_id = entry_id.ToString();
  // The queue row is an idempotent upsert, written on every join so that an
  // interrupted first join is completed by the second.
  std::vector<cql::Value> queue = {entry.organization_id, entry.trip_id,   entry.seat_class,      entry_id,
                                   entry.user_id,         entry.requested_seats, entry.status, Ms(entry.created_at_ms)};
  absl::StatusOr<cql::Result> queued = co_await Run(st_->wl_insert, std::move(queue), DbOp::kWrite, DbTable::kWaitlist);
  if (!queued.ok()) co_return queued.status();
  absl::StatusOr<int> position = co_await Position(entry);
  if (!position.ok()) co_return position.status();
  entry.position = *position;
  co_return entry;
}

asio::awaitable<absl::StatusOr<std::vector<WaitlistEntry>>> CqlSeatStore::UserWaitlist(std::string user_id,
                                                                                      std::string organization_id) {
  absl::StatusOr<cql::Result> rows;
  if (organization_id.empty()) {
    std::vector<cql::Value> key = {user_id};
    rows = co_await Run(st_->wl_user_all, std::move(key), DbOp::kRead, DbTable::kWaitlist);
  } else {
    std::vector<cql::Value> key = {user_id, organization_id};
    rows = co_await Run(st_->wl_user_org, std::move(key), DbOp::kRead, DbTable::kWaitlist);
  }
  if (!rows.ok()) co_return rows.status();
  std::vector<WaitlistEntry> out;
  for (size_t i = 0; i < rows->row_count(); ++i) {
    const cql::Row r = rows->row(i);
    WaitlistEntry e;
    e.user_id = user_id;
    e.organization_id = Str(r, "organization_id");
    e.trip_id = Str(r, "trip_id");
    e.seat_class = Str(r, "seat_class");
    absl::StatusOr<cql::Uuid> id = r.GetUuid("entry_id");
    if (id.ok()) e.entry_id = id->ToString();
    e.requested_seats = Int(r, "requested_seats");
    e.status = Str(r, "status");
    e.created_at_ms = TimeMs(r, "created_at");
    out.push_back(std::move(e));
  }
  for (WaitlistEntry& e : out) {
    absl::StatusOr<int> position = co_await Position(e);
    if (!position.ok()) co_return position.status();
    e.position = *position;
  }
  co_return out;
}

}  // namespace inventory::storage
