#include "backends/http/url.hpp"

namespace agentrt {
namespace {

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

}  // namespace

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0F]);
    }
  }
  return out;
}

std::string redact_url(std::string_view url) {
  std::string_view scheme;
  std::string_view rest = url;
  if (const auto sep = url.find("://"); sep != std::string_view::npos) {
    scheme = url.substr(0, sep + 3);
    rest = url.substr(sep + 3);
  }
  rest = rest.substr(0, rest.find_first_of("?#"));
  if (!scheme.empty()) {
    // Userinfo sits before the last '@' of the authority (which ends at the first '/').
    const auto authority_end = rest.find('/');
    const auto at = rest.substr(0, authority_end).rfind('@');
    if (at != std::string_view::npos) rest = rest.substr(at + 1);
  }
  return std::string(scheme) + std::string(rest);
}

}  // namespace agentrt
