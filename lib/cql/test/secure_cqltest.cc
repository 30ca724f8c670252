// The session against a Cassandra node with TLS-only client connections and
// PasswordAuthenticator (label secure; scripts/test.sh starts the node with
// scripts/cassandra.sh --secure and certificates from scripts/certs.sh).
//
// Environment: INVENTORY_TEST_SECURE_CQL_HOST / _PORT, INVENTORY_TEST_SECURE_USER
// / _PASSWORD and INVENTORY_TEST_TLS_DIR (ca.pem, client.pem, client-key.pem).
// Without them every test is skipped.
#include <cstdlib>
#include <string>

#include <asio/io_context.hpp>
#include <gtest/gtest.h>

#include "cql_test_env.h"

namespace cql::testing {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

class SecureNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    host_ = Env("INVENTORY_TEST_SECURE_CQL_HOST");
    port_ = Env("INVENTORY_TEST_SECURE_CQL_PORT");
    tls_dir_ = Env("INVENTORY_TEST_TLS_DIR");
    if (host_.empty() || port_.empty() || tls_dir_.empty()) {
      GTEST_SKIP() << "no secure node (INVENTORY_TEST_SECURE_CQL_HOST/PORT, INVENTORY_TEST_TLS_DIR)";
    }
  }

  SessionOptions Options() const {
    SessionOptions o;
    o.contact_points = {host_ + ":" + port_};
    o.connect_timeout = std::chrono::milliseconds(10000);
    o.username = Env("INVENTORY_TEST_SECURE_USER");
    o.password = Env("INVENTORY_TEST_SECURE_PASSWORD");
    o.tls.enabled = true;
    o.tls.ca_file = tls_dir_ + "/ca.pem";
    return o;
  }

  absl::StatusOr<std::unique_ptr<Session>> Connect(const SessionOptions& o) {
    return RunSync(io_, Session::Connect(io_.get_executor(), o));
  }

  asio::io_context io_;
  std::string host_;
  std::string port_;
  std::string tls_dir_;
};

TEST_F(SecureNodeTest, TlsWithTheRightCaAndPasswordIsServed) {
  auto session = Connect(Options());
  ASSERT_TRUE(session.ok()) << session.status();
  auto r = RunSync(io_, (*session)->Query("SELECT release_version FROM system.local"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->row_count(), 1u);
  // The user the node knows us as.
  auto who = RunSync(io_, (*session)->Query("LIST ROLES"));
  EXPECT_TRUE(who.ok()) << who.status();
  RunSync(io_, (*session)->Close());
}

TEST_F(SecureNodeTest, AClientCertificateIsPresentedWhenConfigured) {
  SessionOptions o = Options();
  o.tls.cert_file = tls_dir_ + "/client.pem";
  o.tls.key_file = tls_dir_ + "/client-key.pem";
  auto session = Connect(o);
  ASSERT_TRUE(session.ok()) << session.status();
  RunSync(io_, (*session)->Close());
}

TEST_F(SecureNodeTest, TheNodesNameIsVerified) {
  SessionOptions o = Options();
  o.contact_points = {"localhost:" + port_};  // DNS:localhost is in the node's certificate
  auto session = Connect(o);
  ASSERT_TRUE(session.ok()) << session.status();
  RunSync(io_, (*session)->Close());
}

TEST_F(SecureNodeTest, AWrongPasswordIsUnauthenticated) {
  SessionOptions o = Options();
  o.password = "not-the-password";
  auto session = Connect(o);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), absl::StatusCode::kUnauthenticated) << session.status();
  EXPECT_NE(session.status().message().find(o.username), std::string::npos) << session.status();
}

TEST_F(SecureNodeTest, NoCredentialsIsUnauthenticated) {
  SessionOptions o = Options();
  o.username.clear();
  o.password.clear();
  auto session = Connect(o);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), absl::StatusCode::kUnauthenticated) << session.status();
  EXPECT_NE(session.status().message().find("requires authentication"), std::string::npos) << session.status();
}

TEST_F(SecureNodeTest, PlainTcpIsNotServed) {
  SessionOptions o = Options();
  o.tls.enabled = false;
  o.connect_timeout = std::chrono::milliseconds(3000);
  auto session = Connect(o);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), absl::StatusCode::kUnavailable) << session.status();
}

TEST_F(SecureNodeTest, ACertificateFromAnotherAuthorityIsRefused) {
  SessionOptions o = Options();
  o.tls.ca_file = tls_dir_ + "/client.pem";  // a certificate, but not the node's authority
  auto session = Connect(o);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), absl::StatusCode::kUnavailable) << session.status();
  EXPECT_NE(session.status().message().find("certificate"), std::string::npos) << session.status();
}

}  // namespace
}  // namespace cql::testing
