#include "domain/lifecycle.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

namespace inventory::domain {
namespace {

using H = HoldState;
using B = BookingState;

// The diagram of lifecycle.h, written out arrow by arrow.
const std::set<std::pair<std::optional<H>, H>>& HoldArrows() {
  static const std::set<std::pair<std::optional<H>, H>> kArrows = {
      {std::nullopt, H::kActive},      {std::nullopt, H::kAbandoned},  {H::kActive, H::kReleasing},
      {H::kActive, H::kConfirming},    {H::kReleasing, H::kReleased},  {H::kConfirming, H::kConfirmed},
      {H::kConfirming, H::kAborting},  {H::kAborting, H::kLapsed},
  };
  return kArrows;
}

const std::set<std::pair<std::optional<B>, B>>& BookingArrows() {
  static const std::set<std::pair<std::optional<B>, B>> kArrows = {
      {std::nullopt, B::kPending},    {B::kPending, B::kConfirmed},   {B::kPending, B::kCancelled},
      {B::kConfirmed, B::kCancelling}, {B::kCancelling, B::kCancelled},
  };
  return kArrows;
}

TEST(LifecycleTest, HoldTransitionsAreExactlyTheDiagram) {
  std::vector<std::optional<H>> froms = {std::nullopt};
  for (H s : kAllHoldStates) froms.push_back(s);
  for (const std::optional<H>& from : froms) {
    for (H to : kAllHoldStates) {
      EXPECT_EQ(HoldTransitionAllowed(from, to), HoldArrows().count({from, to}) == 1)
          << (from ? HoldStateName(*from) : "(none)") << " -> " << HoldStateName(to);
    }
  }
}

TEST(LifecycleTest, BookingTransitionsAreExactlyTheDiagram) {
  std::vector<std::optional<B>> froms = {std::nullopt};
  for (B s : kAllBookingStates) froms.push_back(s);
  for (const std::optional<B>& from : froms) {
    for (B to : kAllBookingStates) {
      EXPECT_EQ(BookingTransitionAllowed(from, to), BookingArrows().count({from, to}) == 1)
          << (from ? BookingStateName(*from) : "(none)") << " -> " << BookingStateName(to);
    }
  }
}

TEST(LifecycleTest, TerminalStatesHaveNoWayOutAndEveryOtherStateReachesOne) {
  for (H s : kAllHoldStates) {
    bool has_exit = false;
    for (H to : kAllHoldStates) has_exit = has_exit || HoldTransitionAllowed(s, to);
    EXPECT_EQ(IsTerminal(s), !has_exit) << HoldStateName(s);
    // Follow arrows: a terminal state is reachable from every state.
    std::set<H> seen = {s};
    std::vector<H> todo = {s};
    bool reaches_terminal = IsTerminal(s);
    while (!todo.empty()) {
      H at = todo.back();
      todo.pop_back();
      for (H to : kAllHoldStates) {
        if (HoldTransitionAllowed(at, to) && seen.insert(to).second) {
          todo.push_back(to);
          reaches_terminal = reaches_terminal || IsTerminal(to);
        }
      }
    }
    EXPECT_TRUE(reaches_terminal) << HoldStateName(s);
    // No cycles: a state never comes back to itself.
    for (H to : seen) {
      if (to != s) {
        EXPECT_FALSE(HoldTransitionAllowed(to, s)) << HoldStateName(s) << " is reachable from itself";
      }
    }
  }
  for (B s : kAllBookingStates) {
    bool has_exit = false;
    for (B to : kAllBookingStates) has_exit = has_exit || BookingTransitionAllowed(s, to);
    EXPECT_EQ(IsTerminal(s), !has_exit) << BookingStateName(s);
  }
}

TEST(LifecycleTest, NamesRoundTripAndAreCompatibleWithEarlierRecords) {
  for (H s : kAllHoldStates) EXPECT_EQ(HoldStateFromName(HoldStateName(s)), s);
  for (B s : kAllBookingStates) EXPECT_EQ(BookingStateFromName(BookingStateName(s)), s);
  // Spellings records already carry.
  EXPECT_EQ(HoldStateFromName("active"), H::kActive);
  EXPECT_EQ(HoldStateFromName("released"), H::kReleased);
  EXPECT_EQ(HoldStateFromName("confirmed"), H::kConfirmed);
  EXPECT_EQ(BookingStateFromName("pending"), B::kPending);
  EXPECT_EQ(BookingStateFromName("cancelled"), B::kCancelled);
  EXPECT_EQ(HoldStateFromName(""), std::nullopt);
  EXPECT_EQ(HoldStateFromName("held"), std::nullopt);
  EXPECT_EQ(BookingStateFromName("Confirmed"), std::nullopt);
  for (IntentKind k : {IntentKind::kHold, IntentKind::kRelease, IntentKind::kConfirm, IntentKind::kCancel}) {
    EXPECT_EQ(IntentKindFromName(IntentKindName(k)), k);
  }
  EXPECT_EQ(IntentKindFromName("repair"), std::nullopt);
}

TEST(LifecycleTest, ReleaseDecisionForEveryState) {
  const std::map<H, ReleaseStep> want = {
      {H::kActive, ReleaseStep::kBegin},           {H::kReleasing, ReleaseStep::kFinish},
      {H::kReleased, ReleaseStep::kDone},          {H::kConfirming, ReleaseStep::kRefuseConfirmed},
      {H::kConfirmed, ReleaseStep::kRefuseConfirmed}, {H::kAborting, ReleaseStep::kRefuseConfirmed},
      {H::kLapsed, ReleaseStep::kDone},            {H::kAbandoned, ReleaseStep::kNotFound},
  };
  ASSERT_EQ(want.size(), kAllHoldStates.size());
  for (H s : kAllHoldStates) EXPECT_EQ(ForRelease(s), want.at(s)) << HoldStateName(s);
  // A release only begins from a state that allows active→releasing.
  for (H s : kAllHoldStates) {
    if (ForRelease(s) == ReleaseStep::kBegin) {
      EXPECT_TRUE(HoldTransitionAllowed(s, H::kReleasing));
    }
    if (ForRelease(s) == ReleaseStep::kFinish) {
      EXPECT_TRUE(HoldTransitionAllowed(s, H::kReleased));
    }
  }
}

TEST(LifecycleTest, ConfirmDecisionForEveryStateOrderAndExpiry) {
  for (H s : kAllHoldStates) {
    for (bool same : {false, true}) {
      for (bool expired : {false, true}) {
        const ConfirmStep got = ForConfirm(s, same, expired);
        ConfirmStep want = ConfirmStep::kRefuseNotFound;
        switch (s) {
          case H::kActive:
            want = expired ? ConfirmStep::kRefuseExpired : ConfirmStep::kBegin;
            break;
          case H::kConfirming:
          case H::kAborting:
            want = same ? ConfirmStep::kFinish : ConfirmStep::kRefuseOtherOrder;
            break;
          case H::kConfirmed:
            want = same ? ConfirmStep::kDone : ConfirmStep::kRefuseOtherOrder;
            break;
          case H::kLapsed:
            want = ConfirmStep::kRefuseExpired;
            break;
          case H::kReleasing:
          case H::kReleased:
          case H::kAbandoned:
            want = ConfirmStep::kRefuseNotFound;
            break;
        }
        EXPECT_EQ(got, want) << HoldStateName(s) << " same_order=" << same << " expired=" << expired;
        // Expiry only matters before the confirm has begun.
        if (s != H::kActive) {
          EXPECT_EQ(got, ForConfirm(s, same, !expired));
        }
        if (got == ConfirmStep::kBegin) {
          EXPECT_TRUE(HoldTransitionAllowed(s, H::kConfirming));
        }
      }
    }
  }
}

TEST(LifecycleTest, CancelDecisionForEveryState) {
  const std::map<B, CancelStep> want = {{B::kPending, CancelStep::kFinishConfirmFirst},
                                        {B::kConfirmed, CancelStep::kBegin},
                                        {B::kCancelling, CancelStep::kFinish},
                                        {B::kCancelled, CancelStep::kDone}};
  for (B s : kAllBookingStates) EXPECT_EQ(ForCancel(s), want.at(s)) << BookingStateName(s);
  EXPECT_TRUE(BookingTransitionAllowed(B::kConfirmed, B::kCancelling));
}

TEST(LifecycleTest, BookingOutcomeNeedsEverySeatToCommitAndOneLossToAbort) {
  EXPECT_EQ(AfterBooking(3, 3, 0, 0), BookingOutcome::kCommit);
  EXPECT_EQ(AfterBooking(3, 2, 1, 0), BookingOutcome::kAbort);
  EXPECT_EQ(AfterBooking(3, 1, 1, 1), BookingOutcome::kAbort);  // a loss decides, whatever else is unknown
  EXPECT_EQ(AfterBooking(3, 2, 0, 1), BookingOutcome::kRetry);
  EXPECT_EQ(AfterBooking(3, 0, 0, 3), BookingOutcome::kRetry);
  EXPECT_EQ(AfterBooking(1, 1, 0, 0), BookingOutcome::kCommit);
  // Exhaustive over small counts: commit only when everything was booked.
  for (int n = 1; n <= 4; ++n) {
    for (int booked = 0; booked <= n; ++booked) {
      for (int lost = 0; booked + lost <= n; ++lost) {
        const int unknown = n - booked - lost;
        const BookingOutcome o = AfterBooking(n, booked, lost, unknown);
        EXPECT_EQ(o == BookingOutcome::kCommit, booked == n);
        EXPECT_EQ(o == BookingOutcome::kAbort, lost > 0);
      }
    }
  }
}

TEST(LifecycleTest, RepairDecisionForEveryIntentAndState) {
  std::vector<std::optional<H>> holds = {std::nullopt};
  for (H s : kAllHoldStates) holds.push_back(s);
  std::vector<std::optional<B>> bookings = {std::nullopt};
  for (B s : kAllBookingStates) bookings.push_back(s);
  for (const std::optional<H>& h : holds) {
    for (const std::optional<B>& b : bookings) {
      EXPECT_EQ(ForRepair(IntentKind::kHold, h, b),
                !h ? RepairStep::kFenceAbandoned
                   : (*h == H::kAbandoned ? RepairStep::kFreeAbandoned : RepairStep::kNothing));
      EXPECT_EQ(ForRepair(IntentKind::kRelease, h, b),
                h == H::kReleasing ? RepairStep::kFinishRelease : RepairStep::kNothing);
      EXPECT_EQ(ForRepair(IntentKind::kConfirm, h, b), h == H::kConfirming || h == H::kAborting
                                                           ? RepairStep::kFinishConfirm
                                                           : RepairStep::kNothing);
      EXPECT_EQ(ForRepair(IntentKind::kCancel, h, b),
                b == B::kCancelling ? RepairStep::kFinishCancel : RepairStep::kNothing);
    }
  }
  // Every in-between state has a repair that finishes it.
  for (H s : kAllHoldStates) {
    if (IsTerminal(s) || s == H::kActive) continue;
    bool finished = false;
    for (IntentKind k : {IntentKind::kHold, IntentKind::kRelease, IntentKind::kConfirm, IntentKind::kCancel}) {
      finished = finished || ForRepair(k, s, std::nullopt) != RepairStep::kNothing;
    }
    EXPECT_TRUE(finished) << HoldStateName(s) << " has no repair";
  }
}

}  // namespace
}  // namespace inventory::domain
