#include "redis/script.h"

#include <openssl/evp.h>

#include <utility>

namespace redis {

std::string Sha1Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  // EVP_Digest with SHA1 cannot fail for in-memory input short of an
  // allocation failure inside OpenSSL; report that as an empty digest, which
  // the server will simply answer with NOSCRIPT (and Eval falls back).
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &digest_len, EVP_sha1(),
                 nullptr) != 1) {
    return std::string();
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * digest_len);
  for (unsigned int i = 0; i < digest_len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

Script::Script(std::string source) {
  std::string sha = Sha1Hex(source);
  data_ = std::make_shared<const Data>(Data{std::move(source), std::move(sha)});
}

}  // namespace redis
