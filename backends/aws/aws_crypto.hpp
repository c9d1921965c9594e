#pragma once
// SHA-256 and HMAC-SHA256 (OpenSSL) for SigV4. OpenSSL stays private to the .cpp.

#include <string>
#include <string_view>

namespace agentrt {

// Raw 32-byte digests, as std::string of bytes.
[[nodiscard]] std::string sha256_bytes(std::string_view data);
[[nodiscard]] std::string hmac_sha256_bytes(std::string_view key, std::string_view data);
// Lowercase hex of any bytes.
[[nodiscard]] std::string hex_lower(std::string_view bytes);
[[nodiscard]] inline std::string sha256_hex(std::string_view data) { return hex_lower(sha256_bytes(data)); }

}  // namespace agentrt
