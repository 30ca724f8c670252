#include "status_util.h"

#include "absl/strings/str_cat.h"

namespace redis::internal {

std::string FormatAddress(const ClientOptions& options) {
  if (options.host.find(':') != std::string::npos) {  // IPv6 literal
    return absl::StrCat("[", options.host, "]:", options.port);
  }
  return absl::StrCat(options.host, ":", options.port);
}

absl::Status Unavailable(absl::string_view address, absl::string_view what) {
  return absl::UnavailableError(absl::StrCat("redis ", address, ": ", what));
}

absl::Status ServerErrorStatus(absl::string_view address,
                               absl::string_view context, const Reply& reply) {
  const std::string_view code = reply.error_code();
  std::string message =
      absl::StrCat("redis ", address, ": ", context, ": ", reply.str());
  if (code == "NOAUTH" || code == "WRONGPASS" ||
      (context.substr(0, 4) == "AUTH")) {
    return absl::UnauthenticatedError(std::move(message));
  }
  if (code == "LOADING" || code == "BUSY" || code == "MASTERDOWN" ||
      code == "TRYAGAIN") {
    return absl::UnavailableError(std::move(message));
  }
  return absl::FailedPreconditionError(std::move(message));
}

}  // namespace redis::internal
