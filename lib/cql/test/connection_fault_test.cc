// Faults a real server will not produce on demand, against a scripted
// in-process fake server (hermetic: binds 127.0.0.1 or ::1, port 0): a
// connection dropped with requests in flight, a server that never answers,
// and a server that went away; then the Connection features that need a
// peer: TLS (certificates generated at test time with the OpenSSL C API,
// nothing committed), heartbeats, stream-id exhaustion, pushed EVENTs, a
// chosen local port and IPv6 literals.
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "absl_compat.h"
#include "connection.h"
#include "cql/session.h"
#include "cql_test_env.h"
#include "frame_header.h"
#include "request_writer.h"
#include "requests.h"
#include "response.h"
#include "response_reader.h"
#include "tls.h"

namespace cql::internal {
namespace {

using asio::ip::tcp;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
constexpr auto kTuple = asio::experimental::as_tuple(asio::use_awaitable);

bool Contains(absl::string_view haystack, absl::string_view needle) {
  return haystack.find(needle) != absl::string_view::npos;
}

// A QUERY body (§4.1.4) whose text reads a system keyspace.
bool IsSystemQuery(const std::string& body) {
  auto text = ResponseReader(body).ReadLongString();
  return text.ok() && (Contains(Sv(*text), "FROM system.") || Contains(Sv(*text), "FROM system_schema."));
}

// kSilent answers the handshake (OPTIONS, STARTUP) and nothing after it, not
// even the OPTIONS of a heartbeat.
enum class Mode { kAnswer, kDropOnQuery, kSilentOnQuery, kSilent };

struct FakeServer {
  explicit FakeServer(asio::io_context& io, const std::string& address = "127.0.0.1")
      : acceptor(io, tcp::endpoint(asio::ip::make_address(address), 0)) {}
  uint16_t port() const { return acceptor.local_endpoint().port(); }

  asio::awaitable<void> Serve(tcp::socket socket) {
    asio::error_code ignored;
    last_remote_port = socket.remote_endpoint(ignored).port();
    if (!tls) {
      co_await ServeFrames(socket);
      co_return;
    }
    asio::ssl::stream<tcp::socket> stream(std::move(socket), *tls);
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kTuple);
    if (ec) {
      ++tls_failures;
      co_return;
    }
    SSL* ssl = stream.native_handle();
    if (const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) last_sni = sni;
    if (X509* peer = SSL_get1_peer_certificate(ssl)) {
      char cn[256] = {};
      X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof(cn));
      client_cert_cn = cn;
      X509_free(peer);
    }
    co_await ServeFrames(stream);
  }

  template <typename Stream>
  asio::awaitable<void> ServeFrames(Stream& stream) {
    bool started = false;  // the handshake is over
    for (;;) {
      std::string header(kFrameHeaderSize, '\0');
      auto [ec, n] = co_await asio::async_read(stream, asio::buffer(header), kTuple);
      if (ec) co_return;
      auto h = DecodeFrameHeader(header);
      if (!h.ok()) co_return;
      std::string body(static_cast<size_t>(h->length), '\0');
      auto [ec2, n2] = co_await asio::async_read(stream, asio::buffer(body), kTuple);
      if (ec2) co_return;
      if (mode == Mode::kSilent && started) continue;
      std::string out;
      RequestWriter w(&out);
      Opcode reply = Opcode::kReady;
      size_t start = 0;
      if (h->opcode == Opcode::kOptions) {
        reply = Opcode::kSupported;
        start = w.BeginFrame(reply, h->stream);
        w.WriteStringMultimap({{"CQL_VERSION", "3.0.0"}});
        if (started) ++heartbeats;
      } else if (h->opcode == Opcode::kStartup) {
        start = w.BeginFrame(reply, h->stream);
        started = true;
      } else if (h->opcode == Opcode::kRegister) {
        auto types = ResponseReader(body).ReadStringList();
        if (types.ok()) registered = *types;
        start = w.BeginFrame(reply, h->stream);
      } else if (h->opcode == Opcode::kQuery && IsSystemQuery(body)) {
        // The session's control connection reads system tables: system.local
        // has one row (no columns: nothing is known about the node), the
        // rest none. Answered in every mode.
        start = w.BeginFrame(Opcode::kResult, h->stream);
        w.WriteInt(2);  // Rows
        w.WriteInt(0);  // flags
        w.WriteInt(0);  // columns
        w.WriteInt(Contains(body, "system.local") ? 1 : 0);
      } else if (h->opcode == Opcode::kPrepare) {
        // Prepared (§4.2.5.4) with no bind markers and no result columns;
        // the id is the text's, the statement is known from now on.
        auto text = ResponseReader(body).ReadLongString();
        const std::string id = "id:" + std::string(text.ok() ? *text : "");
        prepared_ids.insert(id);
        start = w.BeginFrame(Opcode::kResult, h->stream);
        w.WriteInt(4);
        w.WriteShortBytes(id);
        w.WriteInt(0);  // flags
        w.WriteInt(0);  // columns
        w.WriteInt(0);  // partition key columns
        w.WriteInt(0);  // result metadata flags
        w.WriteInt(0);  // result columns
      } else if (std::optional<std::string> unknown = UnknownPreparedId(h->opcode, body)) {
        // A statement this server does not know (restarted, or another node
        // prepared it): UNPREPARED with its id (§9, 0x2500).
        ++unprepared_answers;
        start = w.BeginFrame(Opcode::kError, h->stream);
        w.WriteInt(0x2500);
        w.WriteString("Prepared query not found");
        w.WriteShortBytes(*unknown);
      } else {
        ++queries;
        if (mode == Mode::kDropOnQuery) {
          stream.lowest_layer().close();
          co_return;
        }
        if (mode == Mode::kSilentOnQuery) continue;
        if (query_delay.count() > 0) {
          asio::steady_timer t(co_await asio::this_coro::executor, query_delay);
          co_await t.async_wait(kTuple);
        }
        reply = Opcode::kResult;
        start = w.BeginFrame(reply, h->stream);
        w.WriteInt(1);  // Void
      }
      w.EndFrame(start);
      out[start] = static_cast<char>(0x84);
      if (h->opcode == Opcode::kRegister) out += events_after_register;
      auto [ec3, n3] = co_await asio::async_write(stream, asio::buffer(out), kTuple);
      if (ec3) co_return;
    }
  }

