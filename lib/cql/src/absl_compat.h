// Debian's Abseil is built with its own absl::string_view (not an alias of
// std::string_view). Sv() bridges the two without copying.
#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace cql::internal {

inline absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view StdSv(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace cql::internal
