// ERROR bodies (§9): every code decodes to a typed ServerError, maps to its
// canonical Status code, and survives the Status payload round trip.
#include "cql/error.h"

#include <gtest/gtest.h>

#include "error_response.h"
#include "frame_header.h"
#include "request_writer.h"
#include "response.h"

namespace cql {
namespace {

std::string Encode(const ServerError& e) {
  std::string body;
  internal::RequestWriter w(&body);
  internal::EncodeErrorBody(e, w);
  return body;
}

ServerError Make(ErrorCode code) {
  ServerError e;
  e.code = code;
  e.message = "msg for " + std::string(ErrorCodeName(code));
  switch (code) {
    case ErrorCode::kUnavailable:
      e.consistency = Consistency::kSerial;
      e.required = 3;
      e.alive = 1;
      break;
    case ErrorCode::kWriteTimeout:
      e.consistency = Consistency::kQuorum;
      e.received = 1;
      e.block_for = 2;
      e.write_type = "CAS";
      break;
    case ErrorCode::kReadTimeout:
      e.consistency = Consistency::kSerial;
      e.received = 0;
      e.block_for = 1;
      e.data_present = true;
      break;
    case ErrorCode::kReadFailure:
      e.consistency = Consistency::kOne;
      e.received = 0;
      e.block_for = 1;
      e.num_failures = 1;
      e.data_present = false;
      break;
    case ErrorCode::kWriteFailure:
      e.consistency = Consistency::kAll;
      e.received = 2;
      e.block_for = 3;
      e.num_failures = 1;
      e.write_type = "BATCH";
      break;
    case ErrorCode::kFunctionFailure:
      e.keyspace = "ks";
      e.function = "f";
      e.arg_types = {"int", "text"};
      break;
    case ErrorCode::kAlreadyExists:
      e.keyspace = "ks";
      e.table = "t";
      break;
    case ErrorCode::kUnprepared:
      e.unprepared_id = std::string("\x01\x02\xFF", 3);
      break;
    default:
      break;
  }
  return e;
}

struct Case {
  ErrorCode code;
  absl::StatusCode status;
};

TEST(ErrorTest, EveryCodeDecodesAndMaps) {
  const Case cases[] = {
      {ErrorCode::kServerError, absl::StatusCode::kInternal},
      {ErrorCode::kProtocolError, absl::StatusCode::kInternal},
      {ErrorCode::kBadCredentials, absl::StatusCode::kUnauthenticated},
      {ErrorCode::kUnavailable, absl::StatusCode::kUnavailable},
      {ErrorCode::kOverloaded, absl::StatusCode::kUnavailable},
      {ErrorCode::kIsBootstrapping, absl::StatusCode::kUnavailable},
      {ErrorCode::kTruncateError, absl::StatusCode::kUnavailable},
      {ErrorCode::kWriteTimeout, absl::StatusCode::kDeadlineExceeded},
      {ErrorCode::kReadTimeout, absl::StatusCode::kDeadlineExceeded},
      {ErrorCode::kReadFailure, absl::StatusCode::kUnavailable},
      {ErrorCode::kFunctionFailure, absl::StatusCode::kInvalidArgument},
      {ErrorCode::kWriteFailure, absl::StatusCode::kUnavailable},
      {ErrorCode::kSyntaxError, absl::StatusCode::kInvalidArgument},
      {ErrorCode::kUnauthorized, absl::StatusCode::kPermissionDenied},
      {ErrorCode::kInvalid, absl::StatusCode::kInvalidArgument},
      {ErrorCode::kConfigError, absl::StatusCode::kInvalidArgument},
      {ErrorCode::kAlreadyExists, absl::StatusCode::kAlreadyExists},
      {ErrorCode::kUnprepared, absl::StatusCode::kFailedPrecondition},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(ErrorCodeName(c.code)));
    const ServerError e = Make(c.code);
    const std::string body = Encode(e);
    auto decoded = internal::DecodeErrorBody(body);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->code, e.code);
    EXPECT_EQ(decoded->message, e.message);
    EXPECT_EQ(decoded->consistency, e.consistency);
    EXPECT_EQ(decoded->required, e.required);
    EXPECT_EQ(decoded->alive, e.alive);
    EXPECT_EQ(decoded->received, e.received);
    EXPECT_EQ(decoded->block_for, e.block_for);
    EXPECT_EQ(decoded->num_failures, e.num_failures);
    EXPECT_EQ(decoded->write_type, e.write_type);
    EXPECT_EQ(decoded->data_present, e.data_present);
    EXPECT_EQ(decoded->keyspace, e.keyspace);
    EXPECT_EQ(decoded->table, e.table);
    EXPECT_EQ(decoded->function, e.function);
    EXPECT_EQ(decoded->arg_types, e.arg_types);
    EXPECT_EQ(decoded->unprepared_id, e.unprepared_id);