  // The first id of an EXECUTE or BATCH that was never prepared here.
  std::optional<std::string> UnknownPreparedId(Opcode opcode, const std::string& body) const {
    ResponseReader r(body);
    std::vector<std::string> ids;
    if (opcode == Opcode::kExecute) {
      auto id = r.ReadShortBytes();
      if (id.ok()) ids.emplace_back(*id);
    } else if (opcode == Opcode::kBatch) {
      (void)r.ReadByte();  // type
      auto n = r.ReadShort();
      for (int i = 0; n.ok() && i < *n; ++i) {
        auto kind = r.ReadByte();
        if (!kind.ok()) break;
        if (*kind == 1) {
          auto id = r.ReadShortBytes();
          if (id.ok()) ids.emplace_back(*id);
        } else {
          (void)r.ReadLongString();
        }
        auto values = r.ReadShort();
        for (int v = 0; values.ok() && v < *values; ++v) (void)r.ReadBytes();
      }
    }
    for (const std::string& id : ids) {
      if (!prepared_ids.count(id)) return id;
    }
    return std::nullopt;
  }

  asio::awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kTuple);
      if (ec) co_return;
      ++connections;
      asio::co_spawn(acceptor.get_executor(), Serve(std::move(socket)), asio::detached);
    }
  }

  tcp::acceptor acceptor;
  Mode mode = Mode::kAnswer;
  milliseconds query_delay{0};
  std::shared_ptr<asio::ssl::context> tls;  // set: serve TLS only
  std::string events_after_register;        // frames pushed after the READY to a REGISTER
  std::set<std::string> prepared_ids;  // forgotten by clear(): a restarted node
  int unprepared_answers = 0;
  int connections = 0;
  int queries = 0;
  int heartbeats = 0;  // OPTIONS after the handshake
  int tls_failures = 0;
  uint16_t last_remote_port = 0;
  std::string last_sni;
  std::string client_cert_cn;
  std::vector<std::string> registered;
};

SessionOptions OptionsFor(uint16_t port) {
  SessionOptions o;
  o.contact_points = {"127.0.0.1"};
  o.port = port;
  o.connect_timeout = std::chrono::milliseconds(2000);
  o.request_timeout = std::chrono::milliseconds(2000);
  return o;
}

TEST(ConnectionFaultTest, DroppedConnectionFailsInFlightRequestsThenReconnects) {
  asio::io_context io;
  FakeServer server(io);
  asio::co_spawn(io, server.Accept(), asio::detached);
  auto session = testing::RunSync(io, Session::Connect(io.get_executor(), OptionsFor(server.port())));
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ(server.connections, 2);  // the control connection and the pool's one

  server.mode = Mode::kDropOnQuery;
  int failed_unavailable = 0;
  int finished = 0;
  for (int i = 0; i < 3; ++i) {
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      auto r = co_await (*session)->Query("SELECT 1");
      if (!r.ok() && r.status().code() == absl::StatusCode::kUnavailable) ++failed_unavailable;
    }, [&](std::exception_ptr) { if (++finished == 3) io.stop(); });
  }
  const auto start = std::chrono::steady_clock::now();
  io.restart();
  io.run();
  EXPECT_EQ(failed_unavailable, 3);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ((*session)->open_connections(), 0);

  // The next request reconnects.
  server.mode = Mode::kAnswer;
  auto r = testing::RunSync(io, (*session)->Query("SELECT 1"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->kind(), ResultKind::kVoid);
  EXPECT_EQ(server.connections, 3);
}

