#include "api/request_metrics.h"

#include <gtest/gtest.h>

#include <string>

namespace inventory::api {
namespace {

TEST(RequestMetricsTest, CountsByMethodCodeAndOutcomeWithReasons) {
  RequestMetrics m;
  m.Record(Method::kHoldSeats, grpc::StatusCode::OK, {CallOutcome::Kind::kSuccess, 0}, 0.002);
  m.Record(Method::kHoldSeats, grpc::StatusCode::OK, {CallOutcome::Kind::kRefused, 1}, 0.0001);
  m.Record(Method::kHoldSeats, grpc::StatusCode::OK, {CallOutcome::Kind::kRefused, 1}, 0.0001);
  m.Record(Method::kHoldSeats, grpc::StatusCode::OK, {CallOutcome::Kind::kRefused, 2}, 0.0001);
  m.Record(Method::kHoldSeats, grpc::StatusCode::UNAVAILABLE, {CallOutcome::Kind::kError, 0}, 5.0);
  m.Record(Method::kGetSeatMap, grpc::StatusCode::OK, {CallOutcome::Kind::kOk, 0}, 0.0003);
  EXPECT_EQ(m.Count(Method::kHoldSeats), 5u);
  EXPECT_EQ(m.Count(Method::kGetSeatMap), 1u);
  EXPECT_EQ(m.Count(Method::kConfirmBooking), 0u);

  metrics::Exposition page;
  m.Export(page);
  const std::string text = page.Text();
  EXPECT_NE(text.find(R"(inventory_requests_total{method="HoldSeats",code="OK",outcome="success"} 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find(R"(inventory_requests_total{method="HoldSeats",code="OK",outcome="refused",reason="contention"} 2)"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find(
                R"(inventory_requests_total{method="HoldSeats",code="OK",outcome="refused",reason="not_available"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(inventory_requests_total{method="HoldSeats",code="UNAVAILABLE",outcome="error"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(inventory_requests_total{method="GetSeatMap",code="OK",outcome="ok"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(inventory_request_duration_seconds_count{method="HoldSeats"} 5)"), std::string::npos);
  EXPECT_NE(text.find(R"(inventory_request_duration_seconds_bucket{method="HoldSeats",le="0.0001"} 3)"),
            std::string::npos)
      << text;
  // Methods never called are not listed.
  EXPECT_EQ(text.find("ConfirmBooking"), std::string::npos);
}

TEST(RequestMetricsTest, OutOfRangeCodesAndReasonsAreStillCounted) {
  RequestMetrics m;
  m.Record(Method::kReleaseSeats, static_cast<grpc::StatusCode>(99), {CallOutcome::Kind::kError, 0}, 0.1);
  m.Record(Method::kReleaseSeats, grpc::StatusCode::OK, {CallOutcome::Kind::kRefused, 42}, 0.1);
  metrics::Exposition page;
  m.Export(page);
  const std::string text = page.Text();
  EXPECT_NE(text.find(R"(method="ReleaseSeats",code="UNKNOWN",outcome="error"} 1)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(method="ReleaseSeats",code="OK",outcome="refused",reason="unspecified"} 1)"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace inventory::api
