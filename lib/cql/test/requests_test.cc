// Request encoders (§4.1): the frames parse back field by field.
#include "requests.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace cql::internal