// A node that forgot the statements of a batch (it restarted, or another node
// prepared them) answers UNPREPARED for one id at a time: each is prepared
// again and the batch replayed until the node knows them all.
TEST(ConnectionFaultTest, ABatchOfStatementsTheNodeForgotIsPreparedAgainAndReplayed) {
  asio::io_context io;
  FakeServer server(io);
  asio::co_spawn(io, server.Accept(), asio::detached);
  auto session = testing::RunSync(io, Session::Connect(io.get_executor(), OptionsFor(server.port())));
  ASSERT_TRUE(session.ok()) << session.status();
  auto first = testing::RunSync(io, (*session)->Prepare("UPDATE a SET v = 1 WHERE k = 1 IF v = 0"));
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = testing::RunSync(io, (*session)->Prepare("UPDATE a SET v = 2 WHERE k = 1 IF v = 0"));
  ASSERT_TRUE(second.ok()) << second.status();
  auto third = testing::RunSync(io, (*session)->Prepare("UPDATE a SET v = 3 WHERE k = 1 IF v = 0"));
  ASSERT_TRUE(third.ok()) << third.status();
  io.restart();
  io.run_for(milliseconds(100));  // the session also prepares them on its other connections
  server.prepared_ids.clear();

  Batch batch;
  batch.Add(*first, {}).Add(*second, {}).Add(*third, {});
  auto r = testing::RunSync(io, (*session)->ExecuteBatch(batch));
  EXPECT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(server.unprepared_answers, 3);
  EXPECT_EQ(server.prepared_ids.size(), 3u);
}

