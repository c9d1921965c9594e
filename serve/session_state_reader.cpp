#include "serve/session_state_reader.hpp"

#include <utility>

#include "core/decider/decider.hpp"
#include "core/definition/definition_loader.hpp"

namespace agentrt::serve {
namespace {

constexpr std::size_t kEventsPage = 1000;

}  // namespace

boost::asio::awaitable<Result<SessionState>> read_session_state(SessionStore& store, const SessionRecord& record) {
  auto canonical = co_await store.get_definition(record.definition_hash);
  if (!canonical) co_return canonical.error().with_context("definition of session " + record.id.str());
  auto definition = definition_from_canonical(*canonical);
  if (!definition) co_return definition.error().with_context("definition of session " + record.id.str());
  SessionState state;
  auto checkpoint = co_await store.load_checkpoint(record.id);
  if (!checkpoint) co_return checkpoint.error();
  if (checkpoint->has_value()) {
    try {
      state = session_state_from_json((*checkpoint)->state);
    } catch (const nlohmann::json::exception&) {
      state = SessionState{};  // unreadable: fold the whole history, as recovery does
    }
  }
  for (;;) {
    auto page = co_await store.read_events(record.id, EventSeq{state.last_seq}, kEventsPage);
    if (!page) co_return page.error();
    for (const auto& event : *page) {
      if (event.seq.value != state.last_seq + 1) {
        co_return Error{Errc::fatal, "history of session " + record.id.str() + " has a gap at seq " +
                                         std::to_string(state.last_seq + 1)};
      }
      auto decision = decide(state, event, *definition);
      if (decision.divergence) {
        co_return Error{Errc::fatal, "session " + record.id.str() + " cannot be folded: " + *decision.divergence};
      }
    }
    if (page->size() < kEventsPage) break;
  }
  co_return state;
}

}  // namespace agentrt::serve
