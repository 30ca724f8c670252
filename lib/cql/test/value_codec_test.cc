#include "value_codec.h"

#include <string>

#include <gtest/gtest.h>

#include "response_reader.h"

namespace cql::internal {
namespace {

DataType T(TypeId id) { return DataType{id, "", {}, {}}; }
DataType List(DataType e) { return DataType{TypeId::kList, "", {std::move(e)}, {}}; }
DataType SetOf(DataType e) { return DataType{TypeId::kSet, "", {std::move(e)}, {}}; }
DataType MapOf(DataType k, DataType v) { return DataType{TypeId::kMap, "", {std::move(k), std::move(v)}, {}}; }

// Encodes with the type hint, reads the [value] back and decodes it.
absl::StatusOr<Value> RoundTrip(const Value& v, const DataType& type) {
  std::string out;
  RequestWriter w(&out);
  absl::Status s = WriteValue(v, &type, w);
  if (!s.ok()) return s;
  ResponseReader r(out);
  auto bytes = r.ReadBytes();
  if (!bytes.ok()) return bytes.status();
  if (!r.empty()) return absl::InternalError("trailing bytes");
  return DecodeValue(type, *bytes);
}

void ExpectRoundTrip(const Value& v, const DataType& type) {
  auto back = RoundTrip(v, type);
  ASSERT_TRUE(back.ok()) << type.ToString() << ": " << back.status();
  EXPECT_EQ(*back, v) << type.ToString() << ": " << back->DebugString() << " vs " << v.DebugString();
}

TEST(ValueCodecTest, ScalarsRoundTrip) {
  ExpectRoundTrip(Value("hello"), T(TypeId::kVarchar));
  ExpectRoundTrip(Value(""), T(TypeId::kVarchar));
  ExpectRoundTrip(Value("ascii"), T(TypeId::kAscii));
  ExpectRoundTrip(Value(std::string("with\0nul", 8)), T(TypeId::kVarchar));
  for (int32_t v : {0, 1, -1, INT32_MIN, INT32_MAX}) ExpectRoundTrip(Value(v), T(TypeId::kInt));
  for (int64_t v : {int64_t{0}, int64_t{-1}, INT64_MIN, INT64_MAX}) ExpectRoundTrip(Value(v), T(TypeId::kBigint));
  ExpectRoundTrip(Value(int64_t{42}), T(TypeId::kCounter));
  ExpectRoundTrip(Value(true), T(TypeId::kBoolean));
  ExpectRoundTrip(Value(false), T(TypeId::kBoolean));
  ExpectRoundTrip(Value::TimestampMillis(1718000000123), T(TypeId::kTimestamp));
  ExpectRoundTrip(Value::TimestampMillis(-5), T(TypeId::kTimestamp));
  ExpectRoundTrip(Value(Uuid::Random()), T(TypeId::kUuid));
  ExpectRoundTrip(Value(Uuid::TimeBased()), T(TypeId::kTimeuuid));
  ExpectRoundTrip(Value::Blob(std::string("\xFF\x00\x01", 3)), T(TypeId::kBlob));
}

TEST(ValueCodecTest, NullAndUnset) {
  for (TypeId id : {TypeId::kInt, TypeId::kVarchar, TypeId::kUuid}) ExpectRoundTrip(Value::Null(), T(id));
  std::string out;
  RequestWriter w(&out);
  ASSERT_TRUE(WriteValue(Value::Unset(), nullptr, w).ok());
  EXPECT_EQ(out, std::string("\xFF\xFF\xFF\xFE", 4));
  out.clear();
  ASSERT_TRUE(WriteValue(Value::Null(), nullptr, w).ok());
  EXPECT_EQ(out, std::string("\xFF\xFF\xFF\xFF", 4));
}

TEST(ValueCodecTest, CollectionsRoundTrip) {
  ExpectRoundTrip(Value::List({Value("a"), Value("b"), Value("")}), List(T(TypeId::kVarchar)));
  ExpectRoundTrip(Value::List({}), List(T(TypeId::kInt)));
  ExpectRoundTrip(Value::Set({Value(1), Value(2), Value(3)}), SetOf(T(TypeId::kInt)));
  ExpectRoundTrip(Value::Set({Value(Uuid::Random())}), SetOf(T(TypeId::kUuid)));
  ExpectRoundTrip(Value::Map({{Value("k1"), Value(int64_t{1})}, {Value("k2"), Value(int64_t{-2})}}),
                  MapOf(T(TypeId::kVarchar), T(TypeId::kBigint)));
  ExpectRoundTrip(Value::Map({{Value(Uuid::TimeBased()), Value(true)}}), MapOf(T(TypeId::kTimeuuid), T(TypeId::kBoolean)));
  ExpectRoundTrip(Value::Map({{Value(1), Value::List({Value("x")})}}),
                  MapOf(T(TypeId::kInt), List(T(TypeId::kVarchar))));
  ExpectRoundTrip(Value::List({Value::TimestampMillis(1), Value::TimestampMillis(2)}), List(T(TypeId::kTimestamp)));
}

TEST(ValueCodecTest, IntegersAdaptToColumnWidth) {
  // int32 bound to bigint is widened to 8 bytes.
  auto back = RoundTrip(Value(7), T(TypeId::kBigint));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, Value(int64_t{7}));
  // int64 bound to int is range-checked.
  back = RoundTrip(Value(int64_t{7}), T(TypeId::kInt));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, Value(7));
  EXPECT_EQ(RoundTrip(Value(int64_t{1} << 40), T(TypeId::kInt)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RoundTrip(Value(70000), T(TypeId::kSmallint)).status().code(), absl::StatusCode::kInvalidArgument);
  back = RoundTrip(Value(-7), T(TypeId::kTinyint));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, Value(-7));
}

