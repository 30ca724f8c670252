#include "cql/data_type.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cql {

std::string DataType::ToString() const {
  switch (id) {
    case TypeId::kCustom: return absl::StrCat("'", name, "'");
    case TypeId::kAscii: return "ascii";
    case TypeId::kBigint: return "bigint";
    case TypeId::kBlob: return "blob";
    case TypeId::kBoolean: return "boolean";
    case TypeId::kCounter: return "counter";
    case TypeId::kDecimal: return "decimal";
    case TypeId::kDouble: return "double";
    case TypeId::kFloat: return "float";
    case TypeId::kInt: return "int";
    case TypeId::kTimestamp: return "timestamp";
    case TypeId::kUuid: return "uuid";
    case TypeId::kVarchar: return "text";
    case TypeId::kVarint: return "varint";
    case TypeId::kTimeuuid: return "timeuuid";
    case TypeId::kInet: return "inet";
    case TypeId::kDate: return "date";
    case TypeId::kTime: return "time";
    case TypeId::kSmallint: return "smallint";
    case TypeId::kTinyint: return "tinyint";
    case TypeId::kList:
    case TypeId::kSet:
    case TypeId::kMap:
    case TypeId::kTuple: {
      const char* prefix = id == TypeId::kList ? "list<" : id == TypeId::kSet ? "set<" : id == TypeId::kMap ? "map<" : "tuple<";
      return absl::StrCat(prefix,
                          absl::StrJoin(params, ", ", [](std::string* out, const DataType& t) { out->append(t.ToString()); }),
                          ">");
    }
    case TypeId::kUdt: return name;
  }
  return absl::StrCat("type(0x", absl::Hex(static_cast<uint16_t>(id)), ")");
}

}  // namespace cql
