#include "backends/memory/memory_sessions.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <utility>

namespace agentrt::memory {
namespace {

std::string on(std::string_view what, const SessionId& id) { return std::string(what) + " session=" + id.str(); }

Error no_such_session(std::string_view what, const SessionId& id) {
  return Error{Errc::not_found, on(what, id) + ": no such session"};
}

Error fenced(std::string_view what, const SessionId& id, std::int64_t seq, LeaseEpoch epoch, LeaseEpoch current) {
  return Error{Errc::fenced, on(what, id) + " seq=" + std::to_string(seq) + ": fenced (epoch " +
                                 std::to_string(epoch.value) + ", current " + std::to_string(current.value) + ")"};
}

// Seqs must run first, first+1, ... without a gap.
std::optional<std::int64_t> first_gap(const std::vector<Event>& events, std::int64_t first) {
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto expected = first + static_cast<std::int64_t>(i);
    if (events[i].seq.value != expected) return expected;
  }
  return std::nullopt;
}

bool matches(const SessionQuery& query, const SessionRecord& record) {
  return (!query.org || *query.org == record.org) && (!query.bot || *query.bot == record.bot) &&
         (!query.status || *query.status == record.status) &&
         (!query.updated_before_ms || record.updated_ms < *query.updated_before_ms);
}

}  // namespace

const MemorySessions::SessionData* MemorySessions::find(const SessionId& id) const {
  const auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second;
}

MemorySessions::SessionData* MemorySessions::find(const SessionId& id) {
  const auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second;
}

Result<void> MemorySessions::create_session(SessionRecord record, nlohmann::json definition,
                                            std::vector<Event> first_events) {
  if (record.id.empty()) return Error{Errc::invalid, "create_session: empty session id"};
  if (sessions_.contains(record.id)) return Error{Errc::conflict, on("create_session", record.id) + ": already exists"};
  if (auto gap = first_gap(first_events, 1)) {
    return Error{Errc::invalid, on("create_session", record.id) + ": first events must be numbered from 1, expected seq " +
                                    std::to_string(*gap)};
  }
  record.last_seq = EventSeq{static_cast<std::int64_t>(first_events.size())};
  record.epoch = LeaseEpoch{0};
  definitions_.try_emplace(record.definition_hash, std::move(definition));
  SessionData data;
  data.created_order = next_created_order_++;
  data.events = std::move(first_events);
  const SessionId id = record.id;
  data.record = std::move(record);
  sessions_.emplace(id, std::move(data));
  return ok_result();
}

Result<SessionRecord> MemorySessions::get_session(const SessionId& id) const {
  const auto* session = find(id);
  if (session == nullptr) return no_such_session("get_session", id);
  return session->record;
}

std::vector<SessionRecord> MemorySessions::list_sessions(const SessionQuery& query) const {
  std::vector<const SessionData*> found;
  for (const auto& [id, session] : sessions_) {
    if (matches(query, session.record)) found.push_back(&session);
  }
  std::sort(found.begin(), found.end(), [](const SessionData* a, const SessionData* b) {
    if (a->record.created_ms != b->record.created_ms) return a->record.created_ms > b->record.created_ms;
    return a->created_order > b->created_order;
  });
  std::vector<SessionRecord> out;
  for (std::size_t i = 0; i < found.size() && i < query.limit; ++i) out.push_back(found[i]->record);
  return out;
}

std::vector<SessionCount> MemorySessions::count_sessions() const {
  std::map<std::tuple<std::string, std::string, SessionStatus>, std::int64_t> counts;
  for (const auto& [id, session] : sessions_) {
    ++counts[{session.record.org.str(), session.record.bot.str(), session.record.status}];
  }
  std::vector<SessionCount> out;
  for (const auto& [key, count] : counts) {
    out.push_back(SessionCount{OrgId{std::get<0>(key)}, BotId{std::get<1>(key)}, std::get<2>(key), count});
  }
  return out;
}

Result<nlohmann::json> MemorySessions::get_definition(const std::string& hash) const {
  const auto it = definitions_.find(hash);
  if (it == definitions_.end()) return Error{Errc::not_found, "get_definition hash=" + hash + ": no such definition"};
  return it->second;
}

Result<LeaseEpoch> MemorySessions::claim(const SessionId& id) {
  auto* session = find(id);
  if (session == nullptr) return no_such_session("claim", id);
  session->record.epoch = LeaseEpoch{session->record.epoch.value + 1};
  return session->record.epoch;
}

// Every consumed id must be in the inbox, not consumed yet, and named once.
Result<void> MemorySessions::check_consumable(const SessionData& session, const AppendRequest& request) {
  std::set<MessageId> named;
  for (const auto& id : request.consumed_messages) {
    const auto it = std::find_if(session.inbox.begin(), session.inbox.end(),
                                 [&](const InboxEntry& entry) { return entry.message.id == id; });
    if (it == session.inbox.end() || it->consumed_seq || !named.insert(id).second) {
      return Error{Errc::conflict, on("append", request.session) + ": message " + id.str() +
                                       " is not pending in the inbox (unknown or already consumed)"};
    }
  }
  return ok_result();
}