// The retry policy: a conditional statement whose connection is lost in
// flight is never sent again; the answer says it may have been applied.
TEST(ConnectionFaultTest, ALostConditionalStatementIsNotSentAgain) {
  asio::io_context io;
  FakeServer server(io);
  asio::co_spawn(io, server.Accept(), asio::detached);
  auto session = testing::RunSync(io, Session::Connect(io.get_executor(), OptionsFor(server.port())));
  ASSERT_TRUE(session.ok()) << session.status();
  server.mode = Mode::kDropOnQuery;
  auto r = testing::RunSync(io, (*session)->Query("UPDATE t SET v = 1 WHERE k = 1 IF v = 0"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_NE(r.status().message().find("may have been applied"), std::string::npos) << r.status();
  EXPECT_EQ(server.queries, 1);
}

// Two nodes; the second drops its connection. It is reconnected in the
// background while the first still answers, and takes requests again.
TEST(ConnectionFaultTest, ANodeThatDroppedItsConnectionIsReconnectedWhileAnotherIsUp) {
  asio::io_context io;
  FakeServer a(io);
  FakeServer b(io);
  asio::co_spawn(io, a.Accept(), asio::detached);
  asio::co_spawn(io, b.Accept(), asio::detached);
  SessionOptions o = OptionsFor(a.port());
  o.contact_points = {"127.0.0.1:" + std::to_string(a.port()), "127.0.0.1:" + std::to_string(b.port())};
  o.discover_peers = false;  // the fake nodes describe no peers
  o.reconnect_backoff_min = milliseconds(50);
  auto session = testing::RunSync(io, Session::Connect(io.get_executor(), o));
  ASSERT_TRUE(session.ok()) << session.status();
  io.restart();
  io.run_for(milliseconds(300));  // both pools open
  const int b_connections = b.connections;

  b.mode = Mode::kDropOnQuery;
  for (int i = 0; i < 4 && b.connections == b_connections; ++i) {
    (void)testing::RunSync(io, (*session)->Query("INSERT INTO t (k) VALUES (1)"));
  }
  b.mode = Mode::kAnswer;
  io.restart();
  io.run_for(milliseconds(1000));  // backoff from 50 ms: a few attempts at most
  EXPECT_GT(b.connections, b_connections) << "the dropped node was not reconnected";
  const int b_queries = b.queries;
  for (int i = 0; i < 10; ++i) {
    auto r = testing::RunSync(io, (*session)->Query("INSERT INTO t (k) VALUES (1)"));
    EXPECT_TRUE(r.ok()) << r.status();
  }
  EXPECT_GT(b.queries, b_queries) << "the reconnected node took no requests";
}

TEST(ConnectionFaultTest, SilentServerHitsClientTimeout) {
  asio::io_context io;
  FakeServer server(io);
  asio::co_spawn(io, server.Accept(), asio::detached);
  auto session = testing::RunSync(io, Session::Connect(io.get_executor(), OptionsFor(server.port())));
  ASSERT_TRUE(session.ok()) << session.status();
  server.mode = Mode::kSilentOnQuery;
  QueryOptions options;
  options.timeout = std::chrono::milliseconds(200);
  const auto start = std::chrono::steady_clock::now();
  auto r = testing::RunSync(io, (*session)->Query("SELECT 1", {}, options));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_GE(elapsed, std::chrono::milliseconds(190));
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST(ConnectionFaultTest, ServerGoneFailsFastWithBackoff) {
  asio::io_context io;
  auto server = std::make_unique<FakeServer>(io);
  const uint16_t port = server->port();
  asio::co_spawn(io, server->Accept(), asio::detached);
  auto session = testing::RunSync(io, Session::Connect(io.get_executor(), OptionsFor(port)));
  ASSERT_TRUE(session.ok()) << session.status();
  server->mode = Mode::kDropOnQuery;
  server->acceptor.close();  // nothing listens any more
  auto r = testing::RunSync(io, (*session)->Query("SELECT 1"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  // Reconnect refused, then backoff: both fail fast and name the endpoint.
  for (int i = 0; i < 2; ++i) {
    const auto start = std::chrono::steady_clock::now();
    r = testing::RunSync(io, (*session)->Query("SELECT 1"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
    EXPECT_NE(r.status().message().find("127.0.0.1:" + std::to_string(port)), absl::string_view::npos)
        << r.status();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  }
}

// ---------------------------------------------------------------------------
// Connection-level tests.

ConnectionOptions ConnOptions(uint16_t port, const std::string& host = "127.0.0.1") {
  ConnectionOptions o;
  o.host = host;
  o.port = port;
  o.connect_timeout = milliseconds(2000);
  return o;
}

absl::StatusOr<std::shared_ptr<Connection>> OpenSync(asio::io_context& io, ConnectionOptions options) {
  return testing::RunSync(io, Connection::Open(io.get_executor(), std::move(options)));
}

std::string QueryFrame() {
  std::string frame;
  QueryParameters params;
  params.consistency = Consistency::kOne;
  EXPECT_TRUE(EncodeQuery("SELECT 1", params, &frame).ok());
  return frame;
}

// One QUERY on `conn`; OK if it came back as a RESULT Void.
absl::Status QuerySync(asio::io_context& io, Connection& conn, milliseconds timeout = milliseconds(2000)) {
  const std::string frame = QueryFrame();
  auto response = testing::RunSync(io, conn.Send(frame, timeout));
  if (!response.ok()) return response.status();
  auto result = DecodeResultResponse(std::move(response).value());
  if (!result.ok()) return result.status();
  if (result->kind() != ResultKind::kVoid) return absl::InternalError("expected a Void result");
  return absl::OkStatus();
}

asio::awaitable<void> Sleep(milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(kTuple);
}

void RunFor(asio::io_context& io, milliseconds d) { testing::RunSync(io, Sleep(d)); }

// A throwaway PKI in a temporary directory, built with the OpenSSL C API:
// a CA, a server certificate it signs (CN localhost; SAN DNS:localhost,
// IP:127.0.0.1, IP:::1), a client certificate it signs, and an unrelated CA.
class TestPki {
 public:
  TestPki() {
    char tmpl[] = "/tmp/cql_tls_test_XXXXXX";
    const char* d = mkdtemp(tmpl);
    EXPECT_NE(d, nullptr);
    dir_ = d != nullptr ? d : "/tmp";
    EVP_PKEY* ca_key = NewKey();
    X509* ca = NewCert("Test CA", ca_key, nullptr, nullptr, true, "");
    EVP_PKEY* server_key = NewKey();
    X509* server = NewCert("localhost", server_key, ca, ca_key, false, "DNS:localhost,IP:127.0.0.1,IP:::1");
    EVP_PKEY* client_key = NewKey();
    X509* client = NewCert("inventory-client", client_key, ca, ca_key, false, "");
    EVP_PKEY* other_key = NewKey();
    X509* other = NewCert("Other CA", other_key, nullptr, nullptr, true, "");
    WriteCert(ca, ca_file());
    WriteCert(server, server_cert());
    WriteKey(server_key, server_key_file());
    WriteCert(client, client_cert());
    WriteKey(client_key, client_key_file());
    WriteCert(other, other_ca_file());
    for (X509* c : {ca, server, client, other}) X509_free(c);
    for (EVP_PKEY* k : {ca_key, server_key, client_key, other_key}) EVP_PKEY_free(k);
  }
  ~TestPki() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::string ca_file() const { return dir_ + "/ca.pem"; }
  std::string other_ca_file() const { return dir_ + "/other_ca.pem"; }
  std::string server_cert() const { return dir_ + "/server.pem"; }
  std::string server_key_file() const { return dir_ + "/server.key"; }
  std::string client_cert() const { return dir_ + "/client.pem"; }
  std::string client_key_file() const { return dir_ + "/client.key"; }

  // The fake server's context; with require_client_cert it demands a client
  // certificate signed by the CA.
  std::shared_ptr<asio::ssl::context> ServerContext(bool require_client_cert = false) const {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    ctx->use_certificate_chain_file(server_cert());
    ctx->use_private_key_file(server_key_file(), asio::ssl::context::pem);
    if (require_client_cert) {
      ctx->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
      ctx->load_verify_file(ca_file());
    }
    return ctx;
  }

  std::shared_ptr<asio::ssl::context> ClientContext(const std::string& ca, bool with_cert = false) const {
    TlsOptions o;
    o.enabled = true;
    o.ca_file = ca;
    if (with_cert) {
      o.cert_file = client_cert();
      o.key_file = client_key_file();
    }
    auto ctx = MakeTlsContext(o);
    EXPECT_TRUE(ctx.ok()) << ctx.status();
    return ctx.ok() ? *ctx : nullptr;
  }

 private:
  static EVP_PKEY* NewKey() { return EVP_EC_gen("P-256"); }

  static void AddExt(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value);
    ASSERT_NE(ext, nullptr) << value;
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }

  // Self-signed when issuer is null.
  X509* NewCert(const std::string& cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, bool ca,
                const std::string& san) {
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), ++serial_);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                               0);
    X509_set_issuer_name(cert, issuer != nullptr ? X509_get_subject_name(issuer) : name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : cert, cert, nullptr, nullptr, 0);
    AddExt(cert, &ctx, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    AddExt(cert, &ctx, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
    AddExt(cert, &ctx, NID_subject_key_identifier, "hash");
    if (!san.empty()) AddExt(cert, &ctx, NID_subject_alt_name, san.c_str());
    EXPECT_GT(X509_sign(cert, issuer_key != nullptr ? issuer_key : key, EVP_sha256()), 0);
    return cert;
  }

  static void WriteCert(X509* cert, const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr) << path;
    EXPECT_EQ(PEM_write_X509(f, cert), 1);
    std::fclose(f);
  }
  static void WriteKey(EVP_PKEY* key, const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr) << path;
    EXPECT_EQ(PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr), 1);
    std::fclose(f);
  }

  std::string dir_;
  long serial_ = 0;  // NOLINT(runtime/int): ASN1_INTEGER_set's type
};

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pki_ = new TestPki(); }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }
  static TestPki* pki_;
};
TestPki* TlsTest::pki_ = nullptr;

