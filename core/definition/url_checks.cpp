#include <algorithm>
#include <cctype>

#include "core/definition/definition_validation.hpp"
#include "core/definition/diagnostics.hpp"

namespace agentrt {
namespace {

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

std::optional<std::string> scan_placeholders(std::string_view rest, std::vector<std::string>* placeholders) {
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '}') return std::string("has a '}' without its '{'");
    if (rest[i] != '{') continue;
    const auto close = rest.find('}', i);
    if (close == std::string_view::npos) return std::string("has a '{' without its '}'");
    const auto name = rest.substr(i + 1, close - i - 1);
    const bool valid = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
    });
    if (!valid) return "has a bad placeholder {" + std::string(name) + "} (expected {parameter_name})";
    if (placeholders == nullptr) return std::string("may not contain {placeholders}");
    placeholders->emplace_back(name);
    i = close;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> check_http_url(std::string_view url, bool allow_placeholders,
                                          std::vector<std::string>* placeholders) {
  std::size_t scheme_length = 0;
  if (starts_with_ci(url, "http://")) {
    scheme_length = 7;
  } else if (starts_with_ci(url, "https://")) {
    scheme_length = 8;
  } else {
    return quote_text(url) + " is not an http(s) URL";
  }
  for (char c : url) {
    if (std::isspace(static_cast<unsigned char>(c)) != 0 || std::iscntrl(static_cast<unsigned char>(c)) != 0) {
      return quote_text(url) + " contains a space or control character (encode it)";
    }
  }
  const auto rest = url.substr(scheme_length);
  const auto authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty()) return quote_text(url) + " has no host";
  if (authority.find_first_of("{}") != std::string_view::npos) {
    return quote_text(url) + ": placeholders are not allowed in the host (only in the path and query)";
  }
  if (auto problem = scan_placeholders(rest.substr(authority.size()), allow_placeholders ? placeholders : nullptr)) {
    return quote_text(url) + " " + *problem;
  }
  return std::nullopt;
}

bool is_env_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])) != 0) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; });
}

std::optional<std::string> check_env_references(std::string_view value) {
  constexpr std::string_view kOpen = "${env:";
  const std::string expected = " (expected ${env:NAME}, NAME made of letters, digits and _)";
  for (std::size_t i = value.find("${"); i != std::string_view::npos; i = value.find("${", i + 1)) {
    if (value.substr(i, kOpen.size()) != kOpen) {
      return "a \"${\" at character " + std::to_string(i + 1) + " does not start an ${env:...} reference" + expected;
    }
    const auto close = value.find('}', i);
    if (close == std::string_view::npos || !is_env_name(value.substr(i + kOpen.size(), close - i - kOpen.size()))) {
      return "malformed ${env:...} reference at character " + std::to_string(i + 1) + expected;
    }
  }
  return std::nullopt;
}

}  // namespace agentrt
