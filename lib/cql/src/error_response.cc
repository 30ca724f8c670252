#include "error_response.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "response_reader.h"

namespace cql::internal {

absl::StatusOr<ServerError> DecodeErrorBody(std::string_view body) {
  ResponseReader r(body);
  ServerError e;
  ASSIGN_OR_RETURN(int32_t code, r.ReadInt());
  e.code = static_cast<ErrorCode>(code);
  ASSIGN_OR_RETURN(std::string_view message, r.ReadString());
  e.message = std::string(message);
  switch (e.code) {
    case ErrorCode::kUnavailable: {
      ASSIGN_OR_RETURN(e.consistency, r.ReadConsistency());
      ASSIGN_OR_RETURN(e.required, r.ReadInt());
      ASSIGN_OR_RETURN(e.alive, r.ReadInt());
      break;
    }
    case ErrorCode::kWriteTimeout: {
      ASSIGN_OR_RETURN(e.consistency, r.ReadConsistency());
      ASSIGN_OR_RETURN(e.received, r.ReadInt());
      ASSIGN_OR_RETURN(e.block_for, r.ReadInt());
      ASSIGN_OR_RETURN(std::string_view wt, r.ReadString());
      e.write_type = std::string(wt);
      break;
    }
    case ErrorCode::kReadTimeout: {
      ASSIGN_OR_RETURN(e.consistency, r.ReadConsistency());
      ASSIGN_OR_RETURN(e.received, r.ReadInt());
      ASSIGN_OR_RETURN(e.block_for, r.ReadInt());
      ASSIGN_OR_RETURN(uint8_t dp, r.ReadByte());
      e.data_present = dp != 0;
      break;
    }
    case ErrorCode::kReadFailure: {
      ASSIGN_OR_RETURN(e.consistency, r.ReadConsistency());
      ASSIGN_OR_RETURN(e.received, r.ReadInt());
      ASSIGN_OR_RETURN(e.block_for, r.ReadInt());
      ASSIGN_OR_RETURN(e.num_failures, r.ReadInt());
      ASSIGN_OR_RETURN(uint8_t dp, r.ReadByte());
      e.data_present = dp != 0;
      break;
    }
    case ErrorCode::kWriteFailure: {
      ASSIGN_OR_RETURN(e.consistency, r.ReadConsistency());
      ASSIGN_OR_RETURN(e.received, r.ReadInt());
      ASSIGN_OR_RETURN(e.block_for, r.ReadInt());
      ASSIGN_OR_RETURN(e.num_failures, r.ReadInt());
      ASSIGN_OR_RETURN(std::string_view wt, r.ReadString());
      e.write_type = std::string(wt);
      break;
    }
    case ErrorCode::kFunctionFailure: {
      ASSIGN_OR_RETURN(std::string_view ks, r.ReadString());
      ASSIGN_OR_RETURN(std::string_view fn, r.ReadString());
      ASSIGN_OR_RETURN(e.arg_types, r.ReadStringList());
      e.keyspace = std::string(ks);
      e.function = std::string(fn);
      break;
    }
    case ErrorCode::kAlreadyExists: {
      ASSIGN_OR_RETURN(std::string_view ks, r.ReadString());
      ASSIGN_OR_RETURN(std::string_view table, r.ReadString());
      e.keyspace = std::string(ks);
      e.table = std::string(table);
      break;
    }
    case ErrorCode::kUnprepared: {
      ASSIGN_OR_RETURN(std::string_view id, r.ReadShortBytes());
      e.unprepared_id = std::string(id);
      break;
    }
    default:
      break;
  }
  return e;
}

void EncodeErrorBody(const ServerError& e, RequestWriter& w) {
  w.WriteInt(static_cast<int32_t>(e.code));
  w.WriteString(e.message);
  switch (e.code) {
    case ErrorCode::kUnavailable:
      w.WriteConsistency(e.consistency);
      w.WriteInt(e.required);
      w.WriteInt(e.alive);
      break;
    case ErrorCode::kWriteTimeout:
      w.WriteConsistency(e.consistency);
      w.WriteInt(e.received);
      w.WriteInt(e.block_for);
      w.WriteString(e.write_type);
      break;
    case ErrorCode::kReadTimeout:
      w.WriteConsistency(e.consistency);
      w.WriteInt(e.received);
      w.WriteInt(e.block_for);
      w.WriteByte(e.data_present ? 1 : 0);
      break;
    case ErrorCode::kReadFailure:
      w.WriteConsistency(e.consistency);
      w.WriteInt(e.received);
      w.WriteInt(e.block_for);
      w.WriteInt(e.num_failures);
      w.WriteByte(e.data_present ? 1 : 0);
      break;
    case ErrorCode::kWriteFailure:
      w.WriteConsistency(e.consistency);
      w.WriteInt(e.received);
      w.WriteInt(e.block_for);
      w.WriteInt(e.num_failures);
      w.WriteString(e.write_type);
      break;
    case ErrorCode::kFunctionFailure:
      w.WriteString(e.keyspace);
      w.WriteString(e.function);
      w.WriteStringList(e.arg_types);
      break;
    case ErrorCode::kAlreadyExists:
      w.WriteString(e.keyspace);
      w.WriteString(e.table);
      break;
    case ErrorCode::kUnprepared:
      w.WriteShortBytes(e.unprepared_id);
      break;
    default:
      break;
  }
}

absl::Status ErrorBodyToStatus(std::string_view body) {
  auto e = DecodeErrorBody(body);
  if (!e.ok()) return absl::InternalError(absl::StrCat("malformed ERROR response: ", e.status().message()));
  return ServerErrorToStatus(*e);
}

}  // namespace cql::internal
