#include "redis/reply.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace redis {
namespace {

constexpr size_t kDebugStringMaxBytes = 64;

void AppendDebug(const Reply& r, std::string* out) {
  switch (r.type()) {
    case Reply::Type::kNil:
      out->append("nil");
      return;
    case Reply::Type::kInteger:
      absl::StrAppend(out, r.integer());
      return;
    case Reply::Type::kError:
      out->append("(error) ");
      break;
    case Reply::Type::kSimpleString:
      out->append("+");
      break;
    case Reply::Type::kBulkString:
      break;
    case Reply::Type::kArray: {
      out->append("[");
      for (size_t i = 0; i < r.size(); ++i) {
        if (i > 0) out->append(", ");
        AppendDebug(r[i], out);
      }
      out->append("]");
      return;
    }
  }
  const std::string& s = r.str();
  out->append("\"");
  for (size_t i = 0; i < s.size() && i < kDebugStringMaxBytes; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out->push_back(static_cast<char>(c));
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out->append("\\x");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 0xf]);
    }
  }
  if (s.size() > kDebugStringMaxBytes) {
    absl::StrAppend(out, "...(", s.size(), " bytes)");
  }
  out->append("\"");
}

absl::Status WrongType(const Reply& r, std::string_view wanted) {
  if (r.is_error()) {
    return absl::FailedPreconditionError(
        absl::StrCat("redis error reply: ", r.str()));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "redis reply is ", std::string(ReplyTypeName(r.type())), ", not ",
      std::string(wanted)));
}

}  // namespace

Reply Reply::Integer(int64_t value) {
  Reply r;
  r.type_ = Type::kInteger;
  r.integer_ = value;
  return r;
}

Reply Reply::SimpleString(std::string text) {
  Reply r;
  r.type_ = Type::kSimpleString;
  r.str_ = std::move(text);
  return r;
}

Reply Reply::Error(std::string message) {
  Reply r;
  r.type_ = Type::kError;
  r.str_ = std::move(message);
  return r;
}

Reply Reply::BulkString(std::string bytes) {
  Reply r;
  r.type_ = Type::kBulkString;
  r.str_ = std::move(bytes);
  return r;
}

Reply Reply::Array(std::vector<Reply> elements) {
  Reply r;
  r.type_ = Type::kArray;
  r.elements_ = std::move(elements);
  return r;
}

std::string_view Reply::error_code() const {
  if (!is_error()) return {};
  std::string_view s = str_;
  return s.substr(0, s.find(' '));
}

absl::StatusOr<int64_t> Reply::AsInteger() const {
  if (is_integer()) return integer_;
  if (is_string()) {
    int64_t v = 0;
    if (absl::SimpleAtoi(str_, &v)) return v;
    return absl::FailedPreconditionError(
        absl::StrCat("redis reply is not an integer: ", DebugString()));
  }
  return WrongType(*this, "an integer");
}

absl::StatusOr<std::string> Reply::AsString() const {
  if (is_string()) return str_;
  return WrongType(*this, "a string");
}

std::string Reply::DebugString() const {
  std::string out;
  AppendDebug(*this, &out);
  return out;
}

bool operator==(const Reply& a, const Reply& b) {
  return a.type_ == b.type_ && a.integer_ == b.integer_ && a.str_ == b.str_ &&
         a.elements_ == b.elements_;
}

std::string_view ReplyTypeName(Reply::Type type) {
  switch (type) {
    case Reply::Type::kNil:
      return "nil";
    case Reply::Type::kInteger:
      return "integer";
    case Reply::Type::kSimpleString:
      return "simple string";
    case Reply::Type::kError:
      return "error";
    case Reply::Type::kBulkString:
      return "bulk string";
    case Reply::Type::kArray:
      return "array";
  }
  return "unknown";
}

}  // namespace redis
