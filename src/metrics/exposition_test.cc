#include "metrics/exposition.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace inventory::metrics {
namespace {

using ::testing::HasSubstr;

size_t CountOf(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

TEST(FormatValueTest, IntegersAreExactWithoutExponent) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(-0.0), "0");
  EXPECT_EQ(FormatValue(1), "1");
  EXPECT_EQ(FormatValue(-7), "-7");
  EXPECT_EQ(FormatValue(12345), "12345");
  EXPECT_EQ(FormatValue(1e6), "1000000");
  EXPECT_EQ(FormatValue(1e15), "1000000000000000");
  EXPECT_EQ(FormatValue(9007199254740991.0), "9007199254740991");
  EXPECT_EQ(FormatValue(9007199254740992.0), "9007199254740992");  // 2^53
  EXPECT_EQ(FormatValue(-9007199254740992.0), "-9007199254740992");
}

TEST(FormatValueTest, FractionsAndSpecials) {
  EXPECT_EQ(FormatValue(0.25), "0.25");
  EXPECT_EQ(FormatValue(0.1), "0.1");
  EXPECT_EQ(FormatValue(0.0001), "0.0001");
  EXPECT_EQ(FormatValue(0.00025), "0.00025");
  EXPECT_EQ(FormatValue(2.5), "2.5");
  EXPECT_EQ(FormatValue(-1.5), "-1.5");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
  // Whatever the notation, every finite value reads back exactly.
  for (double v : {1.0 / 3, 123456.789, 1e-9, 6.02e23, 4503599627370495.5, 1e300}) {
    EXPECT_EQ(std::stod(FormatValue(v)), v) << FormatValue(v);
  }
}

TEST(ExpositionTest, CounterAndGaugeLines) {
  Exposition page;
  page.Counter("requests_total", "Requests served.", {{"method", "Hold"}, {"code", "OK"}}, 12345);
  page.Gauge("temperature", "Current temperature.", {}, 21.5);
  EXPECT_EQ(page.Text(),
            "# HELP requests_total Requests served.\n"
            "# TYPE requests_total counter\n"
            "requests_total{method=\"Hold\",code=\"OK\"} 12345\n"
            "# HELP temperature Current temperature.\n"
            "# TYPE temperature gauge\n"
            "temperature 21.5\n");
}

TEST(ExpositionTest, GroupsInterleavedSamplesByNameInFirstAddedOrder) {
  Exposition page;
  page.Counter("b_total", "B.", {{"k", "1"}}, 1);
  page.Gauge("a", "A.", {{"k", "1"}}, 10);
  page.Counter("b_total", "B again (ignored).", {{"k", "2"}}, 2);
  page.Gauge("a", "A.", {{"k", "2"}}, 20);
  page.Counter("b_total", "B.", {{"k", "3"}}, 3);
  EXPECT_EQ(page.Text(),
            "# HELP b_total B.\n"
            "# TYPE b_total counter\n"
            "b_total{k=\"1\"} 1\n"
            "b_total{k=\"2\"} 2\n"
            "b_total{k=\"3\"} 3\n"
            "# HELP a A.\n"
            "# TYPE a gauge\n"
            "a{k=\"1\"} 10\n"
            "a{k=\"2\"} 20\n");
  const std::string text = page.Text();
  EXPECT_EQ(CountOf(text, "# HELP b_total"), 1u);
  EXPECT_EQ(CountOf(text, "# TYPE b_total"), 1u);
  EXPECT_EQ(CountOf(text, "# HELP a "), 1u);
  EXPECT_EQ(CountOf(text, "# TYPE a "), 1u);
}

TEST(ExpositionTest, EscapesLabelValuesAndHelp) {
  Exposition page;
  page.Gauge("g", "line one\nback\\slash \"quoted\"", {{"path", "C:\\dir \"x\"\nnext"}}, 1);
  EXPECT_EQ(page.Text(),
            "# HELP g line one\\nback\\\\slash \"quoted\"\n"
            "# TYPE g gauge\n"
            "g{path=\"C:\\\\dir \\\"x\\\"\\nnext\"} 1\n");
}

TEST(ExpositionTest, HistogramBucketsAreCumulative) {
  Histogram h({0.25, 1, 5});
  h.Observe(0.125);
  h.Observe(0.25);  // on the bound: bucket le="0.25"
  h.Observe(0.75);
  h.Observe(3);
  h.Observe(100);
  Exposition page;
  page.AddHistogram("rpc_seconds", "RPC latency.", {{"method", "Hold"}}, h);
  EXPECT_EQ(page.Text(),
            "# HELP rpc_seconds RPC latency.\n"
            "# TYPE rpc_seconds histogram\n"
            "rpc_seconds_bucket{method=\"Hold\",le=\"0.25\"} 2\n"
            "rpc_seconds_bucket{method=\"Hold\",le=\"1\"} 3\n"
            "rpc_seconds_bucket{method=\"Hold\",le=\"5\"} 4\n"
            "rpc_seconds_bucket{method=\"Hold\",le=\"+Inf\"} 5\n"
            "rpc_seconds_sum{method=\"Hold\"} 104.125\n"
            "rpc_seconds_count{method=\"Hold\"} 5\n");
}

TEST(ExpositionTest, HistogramSumAndCountCarryTheLabels) {
  Histogram h({1});
  h.Observe(0.5);
  Exposition page;
  page.AddHistogram("lat", "L.", {{"m", "a"}}, h);
  Histogram other({1});
  other.Observe(2);
  other.Observe(4);
  page.Gauge("unrelated", "U.", {}, 1);
  page.AddHistogram("lat", "L.", {{"m", "b"}}, other);
  const std::string text = page.Text();
  EXPECT_EQ(text,
            "# HELP lat L.\n"
            "# TYPE lat histogram\n"
            "lat_bucket{m=\"a\",le=\"1\"} 1\n"
            "lat_bucket{m=\"a\",le=\"+Inf\"} 1\n"
            "lat_sum{m=\"a\"} 0.5\n"
            "lat_count{m=\"a\"} 1\n"
            "lat_bucket{m=\"b\",le=\"1\"} 0\n"
            "lat_bucket{m=\"b\",le=\"+Inf\"} 2\n"
            "lat_sum{m=\"b\"} 6\n"
            "lat_count{m=\"b\"} 2\n"
            "# HELP unrelated U.\n"
            "# TYPE unrelated gauge\n"
            "unrelated 1\n");
}

TEST(ExpositionTest, HistogramWithoutLabelsAndLatencyBounds) {
  Histogram h(Histogram::LatencyBuckets());
  h.Observe(0.0001);
  Exposition page;
  page.AddHistogram("op_seconds", "Op.", {}, h);
  const std::string text = page.Text();
  EXPECT_THAT(text, HasSubstr("op_seconds_bucket{le=\"0.0001\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("op_seconds_bucket{le=\"0.00025\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("op_seconds_bucket{le=\"2.5\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("op_seconds_bucket{le=\"10\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("op_seconds_bucket{le=\"+Inf\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("op_seconds_sum 0.0001\n"));
  EXPECT_THAT(text, HasSubstr("op_seconds_count 1\n"));
  EXPECT_EQ(CountOf(text, "_bucket{"), 17u);
}

TEST(ExpositionTest, EmptyPageAndContentType) {
  EXPECT_EQ(Exposition().Text(), "");
  EXPECT_EQ(Exposition::kContentType, "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace
}  // namespace inventory::metrics
