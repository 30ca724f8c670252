// Request encoders (§4.1): the frames parse back field by field. Also the
// REGISTER/EVENT pair (§4.1.8, §4.2.6): REGISTER byte for byte, and EVENT
// bodies of every kind through the response decoder.
#include "requests.h"

#include <functional>
#include <string>
#include <variant>

#include <gtest/gtest.h>

#include "request_writer.h"
#include "response.h"
#include "response_reader.h"

namespace cql::internal {
namespace {

// Checks the request header and returns a reader over the body.
ResponseReader Body(const std::string& frame, Opcode opcode) {
  auto h = DecodeFrameHeader(frame);
  EXPECT_TRUE(h.ok());
  EXPECT_EQ(h->version, 0x04);
  EXPECT_EQ(h->opcode, opcode);
  EXPECT_EQ(static_cast<size_t>(h->length), frame.size() - kFrameHeaderSize);
  return ResponseReader(std::string_view(frame).substr(kFrameHeaderSize));
}

TEST(RequestsTest, StartupOptionsAuth) {
  std::string f;
  ASSERT_TRUE(EncodeStartup({{"CQL_VERSION", "3.0.0"}}, &f).ok());
  auto r = Body(f, Opcode::kStartup);
  auto m = r.ReadStringMap();
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)[0], (std::pair<std::string, std::string>{"CQL_VERSION", "3.0.0"}));

  f.clear();
  ASSERT_TRUE(EncodeOptions(&f).ok());
  EXPECT_TRUE(Body(f, Opcode::kOptions).empty());

  f.clear();
  ASSERT_TRUE(EncodeAuthResponse(PlainAuthToken("u", "p"), &f).ok());
  r = Body(f, Opcode::kAuthResponse);
  EXPECT_EQ(**r.ReadBytes(), std::string_view("\0u\0p", 4));
}

TEST(RequestsTest, QueryWithAllParameters) {
  std::vector<Value> values{Value("a"), Value(1), Value::Null(), Value::Unset()};
  QueryParameters p;
  p.consistency = Consistency::kQuorum;
  p.values = &values;
  p.page_size = 100;
  p.paging_state = "PS";
  p.serial_consistency = Consistency::kLocalSerial;
  p.default_timestamp = 123456;
  std::string f;
  ASSERT_TRUE(EncodeQuery("SELECT ?", p, &f).ok());
  auto r = Body(f, Opcode::kQuery);
  EXPECT_EQ(*r.ReadLongString(), "SELECT ?");
  EXPECT_EQ(*r.ReadConsistency(), Consistency::kQuorum);
  EXPECT_EQ(*r.ReadByte(), 0x01 | 0x04 | 0x08 | 0x10 | 0x20);  // never 0x02 (skip metadata)
  EXPECT_EQ(*r.ReadShort(), 4);
  EXPECT_EQ(**r.ReadBytes(), "a");
  EXPECT_EQ(r.ReadBytes()->value().size(), 4u);
  EXPECT_EQ(*r.ReadInt(), -1);
  EXPECT_EQ(*r.ReadInt(), -2);
  EXPECT_EQ(*r.ReadInt(), 100);
  EXPECT_EQ(**r.ReadBytes(), "PS");
  EXPECT_EQ(*r.ReadConsistency(), Consistency::kLocalSerial);
  EXPECT_EQ(*r.ReadLong(), 123456);
  EXPECT_TRUE(r.empty());
}

TEST(RequestsTest, QueryRejectsBadSerialConsistency) {
  QueryParameters p;
  p.serial_consistency = Consistency::kQuorum;
  std::string f;
  EXPECT_EQ(EncodeQuery("x", p, &f).code(), absl::StatusCode::kInvalidArgument);
}

TEST(RequestsTest, ExecuteChecksBindMetadata) {
  std::vector<ColumnSpec> cols{{"ks", "t", "id", DataType{TypeId::kBigint, "", {}, {}}},
                               {"ks", "t", "name", DataType{TypeId::kVarchar, "", {}, {}}}};
  std::vector<Value> values{Value(5), Value("n")};
  QueryParameters p;
  p.values = &values;
  p.bind_columns = &cols;
  std::string f;
  ASSERT_TRUE(EncodeExecute("ID", p, &f).ok());
  auto r = Body(f, Opcode::kExecute);
  EXPECT_EQ(*r.ReadShortBytes(), "ID");
  r.ReadConsistency().IgnoreError();
  EXPECT_EQ(*r.ReadByte(), 0x01);
  EXPECT_EQ(*r.ReadShort(), 2);
  EXPECT_EQ(r.ReadBytes()->value().size(), 8u);  // int widened to bigint

  std::vector<Value> wrong{Value("x"), Value("n")};
  p.values = &wrong;
  f.clear();
  absl::Status s = EncodeExecute("ID", p, &f);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'id'"), absl::string_view::npos) << s;

  std::vector<Value> few{Value(1)};
  p.values = &few;
  EXPECT_EQ(EncodeExecute("ID", p, &f).code(), absl::StatusCode::kInvalidArgument);
}

