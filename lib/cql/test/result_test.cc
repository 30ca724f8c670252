// RESULT decoding (§4.2.5) from hand-built bodies, typed row accessors, and
// malformed bodies (truncations, bogus kinds and type ids, deep nesting).
#include <string>

#include <gtest/gtest.h>

#include "data_type_codec.h"
#include "request_writer.h"
#include "response.h"
#include "result_response.h"

namespace cql::internal {
namespace {

DataType T(TypeId id) { return DataType{id, "", {}, {}}; }

struct Col {
  std::string name;
  DataType type;
};

// Rows body with a global table spec; cells as raw [bytes] (nullopt = null).
std::string RowsBody(const std::vector<Col>& cols, const std::vector<std::vector<std::optional<std::string>>>& rows,
                     std::optional<std::string> paging_state = std::nullopt) {
  std::string out;
  RequestWriter w(&out);
  w.WriteInt(0x0002);
  w.WriteInt(0x0001 | (paging_state ? 0x0002 : 0));
  w.WriteInt(static_cast<int32_t>(cols.size()));
  if (paging_state) w.WriteBytes(*paging_state);
  w.WriteString("ks");
  w.WriteString("tbl");
  for (const auto& c : cols) {
    w.WriteString(c.name);
    WriteDataType(c.type, w);
  }
  w.WriteInt(static_cast<int32_t>(rows.size()));
  for (const auto& row : rows) {
    for (const auto& cell : row) cell ? w.WriteBytes(*cell) : w.WriteNullBytes();
  }
  return out;
}

std::string Int32(int32_t v) {
  std::string s;
  RequestWriter(&s).WriteInt(v);
  return s;
}
std::string Int64(int64_t v) {
  std::string s;
  RequestWriter(&s).WriteLong(v);
  return s;
}

absl::StatusOr<Result> Decode(std::string body) { return ResultBuilder::Decode(std::move(body), 0, {}); }

TEST(ResultTest, VoidSetKeyspaceSchemaChange) {
  auto r = Decode(Int32(1));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind(), ResultKind::kVoid);

  std::string body;
  RequestWriter w(&body);
  w.WriteInt(3);
  w.WriteString("my_ks");
  r = Decode(body);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->keyspace(), "my_ks");

  body.clear();
  w.WriteInt(5);
  w.WriteString("CREATED");
  w.WriteString("TABLE");
  w.WriteString("ks");
  w.WriteString("t");
  r = Decode(body);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->schema_change().change_type, "CREATED");
  EXPECT_EQ(r->schema_change().name, "t");

  body.clear();
  w.WriteInt(5);
  w.WriteString("DROPPED");
  w.WriteString("KEYSPACE");
  w.WriteString("ks");
  r = Decode(body);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->schema_change().target, "KEYSPACE");
}

