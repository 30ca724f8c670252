#include "resp_writer.h"

#include <charconv>
#include <climits>

namespace redis::internal {
namespace {

// Redis' default proto-max-bulk-len.
constexpr size_t kMaxCommandBytes = size_t{512} << 20;

template <typename Str>
absl::Status AppendImpl(std::span<const Str> argv, std::string* out) {
  if (argv.empty()) {
    return absl::InvalidArgumentError("redis: command has no arguments");
  }
  if (argv.size() > static_cast<size_t>(INT_MAX)) {
    return absl::InvalidArgumentError("redis: command has too many arguments");
  }
  size_t total = 0;
  for (const auto& a : argv) total += a.size();
  if (total > kMaxCommandBytes) {
    return absl::InvalidArgumentError(
        "redis: command arguments exceed 512 MiB (proto-max-bulk-len)");
  }
  // "*<n>\r\n" then "$<len>\r\n<bytes>\r\n" per argument, written in place
  // (no temporary command buffer, no printf).
  char digits[24];
  auto append_header = [&](char kind, size_t n) {
    out->push_back(kind);
    const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), n);
    (void)ec;  // 24 digits hold any size_t
    out->append(digits, static_cast<size_t>(end - digits));
    out->append("\r\n", 2);
  };
  append_header('*', argv.size());
  for (const auto& a : argv) {
    append_header('$', a.size());
    out->append(a.data(), a.size());
    out->append("\r\n", 2);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status AppendCommand(std::span<const std::string_view> argv,
                           std::string* out) {
  return AppendImpl(argv, out);
}

absl::Status AppendCommand(std::span<const std::string> argv, std::string* out) {
  return AppendImpl(argv, out);
}

absl::StatusOr<std::string> EncodeCommand(std::span<const std::string> argv) {
  std::string out;
  if (absl::Status s = AppendCommand(argv, &out); !s.ok()) return s;
  return out;
}

}  // namespace redis::internal
