// TLS client contexts for CQL connections (client_encryption_options on the
// server side). One context is built per Session from cql::TlsOptions and
// shared by all its connections; each connection then wraps its TCP socket
// in an asio::ssl::stream over it (connection.h).
#pragma once

#include <memory>

#include <asio/ssl/context.hpp>

#include "absl/status/statusor.h"
#include "cql/options.h"

namespace cql::internal {

// A TLS client context: TLS 1.2 or later, the peer's certificate chain
// verified against options.ca_file (verify_peer), and the client certificate
// cert_file + key_file presented when both are set (require_client_auth).
// Name verification is per connection (ConnectionOptions::tls_verify_name);
// options.enabled and options.verify_hostname are not looked at here.
//
// INVALID_ARGUMENT, naming the file, when ca_file is empty or cannot be read
// or holds no certificate, when only one of cert_file / key_file is set, when
// either cannot be loaded, or when the key does not match the certificate.
absl::StatusOr<std::shared_ptr<asio::ssl::context>> MakeTlsContext(const TlsOptions& options);

}  // namespace cql::internal
