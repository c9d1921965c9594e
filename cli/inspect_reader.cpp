#include "cli/inspect_reader.hpp"

#include <filesystem>

#include "cli/inspect_host.hpp"
#include "core/definition/definition_loader.hpp"

namespace agentrt::cli {
namespace {

namespace asio = boost::asio;

constexpr std::size_t kEventsPage = 1000;
constexpr std::size_t kPendingMax = 1000;  // enough to count and show; the oldest come first

}  // namespace

Result<std::unique_ptr<InspectReader>> InspectReader::open(const std::string& db_path) {
  std::error_code ec;
  if (!std::filesystem::exists(db_path, ec)) {
    return Error{Errc::not_found, "database " + db_path + " does not exist (give --db PATH or set AGENTRT_DB)"};
  }
  auto stores = open_embedded_stores(db_path, true);
  if (!stores) return stores.error();
  // Absolute, so a fix command printed by --stuck works from any folder it is pasted in.
  auto absolute = std::filesystem::absolute(db_path, ec).lexically_normal().string();
  if (ec) absolute = db_path;
  return std::unique_ptr<InspectReader>(new InspectReader(std::move(absolute), std::move(stores.value())));
}

asio::awaitable<Result<SessionRecord>> InspectReader::session(const SessionId& id) {
  co_return co_await stores_.sessions->get_session(id);
}

asio::awaitable<Result<std::vector<SessionRecord>>> InspectReader::list(SessionQuery query) {
  co_return co_await stores_.sessions->list_sessions(std::move(query));
}

asio::awaitable<Result<std::vector<Event>>> InspectReader::events_after(const SessionId& id, std::int64_t after) {
  std::vector<Event> events;
  for (;;) {
    auto page = co_await stores_.sessions->read_events(id, EventSeq{after}, kEventsPage);
    if (!page) co_return page.error();
    for (auto& e : *page) events.push_back(std::move(e));
    if (page->size() < kEventsPage) break;
    after = events.back().seq.value;
  }
  co_return events;
}

asio::awaitable<Result<std::optional<Event>>> InspectReader::last_event(const SessionRecord& record) {
  co_return co_await event_at(record.id, record.last_seq.value);
}

asio::awaitable<Result<std::optional<Event>>> InspectReader::event_at(const SessionId& id, std::int64_t seq) {
  if (seq <= 0) co_return std::optional<Event>{};
  auto page = co_await stores_.sessions->read_events(id, EventSeq{seq - 1}, 1);
  if (!page) co_return page.error();
  if (page->empty() || page->front().seq.value != seq) co_return std::optional<Event>{};
  co_return std::optional<Event>{std::move(page->front())};
}

asio::awaitable<Result<std::optional<Checkpoint>>> InspectReader::checkpoint(const SessionId& id) {
  co_return co_await stores_.sessions->load_checkpoint(id);
}

asio::awaitable<Result<std::vector<InboxMessage>>> InspectReader::pending(const SessionId& id) {
  co_return co_await stores_.sessions->pending_messages(id, kPendingMax);
}

asio::awaitable<Result<InspectReader::LeaseView>> InspectReader::lease(const SessionId& id, std::int64_t now_ms) {
  if (!stores_.leases) co_return LeaseView{std::nullopt, OwnerAssessment{OwnerState::none, "this store keeps no leases"}};
  auto lease = co_await stores_.leases->get(id);
  if (!lease) co_return lease.error();
  auto owner = assess_local_owner(*lease, now_ms);
  co_return LeaseView{std::move(lease.value()), std::move(owner)};
}

asio::awaitable<Result<const PinnedDefinition*>> InspectReader::definition(const std::string& hash) {
  if (const auto it = definitions_.find(hash); it != definitions_.end()) co_return it->second.get();
  auto pinned = std::make_unique<PinnedDefinition>();
  auto canonical = co_await stores_.sessions->get_definition(hash);
  if (!canonical) {
    if (canonical.error().code != Errc::not_found) co_return canonical.error();
    pinned->error = canonical.error().message;
  } else {
    pinned->canonical = *canonical;
    auto parsed = definition_from_canonical(*canonical);
    if (parsed) {
      pinned->definition = std::move(parsed.value());
    } else {
      pinned->error = parsed.error().message;
    }
  }
  const auto* result = pinned.get();
  definitions_.emplace(hash, std::move(pinned));
  co_return result;
}

}  // namespace agentrt::cli