TEST(ResultTest, RowsWithTypedAccessors) {
  const Uuid u = Uuid::Random();
  DataType list_t{TypeId::kList, "", {T(TypeId::kVarchar)}, {}};
  DataType map_t{TypeId::kMap, "", {T(TypeId::kVarchar), T(TypeId::kInt)}, {}};
  std::string list_bytes = Int32(2) + Int32(1) + "a" + Int32(1) + "b";
  std::string map_bytes = Int32(1) + Int32(1) + "k" + Int32(4) + Int32(9);
  auto r = Decode(RowsBody({{"name", T(TypeId::kVarchar)},
                            {"n", T(TypeId::kInt)},
                            {"big", T(TypeId::kBigint)},
                            {"flag", T(TypeId::kBoolean)},
                            {"ts", T(TypeId::kTimestamp)},
                            {"id", T(TypeId::kUuid)},
                            {"tags", list_t},
                            {"m", map_t}},
                           {{"alice", Int32(7), Int64(1LL << 40), std::string("\x01", 1), Int64(1234),
                             std::string(u.AsStringView()), list_bytes, map_bytes},
                            {std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt,
                             std::nullopt, std::nullopt}},
                           std::string("PAGE")));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->kind(), ResultKind::kRows);
  EXPECT_EQ(r->row_count(), 2u);
  EXPECT_EQ(r->column_count(), 8u);
  EXPECT_TRUE(r->has_more_pages());
  EXPECT_EQ(r->paging_state(), "PAGE");
  EXPECT_EQ(r->metadata().global_keyspace, "ks");
  EXPECT_EQ(r->columns()[0].table, "tbl");

  Row row = r->row(0);
  EXPECT_EQ(*row.GetString(0), "alice");
  EXPECT_EQ(*row.GetString("name"), "alice");
  EXPECT_EQ(*row.GetInt("n"), 7);
  EXPECT_EQ(*row.GetBigint("n"), 7);
  EXPECT_EQ(*row.GetBigint("big"), 1LL << 40);
  EXPECT_TRUE(*row.GetBool("flag"));
  EXPECT_EQ(row.GetTimestamp("ts")->time_since_epoch().count(), 1234);
  EXPECT_EQ(*row.GetUuid("id"), u);
  EXPECT_EQ(*row.GetList("tags"), (std::vector<Value>{Value("a"), Value("b")}));
  auto m = row.GetMap("m");
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->size(), 1u);
  EXPECT_EQ((*m)[0].first, Value("k"));
  EXPECT_EQ((*m)[0].second, Value(9));
  EXPECT_EQ(*row.GetValue("n"), Value(7));

  // Errors are values.
  EXPECT_EQ(row.GetInt("name").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(row.GetInt("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(row.GetInt(99).status().code(), absl::StatusCode::kOutOfRange);

  Row nulls = r->row(1);
  EXPECT_TRUE(nulls.IsNull(0));
  EXPECT_TRUE(nulls.IsNull("n"));
  EXPECT_EQ(nulls.GetString(0).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(nulls.GetList("tags")->empty());
  EXPECT_TRUE(nulls.GetValue(1)->is_null());

  int count = 0;
  for (Row each : *r) count += each.size() == 8 ? 1 : 0;
  EXPECT_EQ(count, 2);
  EXPECT_FALSE(r->Applied().ok());
}

TEST(ResultTest, AppliedColumn) {
  auto r = Decode(RowsBody({{"[applied]", T(TypeId::kBoolean)}, {"owner", T(TypeId::kVarchar)}},
                           {{std::string("\0", 1), "bob"}}));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->Applied().ok());
  EXPECT_FALSE(*r->Applied());
  EXPECT_EQ(*r->row(0).GetString("owner"), "bob");
}

TEST(ResultTest, PreparedResult) {
  std::string body;
  RequestWriter w(&body);
  w.WriteInt(4);
  w.WriteShortBytes("ID123");
  w.WriteInt(0x0001);  // global table spec
  w.WriteInt(2);       // bind markers
  w.WriteInt(1);       // pk count
  w.WriteShort(1);
  w.WriteString("ks");
  w.WriteString("t");
  w.WriteString("a");
  WriteDataType(T(TypeId::kVarchar), w);
  w.WriteString("b");
  WriteDataType(DataType{TypeId::kSet, "", {T(TypeId::kUuid)}, {}}, w);
  w.WriteInt(0x0004);  // result metadata: no metadata
  w.WriteInt(0);
  auto r = Decode(body);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->kind(), ResultKind::kPrepared);
  const auto& p = *r->prepared();
  EXPECT_EQ(p.id, "ID123");
  EXPECT_EQ(p.keyspace, "ks");
  EXPECT_EQ(p.pk_indexes, std::vector<uint16_t>{1});
  ASSERT_EQ(p.bind_columns.size(), 2u);
  EXPECT_EQ(p.bind_columns[1].type.ToString(), "set<uuid>");
  EXPECT_EQ(p.bind_columns[1].table, "t");
}

TEST(ResultTest, TruncatedRowsBodiesFailAtEveryPrefix) {
  const std::string body = RowsBody({{"a", T(TypeId::kVarchar)}, {"b", DataType{TypeId::kMap, "", {T(TypeId::kInt), T(TypeId::kUuid)}, {}}}},
                                    {{"x", std::nullopt}, {"yy", std::string("")}}, std::string("ps"));
  ASSERT_TRUE(Decode(body).ok());
  for (size_t n = 0; n < body.size(); ++n) {
    EXPECT_FALSE(Decode(body.substr(0, n)).ok()) << "prefix " << n;
  }
}

TEST(ResultTest, MalformedBodiesFail) {
  EXPECT_FALSE(Decode(Int32(0)).ok());       // unknown kind
  EXPECT_FALSE(Decode(Int32(6)).ok());       // unknown kind
  EXPECT_FALSE(Decode(Int32(-1)).ok());      // unknown kind
  // Bogus type id 0x00FF.
  std::string body = Int32(2) + Int32(1) + Int32(1) + std::string("\0\x02ks\0\x01t\0\x01" "a\0\xFF", 12) + Int32(0);
  auto r = Decode(body);
  EXPECT_FALSE(r.ok());
  // Type id 0x000A (text in v1/v2, not in v4) is rejected too.
  body = Int32(2) + Int32(1) + Int32(1) + std::string("\0\x02ks\0\x01t\0\x01" "a\0\x0A", 12) + Int32(0);
  EXPECT_FALSE(Decode(body).ok());
  // Negative column count and row count.
  EXPECT_FALSE(Decode(Int32(2) + Int32(0) + Int32(-1)).ok());
  EXPECT_FALSE(Decode(Int32(2) + Int32(4) + Int32(1) + Int32(-1)).ok());
  // Row count far beyond the body.
  EXPECT_FALSE(Decode(Int32(2) + Int32(4) + Int32(3) + Int32(0x7FFFFFFF)).ok());
  // Too-deep type nesting: list<list<...>> 100 levels.
  std::string deep = Int32(2) + Int32(1) + Int32(1) + std::string("\0\x02ks\0\x01t\0\x01" "a", 10);
  for (int i = 0; i < 100; ++i) deep += std::string("\0\x20", 2);
  deep += std::string("\0\x09", 2) + Int32(0);
  r = Decode(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nesting"), std::string::npos);
  // Unknown schema change target.
  std::string sc;
  RequestWriter w(&sc);
  w.WriteInt(5);
  w.WriteString("CREATED");
  w.WriteString("BANANA");
  w.WriteString("ks");
  w.WriteString("x");
  EXPECT_FALSE(Decode(sc).ok());
}

TEST(ResultTest, FramesWithWarningsAndTracing) {
  std::string body;
  RequestWriter w(&body);
  w.WriteUuid(Uuid::Random());
  w.WriteStringList({"careful"});
  w.WriteInt(1);
  Frame f{FrameHeader{0x84, kFlagTracing | kFlagWarning, 3, Opcode::kResult, static_cast<int32_t>(body.size())}, body};
  auto r = DecodeResultResponse(f);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->warnings(), std::vector<std::string>{"careful"});
  // Wrong length in the header vs body.
  f.header.length = 3;
  EXPECT_FALSE(DecodeResultResponse(f).ok());
  // Compression never negotiated.
  f.header.length = static_cast<int32_t>(body.size());
  f.header.flags = kFlagCompression;
  EXPECT_FALSE(DecodeResultResponse(f).ok());
  // Non-RESULT opcode.
  f.header.flags = 0;
  f.header.opcode = Opcode::kReady;
  EXPECT_FALSE(DecodeResultResponse(f).ok());
}

}  // namespace
}  // namespace cql::internal
