// A SeatStore for unit tests whose every operation answers UNIMPLEMENTED:
// a test derives from it and overrides what it exercises. Test code only;
// integration tests use the real store against a real database.
#pragma once

#include "storage/seat_store.h"

namespace inventory::storage::testing {

class UnimplementedStore : public SeatStore {
 public:
#define INVENTORY_UNIMPLEMENTED(Ret, Name, ...) \
  asio::awaitable<Ret> Name(__VA_ARGS__) override { co_return absl::UnimplementedError(#Name); }
  INVENTORY_UNIMPLEMENTED(absl::StatusOr<CreateTripOutcome>, CreateTrip, const domain::TripDefinition&)
  INVENTORY_UNIMPLEMENTED(absl::StatusOr<std::shared_ptr<domain::TripSnapshot>>, LoadSnapshot, TripRef)
  INVENTORY_UNIMPLEMENTED(absl::StatusOr<SeatClaim>, HoldSeat, TripRef, std::string, domain::SegmentRange,
                          std::string, std::string, int64_t, std::vector<domain::SegmentState>)
  INVENTORY_UNIMPLEMENTED(absl::StatusOr<bool>, ReleaseSeat, TripRef, std::string, domain::SegmentRange, std::string)
  INVENTORY_UNIMPLEMENTED(absl::StatusOr<bool>, BookSeat, TripRef, std::string, domain::SegmentRange, std::string,
                          std::string)
  INVENTORY_UNIMPLEMENTED(absl::StatusOr<bool>, UnbookSeat, TripRef, std::string, domain::SegmentRange, std::string)
  INVENTORY_UNIMPLEMENTED(absl::StatusOr<bool>, SetBlocked, TripRef, std::string, int, bool, std::string)
  INVENTORY_UNIMPLEMENTED(absl::Status, RecordIntent, Intent&)
  INVENTORY_UNIMPLEMENTED(absl::Status, DropIntents, std::vector<IntentKey>)
  INVENTORY_UNIMPLEMENTED(absl::StatusOr<std::vector<Intent>>, IntentsIn, int64_t)
  INVENTORY_UNIMPLEMENTED(absl::StatusOr<std::optional<int64_t>>, RepairedBefore)
  INVENTORY_UNIMPLEMENTED(absl::Status, SetRepairedBefore, int64_t)
  INVENTORY_UNIMPLEMENTED(absl::StatusOr<LimitOutcome>, BeginHold, Intent&, int)
  INVENTORY_UNIMPLEMENTED(absl::Status, EndLive, std::string, std::string, std::string)
  INVENTORY_UNIMPLEMENTED(absl::StatusOr<LedgerResult>, CreateHoldRecord, HoldRecord)
  INVENTORY_UNIMPLEMENTED(absl::StatusOr<std::optional<HoldRecord>>, GetHold, std::string, std::string, std::string,
                          bool)
  INVENTORY_UNIMPLEMENTED(absl::StatusOr<std::optional<BookingRecord>>, GetBooking, std::string, std::string,
                          std::string)
  INVENTORY_UNIMPLEMENTED(absl::StatusOr<LedgerResult>, Step, LedgerStep)
  INVENTORY_UNIMPLEMENTED(absl::StatusOr<WaitlistEntry>, JoinWaitlist, WaitlistEntry)
  INVENTORY_UNIMPLEMENTED(absl::StatusOr<std::vector<WaitlistEntry>>, UserWaitlist, std::string, std::string)
  INVENTORY_UNIMPLEMENTED(absl::StatusOr<int64_t>, DatabaseNowMs)
#undef INVENTORY_UNIMPLEMENTED
  int64_t IntentWindowMs() const override { return 10000; }
};

}  // namespace inventory::storage::testing
