#pragma once
// The world the serve surfaces' tests start from (SSE, gRPC): a memory store holding session
// s-1 of org acme, claimed (its epoch fences the test's appends), and the org tokens of acme
// and globex. Header-only test support; link agentrt_memory.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backends/memory/memory_session_store.hpp"
#include "core/ports/conformance/session_store_fixture.hpp"
#include "serve/org_tokens.hpp"

namespace agentrt::serve::testing {

inline constexpr const char* kAcmeToken = "acme-token-0123456789";
inline constexpr const char* kGlobexToken = "globex-token-0123456789";

struct OneSessionWorld {
  std::unique_ptr<MemorySessionStore> store = make_memory_session_store();
  std::unique_ptr<OrgTokens> tokens;
  LeaseEpoch epoch{};

  // Creates s-1 and the tokens; what went wrong, if anything.
  std::optional<std::string> create() {
    SessionRecord record;
    record.id = SessionId{"s-1"};
    record.org = OrgId{"acme"};
    record.bot = BotId{"bot"};
    record.definition_hash = "h";
    std::vector<Event> first{Event{EventSeq{1}, EventType::SessionStarted, 1'000, nlohmann::json::object()}};
    auto created = conformance::run_awaitable(store->create_session(record, nlohmann::json{{"name", "bot"}}, first));
    if (!created) return created.error().to_string();
    auto claimed = conformance::run_awaitable(store->claim(SessionId{"s-1"}));
    if (!claimed) return claimed.error().to_string();
    epoch = *claimed;
    auto parsed = OrgTokens::from_config({OrgAccess{"acme", "ACME", ""}, OrgAccess{"globex", "GLOBEX", ""}},
                                         [](const std::string& name) -> std::optional<std::string> {
                                           return std::string(name == "ACME" ? kAcmeToken : kGlobexToken);
                                         });
    if (!parsed) return parsed.error().to_string();
    tokens = std::make_unique<OrgTokens>(std::move(parsed).value());
    return std::nullopt;
  }
};

}  // namespace agentrt::serve::testing
