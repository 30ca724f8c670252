// CqlSeatStore: requests, trips and seats. The ledger (holds, bookings,
// intents) and the waitlist are in cql_seat_store_ledger.cc.
#include "storage/cql/cql_seat_store.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/gather.h"
#include "common/unix_time.h"
#include "cql/batch.h"
#include "cql/session.h"
#include "storage/cql/cql_rows.h"
#include "storage/cql/cql_statements.h"
#include "storage/store_rules.h"

namespace inventory::storage {
namespace {

using domain::SeatStatus;
using domain::SegmentRange;
using domain::SegmentState;
using rows::Int;
using rows::Ms;
using rows::Str;

// Attempts of one conditional seat write before answering "taken" (each
// retry follows a SERIAL read that showed the seat free, or still ours to
// change).
constexpr int kSeatWriteAttempts = 4;
// IN lists of partition keys per snapshot read.
constexpr size_t kSnapshotChunk = 100;
// Writes of one seat letting go of its owner's segments: a refusal retargets
// the segments still the owner's, an unknown outcome is tried again.
constexpr int kLetGoAttempts = 3;

// True if every segment of `range` in `read` satisfies `pred`.
template <typename Pred>
bool EverySegment(const std::vector<std::optional<SegmentState>>& read, SegmentRange range, Pred pred) {
  for (int s = range.first; s <= range.last; ++s) {
    if (static_cast<size_t>(s) >= read.size()) return false;
    const std::optional<SegmentState>& st = read[static_cast<size_t>(s)];
    if (!st.has_value() || !pred(*st)) return false;
  }
  return true;
}

}  // namespace

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
    case DbTable::kIntents:
      return "intents";
    case DbTable::kSystem:
      return "system";
    case DbTable::kRepairProgress:
      return "repair_progress";
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

CqlSeatStore::CqlSeatStore(cql::Session& session, CqlStoreOptions options)
    : session_(session), options_(std::move(options)), st_(std::make_unique<CqlStatements>()) {
  if (!options_.now) options_.now = UnixNowMs;
  if (!options_.reclaim_now) options_.reclaim_now = options_.now;
  options_.intent_window_ms = std::max<int64_t>(1000, options_.intent_window_ms);
  options_.intent_shards = std::max(1, options_.intent_shards);
}

CqlSeatStore::~CqlSeatStore() = default;

asio::awaitable<absl::Status> CqlSeatStore::Prepare() { co_return co_await st_->Prepare(session_, options_.keyspace); }

asio::awaitable<absl::StatusOr<cql::Result>> CqlSeatStore::Run(const cql::PreparedStatement& statement,
                                                              std::vector<cql::Value> values, DbOp op,
                                                              DbTable table) {
  cql::QueryOptions q;
  q.consistency = op == DbOp::kSerialRead ? options_.serial_consistency : options_.consistency;
  q.serial_consistency = options_.serial_consistency;
  q.page_size = options_.page_size;
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

asio::awaitable<absl::Status> CqlSeatStore::Scan(const cql::PreparedStatement& statement,
                                                 std::vector<cql::Value> values, DbOp op, DbTable table,
                                                 std::function<void(const cql::Row&)> each) {
  cql::QueryOptions q;
  q.consistency = op == DbOp::kSerialRead ? options_.serial_consistency : options_.consistency;
  q.serial_consistency = options_.serial_consistency;
  q.page_size = options_.page_size;
  while (true) {
    counters_.Add(op, table);
    std::vector<cql::Value> bound = values;
    absl::StatusOr<cql::Result> page = co_await session_.Execute(statement, std::move(bound), q);
    if (!page.ok()) co_return page.status();
    for (size_t i = 0; i < page->row_count(); ++i) each(page->row(i));
    if (!page->has_more_pages() || page->paging_state().empty()) co_return absl::OkStatus();
    q.paging_state = page->paging_state();
  }
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
  std::vector<cql::Value> values = {trip.organization_id,
                                    trip.trip_id,
                                    trip.vehicle_id,
                                    trip.vehicle_type,
                                    cql::Value::List(std::move(stations)),
                                    cql::Value::List(std::move(departures)),
                                    cql::Value::List(std::move(arrivals)),
                                    static_cast<int32_t>(trip.seats.size()),
                                    hash,
                                    Ms(Now())};
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
    outcome = CreateTripOutcome::kUnchanged;  // same definition, load interrupted: finish it
  }

  // The layout (one partition, the same values whenever written), then each
  // seat's rows where none exist (a partition per seat, one conditional
  // batch each): a bounded number of requests at a time.
  std::vector<cql::Batch> layout_batches;
  cql::Batch layout(cql::BatchType::kUnlogged);
  for (const domain::SeatDefinition& s : trip.seats) {
    layout.Add(st_->insert_layout, {trip.organization_id, trip.trip_id, s.seat_id, s.seat_number, s.row, s.column,
                                    s.seat_type, s.seat_class, s.price_paisa, s.is_accessible, s.has_power,
                                    s.is_exit_row});
    if (static_cast<int>(layout.size()) >= options_.load_batch_rows) {
      layout_batches.push_back(std::move(layout));
      layout = cql::Batch(cql::BatchType::kUnlogged);
    }
  }
  if (!layout.empty()) layout_batches.push_back(std::move(layout));
  for (const cql::Batch& b : layout_batches) {
    absl::StatusOr<cql::Result> written = co_await RunBatch(b, DbOp::kWrite, DbTable::kTripSeats);
    if (!written.ok()) co_return written.status();
  }
  const size_t wave = static_cast<size_t>(std::max(1, options_.load_parallelism));
  for (size_t begin = 0; begin < trip.seats.size(); begin += wave) {
    const size_t end = std::min(trip.seats.size(), begin + wave);
    std::vector<cql::Batch> seats;
    for (size_t i = begin; i < end; ++i) {
      cql::Batch seat(cql::BatchType::kUnlogged);
      for (const domain::SegmentDefinition& seg : trip.segments) {
        seat.Add(st_->insert_segment_if_absent, {trip.organization_id, trip.trip_id, trip.seats[i].seat_id, seg.index});
      }
      seats.push_back(std::move(seat));
    }
    std::vector<asio::awaitable<absl::StatusOr<cql::Result>>> writes;
    for (const cql::Batch& b : seats) writes.push_back(RunBatch(b, DbOp::kLwt, DbTable::kSeatSegments));
    // Not applied means the seat's rows exist (its batch is all or nothing).
    std::vector<absl::StatusOr<cql::Result>> results = co_await Gather(std::move(writes));
    for (absl::StatusOr<cql::Result>& r : results) {
      if (!r.ok()) co_return r.status();
    }
  }
  std::vector<cql::Value> key = {trip.organization_id, trip.trip_id};
  absl::StatusOr<cql::Result> ready = co_await Run(st_->mark_ready, std::move(key), DbOp::kWrite, DbTable::kTrips);
  if (!ready.ok()) co_return ready.status();
  co_return outcome;
}

asio::awaitable<absl::StatusOr<std::shared_ptr<domain::TripSnapshot>>> CqlSeatStore::LoadSnapshot(TripRef ref) {
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
  snapshot->loaded_at_ms = Now();
  domain::TripDefinition& trip = snapshot->trip;
  trip.organization_id = ref.organization_id;
  trip.trip_id = ref.trip_id;
  trip.vehicle_id = Str(t, "vehicle_id");
  trip.vehicle_type = Str(t, "vehicle_type");
  snapshot->stations = rows::Strings(t, "stations");
  std::vector<int64_t> departures = rows::Bigints(t, "departures");
  std::vector<int64_t> arrivals = rows::Bigints(t, "arrivals");
  for (size_t i = 0; i + 1 < snapshot->stations.size(); ++i) {
    trip.segments.push_back({static_cast<int32_t>(i), snapshot->stations[i], snapshot->stations[i + 1],
                             i < departures.size() ? departures[i] : 0, i < arrivals.size() ? arrivals[i] : 0});
  }

  std::function<void(const cql::Row&)> each_seat = [&](const cql::Row& r) {
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
  };
  absl::Status layout = co_await Scan(st_->select_layout, key, DbOp::kRead, DbTable::kTripSeats, each_seat);
  if (!layout.ok()) co_return layout;
  snapshot->IndexSeats();
  const size_t segments = trip.segments.size();
  snapshot->states.assign(trip.seats.size(), std::vector<SegmentState>(segments));
  // Cells with no row read as blocked (never free).
  std::vector<std::vector<bool>> seen(trip.seats.size(), std::vector<bool>(segments, false));
  for (size_t begin = 0; begin < trip.seats.size(); begin += kSnapshotChunk) {
    const size_t end = std::min(trip.seats.size(), begin + kSnapshotChunk);
    std::vector<cql::Value> ids;
    for (size_t i = begin; i < end; ++i) ids.emplace_back(trip.seats[i].seat_id);
    std::vector<cql::Value> values = {ref.organization_id, ref.trip_id, cql::Value::List(std::move(ids))};
    std::function<void(const cql::Row&)> each_row = [&](const cql::Row& r) {
      const int seat = snapshot->SeatIndex(Str(r, "seat_id"));
      const int seg = Int(r, "segment_index");
      if (seat < 0 || seg < 0 || static_cast<size_t>(seg) >= segments) return;
      snapshot->states[static_cast<size_t>(seat)][static_cast<size_t>(seg)] = rows::SegmentStateOf(r);
      seen[static_cast<size_t>(seat)][static_cast<size_t>(seg)] = true;
    };
    absl::Status read =
        co_await Scan(st_->select_segments_in, std::move(values), DbOp::kRead, DbTable::kSeatSegments, each_row);
    if (!read.ok()) co_return read;
  }
  for (size_t i = 0; i < seen.size(); ++i) {
    for (size_t j = 0; j < segments; ++j) {
      if (!seen[i][j]) snapshot->states[i][j].status = SeatStatus::kBlocked;
    }
  }
  co_return std::shared_ptr<domain::TripSnapshot>(std::move(snapshot));
}

// --- Seats ---

asio::awaitable<absl::StatusOr<CqlSeatStore::SeatRead>> CqlSeatStore::ReadSeatSerial(const TripRef& trip,
                                                                                    const std::string& seat_id,
                                                                                    int segment_count) {
  std::vector<cql::Value> key = {trip.organization_id, trip.trip_id, seat_id};
  SeatRead out(static_cast<size_t>(segment_count));
  std::function<void(const cql::Row&)> each = [&](const cql::Row& r) {
    const int seg = Int(r, "segment_index");
    if (seg >= 0 && seg < segment_count) out[static_cast<size_t>(seg)] = rows::SegmentStateOf(r);
  };
  absl::Status read = co_await Scan(st_->select_seat, std::move(key), DbOp::kSerialRead, DbTable::kSeatSegments, each);
  if (!read.ok()) co_return read;
  co_return out;
}

asio::awaitable<absl::StatusOr<CqlSeatStore::SeatWrite>> CqlSeatStore::WriteSeat(const TripRef& trip,
                                                                                const std::string& seat_id,
                                                                                int segment_count,
                                                                                const cql::Batch& batch) {
  SeatWrite out;
  absl::StatusOr<cql::Result> result = co_await RunBatch(batch, DbOp::kLwt, DbTable::kSeatSegments);
  if (result.ok()) {
    absl::StatusOr<bool> applied = result->Applied();
    if (applied.ok() && *applied) co_return out;
    out.outcome = applied.ok() ? WriteOutcome::kNotApplied : WriteOutcome::kUnknown;
  } else {
    // Any error may hide an applied write: a CAS timeout, a timeout, or a
    // connection lost after the request left.
    out.outcome = WriteOutcome::kUnknown;
  }
  // SERIAL completes any Paxos round in flight: what it reads is the truth.
  absl::StatusOr<SeatRead> read = co_await ReadSeatSerial(trip, seat_id, segment_count);
  if (!read.ok()) co_return !result.ok() ? result.status() : read.status();
  out.read = std::move(*read);
  co_return out;
}

asio::awaitable<absl::StatusOr<CqlSeatStore::SeatWrite>> CqlSeatStore::WriteSeatRange(
    const TripRef& trip, const std::string& seat_id, SegmentRange range, const cql::PreparedStatement& statement,
    std::function<std::vector<cql::Value>(int)> row) {
  cql::Batch batch(cql::BatchType::kUnlogged);
  for (int s = range.first; s <= range.last; ++s) batch.Add(statement, row(s));
  co_return co_await WriteSeat(trip, seat_id, range.last + 1, batch);
}

asio::awaitable<absl::StatusOr<SeatClaim>> CqlSeatStore::HoldSeat(TripRef trip, std::string seat_id,
                                                                  SegmentRange range, std::string hold_id,
                                                                  std::string user_id, int64_t expires_at_ms,
                                                                  std::vector<SegmentState> believed) {
  const int segment_count = std::max(range.last + 1, static_cast<int>(believed.size()));
  SeatRead view(static_cast<size_t>(segment_count));
  for (size_t i = 0; i < believed.size(); ++i) view[i] = believed[i];
  bool view_is_read = false;  // the view comes from a SERIAL read of this call
  auto ours = [&](const SegmentState& st) { return st.status == SeatStatus::kHeld && st.hold_id == hold_id; };
  for (int attempt = 0; attempt < kSeatWriteAttempts; ++attempt) {
    const int64_t reclaim_now = options_.reclaim_now();
    // Is the seat free over the range, as far as we know?
    bool free = true;
    for (int s = range.first; s <= range.last && free; ++s) {
      const std::optional<SegmentState>& st = view[static_cast<size_t>(s)];
      if (st.has_value() && domain::EffectiveStatus(*st, reclaim_now) != SeatStatus::kAvailable) free = false;
      if (!st.has_value() && attempt > 0) free = false;  // no row: not a seat of this trip
    }
    if (!free) {
      const int64_t now = Now();
      for (int s = range.first; s <= range.last; ++s) {
        const std::optional<SegmentState>& st = view[static_cast<size_t>(s)];
        if (st.has_value() && domain::EffectiveStatus(*st, now) == SeatStatus::kAvailable &&
            domain::EffectiveStatus(*st, reclaim_now) != SeatStatus::kAvailable) {
          ++counters_.reclaims_deferred;
          break;
        }
      }
      std::vector<SegmentState> known;
      for (const std::optional<SegmentState>& st : view) {
        known.push_back(st.value_or(SegmentState{SeatStatus::kBlocked, "", "", 0, ""}));
      }
      SeatClaim claim = RefusedClaim(known, range, reclaim_now);
      if (view_is_read) claim.read = std::move(known);
      co_return claim;
    }
    const int64_t now = Now();
    cql::Batch batch(cql::BatchType::kUnlogged);
    for (int s = range.first; s <= range.last; ++s) {
      const std::optional<SegmentState>& st = view[static_cast<size_t>(s)];
      if (st.has_value() && st->status == SeatStatus::kHeld) {
        batch.Add(st_->hold_if_held_by, {hold_id, user_id, Ms(expires_at_ms), Ms(now), trip.organization_id,
                                         trip.trip_id, seat_id, s, st->hold_id, Ms(st->expires_at_ms)});
      } else {
        batch.Add(st_->hold_if_available,
                  {hold_id, user_id, Ms(expires_at_ms), Ms(now), trip.organization_id, trip.trip_id, seat_id, s});
      }
    }
    absl::StatusOr<SeatWrite> write = co_await WriteSeat(trip, seat_id, segment_count, batch);
    if (!write.ok()) co_return write.status();
    if (write->outcome == WriteOutcome::kApplied || EverySegment(write->read, range, ours)) {
      SeatClaim claim;
      claim.applied = true;
      co_return claim;
    }
    view = std::move(write->read);
    view_is_read = true;
  }
  // Kept losing to concurrent writers: the seat is contended, say taken.
  SeatClaim claim;
  claim.blocking = SeatStatus::kHeld;
  co_return claim;
}

asio::awaitable<absl::StatusOr<bool>> CqlSeatStore::LetGo(const TripRef& trip, const std::string& seat_id,
                                                          SegmentRange range, const cql::PreparedStatement& statement,
                                                          std::function<std::vector<cql::Value>(int, int64_t)> row,
                                                          std::function<bool(const SegmentState&)> ours,
                                                          const char* what) {
  std::vector<int> segments;
  for (int s = range.first; s <= range.last; ++s) segments.push_back(s);
  bool maybe_freed = false;
  for (int attempt = 0; attempt < kLetGoAttempts; ++attempt) {
    const int64_t now = Now();
    cql::Batch batch(cql::BatchType::kUnlogged);
    for (int s : segments) batch.Add(statement, row(s, now));
    absl::StatusOr<SeatWrite> write = co_await WriteSeat(trip, seat_id, range.last + 1, batch);
    if (!write.ok()) co_return write.status();
    if (write->outcome == WriteOutcome::kApplied) co_return true;
    maybe_freed = maybe_freed || write->outcome == WriteOutcome::kUnknown;
    // Again, on the segments still the owner's: others may hold the rest
    // (a reclaimed part of an expired hold), or our write may not have
    // got through.
    segments.clear();
    for (int s = range.first; s <= range.last && static_cast<size_t>(s) < write->read.size(); ++s) {
      const std::optional<SegmentState>& st = write->read[static_cast<size_t>(s)];
      if (st.has_value() && ours(*st)) segments.push_back(s);
    }
    if (segments.empty()) co_return maybe_freed;
  }
  co_return absl::UnavailableError(absl::StrCat("seat ", seat_id, ": ", what, " not settled"));
}

asio::awaitable<absl::StatusOr<bool>> CqlSeatStore::ReleaseSeat(TripRef trip, std::string seat_id,
                                                                SegmentRange range, std::string hold_id) {
  auto row = [&](int s, int64_t now) {
    return std::vector<cql::Value>{Ms(now), trip.organization_id, trip.trip_id, seat_id, s, hold_id};
  };
  auto held = [&](const SegmentState& st) { return st.status == SeatStatus::kHeld && st.hold_id == hold_id; };
  co_return co_await LetGo(trip, seat_id, range, st_->release, row, held, "release");
}

asio::awaitable<absl::StatusOr<bool>> CqlSeatStore::BookSeat(TripRef trip, std::string seat_id, SegmentRange range,
                                                             std::string hold_id, std::string booking_id) {
  auto booked = [&](const SegmentState& st) { return st.status == SeatStatus::kBooked && st.booking_id == booking_id; };
  auto held = [&](const SegmentState& st) { return st.status == SeatStatus::kHeld && st.hold_id == hold_id; };
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int64_t now = Now();
    std::function<std::vector<cql::Value>(int)> row = [&](int s) {
      return std::vector<cql::Value>{booking_id, Ms(now), trip.organization_id, trip.trip_id, seat_id, s, hold_id};
    };
    absl::StatusOr<SeatWrite> write = co_await WriteSeatRange(trip, seat_id, range, st_->book, row);
    if (!write.ok()) co_return write.status();
    if (write->outcome == WriteOutcome::kApplied || EverySegment(write->read, range, booked)) co_return true;
    // Still held by the hold on every segment: the write did not get through; again.
    if (!EverySegment(write->read, range, held)) co_return false;  // lost to someone else
  }
  co_return absl::UnavailableError(absl::StrCat("seat ", seat_id, ": booking not settled"));
}

