#include "checker_db.h"

#include <chrono>
#include <string_view>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cql_test_env.h"

namespace inventory::checker {
namespace {

using cql::testing::RunSync;
using namespace std::chrono_literals;

std::string Str(const cql::Row& r, std::string_view c) {
  if (r.IsNull(c)) return "";
  absl::StatusOr<std::string> v = r.GetString(c);
  return v.ok() ? *v : "";
}

int32_t Int(const cql::Row& r, std::string_view c) {
  if (r.IsNull(c)) return -1;
  absl::StatusOr<int32_t> v = r.GetInt(c);
  return v.ok() ? *v : -1;
}

int64_t Ms(const cql::Row& r, std::string_view c) {
  if (r.IsNull(c)) return 0;
  absl::StatusOr<cql::Timestamp> v = r.GetTimestamp(c);
  return v.ok() ? v->time_since_epoch().count() : 0;
}

}  // namespace

std::string StationId(int stop) {
  if (stop >= 0 && stop < 26) return std::string(1, static_cast<char>('A' + stop));
  return absl::StrCat("S", stop);
}

std::string GridSeatId(int index, int columns) {
  return absl::StrCat(index / columns + 1, std::string(1, static_cast<char>('A' + index % columns)));
}

std::vector<std::string> GridSeatIds(int rows, int columns) {
  std::vector<std::string> out;
  for (int i = 0; i < rows * columns; ++i) out.push_back(GridSeatId(i, columns));
  return out;
}

Db::Db(TripShape trip) : trip_(std::move(trip)) {}

Db::~Db() {
  if (session_) RunSync(io_, session_->Close());
  session_.reset();
}

absl::Status Db::Connect(const std::string& keyspace) {
  return Connect(keyspace, testing::CqlHost(), testing::CqlPort());
}

absl::Status Db::Connect(const std::string& keyspace, const std::string& host, uint16_t port) {
  return Connect(keyspace, std::vector<std::string>{absl::StrCat(host, ":", port)});
}

absl::Status Db::Connect(const std::string& keyspace, std::vector<std::string> contact_points) {
  keyspace_ = keyspace;
  cql::SessionOptions o = cql::testing::TestOptions();
  o.contact_points = std::move(contact_points);
  absl::StatusOr<std::unique_ptr<cql::Session>> s = RunSync(io_, cql::Session::Connect(io_.get_executor(), o));
  if (!s.ok()) return s.status();
  session_ = std::move(*s);
  return absl::OkStatus();
}

absl::StatusOr<SeatRead> Db::ReadSeat(const std::string& seat) {
  SeatRead out;
  out.seat = seat;
  out.cells.resize(static_cast<size_t>(trip_.segments));
  cql::QueryOptions q;
  q.consistency = cql::Consistency::kSerial;
  q.timeout = 15s;
  std::vector<cql::Value> key = {cql::Value(trip_.organization_id), cql::Value(trip_.trip_id), cql::Value(seat)};
  out.r0 = NowMs();
  absl::StatusOr<cql::Result> rows = RunSync(
      io_, session_->Query(absl::StrCat("SELECT segment_index, status, hold_id, user_id, booking_id, expires_at "
                                        "FROM ",
                                        keyspace_,
                                        ".seat_segments WHERE organization_id = ? AND trip_id = ? AND seat_id = ?"),
                           std::move(key), q));
  out.r1 = NowMs();
  if (!rows.ok()) return rows.status();
  for (size_t i = 0; i < rows->row_count(); ++i) {
    const cql::Row r = rows->row(i);
    absl::StatusOr<int32_t> seg = r.GetInt("segment_index");
    if (!seg.ok() || *seg < 0 || *seg >= trip_.segments) continue;
    Cell& c = out.cells[static_cast<size_t>(*seg)];
    c.present = true;
    c.status = Str(r, "status");
    c.hold_id = Str(r, "hold_id");
    c.user_id = Str(r, "user_id");
    c.booking_id = Str(r, "booking_id");
    c.expires_at_ms = Ms(r, "expires_at");
  }
  return out;
}

absl::StatusOr<Snapshot> Db::ReadFinal(int64_t* read_ms) {
  Snapshot snap;
  snap.final = true;
  *read_ms = NowMs();
  for (const std::string& seat : trip_.seat_ids) {
    absl::StatusOr<SeatRead> r = ReadSeat(seat);
    for (int attempt = 0; !r.ok() && attempt < 5; ++attempt) {
      std::this_thread::sleep_for(1s);
      r = ReadSeat(seat);
    }
    if (!r.ok()) return absl::Status(r.status().code(), absl::StrCat("final read of seat ", seat, ": ",
                                                                     r.status().message()));
    snap.seats.push_back(std::move(*r));
  }
  return snap;
}

absl::StatusOr<std::map<std::string, LedgerEntry>> Db::ReadLedgers(const std::vector<std::string>& users) {
  std::map<std::string, LedgerEntry> ledger;
  for (const std::string& user : users) {
    absl::StatusOr<std::vector<LedgerEntry>> entries = ReadLedger(user);
    if (!entries.ok()) return entries.status();
    for (LedgerEntry& e : *entries) ledger[e.user + "|" + e.entry] = std::move(e);
  }
  return ledger;
}

absl::StatusOr<std::vector<LedgerEntry>> Db::ReadLedger(const std::string& user) {
  cql::QueryOptions q;
  q.consistency = cql::Consistency::kQuorum;
  q.timeout = 15s;
  std::vector<cql::Value> key = {cql::Value(trip_.organization_id), cql::Value(user)};
  absl::StatusOr<cql::Result> rows = RunSync(
      io_, session_->Query(absl::StrCat("SELECT entry, kind, state, hold_id, booking_id, order_id, seat_ids, "
                                        "first_segment, last_segment, expires_at FROM ",
                                        keyspace_, ".user_ledger WHERE organization_id = ? AND user_id = ?"),
                           std::move(key), q));
  if (!rows.ok()) return rows.status();
  std::vector<LedgerEntry> out;
  for (size_t i = 0; i < rows->row_count(); ++i) {
    const cql::Row r = rows->row(i);
    LedgerEntry e;
    e.user = user;
    e.entry = Str(r, "entry");
    e.kind = Str(r, "kind");
    e.state = Str(r, "state");
    e.hold_id = Str(r, "hold_id");
    e.booking_id = Str(r, "booking_id");
    e.order_id = Str(r, "order_id");
    if (!r.IsNull("seat_ids")) {
      absl::StatusOr<std::vector<cql::Value>> list = r.GetList("seat_ids");
      if (list.ok()) {
        for (const cql::Value& v : *list) e.seat_ids.push_back(v.text());
      }
    }
    e.first = Int(r, "first_segment");
    e.last = Int(r, "last_segment");
    e.expires_at_ms = Ms(r, "expires_at");
    out.push_back(std::move(e));
  }
  return out;
}

absl::Status Db::Write(const std::string& text, std::vector<cql::Value> values) {
  cql::QueryOptions q;
  q.consistency = cql::Consistency::kQuorum;
  q.timeout = 15s;
  absl::StatusOr<cql::Result> r = RunSync(io_, session_->Query(text, std::move(values), q));
  return r.status();
}

absl::Status Db::DropKeyspace() {
  cql::QueryOptions q;
  q.timeout = 120s;
  absl::StatusOr<cql::Result> r =
      RunSync(io_, session_->Query("DROP KEYSPACE IF EXISTS " + keyspace_, std::vector<cql::Value>(), q));
  return r.status();
}

}  // namespace inventory::checker
