// CqlSeatStore: the user's ledger (holds, bookings, the per-user limit),
// intents and the waitlist. Requests, trips and seats are in
// cql_seat_store.cc.
#include <algorithm>
#include <functional>
#include <map>

#include "absl/strings/str_cat.h"
#include "cql/batch.h"
#include "cql/session.h"
#include "cql/uuid.h"
#include "storage/cql/cql_rows.h"
#include "storage/cql/cql_seat_store.h"
#include "storage/cql/cql_statements.h"
#include "storage/store_rules.h"

namespace inventory::storage {
namespace {

using domain::BookingState;
using domain::HoldState;
using rows::Int;
using rows::Ms;
using rows::Str;
using rows::TextList;
using rows::TimeMs;

// How long a live-hold marker outlives its hold before it goes by itself.
constexpr int64_t kLiveMarkerSlackSeconds = 60;

std::string LiveEntry(const std::string& id) { return "live#" + id; }
std::string HoldEntry(const std::string& id) { return "hold#" + id; }
std::string BookingEntry(const std::string& id) { return "booking#" + id; }

}  // namespace

// --- Intents ---

IntentKey CqlSeatStore::KeyFor(const Intent& intent) const {
  IntentKey key;
  key.window = intent.created_at_ms / options_.intent_window_ms;
  key.id = std::string(domain::IntentKindName(intent.kind)) + "#" +
           (intent.kind == domain::IntentKind::kCancel ? intent.booking_id : intent.hold_id);
  key.shard = static_cast<int32_t>(std::hash<std::string>{}(key.id) % static_cast<size_t>(options_.intent_shards));
  return key;
}

std::vector<cql::Value> CqlSeatStore::IntentValues(const Intent& intent) const {
  return {intent.key.window,         intent.key.shard,
          intent.key.id,             std::string(domain::IntentKindName(intent.kind)),
          intent.organization_id,    intent.user_id,
          intent.trip_id,            intent.hold_id,
          intent.booking_id,         TextList(intent.seat_ids),
          intent.range.first,        intent.range.last,
          Ms(intent.expires_at_ms),  Ms(intent.created_at_ms)};
}

asio::awaitable<absl::Status> CqlSeatStore::RecordIntent(Intent& intent) {
  intent.key = KeyFor(intent);
  std::vector<cql::Value> values = IntentValues(intent);
  absl::StatusOr<cql::Result> r = co_await Run(st_->insert_intent, std::move(values), DbOp::kWrite, DbTable::kIntents);
  co_return r.status();
}

asio::awaitable<absl::Status> CqlSeatStore::DropIntents(std::vector<IntentKey> keys) {
  // One unlogged batch per partition.
  std::map<std::pair<int64_t, int32_t>, cql::Batch> by_partition;
  for (const IntentKey& k : keys) {
    auto [it, inserted] = by_partition.try_emplace({k.window, k.shard}, cql::BatchType::kUnlogged);
    it->second.Add(st_->delete_intent, {k.window, k.shard, k.id});
  }
  absl::Status first = absl::OkStatus();
  for (auto& [partition, batch] : by_partition) {
    absl::StatusOr<cql::Result> r = co_await RunBatch(batch, DbOp::kWrite, DbTable::kIntents);
    if (!r.ok() && first.ok()) first = r.status();
  }
  co_return first;
}

asio::awaitable<absl::StatusOr<std::vector<Intent>>> CqlSeatStore::IntentsIn(int64_t window) {
  std::vector<Intent> out;
  for (int32_t shard = 0; shard < options_.intent_shards; ++shard) {
    std::vector<cql::Value> key = {window, shard};
    std::function<void(const cql::Row&)> each = [&](const cql::Row& r) {
      Intent i = rows::IntentFromRow(r);
      i.key.window = window;
      i.key.shard = shard;
      out.push_back(std::move(i));
    };
    absl::Status read = co_await Scan(st_->select_intents, std::move(key), DbOp::kRead, DbTable::kIntents, each);
    if (!read.ok()) co_return read;
  }
  co_return out;
}

asio::awaitable<absl::StatusOr<std::optional<int64_t>>> CqlSeatStore::RepairedBefore() {
  std::vector<cql::Value> none;
  absl::StatusOr<cql::Result> r =
      co_await Run(st_->select_progress, std::move(none), DbOp::kRead, DbTable::kRepairProgress);
  if (!r.ok()) co_return r.status();
  if (r->row_count() == 0 || r->row(0).IsNull("repaired_before")) co_return std::optional<int64_t>();
  absl::StatusOr<int64_t> v = r->row(0).GetBigint("repaired_before");
  if (!v.ok()) co_return v.status();
  co_return std::optional<int64_t>(*v);
}

asio::awaitable<absl::Status> CqlSeatStore::SetRepairedBefore(int64_t window) {
  std::vector<cql::Value> values = {window, Ms(Now())};
  absl::StatusOr<cql::Result> r =
      co_await Run(st_->update_progress, std::move(values), DbOp::kWrite, DbTable::kRepairProgress);
  co_return r.status();
}

// --- Holds ---

asio::awaitable<absl::StatusOr<LimitOutcome>> CqlSeatStore::BeginHold(Intent& intent, int max_live) {
  if (max_live <= 0) co_return LimitOutcome::kLimitReached;
  intent.key = KeyFor(intent);
  const int64_t now = Now();
  // The marker outlives the hold by a minute, then goes by itself.
  const int32_t ttl_seconds =
      static_cast<int32_t>(std::max<int64_t>(1, (intent.expires_at_ms - now) / 1000 + kLiveMarkerSlackSeconds));
  // Intent and marker together or not at all: a marker no intent announces
  // could count against the user with nobody to remove it.
  cql::Batch start(cql::BatchType::kLogged);
  start.Add(st_->insert_intent, IntentValues(intent));
  start.Add(st_->insert_live, {intent.organization_id, intent.user_id, LiveEntry(intent.hold_id), intent.hold_id,
                               Ms(intent.expires_at_ms), Ms(now), ttl_seconds});
  absl::StatusOr<cql::Result> written = co_await RunBatch(start, DbOp::kWrite, DbTable::kUserLedger);
  if (!written.ok()) co_return written.status();
  // Count after writing: see the interface for why this is race-free.
  int others = 0;
  std::vector<cql::Value> key = {intent.organization_id, intent.user_id};
  std::function<void(const cql::Row&)> each = [&](const cql::Row& row) {
    if (Str(row, "hold_id") != intent.hold_id && TimeMs(row, "expires_at") > now) ++others;
  };
  absl::Status counted = co_await Scan(st_->select_live, std::move(key), DbOp::kRead, DbTable::kUserLedger, each);
  if (!counted.ok()) co_return counted;
  co_return others + 1 <= max_live ? LimitOutcome::kRecorded : LimitOutcome::kLimitReached;
}

asio::awaitable<absl::Status> CqlSeatStore::EndLive(std::string organization_id, std::string user_id,
                                                    std::string hold_id) {
  std::vector<cql::Value> key = {organization_id, user_id, LiveEntry(hold_id)};
  absl::StatusOr<cql::Result> r = co_await Run(st_->delete_entry, std::move(key), DbOp::kWrite, DbTable::kUserLedger);
  co_return r.status();
}

asio::awaitable<absl::StatusOr<LedgerResult>> CqlSeatStore::CreateHoldRecord(HoldRecord h) {
  std::vector<cql::Value> values = {h.organization_id,
                                    h.user_id,
                                    HoldEntry(h.hold_id),
                                    std::string(domain::HoldStateName(h.state)),
                                    h.hold_id,
                                    h.trip_id,
                                    h.session_id,
                                    h.request_key,
                                    TextList(h.seat_ids),
                                    h.range.first,
                                    h.range.last,
                                    Ms(h.created_at_ms),
                                    Ms(h.expires_at_ms),
                                    Ms(Now())};
  absl::StatusOr<cql::Result> result =
      co_await Run(st_->insert_hold_if_absent, std::move(values), DbOp::kLwt, DbTable::kUserLedger);
  LedgerResult out;
  if (result.ok()) {
    absl::StatusOr<bool> applied = result->Applied();
    if (applied.ok() && *applied) {
      out.applied = true;
      co_return out;
    }
  }
  // Not applied, or unknown: what is there now? Only this call writes the
  // record with this state and this hold's expiry.
  absl::StatusOr<std::optional<HoldRecord>> now = co_await GetHold(h.organization_id, h.user_id, h.hold_id, true);
  if (!now.ok()) co_return !result.ok() ? result.status() : now.status();
  out.applied = now->has_value() && (*now)->state == h.state && (*now)->expires_at_ms == h.expires_at_ms &&
                (*now)->request_key == h.request_key;
  if (!out.applied) out.hold = std::move(*now);
  co_return out;
}

asio::awaitable<absl::StatusOr<std::optional<HoldRecord>>> CqlSeatStore::GetHold(std::string organization_id,
                                                                                 std::string user_id,
                                                                                 std::string hold_id, bool serial) {
  std::vector<cql::Value> key = {organization_id, user_id, HoldEntry(hold_id)};
  absl::StatusOr<cql::Result> rows = co_await Run(st_->select_entry, std::move(key),
                                                  serial ? DbOp::kSerialRead : DbOp::kRead, DbTable::kUserLedger);
  if (!rows.ok()) co_return rows.status();
  if (rows->row_count() == 0 || Str(rows->row(0), "kind") != "hold") co_return std::optional<HoldRecord>();
  co_return std::optional<HoldRecord>(rows::HoldFromRow(rows->row(0), organization_id, user_id));
}

asio::awaitable<absl::StatusOr<std::optional<BookingRecord>>> CqlSeatStore::GetBooking(std::string organization_id,
                                                                                       std::string user_id,
                                                                                       std::string booking_id) {
  std::vector<cql::Value> key = {organization_id, user_id, BookingEntry(booking_id)};
  absl::StatusOr<cql::Result> rows =
      co_await Run(st_->select_entry, std::move(key), DbOp::kSerialRead, DbTable::kUserLedger);
  if (!rows.ok()) co_return rows.status();
  if (rows->row_count() == 0 || Str(rows->row(0), "kind") != "booking") co_return std::optional<BookingRecord>();
  co_return std::optional<BookingRecord>(rows::BookingFromRow(rows->row(0), organization_id, user_id));
}

asio::awaitable<absl::StatusOr<LedgerResult>> CqlSeatStore::Step(LedgerStep step) {
  if (absl::Status allowed = CheckStep(step); !allowed.ok()) co_return allowed;
  const int64_t now = Now();
  cql::Batch batch(cql::BatchType::kUnlogged);
  if (step.hold_to) {
    const std::string to(domain::HoldStateName(*step.hold_to));
    const std::string from(domain::HoldStateName(*step.hold_from));
    if (*step.hold_to == HoldState::kConfirming) {
      batch.Add(st_->hold_step_confirming, {to, step.order_id, step.booking_id, Ms(now), step.organization_id,
                                            step.user_id, HoldEntry(step.hold_id), from});
    } else {
      batch.Add(st_->ledger_step, {to, Ms(now), step.organization_id, step.user_id, HoldEntry(step.hold_id), from});
    }
  }
  if (step.booking_to) {
    const std::string to(domain::BookingStateName(*step.booking_to));
    if (step.new_booking) {
      const BookingRecord& b = *step.new_booking;
      std::vector<std::string> nids, names;
      for (const Passenger& p : b.passengers) {
        nids.push_back(p.nid);
        names.push_back(p.name);
      }
      batch.Add(st_->insert_booking_if_absent,
                {b.organization_id, b.user_id, BookingEntry(b.booking_id), to, b.booking_id, b.hold_id, b.order_id,
                 b.trip_id, TextList(b.seat_ids), TextList(b.seat_numbers), TextList(b.ticket_ids), TextList(nids),
                 TextList(names), b.range.first, b.range.last, Ms(b.created_at_ms), Ms(now)});
    } else {
      batch.Add(st_->ledger_step, {to, Ms(now), step.organization_id, step.user_id, BookingEntry(step.booking_id),
                                    std::string(domain::BookingStateName(*step.booking_from))});
    }
  }
  if (step.end_live) batch.Add(st_->delete_entry, {step.organization_id, step.user_id, LiveEntry(step.hold_id)});
  absl::StatusOr<cql::Result> result = co_await RunBatch(batch, DbOp::kLwt, DbTable::kUserLedger);
  LedgerResult out;
  if (result.ok()) {
    absl::StatusOr<bool> applied = result->Applied();
    if (applied.ok() && *applied) {
      out.applied = true;
      co_return out;
    }
  }
  // Not applied, or unknown: read both records at SERIAL and decide.
  absl::StatusOr<std::optional<HoldRecord>> hold =
      co_await GetHold(step.organization_id, step.user_id, step.hold_id, true);
  if (!hold.ok()) co_return !result.ok() ? result.status() : hold.status();
  out.hold = std::move(*hold);
  if (!step.booking_id.empty()) {
    absl::StatusOr<std::optional<BookingRecord>> booking =
        co_await GetBooking(step.organization_id, step.user_id, step.booking_id);
    if (!booking.ok()) co_return !result.ok() ? result.status() : booking.status();
    out.booking = std::move(*booking);
  }
  out.applied = StepInPlace(step, out.hold, out.booking);
  co_return out;
}

// --- Waitlist ---

asio::awaitable<absl::StatusOr<int>> CqlSeatStore::Position(const WaitlistEntry& entry) {
  std::vector<cql::Value> key = {entry.organization_id, entry.trip_id, entry.seat_class};
  int position = 0;
  int found = 0;
  std::function<void(const cql::Row&)> each = [&](const cql::Row& r) {
    if (found != 0 || Str(r, "status") != "pending") return;
    ++position;
    absl::StatusOr<cql::Uuid> id = r.GetUuid("entry_id");
    if (id.ok() && id->ToString() == entry.entry_id) found = position;
  };
  absl::Status read = co_await Scan(st_->wl_queue, std::move(key), DbOp::kRead, DbTable::kWaitlist, each);
  if (!read.ok()) co_return read;
  co_return found;
}

asio::awaitable<absl::StatusOr<WaitlistEntry>> CqlSeatStore::JoinWaitlist(WaitlistEntry entry) {
  const cql::Uuid id = cql::Uuid::TimeBased();
  entry.created_at_ms = Now();
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
  std::vector<WaitlistEntry> out;
  std::function<void(const cql::Row&)> each = [&](const cql::Row& r) {
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
  };
  absl::Status read;
  if (organization_id.empty()) {
    std::vector<cql::Value> key = {user_id};
    read = co_await Scan(st_->wl_user_all, std::move(key), DbOp::kRead, DbTable::kWaitlist, each);
  } else {
    std::vector<cql::Value> key = {user_id, organization_id};
    read = co_await Scan(st_->wl_user_org, std::move(key), DbOp::kRead, DbTable::kWaitlist, each);
  }
  if (!read.ok()) co_return read;
  for (WaitlistEntry& e : out) {
    absl::StatusOr<int> position = co_await Position(e);
    if (!position.ok()) co_return position.status();
    e.position = *position;
  }
  co_return out;
}

}  // namespace inventory::storage
