#include "service/hold_gate.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <set>

#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "absl/strings/str_cat.h"
#include "cql/uuid.h"
#include "domain/seat_status.h"

namespace inventory::service {
namespace {

// Waits on requests in flight before giving up with "contention".
constexpr int kMaxWaits = 3;

std::string CellKey(const storage::TripRef& trip, const std::string& seat, int segment) {
  return absl::StrCat(trip.organization_id.size(), ":", trip.organization_id, trip.trip_id.size(), ":", trip.trip_id,
                      seat.size(), ":", seat, "#", segment);
}

}  // namespace

struct HoldGate::Flight {
  explicit Flight(asio::any_io_executor ex) : done(ex) {}
  asio::steady_timer done;
  bool finished = false;
  std::string user_id;
  std::vector<std::string> seats;
  domain::SegmentRange range;
  std::vector<std::string> cells;
  Outcome outcome;
};

HoldGate::HoldGate(SnapshotCache& cache, cache::EdgeGuard* edge, const ClockGuard& clock, GateOptions options,
                   ServiceStats& stats)
    : cache_(cache), edge_(edge), clock_(clock), options_(options), stats_(stats) {}

void HoldGate::WarnEdgeSkipped(const absl::Status& why) {
  const int64_t now = clock_.Now();
  if (now - last_edge_warning_ms_ < 10000) return;
  spdlog::warn("edge=skipped holds_without_prelock={} reason=\"{}\" (Redis did not answer; the database decides alone)",
               stats_.prelock_skipped - skipped_at_last_warning_, std::string(why.message()));
  last_edge_warning_ms_ = now;
  skipped_at_last_warning_ = stats_.prelock_skipped;
}

std::optional<HoldGate::Verdict> HoldGate::Answer(const Flight& flight, const Request& request) const {
  const Outcome& o = flight.outcome;
  // Whatever blocked the other request over its range blocks this one over
  // a range that covers it.
  const bool covers = request.range.first <= flight.range.first && flight.range.last <= request.range.last;
  Verdict v;
  for (const std::string& seat : request.seats) {
    if (std::find(flight.seats.begin(), flight.seats.end(), seat) == flight.seats.end()) continue;
    if (!flight.range.Overlaps(request.range)) continue;
    bool taken = o.won && flight.user_id != request.user_id;
    for (const auto& [taken_seat, user] : o.takers) {
      if (taken_seat == seat && covers && user != request.user_id) taken = true;
    }
    if (taken) v.seats.push_back(seat);
  }
  if (!v.seats.empty()) {
    v.kind = Verdict::Kind::kTaken;
    return v;
  }
  if (o.contended) {
    v.kind = Verdict::Kind::kContended;
    v.seats = request.seats;
    return v;
  }
  return std::nullopt;
}

asio::awaitable<HoldGate::Verdict> HoldGate::Enter(Request request) {
  const storage::TripRef& trip = request.trip;
  for (int wait = 0; wait <= kMaxWaits; ++wait) {
    const SnapshotCache::Peeked peeked = cache_.Peek(trip);
    // 1. The cached seat map, where it may refuse.
    if (options_.short_circuit && peeked.snapshot != nullptr) {
      const int64_t reclaim_now = clock_.ReclaimNow();
      Verdict v;
      for (const std::string& seat : request.seats) {
        const int index = peeked.snapshot->SeatIndex(seat);
        if (index < 0 || !cache_.MayRefuse(peeked, index)) continue;
        if (domain::TakenForUser(peeked.snapshot->states[static_cast<size_t>(index)], request.range, request.user_id,
                                 reclaim_now)) {
          v.seats.push_back(seat);
        }
      }
      if (!v.seats.empty()) {
        ++stats_.seatmap_rejections;
        v.kind = Verdict::Kind::kTaken;
        co_return v;
      }
    }
    // 2. A hold of the same cells in flight here (cells kept only when
    // short-circuiting: nothing else reads them).
    std::vector<std::string> cells;
    std::shared_ptr<Flight> busy;
    if (options_.short_circuit) {
      for (const std::string& seat : request.seats) {
        for (int s = request.range.first; s <= request.range.last; ++s) {
          cells.push_back(CellKey(trip, seat, s));
          if (busy != nullptr) continue;
          auto it = inflight_.find(cells.back());
          if (it != inflight_.end()) busy = it->second;
        }
      }
    }
    if (busy != nullptr) {
      if (wait == kMaxWaits) break;
      ++stats_.inflight_waits;
      if (!busy->finished) {
        asio::error_code ec;
        co_await busy->done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      std::optional<Verdict> answered = Answer(*busy, request);
      if (answered.has_value()) {
        ++stats_.inflight_rejections;
        co_return std::move(*answered);
      }
      continue;  // it decided nothing for us: look again
    }
    auto flight = std::make_shared<Flight>(co_await asio::this_coro::executor);
    flight->done.expires_at(asio::steady_timer::time_point::max());
    flight->user_id = request.user_id;
    flight->seats = request.seats;
    flight->range = request.range;
    flight->cells = std::move(cells);
    for (const std::string& c : flight->cells) inflight_.emplace(c, flight);
    Verdict pass;
    pass.flight = flight;

    // 3. Redis: markers and pre-locks, one round trip.
    if (edge_ != nullptr) {
      std::vector<cache::SeatSegment> edge_cells;
      for (const std::string& seat : request.seats) {
        for (int s = request.range.first; s <= request.range.last; ++s) edge_cells.push_back({seat, s});
      }
      const std::string token = cql::Uuid::Random().ToString();
      cache::TripKey key{trip.organization_id, trip.trip_id};
      std::vector<cache::SeatSegment> asked = edge_cells;
      absl::StatusOr<cache::LockResult> lock =
          co_await edge_->Acquire(std::move(key), std::move(asked), request.user_id, token, options_.prelock_ttl);
      if (!lock.ok()) {
        ++stats_.prelock_skipped;
        WarnEdgeSkipped(lock.status());
      } else if (lock->outcome == cache::LockOutcome::kTaken) {
        ++stats_.edge_rejections;
        // The cached seat map learns who holds what (a copy, within bounds).
        std::vector<domain::SeatChange> facts;
        Outcome outcome;
        for (const cache::Marker& m : lock->taken) {
          domain::SeatChange c;
          c.seat_id = m.at.seat_id;
          c.range = {m.at.segment, m.at.segment};
          c.kind = m.booked ? domain::SeatChange::Kind::kBooked : domain::SeatChange::Kind::kHeld;
          c.owner_id = m.hold_id;
          c.user_id = m.holder;
          c.expires_at_ms = m.booked ? 0 : m.expires_at_ms;
          facts.push_back(std::move(c));
          outcome.takers.emplace_back(m.at.seat_id, m.holder);
        }
        cache_.Apply(trip, facts, /*own=*/false);
        Verdict v;
        v.kind = Verdict::Kind::kTaken;
        v.seats = lock->seats;
        Leave(pass, std::move(outcome));
        co_return v;
      } else if (lock->outcome == cache::LockOutcome::kContended) {
        ++stats_.prelock_contended;
        Outcome outcome;
        outcome.contended = true;
        Leave(pass, std::move(outcome));
        Verdict v;
        v.kind = Verdict::Kind::kContended;
        v.seats = lock->seats;
        co_return v;
      } else {
        ++stats_.prelock_acquired;
        pass.lease.cells = std::move(edge_cells);
        pass.lease.token = token;
      }
    }
    // What the copy may vouch for phrases the first conditions.
    const SnapshotCache::Peeked now = cache_.Peek(trip);
    for (const std::string& seat : request.seats) {
      const int index = now.snapshot != nullptr ? now.snapshot->SeatIndex(seat) : -1;
      if (options_.short_circuit && index >= 0 && cache_.MayRefuse(now, index)) {
        pass.believed.push_back(now.snapshot->states[static_cast<size_t>(index)]);
      } else {
        pass.believed.emplace_back();
      }
    }
    pass.kind = Verdict::Kind::kPass;
    co_return pass;
  }
  ++stats_.inflight_rejections;
  Verdict v;
  v.kind = Verdict::Kind::kContended;
  v.seats = request.seats;
  co_return v;
}

void HoldGate::Leave(const Verdict& verdict, Outcome outcome) {
  if (verdict.flight == nullptr) return;
  Flight& flight = *verdict.flight;
  if (flight.finished) return;
  flight.outcome = std::move(outcome);
  flight.finished = true;
  for (const std::string& c : flight.cells) {
    auto it = inflight_.find(c);
    if (it != inflight_.end() && it->second == verdict.flight) inflight_.erase(it);
  }
  flight.done.cancel();
}

}  // namespace inventory::service