asio::awaitable<absl::StatusOr<bool>> CqlSeatStore::UnbookSeat(TripRef trip, std::string seat_id,
                                                               SegmentRange range, std::string booking_id) {
  auto row = [&](int s, int64_t now) {
    return std::vector<cql::Value>{Ms(now), trip.organization_id, trip.trip_id, seat_id, s, booking_id};
  };
  auto booked = [&](const SegmentState& st) { return st.status == SeatStatus::kBooked && st.booking_id == booking_id; };
  co_return co_await LetGo(trip, seat_id, range, st_->unbook, row, booked, "unbooking");
}

asio::awaitable<absl::StatusOr<bool>> CqlSeatStore::SetBlocked(TripRef trip, std::string seat_id, int segment_count,
                                                               bool blocked, std::string reason) {
  absl::StatusOr<SeatRead> read = co_await ReadSeatSerial(trip, seat_id, segment_count);
  for (int attempt = 0; attempt < kSeatWriteAttempts; ++attempt) {
    if (!read.ok()) co_return read.status();
    const int64_t now = Now();
    const int64_t reclaim_now = options_.reclaim_now();
    cql::Batch batch(cql::BatchType::kUnlogged);
    for (int s = 0; s < segment_count; ++s) {
      const std::optional<SegmentState>& st = (*read)[static_cast<size_t>(s)];
      if (!st.has_value()) co_return false;
      if (blocked) {
        // Only where nothing is held or booked (a reclaimable expired hold is free).
        if (domain::EffectiveStatus(*st, reclaim_now) != SeatStatus::kAvailable) {
          if (domain::EffectiveStatus(*st, now) == SeatStatus::kAvailable) ++counters_.reclaims_deferred;
          co_return false;
        }
        if (st->status == SeatStatus::kHeld) {
          batch.Add(st_->block_if_held_by, {reason, Ms(now), trip.organization_id, trip.trip_id, seat_id, s,
                                            st->hold_id, Ms(st->expires_at_ms)});
        } else {
          batch.Add(st_->block_if_available, {reason, Ms(now), trip.organization_id, trip.trip_id, seat_id, s});
        }
      } else if (st->status == SeatStatus::kBlocked) {
        batch.Add(st_->unblock, {Ms(now), trip.organization_id, trip.trip_id, seat_id, s});
      }
    }
    if (batch.empty()) co_return false;
    absl::StatusOr<SeatWrite> write = co_await WriteSeat(trip, seat_id, segment_count, batch);
    if (!write.ok()) co_return write.status();
    if (write->outcome == WriteOutcome::kApplied) co_return true;
    auto done = [&](const SegmentState& st) {
      return blocked ? st.status == SeatStatus::kBlocked : st.status != SeatStatus::kBlocked;
    };
    if (write->outcome == WriteOutcome::kUnknown && EverySegment(write->read, {0, segment_count - 1}, done)) {
      co_return true;
    }
    read = std::move(write->read);  // lost a race: decide again from what is there
  }
  co_return false;
}

asio::awaitable<absl::StatusOr<int64_t>> CqlSeatStore::DatabaseNowMs() {
  std::vector<cql::Value> none;
  absl::StatusOr<cql::Result> r = co_await Run(st_->select_now, std::move(none), DbOp::kRead, DbTable::kSystem);
  if (!r.ok()) co_return r.status();
  if (r->row_count() == 0) co_return absl::InternalError("system.local answered no row");
  absl::StatusOr<int64_t> ms = r->row(0).GetBigint("now_ms");
  if (!ms.ok()) co_return ms.status();
  co_return *ms;
}

}  // namespace inventory::storage
