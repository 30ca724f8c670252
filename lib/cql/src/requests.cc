#include "requests.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace cql::internal {

absl::Status EncodeOptions(std::string* out) {
  RequestWriter w(out);
  const size_t f = w.BeginFrame(Opcode::kOptions, 0);
  w.EndFrame(f);
  return w.status();
}

absl::Status EncodeStartup(const std::vector<std::pair<std::string, std::string>>& options, std::string* out) {
  RequestWriter w(out);
  const size_t f = w.BeginFrame(Opcode::kStartup, 0);
  w.WriteStringMap(options);
  w.EndFrame(f);
  return w.status();
}

absl::Status EncodeAuthResponse(std::string_view token, std::string* out) {
  RequestWriter w(out);
  const size_t f = w.BeginFrame(Opcode::kAuthResponse, 0);
  w.WriteBytes(token);
  w.EndFrame(f);
  return w.status();
}

std::string PlainAuthToken(std::string_view username, std::string_view password) {
  std::string token;
  token.reserve(username.size() + password.size() + 2);
  token.push_back('\0');
  token.append(username);
  token.push_back('\0');
  token.append(password);
  return token;
}

absl::Status EncodeQuery(std::string_view query, const QueryParameters& params, std::string* out) {
  RequestWriter w(out);
  const size_t f = w.BeginFrame(Opcode::kQuery, 0);
  w.WriteLongString(query);
  RETURN_IF_ERROR(WriteQueryParameters(params, w));
  w.EndFrame(f);
  return w.status();
}

absl::Status EncodePrepare(std::string_view query, std::string* out) {
  RequestWriter w(out);
  const size_t f = w.BeginFrame(Opcode::kPrepare, 0);
  w.WriteLongString(query);
  w.EndFrame(f);
  return w.status();
}

absl::Status EncodeExecute(std::string_view id, const QueryParameters& params, std::string* out) {
  RequestWriter w(out);
  const size_t f = w.BeginFrame(Opcode::kExecute, 0);
  w.WriteShortBytes(id);
  RETURN_IF_ERROR(WriteQueryParameters(params, w));
  w.EndFrame(f);
  return w.status();
}

absl::Status EncodeBatch(const Batch& batch, Consistency consistency, std::optional<Consistency> serial_consistency,
                         std::optional<int64_t> default_timestamp, std::string* out) {
  if (batch.empty()) return absl::InvalidArgumentError("empty batch");
  if (batch.size() > 65535) return absl::InvalidArgumentError("batch has more than 65535 statements");
  if (serial_consistency && !IsSerial(*serial_consistency)) {
    return absl::InvalidArgumentError("serial consistency must be SERIAL or LOCAL_SERIAL");
  }
  if (default_timestamp && *default_timestamp < 0) {
    return absl::InvalidArgumentError("default timestamp must not be negative");
  }
  RequestWriter w(out);
  const size_t f = w.BeginFrame(Opcode::kBatch, 0);
  w.WriteByte(static_cast<uint8_t>(batch.type()));
  w.WriteShort(static_cast<uint16_t>(batch.size()));
  for (size_t i = 0; i < batch.size(); ++i) {
    const Batch::Statement& s = batch.statements()[i];
    absl::Status st;
    if (s.prepared.valid()) {
      w.WriteByte(1);
      w.WriteShortBytes(s.prepared.id());
      st = WriteBoundValues(s.values, &s.prepared.bind_columns(), w);
    } else {
      w.WriteByte(0);
      w.WriteLongString(s.query);
      st = WriteBoundValues(s.values, nullptr, w);
    }
    if (!st.ok()) return absl::Status(st.code(), absl::StrCat("batch statement ", i, ": ", st.message()));
  }
  w.WriteConsistency(consistency);
  uint8_t flags = 0;
  if (serial_consistency) flags |= kQueryFlagSerialConsistency;
  if (default_timestamp) flags |= kQueryFlagDefaultTimestamp;
  w.WriteByte(flags);
  if (serial_consistency) w.WriteConsistency(*serial_consistency);
  if (default_timestamp) w.WriteLong(*default_timestamp);
  w.EndFrame(f);
  return w.status();
}

absl::Status EncodeRegister(const std::vector<std::string>& event_types, std::string* out) {
  if (event_types.empty()) return absl::InvalidArgumentError("REGISTER needs at least one event type");
  RequestWriter w(out);
  const size_t f = w.BeginFrame(Opcode::kRegister, 0);
  w.WriteStringList(event_types);
  w.EndFrame(f);
  return w.status();
}

}  // namespace cql::internal
