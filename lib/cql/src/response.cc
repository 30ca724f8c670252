#include "response.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "error_response.h"
#include "response_reader.h"
#include "result_response.h"

namespace cql::internal {
namespace {

// 4 or 16 raw bytes as dotted IPv4 or RFC 5952 IPv6 text.
std::string InetText(const std::string& raw) {
  char text[INET6_ADDRSTRLEN] = {};
  const int family = raw.size() == 4 ? AF_INET : AF_INET6;
  if (inet_ntop(family, raw.data(), text, sizeof(text)) == nullptr) return "";
  return text;
}

}  // namespace

absl::StatusOr<EventMessage> DecodeEventBody(std::string_view body) {
  ResponseReader r(body);
  EventMessage e;
  ASSIGN_OR_RETURN(std::string_view type, r.ReadString());
  e.type = std::string(type);
  if (type == "TOPOLOGY_CHANGE" || type == "STATUS_CHANGE") {
    ASSIGN_OR_RETURN(std::string_view change, r.ReadString());
    ASSIGN_OR_RETURN(Inet inet, r.ReadInet());
    e.change = std::string(change);
    e.address = InetText(inet.address);
    e.port = inet.port;
  } else if (type == "SCHEMA_CHANGE") {
    ASSIGN_OR_RETURN(std::string_view change, r.ReadString());
    ASSIGN_OR_RETURN(std::string_view target, r.ReadString());
    ASSIGN_OR_RETURN(std::string_view keyspace, r.ReadString());
    e.change = std::string(change);
    e.target = std::string(target);
    e.keyspace = std::string(keyspace);
    if (target == "TABLE" || target == "TYPE" || target == "FUNCTION" || target == "AGGREGATE") {
      ASSIGN_OR_RETURN(std::string_view name, r.ReadString());
      e.name = std::string(name);
    }
    if (target == "FUNCTION" || target == "AGGREGATE") {
      RETURN_IF_ERROR(r.ReadStringList().status());  // argument types: read, not kept
    }
  }
  return e;
}

absl::StatusOr<size_t> ReadResponsePreamble(const FrameHeader& header, std::string_view body,
                                            std::vector<std::string>* warnings) {
  if (header.flags & kFlagCompression) {
    return absl::InternalError("compressed frame received but compression was not negotiated");
  }
  if (static_cast<size_t>(header.length) != body.size()) {
    return absl::InternalError(
        absl::StrCat("frame length ", header.length, " does not match body size ", body.size()));
  }
  ResponseReader r(body);
  if (header.flags & kFlagTracing) {
    RETURN_IF_ERROR(r.ReadUuid().status());
  }
  if (header.flags & kFlagWarning) {
    ASSIGN_OR_RETURN(std::vector<std::string> w, r.ReadStringList());
    if (warnings != nullptr) {
      for (auto& s : w) warnings->push_back(std::move(s));
    }
  }
  if (header.flags & kFlagCustomPayload) {
    RETURN_IF_ERROR(r.ReadBytesMap().status());
  }
  return r.offset();
}

absl::StatusOr<ResponseMessage> DecodeResponse(Frame frame) {
  if (!frame.header.is_response()) return absl::InternalError("received a request frame from the server");
  std::vector<std::string> warnings;
  ASSIGN_OR_RETURN(size_t offset, ReadResponsePreamble(frame.header, frame.body, &warnings));
  ResponseReader r(std::string_view(frame.body).substr(offset));
  switch (frame.header.opcode) {
    case Opcode::kError:
      return ErrorBodyToStatus(r.data());
    case Opcode::kReady:
      return ReadyMessage{};
    case Opcode::kAuthenticate: {
      ASSIGN_OR_RETURN(std::string_view name, r.ReadString());
      return AuthenticateMessage{std::string(name)};
    }
    case Opcode::kSupported: {
      ASSIGN_OR_RETURN(auto options, r.ReadStringMultimap());
      return SupportedMessage{std::move(options)};
    }
    case Opcode::kAuthChallenge:
    case Opcode::kAuthSuccess: {
      ASSIGN_OR_RETURN(std::optional<std::string_view> token, r.ReadBytes());
      std::optional<std::string> t;
      if (token) t = std::string(*token);
      if (frame.header.opcode == Opcode::kAuthChallenge) return AuthChallengeMessage{std::move(t)};
      return AuthSuccessMessage{std::move(t)};
    }
    case Opcode::kEvent: {
      ASSIGN_OR_RETURN(EventMessage event, DecodeEventBody(r.data()));
      return event;
    }
    case Opcode::kResult: {
      ASSIGN_OR_RETURN(Result result, ResultBuilder::Decode(std::move(frame.body), offset, std::move(warnings)));
      return ResponseMessage(std::make_unique<Result>(std::move(result)));
    }
    default:
      return absl::InternalError(absl::StrCat("unexpected opcode 0x", absl::Hex(static_cast<int>(frame.header.opcode)),
                                              " in a response frame"));
  }
}

absl::StatusOr<Result> DecodeResultResponse(Frame frame) {
  const Opcode opcode = frame.header.opcode;
  if (!frame.header.is_response()) return absl::InternalError("received a request frame from the server");
  if (opcode != Opcode::kResult && opcode != Opcode::kError) {
    return absl::InternalError(
        absl::StrCat("expected a RESULT response, got opcode 0x", absl::Hex(static_cast<int>(opcode))));
  }
  std::vector<std::string> warnings;
  ASSIGN_OR_RETURN(size_t offset, ReadResponsePreamble(frame.header, frame.body, &warnings));
  if (opcode == Opcode::kError) return ErrorBodyToStatus(std::string_view(frame.body).substr(offset));
  return ResultBuilder::Decode(std::move(frame.body), offset, std::move(warnings));
}

}  // namespace cql::internal
