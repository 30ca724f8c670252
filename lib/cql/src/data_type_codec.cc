#include "data_type_codec.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl_compat.h"
#include "common/status_macros.h"

namespace cql::internal {
namespace {

bool IsNativeTypeId(uint16_t id) {
  return (id >= 0x0001 && id <= 0x0014 && id != 0x000A);
}

absl::StatusOr<DataType> ReadDataTypeAt(ResponseReader& reader, int depth) {
  if (depth > kMaxTypeDepth) {
    return absl::InternalError(absl::StrCat("type nesting deeper than ", kMaxTypeDepth));
  }
  ASSIGN_OR_RETURN(uint16_t id, reader.ReadShort());
  DataType type;
  type.id = static_cast<TypeId>(id);
  if (IsNativeTypeId(id)) return type;
  switch (type.id) {
    case TypeId::kCustom: {
      ASSIGN_OR_RETURN(std::string_view name, reader.ReadString());
      type.name = std::string(name);
      return type;
    }
    case TypeId::kList:
    case TypeId::kSet: {
      ASSIGN_OR_RETURN(DataType element, ReadDataTypeAt(reader, depth + 1));
      type.params.push_back(std::move(element));
      return type;
    }
    case TypeId::kMap: {
      ASSIGN_OR_RETURN(DataType key, ReadDataTypeAt(reader, depth + 1));
      ASSIGN_OR_RETURN(DataType value, ReadDataTypeAt(reader, depth + 1));
      type.params.push_back(std::move(key));
      type.params.push_back(std::move(value));
      return type;
    }
    case TypeId::kUdt: {
      ASSIGN_OR_RETURN(std::string_view ks, reader.ReadString());
      ASSIGN_OR_RETURN(std::string_view name, reader.ReadString());
      type.name = absl::StrCat(Sv(ks), ".", Sv(name));
      ASSIGN_OR_RETURN(uint16_t n, reader.ReadShort());
      for (uint16_t i = 0; i < n; ++i) {
        ASSIGN_OR_RETURN(std::string_view field, reader.ReadString());
        ASSIGN_OR_RETURN(DataType ft, ReadDataTypeAt(reader, depth + 1));
        type.field_names.emplace_back(field);
        type.params.push_back(std::move(ft));
      }
      return type;
    }
    case TypeId::kTuple: {
      ASSIGN_OR_RETURN(uint16_t n, reader.ReadShort());
      for (uint16_t i = 0; i < n; ++i) {
        ASSIGN_OR_RETURN(DataType ct, ReadDataTypeAt(reader, depth + 1));
        type.params.push_back(std::move(ct));
      }
      return type;
    }
    default:
      return absl::InternalError(absl::StrCat("unknown type id 0x", absl::Hex(id)));
  }
}

}  // namespace

absl::StatusOr<DataType> ReadDataType(ResponseReader& reader) { return ReadDataTypeAt(reader, 0); }

void WriteDataType(const DataType& type, RequestWriter& writer) {
  writer.WriteShort(static_cast<uint16_t>(type.id));
  switch (type.id) {
    case TypeId::kCustom:
      writer.WriteString(type.name);
      break;
    case TypeId::kList:
    case TypeId::kSet:
    case TypeId::kMap:
      for (const auto& p : type.params) WriteDataType(p, writer);
      break;
    case TypeId::kUdt: {
      const size_t dot = type.name.find('.');
      writer.WriteString(dot == std::string::npos ? std::string_view() : std::string_view(type.name).substr(0, dot));
      writer.WriteString(dot == std::string::npos ? std::string_view(type.name)
                                                  : std::string_view(type.name).substr(dot + 1));
      writer.WriteShort(static_cast<uint16_t>(type.params.size()));
      for (size_t i = 0; i < type.params.size(); ++i) {
        writer.WriteString(i < type.field_names.size() ? type.field_names[i] : std::string());
        WriteDataType(type.params[i], writer);
      }
      break;
    }
    case TypeId::kTuple:
      writer.WriteShort(static_cast<uint16_t>(type.params.size()));
      for (const auto& p : type.params) WriteDataType(p, writer);
      break;
    default:
      break;
  }
}

}  // namespace cql::internal
