#pragma once
// Per-org API tokens: a request's `Authorization: Bearer <token>` names its org, and every
// handler acts only on that org's sessions. Only sha256 digests are kept in memory; lookups
// compare every digest in constant time, so timing tells nothing about a near miss.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/error.hpp"
#include "serve/serve_config.hpp"

namespace agentrt::serve {

class OrgTokens {
 public:
  // Reads each org's token from its variable. Errc::invalid naming the org and the variable
  // (never the value) when one is unset or shorter than 16 characters.
  static Result<OrgTokens> from_config(const std::vector<OrgAccess>& orgs, const EnvLookup& env);

  // The org whose token this is; nullopt for an unknown or empty token.
  [[nodiscard]] std::optional<std::string> org_for(std::string_view token) const;

 private:
  struct Entry {
    std::string org;
    std::string token_sha256;
  };
  std::vector<Entry> entries_;
};

// The token of an `Authorization: Bearer <token>` header value; nullopt for another scheme.
std::optional<std::string_view> bearer_token(std::string_view authorization);

}  // namespace agentrt::serve
