#pragma once
// URL helpers: percent-encoding for URL templates, and a form of a URL safe to put in a
// message or a log (no credentials, no query string: either may carry a secret).

#include <string>
#include <string_view>

namespace agentrt {

// Percent-encodes every byte except RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~).
[[nodiscard]] std::string url_encode(std::string_view text);

// "https://user:pw@host:8443/v1/x?key=s#f" -> "https://host:8443/v1/x".
[[nodiscard]] std::string redact_url(std::string_view url);

}  // namespace agentrt
