#include "serve/org_tokens.hpp"

#include "core/definition/canonical_definition.hpp"

namespace agentrt::serve {
namespace {

constexpr std::size_t kMinTokenLength = 16;

// Equal-length hex digests compared without an early exit.
bool same_digest(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

Result<OrgTokens> OrgTokens::from_config(const std::vector<OrgAccess>& orgs, const EnvLookup& env) {
  OrgTokens tokens;
  for (const auto& access : orgs) {
    if (!access.token_sha256.empty()) {
      tokens.entries_.push_back({access.org, access.token_sha256});
      continue;
    }
    const auto token = env(access.token_env);
    if (!token) {
      return Error{Errc::invalid, "org " + access.org + ": its token variable " + access.token_env + " is not set"};
    }
    if (token->size() < kMinTokenLength) {
      return Error{Errc::invalid, "org " + access.org + ": the token in " + access.token_env + " is shorter than " +
                                      std::to_string(kMinTokenLength) + " characters"};
    }
    tokens.entries_.push_back({access.org, sha256_hex(*token)});
  }
  return tokens;
}

std::optional<std::string> OrgTokens::org_for(std::string_view token) const {
  if (token.empty()) return std::nullopt;
  const auto digest = sha256_hex(token);
  std::optional<std::string> found;
  for (const auto& entry : entries_) {  // no break: the time does not depend on which one matched
    if (same_digest(digest, entry.token_sha256)) found = entry.org;
  }
  return found;
}

std::optional<std::string_view> bearer_token(std::string_view authorization) {
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() <= kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    const char c = authorization[i];
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    const char want = (kScheme[i] >= 'A' && kScheme[i] <= 'Z') ? static_cast<char>(kScheme[i] - 'A' + 'a') : kScheme[i];
    if (lower != want) return std::nullopt;
  }
  auto token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  return token;
}

}  // namespace agentrt::serve