Result<void> MemorySessions::append(AppendRequest request) {
  auto* session = find(request.session);
  if (session == nullptr) return no_such_session("append", request.session);
  if (request.events.empty()) return Error{Errc::invalid, on("append", request.session) + ": no events to append"};
  auto& record = session->record;
  if (request.epoch != record.epoch) {
    return fenced("append", request.session, request.events.front().seq.value, request.epoch, record.epoch);
  }
  if (auto gap = first_gap(request.events, record.last_seq.value + 1)) {
    const auto got = request.events.front().seq.value == record.last_seq.value + 1
                         ? *gap + 1  // the batch itself has a hole after a good start
                         : request.events.front().seq.value;
    return Error{Errc::conflict, on("append", request.session) + ": expected seq " +
                                     std::to_string(record.last_seq.value + 1) + ", got " + std::to_string(got)};
  }
  if (auto consumable = check_consumable(*session, request); !consumable) return consumable;
  if (request.checkpoint &&
      (request.checkpoint->seq > request.events.back().seq || request.checkpoint->seq.value < 0)) {
    return Error{Errc::invalid, on("append", request.session) + ": checkpoint at seq " +
                                    std::to_string(request.checkpoint->seq.value) + " is past the appended events"};
  }

  // Validated: nothing below can fail, so the change is all or nothing.
  const auto last = request.events.back();
  if (request.checkpoint) session->checkpoint = std::move(request.checkpoint);
  for (const auto& id : request.consumed_messages) {
    for (auto& entry : session->inbox) {
      if (entry.message.id == id) entry.consumed_seq = last.seq.value;
    }
  }
  for (auto& event : request.events) session->events.push_back(std::move(event));
  record.last_seq = last.seq;
  record.updated_ms = last.time_ms;
  if (request.status) record.status = *request.status;
  record.wake_at_ms = request.wake_at_ms;
  return ok_result();
}

Result<std::vector<Event>> MemorySessions::read_events(const SessionId& id, EventSeq after, std::size_t limit) const {
  const auto* session = find(id);
  if (session == nullptr) return no_such_session("read_events", id);
  std::vector<Event> out;
  const auto start = static_cast<std::size_t>(std::max<std::int64_t>(after.value, 0));
  for (std::size_t i = start; i < session->events.size() && out.size() < limit; ++i) out.push_back(session->events[i]);
  return out;
}

Result<void> MemorySessions::save_checkpoint(const SessionId& id, LeaseEpoch epoch, Checkpoint checkpoint) {
  auto* session = find(id);
  if (session == nullptr) return no_such_session("save_checkpoint", id);
  if (epoch != session->record.epoch) return fenced("save_checkpoint", id, checkpoint.seq.value, epoch, session->record.epoch);
  if (checkpoint.seq.value < 0 || checkpoint.seq > session->record.last_seq) {
    return Error{Errc::invalid, on("save_checkpoint", id) + ": checkpoint at seq " + std::to_string(checkpoint.seq.value) +
                                    " is beyond the last event " + std::to_string(session->record.last_seq.value)};
  }
  session->checkpoint = std::move(checkpoint);
  return ok_result();
}

Result<std::optional<Checkpoint>> MemorySessions::load_checkpoint(const SessionId& id) const {
  const auto* session = find(id);
  if (session == nullptr) return no_such_session("load_checkpoint", id);
  return session->checkpoint;
}

Result<bool> MemorySessions::enqueue(const SessionId& id, InboxMessage message) {
  auto* session = find(id);
  if (session == nullptr) return no_such_session("enqueue", id);
  if (message.id.empty()) return Error{Errc::invalid, on("enqueue", id) + ": empty message id"};
  const bool seen = std::any_of(session->inbox.begin(), session->inbox.end(),
                                [&](const InboxEntry& entry) { return entry.message.id == message.id; });
  if (seen) return false;
  session->inbox.push_back(InboxEntry{std::move(message), std::nullopt});
  return true;
}

Result<std::vector<InboxMessage>> MemorySessions::pending_messages(const SessionId& id, std::size_t limit) const {
  const auto* session = find(id);
  if (session == nullptr) return no_such_session("pending_messages", id);
  std::vector<InboxMessage> pending;
  for (const auto& entry : session->inbox) {
    if (!entry.consumed_seq) pending.push_back(entry.message);
  }
  std::stable_sort(pending.begin(), pending.end(),
                   [](const InboxMessage& a, const InboxMessage& b) { return a.enqueued_ms < b.enqueued_ms; });
  if (pending.size() > limit) pending.resize(limit);
  return pending;
}

}  // namespace agentrt::memory
