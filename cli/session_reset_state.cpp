#include "cli/session_reset_state.hpp"

#include <algorithm>
#include <string>

#include "core/decider/decider.hpp"
#include "core/definition/definition_loader.hpp"

namespace agentrt::cli {

namespace asio = boost::asio;

asio::awaitable<Result<SessionState>> state_after(SessionStore& store, const SessionRecord& record, EventSeq to) {
  const std::string what = "fold session " + record.id.str() + " up to event " + std::to_string(to.value);
  auto canonical = co_await store.get_definition(record.definition_hash);
  if (!canonical) co_return canonical.error().with_context(what);
  auto definition = definition_from_canonical(*canonical);
  if (!definition) co_return definition.error().with_context(what + ": pinned definition");
  SessionState state;
  while (state.last_seq < to.value) {
    constexpr std::size_t kPage = 1000;
    const auto left = static_cast<std::size_t>(to.value - state.last_seq);
    auto page = co_await store.read_events(record.id, EventSeq{state.last_seq}, std::min(left, kPage));
    if (!page) co_return page.error().with_context(what);
    if (page->empty()) co_return Error{Errc::fatal, what + ": the history ends at event " + std::to_string(state.last_seq)};
    for (const auto& event : *page) {
      auto decision = decide(state, event, *definition);
      if (decision.divergence) {
        co_return Error{Errc::fatal, what + ": the history diverges from its definition: " + *decision.divergence};
      }
    }
  }
  co_return state;
}

std::optional<std::int64_t> wake_at(const SessionState& state) {
  std::optional<std::int64_t> earliest;
  for (const auto& call : state.calls) {
    if (call.stage == PendingCall::Stage::sleeping && (!earliest || call.due_ms < *earliest)) earliest = call.due_ms;
  }
  return earliest;
}

}  // namespace agentrt::cli