TEST_F(TlsTest, HandshakeAndQueryWithTheRightCa) {
  asio::io_context io;
  FakeServer server(io);
  server.tls = pki_->ServerContext();
  asio::co_spawn(io, server.Accept(), asio::detached);
  for (const std::string name : {"127.0.0.1", "localhost", ""}) {
    ConnectionOptions o = ConnOptions(server.port());
    o.tls = pki_->ClientContext(pki_->ca_file());
    o.tls_verify_name = name;
    auto conn = OpenSync(io, o);
    ASSERT_TRUE(conn.ok()) << "verify name '" << name << "': " << conn.status();
    EXPECT_TRUE(QuerySync(io, **conn).ok());
    // SNI carries host names, never IP addresses.
    EXPECT_EQ(server.last_sni, name == "localhost" ? "localhost" : "") << name;
    server.last_sni.clear();
    (*conn)->Close(absl::CancelledError("test done"));
  }
  EXPECT_EQ(server.tls_failures, 0);
}

TEST_F(TlsTest, UnknownCaIsRefusedWithTheReason) {
  asio::io_context io;
  FakeServer server(io);
  server.tls = pki_->ServerContext();
  asio::co_spawn(io, server.Accept(), asio::detached);
  ConnectionOptions o = ConnOptions(server.port());
  o.tls = pki_->ClientContext(pki_->other_ca_file());
  o.tls_verify_name = "127.0.0.1";
  auto conn = OpenSync(io, o);
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kUnavailable) << conn.status();
  EXPECT_TRUE(Contains(conn.status().message(), "server certificate was refused")) << conn.status();
  EXPECT_TRUE(Contains(conn.status().message(), "unable to get local issuer certificate")) << conn.status();
  EXPECT_TRUE(Contains(conn.status().message(), "127.0.0.1:" + std::to_string(server.port()))) << conn.status();
}

TEST_F(TlsTest, NameMismatchIsRefused) {
  asio::io_context io;
  FakeServer server(io);
  server.tls = pki_->ServerContext();
  asio::co_spawn(io, server.Accept(), asio::detached);
  for (const auto& [name, reason] : std::vector<std::pair<std::string, std::string>>{
           {"db.example.com", "hostname mismatch"}, {"10.1.2.3", "IP address mismatch"}}) {
    ConnectionOptions o = ConnOptions(server.port());
    o.tls = pki_->ClientContext(pki_->ca_file());
    o.tls_verify_name = name;
    auto conn = OpenSync(io, o);
    ASSERT_FALSE(conn.ok()) << name;
    EXPECT_EQ(conn.status().code(), absl::StatusCode::kUnavailable) << conn.status();
    EXPECT_TRUE(Contains(conn.status().message(), "server certificate was refused: " + reason)) << conn.status();
    EXPECT_TRUE(Contains(conn.status().message(), "'" + name + "'")) << conn.status();
  }
}

TEST_F(TlsTest, ClientCertificateIsPresentedWhenConfigured) {
  asio::io_context io;
  FakeServer server(io);
  server.tls = pki_->ServerContext(/*require_client_cert=*/true);
  asio::co_spawn(io, server.Accept(), asio::detached);
  ConnectionOptions o = ConnOptions(server.port());
  o.tls = pki_->ClientContext(pki_->ca_file(), /*with_cert=*/true);
  o.tls_verify_name = "localhost";
  auto conn = OpenSync(io, o);
  ASSERT_TRUE(conn.ok()) << conn.status();
  EXPECT_EQ(server.client_cert_cn, "inventory-client");
  EXPECT_TRUE(QuerySync(io, **conn).ok());
  (*conn)->Close(absl::CancelledError("test done"));

  // Without one the server refuses the handshake (with TLS 1.3 the client
  // learns it on its first read): UNAVAILABLE either way.
  o.tls = pki_->ClientContext(pki_->ca_file());
  auto refused = OpenSync(io, o);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();
}

