#pragma once
// Decoding of request targets (RFC 3986 percent-encoding, and the '+' of query strings).

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace agentrt {

// "%41b" -> "Ab". nullopt for a malformed escape ("%4", "%zz"). With plus_is_space, '+'
// decodes to ' ' (form encoding, used in query strings only).
[[nodiscard]] std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space = false);

// "a=1&b=x%20y&flag" -> {a:"1", b:"x y", flag:""}. The first occurrence of a key wins, empty
// pairs ("a=1&&b=2") are skipped. nullopt if any name or value is malformed.
[[nodiscard]] std::optional<std::map<std::string, std::string, std::less<>>> parse_query(std::string_view query);

}  // namespace agentrt
