#include "resp_writer.h"

#include <hiredis/hiredis.h>

#include <climits>
#include <vector>

namespace redis::internal {
namespace {

// Redis' default proto-max-bulk-len; also keeps hiredis' int length safe.
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
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  ptrs.reserve(argv.size());
  lens.reserve(argv.size());
  for (const auto& a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  char* cmd = nullptr;
  const int len = redisFormatCommandArgv(&cmd, static_cast<int>(argv.size()),
                                         ptrs.data(), lens.data());
  if (len < 0 || cmd == nullptr) {
    return absl::ResourceExhaustedError("redis: cannot format command");
  }
  out->append(cmd, static_cast<size_t>(len));
  redisFreeCommand(cmd);
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