TEST_F(TlsTest, PlainServerAndSilentServerFailTheHandshake) {
  asio::io_context io;
  FakeServer plain(io);  // speaks CQL without TLS: drops the ClientHello
  asio::co_spawn(io, plain.Accept(), asio::detached);
  ConnectionOptions o = ConnOptions(plain.port());
  o.tls = pki_->ClientContext(pki_->ca_file());
  auto conn = OpenSync(io, o);
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kUnavailable) << conn.status();
  EXPECT_TRUE(Contains(conn.status().message(), "TLS handshake with 127.0.0.1:")) << conn.status();

  // Accepts TCP but never answers: the handshake is bounded by connect_timeout.
  tcp::acceptor silent(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket held(io);
  silent.async_accept(held, [](const asio::error_code&) {});
  o.port = silent.local_endpoint().port();
  o.connect_timeout = milliseconds(300);
  const auto start = Clock::now();
  conn = OpenSync(io, o);
  const auto elapsed = Clock::now() - start;
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kUnavailable) << conn.status();
  EXPECT_TRUE(Contains(conn.status().message(), "TLS handshake with")) << conn.status();
  EXPECT_TRUE(Contains(conn.status().message(), "timed out after 300 ms")) << conn.status();
  EXPECT_GE(elapsed, milliseconds(290));
  EXPECT_LT(elapsed, milliseconds(1500));
}

TEST_F(TlsTest, ContextErrorsNameTheFile) {
  TlsOptions o;
  o.enabled = true;
  EXPECT_EQ(MakeTlsContext(o).status().code(), absl::StatusCode::kInvalidArgument);

  o.ca_file = "/nonexistent/ca.pem";
  auto ctx = MakeTlsContext(o);
  EXPECT_EQ(ctx.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(ctx.status().message(), "'/nonexistent/ca.pem'")) << ctx.status();
  EXPECT_TRUE(Contains(ctx.status().message(), "No such file")) << ctx.status();

  o.ca_file = pki_->server_key_file();  // readable, but no certificate in it
  ctx = MakeTlsContext(o);
  EXPECT_EQ(ctx.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(ctx.status().message(), pki_->server_key_file())) << ctx.status();

  o.ca_file = pki_->ca_file();
  o.cert_file = pki_->client_cert();
  ctx = MakeTlsContext(o);
  EXPECT_EQ(ctx.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(ctx.status().message(), "both cert_file and key_file")) << ctx.status();

  o.key_file = pki_->server_key_file();  // not the client certificate's key
  ctx = MakeTlsContext(o);
  EXPECT_EQ(ctx.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(ctx.status().message(), "does not match")) << ctx.status();

  o.key_file = pki_->client_key_file();
  EXPECT_TRUE(MakeTlsContext(o).ok());
}

TEST(HeartbeatTest, SilentServerIsClosedAndInFlightRequestsFailUnavailable) {
  asio::io_context io;
  FakeServer server(io);
  server.mode = Mode::kSilent;
  asio::co_spawn(io, server.Accept(), asio::detached);
  ConnectionOptions o = ConnOptions(server.port());
  o.heartbeat_interval = milliseconds(200);
  o.heartbeat_timeout = milliseconds(300);
  const auto start = Clock::now();
  auto conn = OpenSync(io, o);
  ASSERT_TRUE(conn.ok()) << conn.status();
  // The request's own timeout is far away: the heartbeat must fail it first.
  absl::Status s = QuerySync(io, **conn, milliseconds(10000));
  const auto elapsed = Clock::now() - start;
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_TRUE(Contains(s.message(), "did not answer a heartbeat within 300 ms")) << s;
  EXPECT_GE(elapsed, milliseconds(490));
  EXPECT_LT(elapsed, milliseconds(1500));
  EXPECT_FALSE((*conn)->is_open());
  EXPECT_FALSE((*conn)->usable());
  EXPECT_EQ((*conn)->heartbeats_sent(), 1);
}

TEST(HeartbeatTest, AnsweringIdleServerKeepsTheConnectionOpen) {
  asio::io_context io;
  FakeServer server(io);
  asio::co_spawn(io, server.Accept(), asio::detached);
  ConnectionOptions o = ConnOptions(server.port());
  o.heartbeat_interval = milliseconds(50);
  o.heartbeat_timeout = milliseconds(1000);
  auto conn = OpenSync(io, o);
  ASSERT_TRUE(conn.ok()) << conn.status();
  auto quiet = OpenSync(io, ConnOptions(server.port()));  // heartbeats off
  ASSERT_TRUE(quiet.ok()) << quiet.status();
  RunFor(io, milliseconds(400));
  EXPECT_TRUE((*conn)->is_open());
  EXPECT_GE((*conn)->heartbeats_sent(), 4);
  EXPECT_LE((*conn)->heartbeats_sent(), 9);
  EXPECT_EQ(server.heartbeats, (*conn)->heartbeats_sent());
  EXPECT_EQ((*quiet)->heartbeats_sent(), 0);
  EXPECT_TRUE(QuerySync(io, **conn).ok());
  (*conn)->Close(absl::CancelledError("test done"));
  const int64_t sent = (*conn)->heartbeats_sent();
  RunFor(io, milliseconds(150));
  EXPECT_EQ((*conn)->heartbeats_sent(), sent);  // the timer stopped with the connection
}

