// redis::Reply — one decoded RESP2 reply, as a self-contained value.
//
// A Reply owns all of its data (strings are copied out of the decoder's
// buffer; arrays own their elements), so it can be moved between threads and
// kept after the connection that produced it is gone. It is a plain value
// type: copyable, movable, comparable, no internal synchronisation (like
// std::string, concurrent const access is fine, concurrent mutation is not).
//
// The types follow the RESP2 specification ("Redis serialization protocol",
// section "RESP protocol description"): simple strings ("+OK"), errors
// ("-ERR ..."), integers (":1"), bulk strings ("$3\r\nfoo") and arrays
// ("*2\r\n..."), plus nil (the null bulk string "$-1" and null array "*-1").
//
// Server-side error replies (WRONGTYPE, NOSCRIPT, Lua script errors, ...) are
// Replies of type kError, not absl::Status values: see client.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace redis {

class Reply {
 public:
  enum class Type {
    kNil,           // "$-1" / "*-1": missing key, timed-out BLPOP, ...
    kInteger,       // ":<n>"
    kSimpleString,  // "+<text>", e.g. "OK", "PONG" (hiredis: "status")
    kError,         // "-<text>", e.g. "WRONGTYPE Operation against ..."
    kBulkString,    // "$<len>\r\n<bytes>": binary-safe
    kArray,         // "*<n>": nested replies
  };

  // A nil reply.
  Reply() = default;

  static Reply Nil() { return Reply(); }
  static Reply Integer(int64_t value);
  static Reply SimpleString(std::string text);
  static Reply Error(std::string message);
  static Reply BulkString(std::string bytes);
  static Reply Array(std::vector<Reply> elements);

  Type type() const { return type_; }
  bool is_nil() const { return type_ == Type::kNil; }
  bool is_integer() const { return type_ == Type::kInteger; }
  bool is_simple_string() const { return type_ == Type::kSimpleString; }
  bool is_error() const { return type_ == Type::kError; }
  bool is_bulk_string() const { return type_ == Type::kBulkString; }
  bool is_array() const { return type_ == Type::kArray; }
  // True for simple and bulk strings.
  bool is_string() const { return is_simple_string() || is_bulk_string(); }

  // The integer value; 0 unless is_integer().
  int64_t integer() const { return integer_; }
  // The payload of a simple string, error or bulk string; empty otherwise.
  const std::string& str() const { return str_; }
  // The elements of an array; empty otherwise.
  const std::vector<Reply>& elements() const { return elements_; }
  std::vector<Reply>& mutable_elements() { return elements_; }
  size_t size() const { return elements_.size(); }
  // REQUIRES: is_array() && i < size().
  const Reply& operator[](size_t i) const { return elements_[i]; }

  // For errors: the first word of the message, which Redis uses as an error
  // code ("ERR", "WRONGTYPE", "NOSCRIPT", "NOAUTH", ...). Empty otherwise.
  std::string_view error_code() const;

  // Checked conversions. Each fails with FAILED_PRECONDITION (message names
  // the actual type, or the server error text) when the reply does not hold
  // that kind of value.
  //
  // AsInteger: an integer reply, or a string reply that holds a decimal
  // int64 (GET of a counter returns a bulk string).
  absl::StatusOr<int64_t> AsInteger() const;
  // AsString: a simple or bulk string.
  absl::StatusOr<std::string> AsString() const;

  // A short human-readable rendering for logs and test failures, e.g.
  // `["OK", 3, nil, (error) ERR x]`. Long strings are truncated.
  std::string DebugString() const;

  friend bool operator==(const Reply& a, const Reply& b);

 private:
  Type type_ = Type::kNil;
  int64_t integer_ = 0;
  std::string str_;
  std::vector<Reply> elements_;
};

// Name of a reply type, e.g. "bulk string".
std::string_view ReplyTypeName(Reply::Type type);

}  // namespace redis
