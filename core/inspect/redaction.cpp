#include "core/inspect/redaction.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

#include "core/inspect/excerpt.hpp"

namespace agentrt {
namespace {

bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool is_upper(char c) { return std::isupper(static_cast<unsigned char>(c)) != 0; }
bool is_lower(char c) { return std::islower(static_cast<unsigned char>(c)) != 0; }
char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// "X-Api-Key" -> {x, api, key}; "accessToken" -> {access, token}; "HTTPHeader" -> {http, header}.
std::vector<std::string> key_parts(std::string_view key) {
  std::vector<std::string> parts;
  std::string part;
  for (std::size_t i = 0; i < key.size(); ++i) {
    const char c = key[i];
    if (!is_alnum(c)) {
      if (!part.empty()) parts.push_back(std::move(part));
      part.clear();
      continue;
    }
    const bool boundary = !part.empty() && is_upper(c) &&
                          (is_lower(key[i - 1]) || (i + 1 < key.size() && is_lower(key[i + 1]) && is_upper(key[i - 1])));
    if (boundary) {
      parts.push_back(std::move(part));
      part.clear();
    }
    part += lower(c);
  }
  if (!part.empty()) parts.push_back(std::move(part));
  return parts;
}

constexpr std::array kSecretParts{"authorization", "auth",   "token",       "password", "passwd", "secret",
                                  "cookie",        "apikey", "credential", "credentials", "privatekey", "pwd"};

bool is_secret_part(std::string_view part) {
  return std::find(kSecretParts.begin(), kSecretParts.end(), part) != kSecretParts.end();
}

// Token characters of bearer tokens and keys (RFC 6750 b64token plus a few).
bool is_token_char(char c) {
  return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '=';
}

bool starts_with_ci(std::string_view text, std::size_t at, std::string_view word) {
  if (text.size() - at < word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (lower(text[at + i]) != word[i]) return false;
  }
  return true;
}

std::size_t skip_spaces(std::string_view text, std::size_t i) {
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  return i;
}

// The end of a value after "key=" or "key:": quoted (to the closing quote), or a run up to
// whitespace or a separator. A scheme ("Bearer x") belongs to the value.
std::size_t value_end(std::string_view text, std::size_t begin) {
  if (begin < text.size() && (text[begin] == '"' || text[begin] == '\'')) {
    const char quote = text[begin];
    std::size_t i = begin + 1;
    while (i < text.size() && text[i] != quote) i += (text[i] == '\\' && i + 1 < text.size()) ? 2 : 1;
    return std::min(i + 1, text.size());
  }
  auto run_end = [&](std::size_t i) {
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])) && text[i] != '&' && text[i] != ',' &&
           text[i] != ';' && text[i] != '"' && text[i] != '\'' && text[i] != '}' && text[i] != ')') {
      ++i;
    }
    return i;
  };
  std::size_t end = run_end(begin);
  for (const std::string_view scheme : {"bearer", "basic", "token"}) {
    if (end - begin == scheme.size() && starts_with_ci(text, begin, scheme) && end < text.size() && text[end] == ' ') {
      return run_end(skip_spaces(text, end));
    }
  }
  return end;
}

// Pass 1: `secret_key = value`, `secret_key: value`, `"secret_key": "value"` in free text.
std::string redact_key_values(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!is_alnum(text[i]) || (i > 0 && (is_alnum(text[i - 1]) || text[i - 1] == '_' || text[i - 1] == '-'))) {
      out += text[i++];
      continue;
    }
    std::size_t key_end = i;
    while (key_end < text.size() && (is_alnum(text[key_end]) || text[key_end] == '_' || text[key_end] == '-')) ++key_end;
    const auto key = text.substr(i, key_end - i);
    out.append(key);
    i = key_end;
    if (!is_secret_key(key)) continue;
    std::size_t j = i;
    if (j < text.size() && (text[j] == '"' || text[j] == '\'')) ++j;  // closing quote of a JSON key
    j = skip_spaces(text, j);
    if (j >= text.size() || (text[j] != '=' && text[j] != ':')) continue;
    j = skip_spaces(text, j + 1);
    const auto end = value_end(text, j);
    if (end == j) continue;
    out.append(text.substr(i, j - i));
    const bool quoted = text[j] == '"' || text[j] == '\'';
    if (quoted) out += text[j];
    out.append(kRedacted);
    if (quoted && end - j >= 2 && text[end - 1] == text[j]) out += text[j];
    i = end;
  }
  return out;
}

// Pass 2: credentials recognisable by their shape wherever they are.
std::string redact_shapes(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const bool word_start = i == 0 || !is_alnum(text[i - 1]);
    if (word_start) {
      bool done = false;
      for (const std::string_view scheme : {"bearer ", "basic "}) {
        if (!starts_with_ci(text, i, scheme)) continue;
        const auto token_begin = skip_spaces(text, i + scheme.size());
        auto token_end = token_begin;
        while (token_end < text.size() && is_token_char(text[token_end])) ++token_end;
        if (token_end - token_begin >= 8) {
          out.append(text.substr(i, scheme.size()));
          out.append(kRedacted);
          i = token_end;
          done = true;
        }
        break;
      }
      if (done) continue;
      if (starts_with_ci(text, i, "sk-")) {
        auto end = i + 3;
        while (end < text.size() && (is_alnum(text[end]) || text[end] == '-' || text[end] == '_')) ++end;
        if (end - i >= 3 + 16) {
          out += "sk-";
          out.append(kRedacted);
          i = end;
          continue;
        }
      }
    }
    out += text[i++];
  }
  return out;
}

}  // namespace

bool is_secret_key(std::string_view key) {
  const auto parts = key_parts(key);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (is_secret_part(parts[i])) return true;
    if (i + 1 < parts.size() && ((parts[i] == "api" && parts[i + 1] == "key") ||
                                 (parts[i] == "private" && parts[i + 1] == "key") ||
                                 (parts[i] == "access" && parts[i + 1] == "key") ||
                                 (parts[i] == "client" && parts[i + 1] == "secret"))) {
      return true;
    }
  }
  return false;
}

std::string redact_text(std::string_view text) {
  // Cheap exit for the common case: nothing that either pass could match.
  if (text.size() < 3) return std::string(text);
  return redact_shapes(redact_key_values(text));
}

nlohmann::json redact_json(const nlohmann::json& value) {
  if (value.is_string()) return redact_text(value.get_ref<const std::string&>());
  if (value.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : value) out.push_back(redact_json(item));
    return out;
  }
  if (value.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, item] : value.items()) {
      // A number can be a PIN or a numeric password: only null and booleans stay visible.
      const bool hide = is_secret_key(key) && !item.is_null() && !item.is_boolean();
      out[key] = hide ? nlohmann::json(kRedacted) : redact_json(item);
    }
    return out;
  }
  return value;
}

std::string redact_json_text(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && (text[first] == '{' || text[first] == '[')) {
    auto parsed = nlohmann::json::parse(text, nullptr, false);
    if (!parsed.is_discarded()) return safe_dump(redact_json(parsed));
  }
  return redact_text(text);
}

}  // namespace agentrt
