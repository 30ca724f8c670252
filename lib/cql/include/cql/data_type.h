// cql::DataType — the type of a column or bind marker as described by an
// [option] in result and prepared metadata (native_protocol_v4.spec §4.2.5.2).
//
// Collections, tuples and UDTs nest through `params`. Every type the server
// can describe is represented (so metadata always parses), but only some
// have value codecs (see value.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cql {

enum class TypeId : uint16_t {
  kCustom = 0x0000,
  kAscii = 0x0001,
  kBigint = 0x0002,
  kBlob = 0x0003,
  kBoolean = 0x0004,
  kCounter = 0x0005,
  kDecimal = 0x0006,
  kDouble = 0x0007,
  kFloat = 0x0008,
  kInt = 0x0009,
  kTimestamp = 0x000B,
  kUuid = 0x000C,
  kVarchar = 0x000D,
  kVarint = 0x000E,
  kTimeuuid = 0x000F,
  kInet = 0x0010,
  kDate = 0x0011,
  kTime = 0x0012,
  kSmallint = 0x0013,
  kTinyint = 0x0014,
  kList = 0x0020,
  kMap = 0x0021,
  kSet = 0x0022,
  kUdt = 0x0030,
  kTuple = 0x0031,
};

struct DataType {
  TypeId id = TypeId::kBlob;
  // kCustom: the Java class name. kUdt: "keyspace.type_name".
  std::string name;
  // kList/kSet: {element}; kMap: {key, value}; kTuple: components;
  // kUdt: field types (names in field_names).
  std::vector<DataType> params;
  std::vector<std::string> field_names;

  // CQL spelling, e.g. "map<text, int>".
  std::string ToString() const;

  friend bool operator==(const DataType&, const DataType&) = default;
};

}  // namespace cql
