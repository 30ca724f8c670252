#include "tls.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "absl/strings/str_cat.h"

namespace cql::internal {
namespace {

// "No such file or directory" if `path` cannot be opened for reading.
std::string Unreadable(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return std::strerror(errno);
  std::fclose(f);
  return "";
}

// The OpenSSL reason of the last error, or asio's text for `ec`.
std::string SslError(const asio::error_code& ec) {
  const unsigned long e = ERR_peek_last_error();  // NOLINT(runtime/int): OpenSSL's type
  std::string reason = e != 0 && ERR_reason_error_string(e) != nullptr ? ERR_reason_error_string(e) : ec.message();
  ERR_clear_error();
  return reason;
}

// Loads one PEM file with `load`, naming the file and its role on failure.
template <typename Load>
absl::Status LoadFile(const std::string& what, const std::string& path, Load load) {
  if (std::string why = Unreadable(path); !why.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read TLS ", what, " '", path, "': ", why));
  }
  ERR_clear_error();
  asio::error_code ec;
  load(ec);
  if (ec) {
    return absl::InvalidArgumentError(absl::StrCat("cannot load TLS ", what, " '", path, "': ", SslError(ec)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<asio::ssl::context>> MakeTlsContext(const TlsOptions& options) {
  if (options.ca_file.empty()) {
    return absl::InvalidArgumentError("TLS needs a CA file (TlsOptions::ca_file) to verify the nodes' certificates");
  }
  if (options.cert_file.empty() != options.key_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a TLS client certificate needs both cert_file and key_file; only ",
        options.cert_file.empty() ? "key_file ('" + options.key_file + "')" : "cert_file ('" + options.cert_file + "')",
        " is set"));
  }
  std::shared_ptr<asio::ssl::context> ctx;
  try {
    ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("cannot create a TLS context: ", e.what()));
  }
  SSL_CTX* native = ctx->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
    return absl::InternalError("cannot restrict the TLS context to TLS 1.2 or later");
  }
  asio::error_code ec;
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_compression, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot set TLS context options: ", ec.message()));
  ctx->set_verify_mode(asio::ssl::verify_peer, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot enable TLS peer verification: ", ec.message()));

  absl::Status s = LoadFile("CA file", options.ca_file, [&](asio::error_code& e) {
    ctx->load_verify_file(options.ca_file, e);
  });
  if (!s.ok()) return s;
  if (!options.cert_file.empty()) {
    s = LoadFile("client certificate", options.cert_file, [&](asio::error_code& e) {
      ctx->use_certificate_chain_file(options.cert_file, e);
    });
    if (!s.ok()) return s;
    bool mismatch = false;
    s = LoadFile("client key", options.key_file, [&](asio::error_code& e) {
      ctx->use_private_key_file(options.key_file, asio::ssl::context::pem, e);
      // asio pops the OpenSSL error into the error_code's value.
      mismatch = e && e.category() == asio::error::get_ssl_category() &&
                 ERR_GET_REASON(static_cast<unsigned long>(e.value())) == X509_R_KEY_VALUES_MISMATCH;  // NOLINT
    });
    if (mismatch || (s.ok() && SSL_CTX_check_private_key(native) != 1)) {
      ERR_clear_error();
      return absl::InvalidArgumentError(absl::StrCat("TLS client key '", options.key_file,
                                                     "' does not match the certificate '", options.cert_file, "'"));
    }
    if (!s.ok()) return s;
  }
  return ctx;
}

}  // namespace cql::internal
