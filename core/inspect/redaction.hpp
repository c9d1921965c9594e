#pragma once
// Secrets never reach an inspect screen or document. Two rules, applied to every event:
// - by key: the value of a JSON key (or a `key=value` / `key: value` in text) whose name has a
//   secret word as one of its parts: authorization, auth, token, password, passwd, secret,
//   cookie, credential(s), api key (api_key, apiKey, x-api-key), private key. Parts split on
//   '_', '-', '.', spaces and camelCase, so "tokens_in" or "max_tokens" stay visible.
// - by shape: "Bearer <token>", "Basic <credentials>", and OpenAI-style "sk-..." keys anywhere
//   in a string.
// Redacted values become "[redacted]". Over-redacting is acceptable; leaking is not.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace agentrt {

inline constexpr std::string_view kRedacted = "[redacted]";

// True when a key names a secret (see above).
bool is_secret_key(std::string_view key);

// `text` with secret-looking values replaced.
std::string redact_text(std::string_view text);

// A copy of `value`: secret keys' values replaced, every string passed through redact_text.
nlohmann::json redact_json(const nlohmann::json& value);

// Text that may hold JSON (a tool's output, a model's raw tool-call arguments): parsed and
// redacted structurally when it is JSON (then dumped compactly), else redacted as text.
std::string redact_json_text(std::string_view text);

}  // namespace agentrt