    absl::Status status = internal::ErrorBodyToStatus(body);
    EXPECT_EQ(status.code(), c.status) << status;
    EXPECT_NE(status.message().find(e.message), absl::string_view::npos);
    auto back = ServerErrorOf(status);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->code, e.code);
    EXPECT_EQ(back->write_type, e.write_type);
    EXPECT_EQ(back->unprepared_id, e.unprepared_id);
    EXPECT_EQ(IsCasWriteTimeout(status), c.code == ErrorCode::kWriteTimeout);

    // Every strict prefix of the body is malformed (never crashes).
    for (size_t n = 0; n < body.size(); ++n) {
      if (n >= 6 + e.message.size() && (c.code == ErrorCode::kServerError || c.code == ErrorCode::kSyntaxError ||
                                        c.code == ErrorCode::kProtocolError || c.code == ErrorCode::kInvalid ||
                                        c.code == ErrorCode::kBadCredentials || c.code == ErrorCode::kOverloaded ||
                                        c.code == ErrorCode::kIsBootstrapping || c.code == ErrorCode::kTruncateError ||
                                        c.code == ErrorCode::kUnauthorized || c.code == ErrorCode::kConfigError)) {
        continue;
      }
      EXPECT_FALSE(internal::DecodeErrorBody(body.substr(0, n)).ok()) << n;
      EXPECT_EQ(internal::ErrorBodyToStatus(body.substr(0, n)).code(), absl::StatusCode::kInternal);
    }
  }
}

TEST(ErrorTest, NonCasWriteTimeoutIsNotCas) {
  ServerError e = Make(ErrorCode::kWriteTimeout);
  e.write_type = "SIMPLE";
  EXPECT_FALSE(IsCasWriteTimeout(ServerErrorToStatus(e)));
}

TEST(ErrorTest, UnknownCodeIsInternalButDecodes) {
  ServerError e;
  e.code = static_cast<ErrorCode>(0x7777);
  e.message = "future";
  absl::Status s = internal::ErrorBodyToStatus(Encode(e));
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  ASSERT_TRUE(ServerErrorOf(s));
  EXPECT_EQ(static_cast<int>(ServerErrorOf(s)->code), 0x7777);
}

TEST(ErrorTest, PlainStatusesHaveNoServerError) {
  EXPECT_FALSE(ServerErrorOf(absl::UnavailableError("x")));
  EXPECT_FALSE(ServerErrorOf(absl::OkStatus()));
  EXPECT_FALSE(IsCasWriteTimeout(absl::DeadlineExceededError("x")));
}

TEST(ErrorTest, ErrorFrameThroughResponseDecoder) {
  std::string body = Encode(Make(ErrorCode::kAlreadyExists));
  internal::Frame f{internal::FrameHeader{0x84, 0, 1, internal::Opcode::kError, static_cast<int32_t>(body.size())},
                    body};
  auto r = internal::DecodeResultResponse(f);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ServerErrorOf(r.status())->table, "t");
}

}  // namespace
}  // namespace cql
