// Status helpers shared by the connection and the client: every message
// starts with "redis <host:port>: " so an operator can tell which server.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "redis/client_options.h"
#include "redis/reply.h"

namespace redis::internal {

// "host:port", or "[v6]:port".
std::string FormatAddress(const ClientOptions& options);

absl::Status Unavailable(absl::string_view address, absl::string_view what);

// Maps a server error reply received during connection set-up or a health
// check to a Status: NOAUTH/WRONGPASS -> UNAUTHENTICATED; LOADING, BUSY,
// MASTERDOWN, TRYAGAIN (transient) -> UNAVAILABLE; anything else ->
// FAILED_PRECONDITION (a configuration problem). REQUIRES: reply.is_error().
absl::Status ServerErrorStatus(absl::string_view address,
                               absl::string_view context, const Reply& reply);

}  // namespace redis::internal
