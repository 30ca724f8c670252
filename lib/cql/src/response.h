// Whole response frames: the optional preamble (tracing id, warnings,
// custom payload; native_protocol_v4.spec §2.2, §4) and a typed decoder per
// response opcode (§4.2). Sans-I/O: the connection hands complete frames in.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "cql/result.h"
#include "frame_header.h"

namespace cql::internal {

struct Frame {
  FrameHeader header;
  std::string body;
};

// §4.2.2.
struct ReadyMessage {};
// §4.2.3: the authenticator class name.
struct AuthenticateMessage {
  std::string authenticator;
};
// §4.2.4.
struct SupportedMessage {
  std::multimap<std::string, std::string> options;
};
// §4.2.7 / §4.2.8: SASL token (null allowed).
struct AuthChallengeMessage {
  std::optional<std::string> token;
};
struct AuthSuccessMessage {
  std::optional<std::string> token;
};
// §4.2.6: an event pushed on stream -1 after REGISTER (§4.1.8). Fields
// that do not apply to the event's type are left empty / 0. An unknown
// type decodes to a message with only `type` set.
struct EventMessage {
  // "TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE", or another (unknown)
  // type.
  std::string type;
  // TOPOLOGY_CHANGE: "NEW_NODE", "REMOVED_NODE" (or "MOVED_NODE", which
  // Cassandra sends too); STATUS_CHANGE: "UP", "DOWN"; SCHEMA_CHANGE:
  // "CREATED", "UPDATED", "DROPPED". Passed through as received.
  std::string change;
  // TOPOLOGY_CHANGE / STATUS_CHANGE: the node's [inet] as text ("10.0.0.1",
  // "2001:db8::1" without brackets) and its port (the CQL port, as sent).
  std::string address;
  int32_t port = 0;
  // SCHEMA_CHANGE: "KEYSPACE", "TABLE", "TYPE", "FUNCTION" or "AGGREGATE";
  // the keyspace; the table/type/function/aggregate name (empty for
  // KEYSPACE; the argument types of a FUNCTION/AGGREGATE are not kept). An
  // unknown target keeps target and keyspace only.
  std::string target;
  std::string keyspace;
  std::string name;
};

using ResponseMessage = std::variant<ReadyMessage, AuthenticateMessage, SupportedMessage, AuthChallengeMessage,
                                     AuthSuccessMessage, EventMessage, std::unique_ptr<Result>>;

// Reads the preamble selected by the header flags and returns the offset of
// the message proper. Warnings are appended to *warnings if non-null.
// A compressed frame is an error (compression is never negotiated).
absl::StatusOr<size_t> ReadResponsePreamble(const FrameHeader& header, std::string_view body,
                                            std::vector<std::string>* warnings);

// Decodes a response frame. An ERROR frame yields its server error as a
// non-OK Status (see cql/error.h); malformed frames and request opcodes give
// INTERNAL. Never throws or crashes on any input.
absl::StatusOr<ResponseMessage> DecodeResponse(Frame frame);

// The body of an EVENT message (§4.2.6) after the preamble. INTERNAL for a
// truncated body or an [inet] that is not 4 or 16 bytes; an unknown event
// type is not an error (only `type` is set).
absl::StatusOr<EventMessage> DecodeEventBody(std::string_view body);

// Convenience for RESULT-expecting requests: a Result, the server error, or
// INTERNAL for any other opcode.
absl::StatusOr<Result> DecodeResultResponse(Frame frame);

}  // namespace cql::internal
