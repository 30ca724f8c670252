#include "cluster_metadata.h"

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl_compat.h"
#include "common/status_macros.h"
#include "token_ring.h"

namespace cql::internal {
namespace {

std::string TextOr(const Row& row, std::string_view column) {
  absl::StatusOr<std::string> s = row.GetString(column);
  return s.ok() ? *std::move(s) : std::string();
}

std::string InetOr(const Row& row, std::string_view column) {
  absl::StatusOr<Value> v = row.GetValue(column);
  if (!v.ok() || v->kind() != Value::Kind::kInet) return std::string();
  return v->inet_string();
}

absl::Status FillCommon(const Row& row, NodeInfo* node) {
  if (absl::StatusOr<Uuid> id = row.GetUuid("host_id"); id.ok()) node->host_id = *id;
  node->datacenter = TextOr(row, "data_center");
  node->rack = TextOr(row, "rack");
  if (absl::StatusOr<Uuid> v = row.GetUuid("schema_version"); v.ok()) node->schema_version = v->ToString();
  absl::StatusOr<std::vector<Value>> tokens = row.GetSet("tokens");
  if (tokens.ok()) {
    for (const Value& t : *tokens) {
      if (t.kind() != Value::Kind::kText) continue;
      ASSIGN_OR_RETURN(int64_t token, TokenRing::ParseToken(t.text()));
      node->tokens.push_back(token);
    }
  }
  return absl::OkStatus();
}

bool IsWildcard(const std::string& address) { return address.empty() || address == "0.0.0.0" || address == "::"; }

}  // namespace

absl::StatusOr<NodeInfo> NodeFromLocalRow(const Row& row, const std::string& dialled_address, uint16_t dialled_port) {
  NodeInfo node;
  node.address = dialled_address;
  node.port = dialled_port;
  RETURN_IF_ERROR(FillCommon(row, &node));
  return node;
}

absl::StatusOr<NodeInfo> NodeFromPeerRow(const Row& row, uint16_t default_port) {
  NodeInfo node;
  node.port = default_port;
  node.address = InetOr(row, "native_address");
  if (node.address.empty()) node.address = InetOr(row, "rpc_address");
  if (IsWildcard(node.address)) node.address = InetOr(row, "peer");
  if (node.address.empty()) return absl::InternalError("a peers row names no address");
  if (absl::StatusOr<int32_t> p = row.GetInt("native_port"); p.ok() && *p > 0 && *p < 65536) {
    node.port = static_cast<uint16_t>(*p);
  }
  RETURN_IF_ERROR(FillCommon(row, &node));
  return node;
}

absl::StatusOr<ReplicationByKeyspace> ReplicationFromRows(const Result& result) {
  ReplicationByKeyspace out;
  for (size_t i = 0; i < result.row_count(); ++i) {
    const Row row = result.row(i);
    ASSIGN_OR_RETURN(std::string name, row.GetString(0));
    ASSIGN_OR_RETURN(auto entries, row.GetMap(1));
    auto& options = out[name];
    for (const auto& [k, v] : entries) {
      if (k.kind() == Value::Kind::kText && v.kind() == Value::Kind::kText) options[k.text()] = v.text();
    }
  }
  return out;
}

absl::StatusOr<HostPort> ParseContactPoint(std::string_view text, uint16_t default_port) {
  HostPort out;
  out.port = default_port;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return absl::InvalidArgumentError(absl::StrCat("'", Sv(text), "': no ']'"));
    out.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return absl::InvalidArgumentError(absl::StrCat("'", Sv(text), "': expected ':port'"));
      port_text = rest.substr(1);
    }
  } else if (text.find(':') != text.rfind(':')) {
    out.host = std::string(text);  // a bare IPv6 address
  } else if (const size_t colon = text.find(':'); colon != std::string_view::npos) {
    out.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  } else {
    out.host = std::string(text);
  }
  if (out.host.empty()) return absl::InvalidArgumentError(absl::StrCat("'", Sv(text), "': empty host"));
  if (!port_text.empty() || (text.size() > 0 && text.back() == ':')) {
    int port = 0;
    if (!absl::SimpleAtoi(Sv(port_text), &port) || port < 1 || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("'", Sv(text), "': bad port"));
    }
    out.port = static_cast<uint16_t>(port);
  }
  return out;
}

StatementTraits ClassifyStatement(std::string_view cql) {
  StatementTraits traits;
  std::string first;
  bool modification = false;
  size_t i = 0;
  const size_t n = cql.size();
  while (i < n) {
    const char c = cql[i];
    if (c == '\'' || c == '"') {  // string literal or quoted identifier ('' and "" escape)
      const char q = c;
      for (++i; i < n; ++i) {
        if (cql[i] == q) {
          if (i + 1 < n && cql[i + 1] == q) {
            ++i;
          } else {
            break;
          }
        }
      }
      ++i;
    } else if (c == '$' && i + 1 < n && cql[i + 1] == '$') {  // $$ string $$
      const size_t end = cql.find("$$", i + 2);
      i = end == std::string_view::npos ? n : end + 2;
    } else if ((c == '-' && i + 1 < n && cql[i + 1] == '-') || (c == '/' && i + 1 < n && cql[i + 1] == '/')) {
      const size_t end = cql.find('\n', i);
      i = end == std::string_view::npos ? n : end + 1;
    } else if (c == '/' && i + 1 < n && cql[i + 1] == '*') {
      const size_t end = cql.find("*/", i + 2);
      i = end == std::string_view::npos ? n : end + 2;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < n && (std::isalnum(static_cast<unsigned char>(cql[j])) || cql[j] == '_')) ++j;
      const std::string word = absl::AsciiStrToUpper(Sv(cql.substr(i, j - i)));
      if (first.empty()) {
        first = word;
        traits.select = word == "SELECT";
        modification = word == "INSERT" || word == "UPDATE" || word == "DELETE" || word == "BEGIN";
        traits.schema = word == "CREATE" || word == "ALTER" || word == "DROP";
      } else if (modification && word == "IF") {
        traits.conditional = true;
      }
      i = j;
    } else {
      ++i;
    }
  }
  return traits;
}

}  // namespace cql::internal
