// Command encoding — sans-I/O RESP2 request framing.
//
// A command is sent as an array of bulk strings (RESP2 specification,
// "Sending commands to a Redis server"): `*<argc>\r\n` then `$<len>\r\n<arg>\r\n`
// per argument. Arguments are binary-safe (they may contain "\r\n" and NUL).
// The framing is written directly (std::to_chars for the lengths, no printf).
//
// Thread-safe (pure functions).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace redis::internal {

// Appends the encoding of `argv` to `*out`. Fails with INVALID_ARGUMENT for
// an empty argv (and for more arguments than an int can count), leaving
// `*out` unchanged.
absl::Status AppendCommand(std::span<const std::string_view> argv,
                           std::string* out);
absl::Status AppendCommand(std::span<const std::string> argv, std::string* out);

// The encoding of one command.
absl::StatusOr<std::string> EncodeCommand(std::span<const std::string> argv);

}  // namespace redis::internal
