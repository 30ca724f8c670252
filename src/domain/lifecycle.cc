#include "domain/lifecycle.h"

namespace inventory::domain {

std::string_view HoldStateName(HoldState state) {
  switch (state) {
    case HoldState::kActive:
      return "active";
    case HoldState::kReleasing:
      return "releasing";
    case HoldState::kReleased:
      return "released";
    case HoldState::kConfirming:
      return "confirming";
    case HoldState::kConfirmed:
      return "confirmed";
    case HoldState::kAborting:
      return "aborting";
    case HoldState::kLapsed:
      return "lapsed";
    case HoldState::kAbandoned:
      return "abandoned";
  }
  return "active";
}

std::string_view BookingStateName(BookingState state) {
  switch (state) {
    case BookingState::kPending:
      return "pending";
    case BookingState::kConfirmed:
      return "confirmed";
    case BookingState::kCancelling:
      return "cancelling";
    case BookingState::kCancelled:
      return "cancelled";
  }
  return "pending";
}

std::optional<HoldState> HoldStateFromName(std::string_view name) {
  for (HoldState s : kAllHoldStates) {
    if (HoldStateName(s) == name) return s;
  }
  return std::nullopt;
}

std::optional<BookingState> BookingStateFromName(std::string_view name) {
  for (BookingState s : kAllBookingStates) {
    if (BookingStateName(s) == name) return s;
  }
  return std::nullopt;
}

bool IsTerminal(HoldState state) {
  return state == HoldState::kReleased || state == HoldState::kConfirmed || state == HoldState::kLapsed ||
         state == HoldState::kAbandoned;
}

bool IsTerminal(BookingState state) { return state == BookingState::kCancelled; }

bool HoldTransitionAllowed(std::optional<HoldState> from, HoldState to) {
  if (!from.has_value()) return to == HoldState::kActive || to == HoldState::kAbandoned;
  switch (*from) {
    case HoldState::kActive:
      return to == HoldState::kReleasing || to == HoldState::kConfirming;
    case HoldState::kReleasing:
      return to == HoldState::kReleased;
    case HoldState::kConfirming:
      return to == HoldState::kConfirmed || to == HoldState::kAborting;
    case HoldState::kAborting:
      return to == HoldState::kLapsed;
    case HoldState::kReleased:
    case HoldState::kConfirmed:
    case HoldState::kLapsed:
    case HoldState::kAbandoned:
      return false;
  }
  return false;
}

bool BookingTransitionAllowed(std::optional<BookingState> from, BookingState to) {
  if (!from.has_value()) return to == BookingState::kPending;
  switch (*from) {
    case BookingState::kPending:
      return to == BookingState::kConfirmed || to == BookingState::kCancelled;
    case BookingState::kConfirmed:
      return to == BookingState::kCancelling;
    case BookingState::kCancelling:
      return to == BookingState::kCancelled;
    case BookingState::kCancelled:
      return false;
  }
  return false;
}

ReleaseStep ForRelease(HoldState state) {
  switch (state) {
    case HoldState::kActive:
      return ReleaseStep::kBegin;
    case HoldState::kReleasing:
      return ReleaseStep::kFinish;
    case HoldState::kReleased:
    case HoldState::kLapsed:
      return ReleaseStep::kDone;
    case HoldState::kConfirming:
    case HoldState::kConfirmed:
    case HoldState::kAborting:
      return ReleaseStep::kRefuseConfirmed;
    case HoldState::kAbandoned:
      return ReleaseStep::kNotFound;
  }
  return ReleaseStep::kNotFound;
}

ConfirmStep ForConfirm(HoldState state, bool same_order, bool expired) {
  switch (state) {
    case HoldState::kActive:
      return expired ? ConfirmStep::kRefuseExpired : ConfirmStep::kBegin;
    case HoldState::kConfirming:
    case HoldState::kAborting:
      return same_order ? ConfirmStep::kFinish : ConfirmStep::kRefuseOtherOrder;
    case HoldState::kConfirmed:
      return same_order ? ConfirmStep::kDone : ConfirmStep::kRefuseOtherOrder;
    case HoldState::kLapsed:
      return ConfirmStep::kRefuseExpired;
    case HoldState::kReleasing:
    case HoldState::kReleased:
    case HoldState::kAbandoned:
      return ConfirmStep::kRefuseNotFound;
  }
  return ConfirmStep::kRefuseNotFound;
}

CancelStep ForCancel(BookingState state) {
  switch (state) {
    case BookingState::kConfirmed:
      return CancelStep::kBegin;
    case BookingState::kCancelling:
      return CancelStep::kFinish;
    case BookingState::kCancelled:
      return CancelStep::kDone;
    case BookingState::kPending:
      return CancelStep::kFinishConfirmFirst;
  }
  return CancelStep::kDone;
}

BookingOutcome AfterBooking(int seats, int booked, int lost, int unknown) {
  if (lost > 0) return BookingOutcome::kAbort;
  if (unknown > 0 || booked < seats) return BookingOutcome::kRetry;
  return BookingOutcome::kCommit;
}

std::string_view IntentKindName(IntentKind kind) {
  switch (kind) {
    case IntentKind::kHold:
      return "hold";
    case IntentKind::kRelease:
      return "release";
    case IntentKind::kConfirm:
      return "confirm";
    case IntentKind::kCancel:
      return "cancel";
  }
  return "hold";
}

std::optional<IntentKind> IntentKindFromName(std::string_view name) {
  for (IntentKind k : {IntentKind::kHold, IntentKind::kRelease, IntentKind::kConfirm, IntentKind::kCancel}) {
    if (IntentKindName(k) == name) return k;
  }
  return std::nullopt;
}

RepairStep ForRepair(IntentKind kind, std::optional<HoldState> hold, std::optional<BookingState> booking) {
  switch (kind) {
    case IntentKind::kHold:
      if (!hold.has_value()) return RepairStep::kFenceAbandoned;
      return *hold == HoldState::kAbandoned ? RepairStep::kFreeAbandoned : RepairStep::kNothing;
    case IntentKind::kRelease:
      return hold == HoldState::kReleasing ? RepairStep::kFinishRelease : RepairStep::kNothing;
    case IntentKind::kConfirm:
      return hold == HoldState::kConfirming || hold == HoldState::kAborting ? RepairStep::kFinishConfirm
                                                                           : RepairStep::kNothing;
    case IntentKind::kCancel:
      return booking == BookingState::kCancelling ? RepairStep::kFinishCancel : RepairStep::kNothing;
  }
  return RepairStep::kNothing;
}

}  // namespace inventory::domain
