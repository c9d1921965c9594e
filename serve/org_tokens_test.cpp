#include "serve/org_tokens.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "core/definition/canonical_definition.hpp"

namespace agentrt::serve {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kAcmeToken = "acme-token-0123456789";
constexpr std::string_view kGlobexToken = "globex-token-abcdefghij";

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

OrgTokens two_orgs() {
  const std::vector<OrgAccess> orgs{{"acme", "ACME_TOKEN", ""}, {"globex", "", sha256_hex(kGlobexToken)}};
  auto tokens = OrgTokens::from_config(orgs, env_of({{"ACME_TOKEN", std::string(kAcmeToken)}}));
  EXPECT_TRUE(tokens.ok()) << tokens.error().message;
  return tokens.ok() ? std::move(tokens).value() : OrgTokens{};
}

TEST(OrgTokens, EachTokenNamesItsOrg) {
  const auto tokens = two_orgs();
  EXPECT_EQ(tokens.org_for(kAcmeToken), "acme");        // from its variable
  EXPECT_EQ(tokens.org_for(kGlobexToken), "globex");    // from its sha256 in the config
}

TEST(OrgTokens, UnknownEmptyAndNearMissTokensNameNoOrg) {
  const auto tokens = two_orgs();
  EXPECT_EQ(tokens.org_for(""), std::nullopt);
  EXPECT_EQ(tokens.org_for("someone-elses-token-123"), std::nullopt);
  EXPECT_EQ(tokens.org_for(std::string(kAcmeToken) + "x"), std::nullopt);
  EXPECT_EQ(tokens.org_for(kAcmeToken.substr(1)), std::nullopt);
  EXPECT_EQ(tokens.org_for(sha256_hex(kGlobexToken)), std::nullopt) << "the digest itself is not a token";
}

TEST(OrgTokens, NoOrgsKnowNoToken) {
  auto tokens = OrgTokens::from_config({}, env_of({}));
  ASSERT_TRUE(tokens.ok());
  EXPECT_EQ(tokens->org_for(kAcmeToken), std::nullopt);
}

TEST(OrgTokens, AnUnsetVariableIsNamedWithItsOrg) {
  const std::vector<OrgAccess> orgs{{"acme", "ACME_TOKEN", ""}, {"globex", "GLOBEX_TOKEN", ""}};
  auto tokens = OrgTokens::from_config(orgs, env_of({{"ACME_TOKEN", std::string(kAcmeToken)}}));
  ASSERT_FALSE(tokens.ok());
  EXPECT_EQ(tokens.error().code, Errc::invalid);
  EXPECT_THAT(tokens.error().message, HasSubstr("org globex"));
  EXPECT_THAT(tokens.error().message, HasSubstr("GLOBEX_TOKEN is not set"));
  EXPECT_THAT(tokens.error().message, Not(HasSubstr(kAcmeToken))) << "no other token leaks either";
}

TEST(OrgTokens, AShortTokenIsRefusedWithoutShowingIt) {
  const std::string short_token = "fifteen-chars15";
  ASSERT_EQ(short_token.size(), 15U);
  const std::vector<OrgAccess> orgs{{"acme", "ACME_TOKEN", ""}};
  auto tokens = OrgTokens::from_config(orgs, env_of({{"ACME_TOKEN", short_token}}));
  ASSERT_FALSE(tokens.ok());
  EXPECT_EQ(tokens.error().code, Errc::invalid);
  EXPECT_THAT(tokens.error().message, HasSubstr("org acme"));
  EXPECT_THAT(tokens.error().message, HasSubstr("ACME_TOKEN"));
  EXPECT_THAT(tokens.error().message, HasSubstr("shorter than 16 characters"));
  EXPECT_THAT(tokens.error().message, Not(HasSubstr(short_token)));

  auto sixteen = OrgTokens::from_config(orgs, env_of({{"ACME_TOKEN", short_token + "x"}}));
  ASSERT_TRUE(sixteen.ok()) << "16 characters are enough";
  EXPECT_EQ(sixteen->org_for(short_token + "x"), "acme");
}

TEST(OrgTokens, AnEmptyVariableCountsAsUnset) {
  // process_env() reports an empty variable as unset; a lookup that returns "" is refused too.
  const std::vector<OrgAccess> orgs{{"acme", "ACME_TOKEN", ""}};
  auto tokens = OrgTokens::from_config(orgs, env_of({{"ACME_TOKEN", ""}}));
  ASSERT_FALSE(tokens.ok());
  EXPECT_THAT(tokens.error().message, HasSubstr("ACME_TOKEN"));
}

TEST(BearerToken, TakesTheTokenOfTheBearerScheme) {
  EXPECT_EQ(bearer_token("Bearer abc"), "abc");
  EXPECT_EQ(bearer_token("bearer abc"), "abc") << "the scheme is case-insensitive";
  EXPECT_EQ(bearer_token("BEARER abc"), "abc");
  EXPECT_EQ(bearer_token("Bearer   abc  "), "abc") << "spaces around the token are dropped";
  EXPECT_EQ(bearer_token("Bearer a b"), "a b") << "inner text is kept (and then matches no token)";
}

TEST(BearerToken, RefusesOtherSchemesAndEmptyTokens) {
  EXPECT_EQ(bearer_token(""), std::nullopt);
  EXPECT_EQ(bearer_token("Bearer"), std::nullopt);
  EXPECT_EQ(bearer_token("Bearer "), std::nullopt);
  EXPECT_EQ(bearer_token("Bearer    "), std::nullopt);
  EXPECT_EQ(bearer_token("Bearerabc"), std::nullopt);
  EXPECT_EQ(bearer_token("Basic YWxhZGRpbjpvcGVuc2VzYW1l"), std::nullopt);
  EXPECT_EQ(bearer_token("Token abc"), std::nullopt);
  EXPECT_EQ(bearer_token("abc"), std::nullopt);
}

}  // namespace
}  // namespace agentrt::serve
