#include "core/replay/store_history.hpp"

namespace agentrt {
namespace {

constexpr std::size_t kEventsPerPage = 1000;

}  // namespace

nlohmann::json session_record_json(const SessionRecord& r) {
  return {{"id", r.id.str()},
          {"org", r.org.str()},
          {"bot", r.bot.str()},
          {"definition_hash", r.definition_hash},
          {"status", session_status_name(r.status)},
          {"last_seq", r.last_seq.value},
          {"created_ms", r.created_ms},
          {"updated_ms", r.updated_ms}};
}

boost::asio::awaitable<Result<History>> read_session_history(SessionStore& store, SessionId id) {
  const std::string name = "session " + id.str();
  auto record = co_await store.get_session(id);
  if (!record) co_return record.error().with_context(name);
  auto definition = co_await store.get_definition(record->definition_hash);
  if (!definition) co_return definition.error().with_context(name + ": definition " + record->definition_hash);
  History history;
  history.name = name;
  history.session = session_record_json(*record);
  history.definition = std::move(definition.value());
  EventSeq after{0};
  for (;;) {
    auto page = co_await store.read_events(id, after, kEventsPerPage);
    if (!page) co_return page.error().with_context(name + ": read events after " + std::to_string(after.value));
    for (auto& e : *page) history.events.push_back(std::move(e));
    if (page->size() < kEventsPerPage) break;
    after = history.events.back().seq;
  }
  if (auto ok = check_event_sequence(history.events, name); !ok) co_return ok.error();
  co_return history;
}

}  // namespace agentrt
