#include "service/lifecycle.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/gather.h"
#include "cql/uuid.h"

namespace inventory::service {
namespace {

using domain::BookingState;
using domain::HoldState;
using domain::SeatChange;
using domain::SegmentRange;

// Re-decisions of one call after a step found the record moved on (each
// follows a SERIAL read; a record only moves forward, so few are needed).
constexpr int kMaxRedecisions = 4;

std::vector<SeatChange> Changes(const std::vector<std::string>& seats, SegmentRange range, SeatChange::Kind kind,
                                const std::string& owner, const std::string& user, int64_t expires_at_ms,
                                const std::string& previous_owner) {
  std::vector<SeatChange> out;
  out.reserve(seats.size());
  for (const std::string& seat : seats) {
    out.push_back(SeatChange{seat, range, kind, owner, user, expires_at_ms, previous_owner});
  }
  return out;
}

absl::Status Moving(const std::string& hold_id) {
  return absl::UnavailableError(absl::StrCat("hold ", hold_id, " is changing; retry"));
}

// A step of `hold`'s row; with `booking_id`, of that booking's row too.
storage::LedgerStep StepOf(const storage::HoldRecord& hold, const std::string& booking_id = "") {
  storage::LedgerStep step;
  step.organization_id = hold.organization_id;
  step.user_id = hold.user_id;
  step.hold_id = hold.hold_id;
  step.booking_id = booking_id;
  return step;
}

storage::LedgerStep StepOf(const storage::BookingRecord& booking) {
  storage::LedgerStep step;
  step.organization_id = booking.organization_id;
  step.user_id = booking.user_id;
  step.hold_id = booking.hold_id;
  step.booking_id = booking.booking_id;
  return step;
}

storage::Intent IntentOf(domain::IntentKind kind, const std::string& organization_id, const std::string& user_id,
                         const std::string& trip_id, const std::string& hold_id, const std::string& booking_id) {
  storage::Intent intent;
  intent.kind = kind;
  intent.organization_id = organization_id;
  intent.user_id = user_id;
  intent.trip_id = trip_id;
  intent.hold_id = hold_id;
  intent.booking_id = booking_id;
  return intent;
}

}  // namespace

std::string BookingIdFor(const std::string& hold_id) { return absl::StrCat("bk-", hold_id); }

std::string_view RepairKindName(RepairKind kind) {
  switch (kind) {
    case RepairKind::kNothing:
      return "nothing";
    case RepairKind::kHoldAbandoned:
      return "hold_abandoned";
    case RepairKind::kReleaseFinished:
      return "release_finished";
    case RepairKind::kConfirmCommitted:
      return "confirm_committed";
    case RepairKind::kConfirmAborted:
      return "confirm_aborted";
    case RepairKind::kCancelFinished:
      return "cancel_finished";
  }
  return "nothing";
}

Lifecycle::Lifecycle(storage::SeatStore& store, IntentLog& intents, SeatAnnouncer& announcer, const ClockGuard& clock,
                     ServiceStats& stats, int max_holds_per_user)
    : store_(store),
      intents_(intents),
      announcer_(announcer),
      clock_(clock),
      stats_(stats),
      max_holds_per_user_(max_holds_per_user) {}

asio::awaitable<void> Lifecycle::Tell(storage::TripRef trip, std::vector<SeatChange> changes) {
  std::vector<SeatChange> no_facts;
  EdgeLease no_lease;
  co_await announcer_.Announce(std::move(trip), std::move(changes), std::move(no_facts), std::move(no_lease));
}

void Lifecycle::Forget(const storage::IntentKey* intent) {
  if (intent != nullptr) intents_.Done(*intent);
}

asio::awaitable<absl::StatusOr<storage::LedgerResult>> Lifecycle::Begin(storage::Intent& intent,
                                                                        const storage::LedgerStep& step) {
  absl::Status recorded = co_await intents_.Record(intent);
  if (!recorded.ok()) co_return recorded;
  absl::StatusOr<storage::LedgerResult> r = co_await store_.Step(step);
  // Not taken: the record had moved on and there is nothing of ours to
  // finish. Unknown: the intent stays for the repairer.
  if (r.ok() && !r->applied) Forget(&intent.key);
  co_return r;
}

asio::awaitable<absl::Status> Lifecycle::GiveBack(const storage::TripRef& trip, const std::vector<std::string>& seats,
                                                   const storage::Intent& intent) {
  absl::StatusOr<int> freed = co_await ReleaseSeats(trip, seats, intent.range, intent.hold_id);
  absl::Status ended = freed.status();
  if (ended.ok()) ended = co_await store_.EndLive(trip.organization_id, intent.user_id, intent.hold_id);
  if (ended.ok()) co_return ended;
  // The repairer may have dropped the intent already (it gave the hold up
  // while a late seat write landed): a new one makes sure it comes back.
  storage::Intent again = intent;
  again.created_at_ms = 0;
  absl::Status recorded = co_await intents_.Record(again);
  co_return recorded.ok() ? ended : recorded;
}

asio::awaitable<absl::StatusOr<int>> Lifecycle::FreeSeats(const storage::TripRef& trip,
                                                          const std::vector<std::string>& seats, SegmentRange range,
                                                          const std::string& owner, FreeOne free_one) {
  std::vector<asio::awaitable<absl::StatusOr<bool>>> frees;
  for (const std::string& seat : seats) frees.push_back((store_.*free_one)(trip, seat, range, owner));
  std::vector<absl::StatusOr<bool>> freed = co_await Gather(std::move(frees));
  int count = 0;
  for (const absl::StatusOr<bool>& f : freed) {
    if (!f.ok()) co_return f.status();
    count += *f ? 1 : 0;
  }
  co_return count;
}

asio::awaitable<absl::StatusOr<int>> Lifecycle::ReleaseSeats(const storage::TripRef& trip,
                                                             const std::vector<std::string>& seats,
                                                             SegmentRange range, const std::string& hold_id) {
  return FreeSeats(trip, seats, range, hold_id, &storage::SeatStore::ReleaseSeat);
}

asio::awaitable<absl::StatusOr<int>> Lifecycle::UnbookSeats(const storage::TripRef& trip,
                                                            const std::vector<std::string>& seats, SegmentRange range,
                                                            const std::string& booking_id) {
  return FreeSeats(trip, seats, range, booking_id, &storage::SeatStore::UnbookSeat);
}

asio::awaitable<absl::StatusOr<storage::HoldRecord>> Lifecycle::Reread(const storage::HoldRecord& hold) {
  absl::StatusOr<std::optional<storage::HoldRecord>> now =
      co_await store_.GetHold(hold.organization_id, hold.user_id, hold.hold_id, true);
  if (!now.ok()) co_return now.status();
  if (!now->has_value()) co_return absl::InternalError(absl::StrCat("hold ", hold.hold_id, " has no record"));
  co_return **now;
}

// --- Hold ---

std::optional<std::string> Lifecycle::EarlierSelf(const HoldRequest& request, int64_t now) {
  if (request.believed.size() != request.seats.size()) return std::nullopt;
  std::string hold_id;
  for (const std::vector<domain::SegmentState>& states : request.believed) {
    if (states.size() <= static_cast<size_t>(request.range.last)) return std::nullopt;
    for (int s = request.range.first; s <= request.range.last; ++s) {
      const domain::SegmentState& st = states[static_cast<size_t>(s)];
      if (st.status != domain::SeatStatus::kHeld || st.user_id != request.user_id || st.expires_at_ms <= now) {
        return std::nullopt;
      }
      if (hold_id.empty()) hold_id = st.hold_id;
      if (st.hold_id != hold_id) return std::nullopt;
    }
  }
  if (hold_id.empty()) return std::nullopt;
  return hold_id;
}

asio::awaitable<std::optional<storage::HoldRecord>> Lifecycle::LiveHoldOf(const HoldRequest& request,
                                                                          const std::string& hold_id, int64_t now) {
  absl::StatusOr<std::optional<storage::HoldRecord>> first =
      co_await store_.GetHold(request.trip.organization_id, request.user_id, hold_id, false);
  if (!first.ok() || !first->has_value()) co_return std::nullopt;
  const storage::HoldRecord& h = **first;
  if (h.request_key != request.request_key || h.state != HoldState::kActive || h.expires_at_ms <= now) {
    co_return std::nullopt;
  }
  co_return std::move(**first);
}

asio::awaitable<absl::StatusOr<HoldResult>> Lifecycle::Hold(HoldRequest request) {
  const storage::TripRef& trip = request.trip;
  const int64_t now = clock_.Now();
  storage::HoldRecord hold;
  hold.hold_id = cql::Uuid::Random().ToString();
  hold.organization_id = trip.organization_id;
  hold.user_id = request.user_id;
  hold.trip_id = trip.trip_id;
  hold.session_id = request.session_id;
  hold.request_key = request.request_key;
  hold.seat_ids = request.seats;
  hold.range = request.range;
  hold.created_at_ms = now;
  // Whole seconds, so that expires_at answered in seconds is exact.
  hold.expires_at_ms = (now / 1000 + request.duration_s) * 1000;
  hold.state = HoldState::kActive;

  std::vector<SeatChange> no_changes;
  std::vector<SeatChange> no_facts;
  storage::Intent intent =
      IntentOf(domain::IntentKind::kHold, trip.organization_id, request.user_id, trip.trip_id, hold.hold_id, "");
  intent.seat_ids = request.seats;
  intent.range = request.range;
  intent.expires_at_ms = hold.expires_at_ms;
  intent.created_at_ms = now;

  // 0. A retry of a request whose hold the caller's seat map vouches for
  // (every seat held, live, by one hold of this user): its hold back, for
  // one read.
  if (std::optional<std::string> earlier = EarlierSelf(request, now); earlier.has_value()) {
    std::optional<storage::HoldRecord> first = co_await LiveHoldOf(request, *earlier, now);
    if (first.has_value()) {
      co_await announcer_.Announce(trip, no_changes, no_facts, std::move(request.lease));
      HoldResult out;
      out.kind = HoldResult::Kind::kHeld;
      out.hold = std::move(*first);
      co_return out;
    }
  }

  // 1. The intent and the user's live marker; then the user's count.
  absl::StatusOr<storage::LimitOutcome> limit = co_await store_.BeginHold(intent, max_holds_per_user_);
  if (!limit.ok()) {
    co_await announcer_.Announce(trip, no_changes, no_facts, std::move(request.lease));
    co_return limit.status();
  }
  ++stats_.intents_recorded;
  if (*limit == storage::LimitOutcome::kLimitReached) {
    absl::Status ended = co_await store_.EndLive(trip.organization_id, request.user_id, hold.hold_id);
    if (ended.ok()) Forget(&intent.key);  // else the repairer removes the marker
    co_await announcer_.Announce(trip, no_changes, no_facts, std::move(request.lease));
    HoldResult out;
    out.kind = HoldResult::Kind::kLimitReached;
    co_return out;
  }

  // 2. One conditional write per seat, in parallel.
  std::vector<asio::awaitable<absl::StatusOr<storage::SeatClaim>>> claims;
  for (size_t i = 0; i < request.seats.size(); ++i) {
    std::vector<domain::SegmentState> believed;
    if (i < request.believed.size()) believed = std::move(request.believed[i]);
    claims.push_back(store_.HoldSeat(trip, request.seats[i], request.range, hold.hold_id, request.user_id,
                                     hold.expires_at_ms, std::move(believed)));
  }
  std::vector<absl::StatusOr<storage::SeatClaim>> results = co_await Gather(std::move(claims));

  std::vector<std::string> won, lost, unsure;
  std::vector<SeatChange> facts;
  HoldResult refused;
  refused.kind = HoldResult::Kind::kNotAvailable;
  std::set<std::string> holders;
  absl::Status error = absl::OkStatus();
  for (size_t i = 0; i < results.size(); ++i) {
    const std::string& seat = request.seats[i];
    if (!results[i].ok()) {
      if (error.ok()) error = results[i].status();
      unsure.push_back(seat);  // it may have been applied
      continue;
    }
    const storage::SeatClaim& c = *results[i];
    if (c.applied) {
      won.push_back(seat);
      continue;
    }
    lost.push_back(seat);
    refused.refused_seats.push_back(seat);
    if (!c.holder_user_id.empty()) refused.takers.emplace_back(seat, c.holder_user_id);
    // What the database showed of the seat, segment by segment, is worth
    // knowing everywhere (a belief the refusal rested on is not).
    for (size_t s = 0; s < c.read.size(); ++s) {
      const domain::SegmentState& st = c.read[s];
      const domain::SegmentRange one{static_cast<int>(s), static_cast<int>(s)};
      if (st.status == domain::SeatStatus::kHeld && st.expires_at_ms > now && !st.hold_id.empty()) {
        facts.push_back(SeatChange{seat, one, SeatChange::Kind::kHeld, st.hold_id, st.user_id, st.expires_at_ms, ""});
      } else if (st.status == domain::SeatStatus::kBooked && !st.booking_id.empty()) {
        facts.push_back(SeatChange{seat, one, SeatChange::Kind::kBooked, st.booking_id, st.user_id, 0, ""});
      }
    }
    // Only a hold of this very user can be this request's earlier self.
    const bool same_user = c.holder_user_id.empty() || c.holder_user_id == request.user_id;
    holders.insert(c.blocking == domain::SeatStatus::kHeld && same_user ? c.holder_hold_id : "");
  }

  // 3a. Every seat won: the record, written only if the repairer has not
  // given the hold up meanwhile. That write is the hold's decision.
  if (lost.empty() && unsure.empty()) {
    absl::StatusOr<storage::LedgerResult> created = co_await store_.CreateHoldRecord(hold);
    if (!created.ok()) {
      // Unknown: a retry of the request gets the hold back if it was made;
      // if not, the repairer frees the seats (the intent stays).
      co_await announcer_.Announce(trip, no_changes, no_facts, std::move(request.lease));
      co_return created.status();
    }
    if (created->applied) {
      Forget(&intent.key);
      std::vector<SeatChange> held = Changes(request.seats, request.range, SeatChange::Kind::kHeld, hold.hold_id,
                                             hold.user_id, hold.expires_at_ms, "");
      co_await announcer_.Announce(trip, std::move(held), no_facts, std::move(request.lease));
      HoldResult out;
      out.kind = HoldResult::Kind::kHeld;
      out.hold = std::move(hold);
      co_return out;
    }
    // The repairer fenced it (it took too long): give the seats back too.
    absl::Status ended = co_await GiveBack(trip, request.seats, intent);
    std::vector<SeatChange> gone =
        Changes(request.seats, request.range, SeatChange::Kind::kFreed, hold.hold_id, "", 0, "");
    co_await announcer_.Announce(trip, std::move(gone), no_facts, std::move(request.lease));
    co_return absl::UnavailableError(
        absl::StrCat("hold took too long and was given up; retry", ended.ok() ? "" : " (seats freed by repair)"));
  }

  // 3b. Not every seat: give back the ones won (and the unsure ones).
  std::vector<std::string> to_free = won;
  to_free.insert(to_free.end(), unsure.begin(), unsure.end());
  absl::Status undone = co_await GiveBack(trip, to_free, intent);
  if (undone.ok()) Forget(&intent.key);  // else the repairer finishes the undo
  if (!error.ok()) {
    co_await announcer_.Announce(trip, no_changes, std::move(facts), std::move(request.lease));
    co_return error;
  }
  // A retry of a request that already holds exactly these seats.
  if (holders.size() == 1 && !holders.begin()->empty() && lost.size() == request.seats.size()) {
    std::optional<storage::HoldRecord> first = co_await LiveHoldOf(request, *holders.begin(), clock_.Now());
    if (first.has_value()) {
      co_await announcer_.Announce(trip, no_changes, std::move(facts), std::move(request.lease));
      HoldResult out;
      out.kind = HoldResult::Kind::kHeld;
      out.hold = std::move(*first);
      co_return out;
    }
  }
  co_await announcer_.Announce(trip, no_changes, std::move(facts), std::move(request.lease));
  co_return refused;
}

// --- Release ---

asio::awaitable<absl::StatusOr<ReleaseResult>> Lifecycle::Release(storage::HoldRecord hold) {
  for (int attempt = 0; attempt < kMaxRedecisions; ++attempt) {
    ReleaseResult out;
    switch (domain::ForRelease(hold.state)) {
      case domain::ReleaseStep::kBegin: {
        storage::Intent intent = IntentOf(domain::IntentKind::kRelease, hold.organization_id, hold.user_id,
                                          hold.trip_id, hold.hold_id, "");
        storage::LedgerStep step = StepOf(hold);
        step.hold_from = HoldState::kActive;
        step.hold_to = HoldState::kReleasing;
        absl::StatusOr<storage::LedgerResult> r = co_await Begin(intent, step);
        if (!r.ok()) co_return r.status();
        if (!r->applied) {
          if (!r->hold.has_value()) {
            out.kind = ReleaseResult::Kind::kNotFound;
            co_return out;
          }
          hold = *r->hold;
          continue;
        }
        hold.state = HoldState::kReleasing;
        absl::StatusOr<int> freed = co_await FinishRelease(hold, &intent.key);
        if (!freed.ok()) co_return freed.status();
        out.released = *freed;
        co_return out;
      }
      case domain::ReleaseStep::kFinish: {
        absl::StatusOr<int> freed = co_await FinishRelease(hold, nullptr);
        if (!freed.ok()) co_return freed.status();
        out.released = *freed;
        co_return out;
      }
      case domain::ReleaseStep::kDone:
        co_return out;
      case domain::ReleaseStep::kRefuseConfirmed:
        out.kind = ReleaseResult::Kind::kConfirmed;
        co_return out;
      case domain::ReleaseStep::kNotFound:
        out.kind = ReleaseResult::Kind::kNotFound;
        co_return out;
    }
  }
  co_return Moving(hold.hold_id);
}

asio::awaitable<absl::StatusOr<int>> Lifecycle::FinishRelease(storage::HoldRecord hold,
                                                              const storage::IntentKey* intent) {
  const storage::TripRef trip{hold.organization_id, hold.trip_id};
  absl::StatusOr<int> freed = co_await ReleaseSeats(trip, hold.seat_ids, hold.range, hold.hold_id);
  if (!freed.ok()) co_return freed.status();
  storage::LedgerStep step = StepOf(hold);
  step.hold_from = HoldState::kReleasing;
  step.hold_to = HoldState::kReleased;
  step.end_live = true;
  absl::StatusOr<storage::LedgerResult> r = co_await store_.Step(step);
  if (!r.ok()) co_return r.status();
  if (!r->applied && (!r->hold.has_value() || r->hold->state != HoldState::kReleased)) co_return Moving(hold.hold_id);
  std::vector<SeatChange> told = Changes(hold.seat_ids, hold.range, SeatChange::Kind::kFreed, hold.hold_id, "", 0, "");
  co_await Tell(trip, std::move(told));
  Forget(intent);
  co_return *freed;
}

// --- Confirm ---

asio::awaitable<absl::StatusOr<ConfirmResult>> Lifecycle::Confirm(storage::HoldRecord hold,
                                                                  storage::BookingRecord proposed) {
  for (int attempt = 0; attempt < kMaxRedecisions; ++attempt) {
    ConfirmResult out;
    const bool same_order = hold.order_id == proposed.order_id;
    const bool expired = hold.expires_at_ms <= clock_.Now();
    switch (domain::ForConfirm(hold.state, same_order, expired)) {
      case domain::ConfirmStep::kBegin: {
        storage::Intent intent = IntentOf(domain::IntentKind::kConfirm, hold.organization_id, hold.user_id,
                                          hold.trip_id, hold.hold_id, "");
        proposed.state = BookingState::kPending;
        storage::LedgerStep step = StepOf(hold, proposed.booking_id);
        step.hold_from = HoldState::kActive;
        step.hold_to = HoldState::kConfirming;
        step.order_id = proposed.order_id;
        step.booking_to = BookingState::kPending;
        step.new_booking = proposed;
        absl::StatusOr<storage::LedgerResult> r = co_await Begin(intent, step);
        if (!r.ok()) co_return r.status();
        if (!r->applied) {
          if (!r->hold.has_value()) {
            out.kind = ConfirmResult::Kind::kNotFound;
            co_return out;
          }
          hold = *r->hold;
          continue;
        }
        hold.state = HoldState::kConfirming;
        hold.order_id = proposed.order_id;
        hold.booking_id = proposed.booking_id;
        co_return co_await FinishConfirm(hold, &intent.key, &proposed);
      }
      case domain::ConfirmStep::kFinish: {
        absl::StatusOr<ConfirmResult> finished = co_await FinishConfirm(hold, nullptr, nullptr);
        if (!finished.ok() || finished->kind != ConfirmResult::Kind::kConfirmed) co_return finished;
        break;  // committed: answered from the booking below
      }
      case domain::ConfirmStep::kDone:
        break;  // answered from the booking below
      case domain::ConfirmStep::kRefuseExpired:
        out.kind = ConfirmResult::Kind::kExpired;
        co_return out;
      case domain::ConfirmStep::kRefuseOtherOrder:
        out.kind = ConfirmResult::Kind::kOtherOrder;
        co_return out;
      case domain::ConfirmStep::kRefuseNotFound:
        out.kind = ConfirmResult::Kind::kNotFound;
        co_return out;
    }
    const std::string booking_id = BookingIdFor(hold.hold_id);
    absl::StatusOr<std::optional<storage::BookingRecord>> booking =
        co_await store_.GetBooking(hold.organization_id, hold.user_id, booking_id);
    if (!booking.ok()) co_return booking.status();
    if (!booking->has_value()) co_return absl::InternalError("confirmed hold without its booking");
    out.booking = std::move(**booking);
    co_return out;
  }
  co_return Moving(hold.hold_id);
}

asio::awaitable<absl::StatusOr<ConfirmResult>> Lifecycle::FinishConfirm(storage::HoldRecord hold,
                                                                        const storage::IntentKey* intent,
                                                                        const storage::BookingRecord* known) {
  if (hold.state == HoldState::kAborting) co_return co_await FinishAbort(hold, intent);
  const storage::TripRef trip{hold.organization_id, hold.trip_id};
  const std::string booking_id = BookingIdFor(hold.hold_id);
  std::vector<asio::awaitable<absl::StatusOr<bool>>> books;
  for (const std::string& seat : hold.seat_ids) {
    books.push_back(store_.BookSeat(trip, seat, hold.range, hold.hold_id, booking_id));
  }
  std::vector<absl::StatusOr<bool>> booked = co_await Gather(std::move(books));
  int ok = 0, lost = 0, unknown = 0;
  absl::Status error = absl::OkStatus();
  for (const absl::StatusOr<bool>& b : booked) {
    if (!b.ok()) {
      ++unknown;
      if (error.ok()) error = b.status();
    } else {
      (*b ? ok : lost) += 1;
    }
  }
  storage::LedgerStep step = StepOf(hold, booking_id);
  step.hold_from = HoldState::kConfirming;
  switch (domain::AfterBooking(static_cast<int>(hold.seat_ids.size()), ok, lost, unknown)) {
    case domain::BookingOutcome::kRetry:
      co_return error.ok() ? Moving(hold.hold_id) : error;  // a retry or the repairer goes on
    case domain::BookingOutcome::kCommit: {
      step.hold_to = HoldState::kConfirmed;
      step.booking_from = BookingState::kPending;
      step.booking_to = BookingState::kConfirmed;
      step.end_live = true;
      absl::StatusOr<storage::LedgerResult> r = co_await store_.Step(step);
      if (!r.ok()) co_return r.status();
      if (!r->applied && (!r->hold.has_value() || r->hold->state != HoldState::kConfirmed)) {
        co_return Moving(hold.hold_id);
      }
      std::vector<SeatChange> told =
          Changes(hold.seat_ids, hold.range, SeatChange::Kind::kBooked, booking_id, hold.user_id, 0, hold.hold_id);
      co_await Tell(trip, std::move(told));
      Forget(intent);
      ConfirmResult out;
      if (known != nullptr) out.booking = *known;
      out.booking.booking_id = booking_id;
      out.booking.state = BookingState::kConfirmed;
      co_return out;
    }
    case domain::BookingOutcome::kAbort: {
      // A seat went to someone else (the hold expired meanwhile): undo.
      step.hold_to = HoldState::kAborting;
      absl::StatusOr<storage::LedgerResult> r = co_await store_.Step(step);
      if (!r.ok()) co_return r.status();
      if (!r->applied) {
        if (!r->hold.has_value() || r->hold->state != HoldState::kAborting) co_return Moving(hold.hold_id);
      }
      hold.state = HoldState::kAborting;
      co_return co_await FinishAbort(hold, intent);
    }
  }
  co_return Moving(hold.hold_id);
}

asio::awaitable<absl::StatusOr<ConfirmResult>> Lifecycle::FinishAbort(storage::HoldRecord hold,
                                                                      const storage::IntentKey* intent) {
  const storage::TripRef trip{hold.organization_id, hold.trip_id};
  const std::string booking_id = BookingIdFor(hold.hold_id);
  absl::StatusOr<int> unbooked = co_await UnbookSeats(trip, hold.seat_ids, hold.range, booking_id);
  if (!unbooked.ok()) co_return unbooked.status();
  absl::StatusOr<int> released = co_await ReleaseSeats(trip, hold.seat_ids, hold.range, hold.hold_id);
  if (!released.ok()) co_return released.status();
  storage::LedgerStep step = StepOf(hold, booking_id);
  step.hold_from = HoldState::kAborting;
  step.hold_to = HoldState::kLapsed;
  step.booking_from = BookingState::kPending;
  step.booking_to = BookingState::kCancelled;
  step.end_live = true;
  absl::StatusOr<storage::LedgerResult> r = co_await store_.Step(step);
  if (!r.ok()) co_return r.status();
  if (!r->applied && (!r->hold.has_value() || r->hold->state != HoldState::kLapsed)) co_return Moving(hold.hold_id);
  std::vector<SeatChange> told =
      Changes(hold.seat_ids, hold.range, SeatChange::Kind::kFreed, booking_id, "", 0, hold.hold_id);
  co_await Tell(trip, std::move(told));
  Forget(intent);
  ConfirmResult out;
  out.kind = ConfirmResult::Kind::kExpired;
  co_return out;
}

// --- Cancel ---

asio::awaitable<absl::StatusOr<CancelResult>> Lifecycle::Cancel(storage::BookingRecord booking) {
  for (int attempt = 0; attempt < kMaxRedecisions; ++attempt) {
    CancelResult out;
    switch (domain::ForCancel(booking.state)) {
      case domain::CancelStep::kFinishConfirmFirst: {
        storage::HoldRecord key;
        key.organization_id = booking.organization_id;
        key.user_id = booking.user_id;
        key.hold_id = booking.hold_id;
        absl::StatusOr<storage::HoldRecord> hold = co_await Reread(key);
        if (!hold.ok()) co_return hold.status();
        if (hold->state == HoldState::kConfirming || hold->state == HoldState::kAborting) {
          absl::StatusOr<ConfirmResult> finished = co_await FinishConfirm(*hold, nullptr, nullptr);
          if (!finished.ok()) co_return finished.status();
        }
        absl::StatusOr<std::optional<storage::BookingRecord>> again =
            co_await store_.GetBooking(booking.organization_id, booking.user_id, booking.booking_id);
        if (!again.ok()) co_return again.status();
        if (!again->has_value()) co_return absl::InternalError("booking vanished");
        if ((*again)->state == BookingState::kPending) co_return Moving(booking.hold_id);
        booking = std::move(**again);
        continue;
      }
      case domain::CancelStep::kBegin: {
        storage::Intent intent = IntentOf(domain::IntentKind::kCancel, booking.organization_id, booking.user_id,
                                          booking.trip_id, booking.hold_id, booking.booking_id);
        storage::LedgerStep step = StepOf(booking);
        step.booking_from = BookingState::kConfirmed;
        step.booking_to = BookingState::kCancelling;
        absl::StatusOr<storage::LedgerResult> r = co_await Begin(intent, step);
        if (!r.ok()) co_return r.status();
        if (!r->applied) {
          if (!r->booking.has_value()) co_return absl::InternalError("booking vanished");
          booking = *r->booking;
          continue;
        }
        booking.state = BookingState::kCancelling;
        absl::StatusOr<int> freed = co_await FinishCancel(booking, &intent.key);
        if (!freed.ok()) co_return freed.status();
        out.released = *freed;
        co_return out;
      }
      case domain::CancelStep::kFinish: {
        absl::StatusOr<int> freed = co_await FinishCancel(booking, nullptr);
        if (!freed.ok()) co_return freed.status();
        out.released = *freed;
        co_return out;
      }
      case domain::CancelStep::kDone:
        co_return out;
    }
  }
  co_return Moving(booking.hold_id);
}

asio::awaitable<absl::StatusOr<int>> Lifecycle::FinishCancel(storage::BookingRecord booking,
                                                             const storage::IntentKey* intent) {
  const storage::TripRef trip{booking.organization_id, booking.trip_id};
  absl::StatusOr<int> freed = co_await UnbookSeats(trip, booking.seat_ids, booking.range, booking.booking_id);
  if (!freed.ok()) co_return freed.status();
  storage::LedgerStep step = StepOf(booking);
  step.booking_from = BookingState::kCancelling;
  step.booking_to = BookingState::kCancelled;
  absl::StatusOr<storage::LedgerResult> r = co_await store_.Step(step);
  if (!r.ok()) co_return r.status();
  if (!r->applied && (!r->booking.has_value() || r->booking->state != BookingState::kCancelled)) {
    co_return Moving(booking.hold_id);
  }
  std::vector<SeatChange> told =
      Changes(booking.seat_ids, booking.range, SeatChange::Kind::kFreed, booking.booking_id, "", 0, booking.hold_id);
  co_await Tell(trip, std::move(told));
  Forget(intent);
  co_return *freed;
}

// --- Repair ---

asio::awaitable<absl::Status> Lifecycle::FreeAbandoned(const storage::Intent& intent) {
  const storage::TripRef trip{intent.organization_id, intent.trip_id};
  absl::StatusOr<int> freed = co_await ReleaseSeats(trip, intent.seat_ids, intent.range, intent.hold_id);
  if (!freed.ok()) co_return freed.status();
  absl::Status ended = co_await store_.EndLive(intent.organization_id, intent.user_id, intent.hold_id);
  if (!ended.ok()) co_return ended;
  std::vector<SeatChange> told =
      Changes(intent.seat_ids, intent.range, SeatChange::Kind::kFreed, intent.hold_id, "", 0, "");
  co_await Tell(trip, std::move(told));
  co_return absl::OkStatus();
}

asio::awaitable<absl::StatusOr<RepairKind>> Lifecycle::Repair(storage::Intent intent) {
  absl::StatusOr<std::optional<storage::HoldRecord>> hold =
      co_await store_.GetHold(intent.organization_id, intent.user_id, intent.hold_id, true);
  if (!hold.ok()) co_return hold.status();
  std::optional<storage::BookingRecord> booking;
  if (intent.kind == domain::IntentKind::kCancel) {
    absl::StatusOr<std::optional<storage::BookingRecord>> b =
        co_await store_.GetBooking(intent.organization_id, intent.user_id, intent.booking_id);
    if (!b.ok()) co_return b.status();
    booking = std::move(*b);
  }
  std::optional<HoldState> hold_state;
  if (hold->has_value()) hold_state = (*hold)->state;
  std::optional<BookingState> booking_state;
  if (booking.has_value()) booking_state = booking->state;

  RepairKind done = RepairKind::kNothing;
  switch (domain::ForRepair(intent.kind, hold_state, booking_state)) {
    case domain::RepairStep::kNothing:
      break;
    case domain::RepairStep::kFenceAbandoned: {
      // The hold never got its record: give it up, unless it just got one.
      storage::HoldRecord fence;
      fence.hold_id = intent.hold_id;
      fence.organization_id = intent.organization_id;
      fence.user_id = intent.user_id;
      fence.trip_id = intent.trip_id;
      fence.seat_ids = intent.seat_ids;
      fence.range = intent.range;
      fence.created_at_ms = intent.created_at_ms;
      fence.expires_at_ms = intent.expires_at_ms;
      fence.state = HoldState::kAbandoned;
      absl::StatusOr<storage::LedgerResult> r = co_await store_.CreateHoldRecord(fence);
      if (!r.ok()) co_return r.status();
      if (!r->applied && (!r->hold.has_value() || r->hold->state != HoldState::kAbandoned)) break;  // it was made
      absl::Status freed = co_await FreeAbandoned(intent);
      if (!freed.ok()) co_return freed;
      done = RepairKind::kHoldAbandoned;
      break;
    }
    case domain::RepairStep::kFreeAbandoned: {
      absl::Status freed = co_await FreeAbandoned(intent);
      if (!freed.ok()) co_return freed;
      done = RepairKind::kHoldAbandoned;
      break;
    }
    case domain::RepairStep::kFinishRelease: {
      absl::StatusOr<int> freed = co_await FinishRelease(**hold, nullptr);
      if (!freed.ok()) co_return freed.status();
      done = RepairKind::kReleaseFinished;
      break;
    }
    case domain::RepairStep::kFinishConfirm: {
      absl::StatusOr<ConfirmResult> finished = co_await FinishConfirm(**hold, nullptr, nullptr);
      if (!finished.ok()) co_return finished.status();
      done = finished->kind == ConfirmResult::Kind::kConfirmed ? RepairKind::kConfirmCommitted
                                                               : RepairKind::kConfirmAborted;
      break;
    }
    case domain::RepairStep::kFinishCancel: {
      absl::StatusOr<int> freed = co_await FinishCancel(*booking, nullptr);
      if (!freed.ok()) co_return freed.status();
      done = RepairKind::kCancelFinished;
      break;
    }
  }
  Forget(&intent.key);
  ++stats_.repairs[static_cast<size_t>(done)];
  co_return done;
}

}  // namespace inventory::service