TEST(RequestsTest, BatchMixesPreparedAndQueries) {
  auto md = std::make_shared<PreparedMetadata>();
  md->id = "PID";
  md->bind_columns = {{"ks", "t", "k", DataType{TypeId::kInt, "", {}, {}}}};
  Batch b(BatchType::kUnlogged);
  b.Add("INSERT INTO t (k) VALUES (?)", {Value(1)});
  b.Add(PreparedStatement(md), {Value(2)});
  std::string f;
  ASSERT_TRUE(EncodeBatch(b, Consistency::kLocalQuorum, Consistency::kSerial, 99, &f).ok());
  auto r = Body(f, Opcode::kBatch);
  EXPECT_EQ(*r.ReadByte(), 1);
  EXPECT_EQ(*r.ReadShort(), 2);
  EXPECT_EQ(*r.ReadByte(), 0);
  EXPECT_EQ(*r.ReadLongString(), "INSERT INTO t (k) VALUES (?)");
  EXPECT_EQ(*r.ReadShort(), 1);
  r.ReadBytes().IgnoreError();
  EXPECT_EQ(*r.ReadByte(), 1);
  EXPECT_EQ(*r.ReadShortBytes(), "PID");
  EXPECT_EQ(*r.ReadShort(), 1);
  r.ReadBytes().IgnoreError();
  EXPECT_EQ(*r.ReadConsistency(), Consistency::kLocalQuorum);
  EXPECT_EQ(*r.ReadByte(), 0x30);
  EXPECT_EQ(*r.ReadConsistency(), Consistency::kSerial);
  EXPECT_EQ(*r.ReadLong(), 99);
  EXPECT_TRUE(r.empty());

  Batch empty;
  f.clear();
  EXPECT_EQ(EncodeBatch(empty, Consistency::kOne, std::nullopt, std::nullopt, &f).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RequestsTest, RegisterIsAStringList) {
  std::string f;
  ASSERT_TRUE(EncodeRegister({"TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"}, &f).ok());
  const std::string expected = std::string("\x04\x00\x00\x00\x0B\x00\x00\x00\x31", 9) +  // header, length 49
                               std::string("\x00\x03", 2) +                              // 3 strings
                               std::string("\x00\x0F", 2) + "TOPOLOGY_CHANGE" +          //
                               std::string("\x00\x0D", 2) + "STATUS_CHANGE" +            //
                               std::string("\x00\x0D", 2) + "SCHEMA_CHANGE";
  EXPECT_EQ(f, expected);

  f.clear();
  EXPECT_EQ(EncodeRegister({}, &f).code(), absl::StatusCode::kInvalidArgument);
}

// An EVENT response frame (stream -1) with the body `write` produces.
Frame EventFrame(const std::function<void(RequestWriter&)>& write, uint8_t flags = 0) {
  std::string body;
  RequestWriter w(&body);
  write(w);
  Frame f;
  f.header = FrameHeader{0x84, flags, -1, Opcode::kEvent, static_cast<int32_t>(body.size())};
  f.body = std::move(body);
  return f;
}

absl::StatusOr<EventMessage> DecodeEvent(Frame f) {
  auto m = DecodeResponse(std::move(f));
  if (!m.ok()) return m.status();
  if (!std::holds_alternative<EventMessage>(*m)) return absl::InternalError("not an EVENT");
  return std::get<EventMessage>(std::move(*m));
}

TEST(EventDecodeTest, TopologyAndStatusChanges) {
  auto e = DecodeEvent(EventFrame([](RequestWriter& w) {
    w.WriteString("TOPOLOGY_CHANGE");
    w.WriteString("NEW_NODE");
    w.WriteInet(std::string("\xC0\xA8\x01\x02", 4), 9042);
  }));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->type, "TOPOLOGY_CHANGE");
  EXPECT_EQ(e->change, "NEW_NODE");
  EXPECT_EQ(e->address, "192.168.1.2");
  EXPECT_EQ(e->port, 9042);
  EXPECT_EQ(e->target, "");

  for (const std::string change : {"REMOVED_NODE", "MOVED_NODE"}) {
    e = DecodeEvent(EventFrame([&](RequestWriter& w) {
      w.WriteString("TOPOLOGY_CHANGE");
      w.WriteString(change);
      w.WriteInet(std::string("\x0A\x00\x00\x01", 4), 19042);
    }));
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->change, change);
    EXPECT_EQ(e->address, "10.0.0.1");
    EXPECT_EQ(e->port, 19042);
  }

  // IPv6 in RFC 5952 form, no brackets.
  e = DecodeEvent(EventFrame([](RequestWriter& w) {
    w.WriteString("STATUS_CHANGE");
    w.WriteString("DOWN");
    w.WriteInet(std::string("\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16), 9042);
  }));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->type, "STATUS_CHANGE");
  EXPECT_EQ(e->change, "DOWN");
  EXPECT_EQ(e->address, "2001:db8::1");
  EXPECT_EQ(e->port, 9042);

  // A warning preamble before the body is skipped.
  e = DecodeEvent(EventFrame([](RequestWriter& w) {
    w.WriteStringList({"careful"});
    w.WriteString("STATUS_CHANGE");
    w.WriteString("UP");
    w.WriteInet(std::string(15, '\0') + "\x01", 7000);
  }, kFlagWarning));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->change, "UP");
  EXPECT_EQ(e->address, "::1");
}