TEST(ValueCodecTest, TypeMismatchIsInvalidArgument) {
  EXPECT_EQ(RoundTrip(Value("x"), T(TypeId::kInt)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RoundTrip(Value(1), T(TypeId::kVarchar)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RoundTrip(Value(true), T(TypeId::kUuid)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RoundTrip(Value::List({Value(1)}), List(T(TypeId::kVarchar))).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RoundTrip(Value::List({Value::Null()}), List(T(TypeId::kInt))).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RoundTrip(Value::Map({}), List(T(TypeId::kInt))).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ValueCodecTest, NaturalEncodingWithoutType) {
  std::string out;
  RequestWriter w(&out);
  ASSERT_TRUE(WriteValue(Value(5), nullptr, w).ok());
  EXPECT_EQ(out, std::string("\0\0\0\x04\0\0\0\x05", 8));
  out.clear();
  ASSERT_TRUE(WriteValue(Value(int64_t{5}), nullptr, w).ok());
  EXPECT_EQ(out.size(), 12u);
}

TEST(ValueCodecTest, MalformedCellsFail) {
  EXPECT_FALSE(DecodeValue(T(TypeId::kInt), std::string_view("abc")).ok());
  EXPECT_FALSE(DecodeValue(T(TypeId::kBigint), std::string_view("abcd")).ok());
  EXPECT_FALSE(DecodeValue(T(TypeId::kBoolean), std::string_view("")).ok());
  EXPECT_FALSE(DecodeValue(T(TypeId::kUuid), std::string_view("0123456789abcde")).ok());
  // List claiming 1000 elements in 4 bytes.
  EXPECT_FALSE(DecodeValue(List(T(TypeId::kInt)), std::string_view("\0\0\x03\xE8", 4)).ok());
  // Negative count.
  EXPECT_FALSE(DecodeValue(List(T(TypeId::kInt)), std::string_view("\xFF\xFF\xFF\xFF", 4)).ok());
  // Element truncated.
  EXPECT_FALSE(DecodeValue(List(T(TypeId::kInt)), std::string_view("\0\0\0\x01\0\0\0\x04\0\0", 10)).ok());
  // Trailing garbage.
  EXPECT_FALSE(DecodeValue(List(T(TypeId::kInt)), std::string_view("\0\0\0\0\x01", 5)).ok());
  // Malformed type (list without element type).
  EXPECT_FALSE(DecodeValue(DataType{TypeId::kList, "", {}, {}}, std::string_view("\0\0\0\0", 4)).ok());
  // Unsupported types report UNIMPLEMENTED.
  EXPECT_EQ(DecodeValue(T(TypeId::kDouble), std::string_view("12345678")).status().code(),
            absl::StatusCode::kUnimplemented);
}

TEST(ValueCodecTest, TooDeepNestingFails) {
  Value v = Value(1);
  DataType t = T(TypeId::kInt);
  for (int i = 0; i < kMaxValueDepth + 2; ++i) {
    v = Value::List({v});
    t = List(t);
  }
  std::string out;
  RequestWriter w(&out);
  EXPECT_FALSE(WriteValue(v, &t, w).ok());
  EXPECT_FALSE(WriteValue(v, nullptr, w).ok());
}

}  // namespace
}  // namespace cql::internal
