#include "cql/value.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace cql {

Value Value::Map(std::vector<std::pair<Value, Value>> entries) {
  std::vector<Value> elems;
  elems.reserve(entries.size() * 2);
  for (auto& [k, v] : entries) {
    elems.push_back(std::move(k));
    elems.push_back(std::move(v));
  }
  return Collection(Kind::kMap, std::move(elems));
}

bool operator==(const Value& a, const Value& b) {
  if (a.kind_ != b.kind_) return false;
  switch (a.kind_) {
    case Value::Kind::kNull:
    case Value::Kind::kUnset:
      return true;
    case Value::Kind::kText:
    case Value::Kind::kBlob:
    case Value::Kind::kInet:
      return a.text_ == b.text_;
    case Value::Kind::kInt:
    case Value::Kind::kBigint:
    case Value::Kind::kBoolean:
    case Value::Kind::kTimestamp:
      return a.int_ == b.int_;
    case Value::Kind::kUuid:
      return a.uuid_ == b.uuid_;
    case Value::Kind::kList:
    case Value::Kind::kSet:
    case Value::Kind::kMap:
      return a.elements_ == b.elements_;
  }
  return false;
}

std::string Value::inet_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  const int family = text_.size() == 4 ? AF_INET : text_.size() == 16 ? AF_INET6 : -1;
  if (family < 0 || inet_ntop(family, text_.data(), buf, sizeof(buf)) == nullptr) {
    return absl::StrCat("inet(0x", absl::BytesToHexString(text_), ")");
  }
  return buf;
}

std::string Value::DebugString() const {
  switch (kind_) {
    case Kind::kNull: return "null";
    case Kind::kUnset: return "unset";
    case Kind::kText: return absl::StrCat("'", absl::CEscape(text_), "'");
    case Kind::kBlob: return absl::StrCat("0x", absl::BytesToHexString(text_));
    case Kind::kInet: return inet_string();
    case Kind::kInt:
    case Kind::kBigint: return absl::StrCat(int_);
    case Kind::kBoolean: return int_ ? "true" : "false";
    case Kind::kTimestamp: return absl::StrCat(int_, "ms");
    case Kind::kUuid: return uuid_.ToString();
    case Kind::kList:
    case Kind::kSet: {
      std::string out = kind_ == Kind::kList ? "[" : "{";
      for (size_t i = 0; i < elements_.size(); ++i) {
        if (i) out += ", ";
        out += elements_[i].DebugString();
      }
      out += kind_ == Kind::kList ? "]" : "}";
      return out;
    }
    case Kind::kMap: {
      std::string out = "{";
      for (size_t i = 0; i < map_size(); ++i) {
        if (i) out += ", ";
        absl::StrAppend(&out, map_key(i).DebugString(), ": ", map_value(i).DebugString());
      }
      return out + "}";
    }
  }
  return "?";
}

std::string_view ValueKindName(Value::Kind kind) {
  switch (kind) {
    case Value::Kind::kNull: return "null";
    case Value::Kind::kUnset: return "unset";
    case Value::Kind::kText: return "text";
    case Value::Kind::kInt: return "int";
    case Value::Kind::kBigint: return "bigint";
    case Value::Kind::kBoolean: return "boolean";
    case Value::Kind::kTimestamp: return "timestamp";
    case Value::Kind::kUuid: return "uuid";
    case Value::Kind::kBlob: return "blob";
    case Value::Kind::kInet: return "inet";
    case Value::Kind::kList: return "list";
    case Value::Kind::kSet: return "set";
    case Value::Kind::kMap: return "map";
  }
  return "unknown";
}

}  // namespace cql