TEST(StreamIdTest, UsableTurnsFalseWhileEveryStreamIdIsTaken) {
  asio::io_context io;
  FakeServer server(io);
  server.query_delay = milliseconds(200);
  asio::co_spawn(io, server.Accept(), asio::detached);
  ConnectionOptions o = ConnOptions(server.port());
  o.max_streams = 2;
  auto opened = OpenSync(io, o);
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::shared_ptr<Connection> conn = *opened;
  EXPECT_TRUE(conn->usable());
  const std::string frame = QueryFrame();
  int ok = 0;
  for (int i = 0; i < 2; ++i) {
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      auto r = co_await conn->Send(frame, milliseconds(2000));
      if (r.ok()) ++ok;
    }, asio::detached);
  }
  RunFor(io, milliseconds(50));
  EXPECT_EQ(conn->in_flight(), 2);
  EXPECT_TRUE(conn->is_open());
  EXPECT_FALSE(conn->usable());
  const auto start = Clock::now();
  absl::Status third = QuerySync(io, *conn);
  EXPECT_EQ(third.code(), absl::StatusCode::kUnavailable) << third;
  EXPECT_TRUE(Contains(third.message(), "all 2 stream ids")) << third;
  EXPECT_LT(Clock::now() - start, milliseconds(50));
  RunFor(io, milliseconds(600));
  EXPECT_EQ(ok, 2);
  EXPECT_TRUE(conn->usable());
  EXPECT_TRUE(QuerySync(io, *conn).ok());
}

std::string EventFrame(const std::function<void(RequestWriter&)>& body) {
  std::string out;
  RequestWriter w(&out);
  const size_t start = w.BeginFrame(Opcode::kEvent, -1);
  body(w);
  w.EndFrame(start);
  out[start] = static_cast<char>(0x84);
  return out;
}

TEST(EventTest, PushedEventsReachOnEvent) {
  asio::io_context io;
  FakeServer server(io);
  server.events_after_register =
      EventFrame([](RequestWriter& w) {
        w.WriteString("STATUS_CHANGE");
        w.WriteString("DOWN");
        w.WriteInet(std::string("\x0a\x00\x00\x07", 4), 9042);
      }) +
      EventFrame([](RequestWriter& w) {
        w.WriteString("SCHEMA_CHANGE");
        w.WriteString("CREATED");
        w.WriteString("TABLE");
        w.WriteString("ks");
        w.WriteString("t");
      });
  asio::co_spawn(io, server.Accept(), asio::detached);
  std::vector<EventMessage> events;
  ConnectionOptions o = ConnOptions(server.port());
  o.on_event = [&](const EventMessage& e) { events.push_back(e); };
  auto conn = OpenSync(io, o);
  ASSERT_TRUE(conn.ok()) << conn.status();
  std::string frame;
  ASSERT_TRUE(EncodeRegister({"STATUS_CHANGE", "SCHEMA_CHANGE"}, &frame).ok());
  auto reply = testing::RunSync(io, (*conn)->Send(frame, milliseconds(2000)));
  ASSERT_TRUE(reply.ok()) << reply.status();
  auto message = DecodeResponse(std::move(reply).value());
  ASSERT_TRUE(message.ok()) << message.status();
  EXPECT_TRUE(std::holds_alternative<ReadyMessage>(*message));
  EXPECT_EQ(server.registered, (std::vector<std::string>{"STATUS_CHANGE", "SCHEMA_CHANGE"}));
  for (int i = 0; i < 100 && events.size() < 2; ++i) RunFor(io, milliseconds(10));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "STATUS_CHANGE");
  EXPECT_EQ(events[0].change, "DOWN");
  EXPECT_EQ(events[0].address, "10.0.0.7");
  EXPECT_EQ(events[0].port, 9042);
  EXPECT_EQ(events[1].type, "SCHEMA_CHANGE");
  EXPECT_EQ(events[1].target, "TABLE");
  EXPECT_EQ(events[1].keyspace, "ks");
  EXPECT_EQ(events[1].name, "t");
  EXPECT_TRUE((*conn)->is_open());
  EXPECT_TRUE(QuerySync(io, **conn).ok());
}

