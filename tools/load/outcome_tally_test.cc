#include "outcome_tally.h"

#include <gtest/gtest.h>

#include <string>

namespace inventory::load {
namespace {

using inventory::v1::HoldSeatsResponse;

HoldSeatsResponse Refusal(inventory::v1::FailureReason reason, const std::string& text) {
  HoldSeatsResponse r;
  r.set_success(false);
  r.set_reason(reason);
  r.set_failure_reason(text);
  r.add_failed_seat_ids("1A");
  return r;
}

TEST(ClassifyHoldSeatsTest, Success) {
  HoldSeatsResponse r;
  r.set_success(true);
  r.set_hold_id("h1");
  EXPECT_EQ(ClassifyHoldSeats(grpc::Status::OK, r).kind, OutcomeKind::kSuccess);
}

TEST(ClassifyHoldSeatsTest, ContentionByEnumOrByText) {
  EXPECT_EQ(ClassifyHoldSeats(grpc::Status::OK, Refusal(inventory::v1::FAILURE_REASON_CONTENTION, "")).kind,
            OutcomeKind::kContention);
  EXPECT_EQ(ClassifyHoldSeats(grpc::Status::OK, Refusal(inventory::v1::FAILURE_REASON_UNSPECIFIED,
                                                         "seat query contention - please retry"))
                .kind,
            OutcomeKind::kContention);
}

TEST(ClassifyHoldSeatsTest, NotAvailableByEnumOrByText) {
  EXPECT_EQ(ClassifyHoldSeats(grpc::Status::OK, Refusal(inventory::v1::FAILURE_REASON_NOT_AVAILABLE, "")).kind,
            OutcomeKind::kNotAvailable);
  const Outcome o = ClassifyHoldSeats(
      grpc::Status::OK, Refusal(inventory::v1::FAILURE_REASON_UNSPECIFIED, "some seats not available"));
  EXPECT_EQ(o.kind, OutcomeKind::kNotAvailable);
  EXPECT_EQ(o.detail, "some seats not available");
}

TEST(ClassifyHoldSeatsTest, OtherRefusalsAreSeparate) {
  Outcome o = ClassifyHoldSeats(grpc::Status::OK, Refusal(inventory::v1::FAILURE_REASON_HOLD_LIMIT_REACHED,
                                                           "maximum concurrent holds exceeded"));
  EXPECT_EQ(o.kind, OutcomeKind::kOtherRefusal);
  EXPECT_EQ(o.detail, "FAILURE_REASON_HOLD_LIMIT_REACHED: maximum concurrent holds exceeded");

  o = ClassifyHoldSeats(grpc::Status::OK, Refusal(inventory::v1::FAILURE_REASON_UNSPECIFIED, "odd"));
  EXPECT_EQ(o.kind, OutcomeKind::kOtherRefusal);
  EXPECT_EQ(o.detail, "odd");

  // success=false with nothing said at all is still a refusal, not a success.
  o = ClassifyHoldSeats(grpc::Status::OK, HoldSeatsResponse());
  EXPECT_EQ(o.kind, OutcomeKind::kOtherRefusal);
}

TEST(ClassifyHoldSeatsTest, EnumWinsOverText) {
  // The machine-readable reason decides when both are present.
  EXPECT_EQ(ClassifyHoldSeats(grpc::Status::OK, Refusal(inventory::v1::FAILURE_REASON_NOT_AVAILABLE,
                                                         "seat query contention - please retry"))
                .kind,
            OutcomeKind::kNotAvailable);
  EXPECT_EQ(ClassifyHoldSeats(grpc::Status::OK, Refusal(inventory::v1::FAILURE_REASON_HOLD_LIMIT_REACHED,
                                                         "some seats not available"))
                .kind,
            OutcomeKind::kOtherRefusal);
}

TEST(ClassifyHoldSeatsTest, ErrorsKeepTheirCodeAndIgnoreTheBody) {
  HoldSeatsResponse r;
  r.set_success(true);  // never read for a non-OK status
  const Outcome o = ClassifyHoldSeats(grpc::Status(grpc::StatusCode::UNAVAILABLE, "db down"), r);
  EXPECT_EQ(o.kind, OutcomeKind::kError);
  EXPECT_EQ(o.code, grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(o.detail, "db down");
}

TEST(StatusCodeNameTest, NamesEveryCode) {
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::OK), "OK");
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::UNIMPLEMENTED), "UNIMPLEMENTED");
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::DEADLINE_EXCEEDED), "DEADLINE_EXCEEDED");
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::UNAUTHENTICATED), "UNAUTHENTICATED");
  EXPECT_EQ(StatusCodeName(static_cast<grpc::StatusCode>(42)), "CODE_42");
}

TEST(OutcomeTallyTest, CountsEachKind) {
  OutcomeTally t;
  t.Add({OutcomeKind::kSuccess, grpc::StatusCode::OK, ""});
  for (int i = 0; i < 3; ++i) t.Add({OutcomeKind::kContention, grpc::StatusCode::OK, "c"});
  for (int i = 0; i < 5; ++i) t.Add({OutcomeKind::kNotAvailable, grpc::StatusCode::OK, "n"});
  t.Add({OutcomeKind::kOtherRefusal, grpc::StatusCode::OK, "limit"});
  t.Add({OutcomeKind::kOtherRefusal, grpc::StatusCode::OK, "limit"});
  t.Add({OutcomeKind::kOtherRefusal, grpc::StatusCode::OK, ""});
  t.Add({OutcomeKind::kError, grpc::StatusCode::UNAVAILABLE, "down"});
  t.Add({OutcomeKind::kError, grpc::StatusCode::DEADLINE_EXCEEDED, "slow"});
  t.Add({OutcomeKind::kError, grpc::StatusCode::DEADLINE_EXCEEDED, "slow"});

  EXPECT_EQ(t.total(), 15u);
  EXPECT_EQ(t.success(), 1u);
  EXPECT_EQ(t.contention(), 3u);
  EXPECT_EQ(t.not_available(), 5u);
  EXPECT_EQ(t.other_refusal(), 3u);
  EXPECT_EQ(t.errors(), 3u);
  EXPECT_EQ(t.errors_by_code().at(grpc::StatusCode::UNAVAILABLE), 1u);
  EXPECT_EQ(t.errors_by_code().at(grpc::StatusCode::DEADLINE_EXCEEDED), 2u);
  EXPECT_EQ(t.error_details().at("DEADLINE_EXCEEDED").at("slow"), 2u);
  EXPECT_EQ(t.other_refusal_details().at("limit"), 2u);
  EXPECT_EQ(t.other_refusal_details().at("(no reason given)"), 1u);
}

TEST(OutcomeTallyTest, DistinctDetailsAreBounded) {
  OutcomeTally t;
  for (int i = 0; i < 100; ++i) t.Add({OutcomeKind::kError, grpc::StatusCode::INTERNAL, "msg " + std::to_string(i)});
  const auto& details = t.error_details().at("INTERNAL");
  EXPECT_EQ(details.size(), OutcomeTally::kMaxDistinctDetails + 1);
  EXPECT_EQ(details.at("(other)"), 100u - OutcomeTally::kMaxDistinctDetails);
  EXPECT_EQ(t.errors(), 100u);
}

TEST(OutcomeKindNameTest, Names) {
  EXPECT_EQ(OutcomeKindName(OutcomeKind::kNotAvailable), "not_available");
  EXPECT_EQ(OutcomeKindName(OutcomeKind::kOtherRefusal), "other_refusal");
}

}  // namespace
}  // namespace inventory::load
