// cql::Value — a CQL value to bind to a statement, or decoded from a row.
//
// Values are always sent as bound [value]s (native_protocol_v4.spec §4.1.4),
// never spliced into query text. Supported kinds and their wire formats
// (§6): text/varchar/ascii, int, bigint/counter, boolean, timestamp,
// uuid/timeuuid, blob, inet, list/set/map of those, plus null and unset.
//
// When the statement's bind metadata is known (prepared statements), values
// are checked against the column types before sending and integers are
// widened or range-checked (an int32 bound to a bigint column is sent as 8
// bytes). For unprepared QUERY the natural encoding of the kind is used.
//
// Value is a regular copyable/movable type; not thread-safe for concurrent
// mutation like any standard container.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cql/uuid.h"

namespace cql {

// CQL `timestamp`: milliseconds since the Unix epoch.
using Timestamp = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

class Value {
 public:
  enum class Kind : uint8_t {
    kNull,
    kUnset,  // "not set": leaves the column unchanged (§3 [value] n == -2)
    kText,
    kInt,
    kBigint,
    kBoolean,
    kTimestamp,
    kUuid,
    kBlob,
    kInet,  // an IPv4 (4 bytes) or IPv6 (16 bytes) address
    kList,
    kSet,
    kMap,
  };

  // A null value.
  Value() = default;
  // Implicit conversions for the common kinds.
  Value(std::string s) : kind_(Kind::kText), text_(std::move(s)) {}
  Value(std::string_view s) : kind_(Kind::kText), text_(s) {}
  Value(const char* s) : kind_(Kind::kText), text_(s) {}
  Value(int32_t v) : kind_(Kind::kInt), int_(v) {}
  Value(int64_t v) : kind_(Kind::kBigint), int_(v) {}
  Value(bool v) : kind_(Kind::kBoolean), int_(v ? 1 : 0) {}
  Value(Timestamp t) : kind_(Kind::kTimestamp), int_(t.time_since_epoch().count()) {}
  Value(const Uuid& u) : kind_(Kind::kUuid), uuid_(u) {}

  static Value Null() { return Value(); }
  static Value Unset() {
    Value v;
    v.kind_ = Kind::kUnset;
    return v;
  }
  static Value Text(std::string s) { return Value(std::move(s)); }
  static Value Int(int32_t v) { return Value(v); }
  static Value Bigint(int64_t v) { return Value(v); }
  static Value Boolean(bool v) { return Value(v); }
  static Value TimestampMillis(int64_t ms) { return Value(Timestamp(std::chrono::milliseconds(ms))); }
  static Value FromUuid(const Uuid& u) { return Value(u); }
  static Value Blob(std::string bytes) {
    Value v(std::move(bytes));
    v.kind_ = Kind::kBlob;
    return v;
  }
  // REQUIRES: 4 or 16 address bytes (network order).
  static Value Inet(std::string address_bytes) {
    Value v(std::move(address_bytes));
    v.kind_ = Kind::kInet;
    return v;
  }
  static Value List(std::vector<Value> elements) { return Collection(Kind::kList, std::move(elements)); }
  static Value Set(std::vector<Value> elements) { return Collection(Kind::kSet, std::move(elements)); }
  // Map entries in order; keys are not de-duplicated client-side.
  static Value Map(std::vector<std::pair<Value, Value>> entries);

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_unset() const { return kind_ == Kind::kUnset; }

  // Accessors. REQUIRES: kind() matches (kText/kBlob/kInet for text(); kInt,
  // kBigint, kBoolean or kTimestamp for the integer ones).
  const std::string& text() const { return text_; }
  int32_t int_value() const { return static_cast<int32_t>(int_); }
  int64_t bigint_value() const { return int_; }
  bool bool_value() const { return int_ != 0; }
  Timestamp timestamp_value() const { return Timestamp(std::chrono::milliseconds(int_)); }
  const Uuid& uuid() const { return uuid_; }
  // kInet: the address in text form ("10.0.0.1", "::1").
  std::string inet_string() const;
  // kList/kSet: the elements. kMap: keys and values alternate (k0, v0, k1, v1...).
  const std::vector<Value>& elements() const { return elements_; }
  size_t map_size() const { return elements_.size() / 2; }
  const Value& map_key(size_t i) const { return elements_[2 * i]; }
  const Value& map_value(size_t i) const { return elements_[2 * i + 1]; }

  // Human-readable rendering for logs and test failures.
  std::string DebugString() const;

  friend bool operator==(const Value& a, const Value& b);

 private:
  static Value Collection(Kind kind, std::vector<Value> elements) {
    Value v;
    v.kind_ = kind;
    v.elements_ = std::move(elements);
    return v;
  }

  Kind kind_ = Kind::kNull;
  int64_t int_ = 0;
  std::string text_;
  Uuid uuid_;
  std::vector<Value> elements_;
};

std::string_view ValueKindName(Value::Kind kind);

}  // namespace cql