TEST(EventDecodeTest, SchemaChanges) {
  auto e = DecodeEvent(EventFrame([](RequestWriter& w) {
    w.WriteString("SCHEMA_CHANGE");
    w.WriteString("DROPPED");
    w.WriteString("KEYSPACE");
    w.WriteString("ks");
  }));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->type, "SCHEMA_CHANGE");
  EXPECT_EQ(e->change, "DROPPED");
  EXPECT_EQ(e->target, "KEYSPACE");
  EXPECT_EQ(e->keyspace, "ks");
  EXPECT_EQ(e->name, "");
  EXPECT_EQ(e->address, "");

  for (const std::string target : {"TABLE", "TYPE"}) {
    e = DecodeEvent(EventFrame([&](RequestWriter& w) {
      w.WriteString("SCHEMA_CHANGE");
      w.WriteString("UPDATED");
      w.WriteString(target);
      w.WriteString("ks");
      w.WriteString("obj");
    }));
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->change, "UPDATED");
    EXPECT_EQ(e->target, target);
    EXPECT_EQ(e->keyspace, "ks");
    EXPECT_EQ(e->name, "obj");
  }

  for (const std::string target : {"FUNCTION", "AGGREGATE"}) {
    e = DecodeEvent(EventFrame([&](RequestWriter& w) {
      w.WriteString("SCHEMA_CHANGE");
      w.WriteString("CREATED");
      w.WriteString(target);
      w.WriteString("ks");
      w.WriteString("f");
      w.WriteStringList({"int", "frozen<list<text>>"});
    }));
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->change, "CREATED");
    EXPECT_EQ(e->target, target);
    EXPECT_EQ(e->keyspace, "ks");
    EXPECT_EQ(e->name, "f");
    // The argument types are required (consumed) even though not kept.
    e = DecodeEvent(EventFrame([&](RequestWriter& w) {
      w.WriteString("SCHEMA_CHANGE");
      w.WriteString("CREATED");
      w.WriteString(target);
      w.WriteString("ks");
      w.WriteString("f");
    }));
    EXPECT_EQ(e.status().code(), absl::StatusCode::kInternal) << target;
  }
}

TEST(EventDecodeTest, UnknownTypeKeepsOnlyTheType) {
  auto e = DecodeEvent(EventFrame([](RequestWriter& w) {
    w.WriteString("CLIENTS_CHANGE");
    w.WriteInt(42);  // whatever follows is not looked at
  }));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->type, "CLIENTS_CHANGE");
  EXPECT_EQ(e->change, "");
  EXPECT_EQ(e->address, "");
  EXPECT_EQ(e->port, 0);
  EXPECT_EQ(e->keyspace, "");
}

TEST(EventDecodeTest, MalformedBodiesFail) {
  // Truncated at every byte of a topology event.
  std::string body;
  RequestWriter w(&body);
  w.WriteString("TOPOLOGY_CHANGE");
  w.WriteString("NEW_NODE");
  w.WriteInet(std::string("\x0A\x00\x00\x01", 4), 9042);
  for (size_t n = 0; n < body.size(); ++n) {
    EXPECT_FALSE(DecodeEventBody(std::string_view(body).substr(0, n)).ok()) << n;
  }
  EXPECT_TRUE(DecodeEventBody(body).ok());
  // An [inet] of 5 bytes.
  auto e = DecodeEvent(EventFrame([](RequestWriter& w) {
    w.WriteString("STATUS_CHANGE");
    w.WriteString("UP");
    w.WriteByte(5);
    w.WriteRaw("12345");
    w.WriteInt(9042);
  }));
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInternal);
  // A schema change without its keyspace.
  e = DecodeEvent(EventFrame([](RequestWriter& w) {
    w.WriteString("SCHEMA_CHANGE");
    w.WriteString("CREATED");
    w.WriteString("TABLE");
  }));
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace cql::internal
