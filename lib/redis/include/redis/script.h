// redis::Script — a Lua script identified by the SHA1 of its source.
//
// Client::Eval runs a Script with EVALSHA (only the 40-hex-digit digest goes
// over the wire) and, when the server answers NOSCRIPT (its script cache was
// flushed, or this is a fresh server), transparently falls back to EVAL with
// the full source, which also loads the script into the server's cache; see
// client.h.
//
// The digest is computed locally when the Script is constructed (same value
// as Redis' SCRIPT LOAD returns). A Script is an immutable value, cheap to
// copy (the source is shared), and safe to use from any thread. Typical use:
// a function-local `static const redis::Script kScript(R"lua(...)lua");`.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace redis {

class Script {
 public:
  explicit Script(std::string source);

  const std::string& source() const { return data_->source; }
  // Lower-case hex SHA1 of source(), 40 characters.
  const std::string& sha1() const { return data_->sha1; }

 private:
  struct Data {
    std::string source;
    std::string sha1;
  };
  std::shared_ptr<const Data> data_;
};

// Lower-case hex SHA1 digest of `bytes`.
std::string Sha1Hex(std::string_view bytes);

}  // namespace redis