TEST(EventTest, MalformedEventClosesTheConnection) {
  asio::io_context io;
  FakeServer server(io);
  server.events_after_register = EventFrame([](RequestWriter& w) {
    w.WriteString("STATUS_CHANGE");
    w.WriteString("UP");
    w.WriteByte(5);  // [inet] of 5 bytes
  });
  asio::co_spawn(io, server.Accept(), asio::detached);
  int calls = 0;
  ConnectionOptions o = ConnOptions(server.port());
  o.on_event = [&](const EventMessage&) { ++calls; };
  auto conn = OpenSync(io, o);
  ASSERT_TRUE(conn.ok()) << conn.status();
  std::string frame;
  ASSERT_TRUE(EncodeRegister({"STATUS_CHANGE"}, &frame).ok());
  ASSERT_TRUE(testing::RunSync(io, (*conn)->Send(frame, milliseconds(2000))).ok());
  for (int i = 0; i < 100 && (*conn)->is_open(); ++i) RunFor(io, milliseconds(10));
  EXPECT_FALSE((*conn)->is_open());
  EXPECT_EQ(calls, 0);
  absl::Status s = QuerySync(io, **conn);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(Contains(s.message(), "malformed EVENT")) << s;
}

// A port that was free a moment ago.
uint16_t FreePort(asio::io_context& io) {
  tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

TEST(LocalPortTest, ConnectsFromTheChosenPort) {
  asio::io_context io;
  FakeServer server(io);
  asio::co_spawn(io, server.Accept(), asio::detached);
  ConnectionOptions o = ConnOptions(server.port());
  o.local_port = FreePort(io);
  auto conn = OpenSync(io, o);
  ASSERT_TRUE(conn.ok()) << conn.status();
  EXPECT_EQ(server.last_remote_port, o.local_port);
  EXPECT_TRUE(QuerySync(io, **conn).ok());

  // The same source port to the same server: that 4-tuple is taken.
  auto again = OpenSync(io, o);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kUnavailable) << again.status();
  EXPECT_TRUE(Contains(again.status().message(), "local port " + std::to_string(o.local_port))) << again.status();
}

TEST(LocalPortTest, PortInUseIsUnavailableAndNamesThePort) {
  asio::io_context io;
  FakeServer server(io);
  asio::co_spawn(io, server.Accept(), asio::detached);
  tcp::acceptor squatter(io, tcp::endpoint(asio::ip::make_address("0.0.0.0"), 0));  // listening: EADDRINUSE
  ConnectionOptions o = ConnOptions(server.port());
  o.local_port = squatter.local_endpoint().port();
  auto conn = OpenSync(io, o);
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kUnavailable) << conn.status();
  EXPECT_TRUE(Contains(conn.status().message(), "local port " + std::to_string(o.local_port) + ": the port is in use"))
      << conn.status();
  EXPECT_EQ(server.connections, 0);
}

bool HasIpv6Loopback(asio::io_context& io) {
  asio::error_code ec;
  tcp::acceptor a(io);
  a.open(tcp::v6(), ec);
  if (!ec) a.bind(tcp::endpoint(asio::ip::make_address("::1"), 0), ec);
  return !ec;
}

TEST(Ipv6Test, EndpointIsBracketed) {
  asio::io_context io;
  ConnectionOptions o;
  o.host = "::1";
  EXPECT_EQ(Connection(io.get_executor(), o).endpoint(), "[::1]:9042");
  o.host = "[fe80::1]";
  o.port = 19042;
  EXPECT_EQ(Connection(io.get_executor(), o).endpoint(), "[fe80::1]:19042");
  o.host = "db1.example.com";
  EXPECT_EQ(Connection(io.get_executor(), o).endpoint(), "db1.example.com:19042");
}

TEST(Ipv6Test, Ipv6LiteralConnects) {
  asio::io_context io;
  if (!HasIpv6Loopback(io)) GTEST_SKIP() << "no IPv6 on the loopback interface (::1 cannot be bound)";
  FakeServer server(io, "::1");
  asio::co_spawn(io, server.Accept(), asio::detached);
  for (const std::string host : {"::1", "[::1]"}) {
    auto conn = OpenSync(io, ConnOptions(server.port(), host));
    ASSERT_TRUE(conn.ok()) << host << ": " << conn.status();
    EXPECT_EQ((*conn)->endpoint(), "[::1]:" + std::to_string(server.port()));
    EXPECT_TRUE(QuerySync(io, **conn).ok());
    (*conn)->Close(absl::CancelledError("test done"));
  }
  // Closed port: the error names the bracketed endpoint.
  const uint16_t port = server.port();
  server.acceptor.close();
  auto refused = OpenSync(io, ConnOptions(port, "::1"));
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(Contains(refused.status().message(), "[::1]:" + std::to_string(port))) << refused.status();
}

TEST_F(TlsTest, Ipv6WithTls) {
  asio::io_context io;
  if (!HasIpv6Loopback(io)) GTEST_SKIP() << "no IPv6 on the loopback interface (::1 cannot be bound)";
  FakeServer server(io, "::1");
  server.tls = pki_->ServerContext();
  asio::co_spawn(io, server.Accept(), asio::detached);
  ConnectionOptions o = ConnOptions(server.port(), "::1");
  o.tls = pki_->ClientContext(pki_->ca_file());
  o.tls_verify_name = "::1";
  auto conn = OpenSync(io, o);
  ASSERT_TRUE(conn.ok()) << conn.status();
  EXPECT_TRUE(QuerySync(io, **conn).ok());
}

}  // namespace
}  // namespace cql::internal
