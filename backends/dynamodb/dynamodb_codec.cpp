#include "backends/dynamodb/dynamodb_codec.hpp"

#include <utility>

namespace agentrt::dynamodb {
namespace {

bool is_part(const std::string& sk) { return sk.find("#P#") != std::string::npos; }

// Joins an owner item's text with its part items; `at` moves past the parts used.
Result<std::string> joined_text(const std::vector<Item>& items, std::size_t& at, const std::string& what) {
  const Item& owner = items[at];
  const std::string sk = get_s_or(owner, "sk");
  std::string text = get_s_or(owner, "data");
  const auto parts = get_n_or(owner, "parts", 1);
  ++at;
  for (std::int64_t part = 1; part < parts; ++part, ++at) {
    if (at >= items.size() || get_s_or(items[at], "sk") != part_sk(sk, part)) {
      return Error{Errc::fatal, what + ": item " + sk + " lacks part " + std::to_string(part) + " of " +
                                    std::to_string(parts) + " (corrupt table, or a page cut: read again)"};
    }
    text += get_s_or(items[at], "data");
  }
  return text;
}

}  // namespace

Result<Meta> meta_from_item(const Item& item, const SessionId& id) {
  Meta meta;
  auto& r = meta.record;
  r.id = id;
  r.org = OrgId{get_s_or(item, "org")};
  r.bot = BotId{get_s_or(item, "bot")};
  r.definition_hash = get_s_or(item, "def");
  const auto status = parse_session_status(get_s_or(item, "status"));
  if (!status) {
    return Error{Errc::fatal, "session=" + id.str() + ": unreadable session item (status \"" +
                                  get_s_or(item, "status") + "\")"};
  }
  r.status = *status;
  r.last_seq = EventSeq{get_n_or(item, "last_seq")};
  r.epoch = LeaseEpoch{get_n_or(item, "epoch")};
  r.created_ms = get_n_or(item, "created");
  r.updated_ms = get_n_or(item, "updated");
  r.wake_at_ms = get_n(item, "wake_at");
  meta.owner = get_s_or(item, "owner");
  meta.expires_ms = get_n_or(item, "expires");
  meta.version = get_n_or(item, "ver");
  meta.pending = get_n_or(item, "pending");
  meta.branches = get_n_or(item, "branches");
  meta.checkpoint_seq = get_n_or(item, "ckpt_seq", -1);
  meta.checkpoint_parts = get_n_or(item, "ckpt_parts");
  return meta;
}

Item meta_item(const Meta& meta) {
  const auto& r = meta.record;
  Item item = key(session_pk(r.id), kMetaSk);
  item["org"] = attr_s(r.org.str());
  item["bot"] = attr_s(r.bot.str());
  item["def"] = attr_s(r.definition_hash);
  item["status"] = attr_s(session_status_name(r.status));
  item["last_seq"] = attr_n(r.last_seq.value);
  item["epoch"] = attr_n(r.epoch.value);
  item["created"] = attr_n(r.created_ms);
  item["updated"] = attr_n(r.updated_ms);
  if (r.wake_at_ms) item["wake_at"] = attr_n(*r.wake_at_ms);
  if (!meta.owner.empty()) {
    item["owner"] = attr_s(meta.owner);
    item["expires"] = attr_n(meta.expires_ms);
  }
  item["ver"] = attr_n(meta.version);
  item["pending"] = attr_n(meta.pending);
  item["branches"] = attr_n(meta.branches);
  item["ckpt_seq"] = attr_n(meta.checkpoint_seq);
  item["ckpt_parts"] = attr_n(meta.checkpoint_parts);
  item["lq"] = attr_s("L");  // the by_created index: every session
  if (auto due = runnable_due(meta)) {
    item["rq"] = attr_s("R");
    item["rdue"] = attr_n(*due);
  }
  return item;
}

std::optional<std::int64_t> runnable_due(const Meta& meta) {
  const auto& r = meta.record;
  if (is_terminal(r.status)) return std::nullopt;
  if (r.status == SessionStatus::running || meta.pending > 0) return r.updated_ms;
  if (r.status == SessionStatus::sleeping && r.wake_at_ms) return *r.wake_at_ms;
  return std::nullopt;
}

std::optional<RunnableReason> runnable_reason(const Meta& meta, std::int64_t now_ms) {
  const auto& r = meta.record;
  if (is_terminal(r.status)) return std::nullopt;
  if (!meta.owner.empty() && meta.expires_ms > now_ms) return std::nullopt;
  if (r.status == SessionStatus::running) return RunnableReason::interrupted;
  if (r.status == SessionStatus::sleeping && r.wake_at_ms && *r.wake_at_ms <= now_ms) return RunnableReason::timer_due;
  if (meta.pending > 0) return RunnableReason::inbox;
  return std::nullopt;
}

Lease lease_of(const Meta& meta) {
  Lease lease{meta.record.id, meta.owner, meta.record.epoch, 0};
  if (!meta.owner.empty()) lease.expires_ms = meta.expires_ms;
  return lease;
}

std::vector<Item> parted_items(const std::string& pk, const std::string& sk, Item owner, const std::string& text) {
  auto pieces = split_utf8(text);
  owner["pk"] = attr_s(pk);
  owner["sk"] = attr_s(sk);
  owner["data"] = attr_s(pieces[0]);
  owner["parts"] = attr_n(static_cast<std::int64_t>(pieces.size()));
  std::vector<Item> items{std::move(owner)};
  for (std::size_t i = 1; i < pieces.size(); ++i) {
    Item part = key(pk, part_sk(sk, static_cast<std::int64_t>(i)));
    part["data"] = attr_s(pieces[i]);
    items.push_back(std::move(part));
  }
  return items;
}

std::vector<Item> event_items(const std::string& pk, const std::string& sk, const Event& event) {
  Item owner;
  owner["seq"] = attr_n(event.seq.value);
  owner["type"] = attr_s(event_type_name(event.type));
  owner["time"] = attr_n(event.time_ms);
  return parted_items(pk, sk, std::move(owner), event.data.dump());
}

Result<std::vector<Event>> events_from_items(const std::vector<Item>& items, std::size_t limit, const std::string& what) {
  std::vector<Event> events;
  std::size_t at = 0;
  while (at < items.size() && events.size() < limit) {
    const Item& owner = items[at];
    if (is_part(get_s_or(owner, "sk"))) {
      ++at;  // a part whose owner is before the range read: not ours
      continue;
    }
    Event event;
    event.seq = EventSeq{get_n_or(owner, "seq")};
    const auto type = parse_event_type(get_s_or(owner, "type"));
    event.time_ms = get_n_or(owner, "time");
    auto text = joined_text(items, at, what);
    if (!text) return text.error();
    if (!type) return Error{Errc::fatal, what + ": event " + std::to_string(event.seq.value) + " has an unknown type"};
    event.type = *type;
    event.data = nlohmann::json::parse(*text, nullptr, false);
    if (event.data.is_discarded()) {
      return Error{Errc::fatal, what + ": event " + std::to_string(event.seq.value) + " holds invalid JSON"};
    }
    events.push_back(std::move(event));
  }
  return events;
}

std::vector<Item> checkpoint_items(const std::string& pk, const Checkpoint& checkpoint) {
  Item owner;
  owner["seq"] = attr_n(checkpoint.seq.value);
  return parted_items(pk, kCheckpointSk, std::move(owner), checkpoint.state.dump());
}

Result<std::optional<Checkpoint>> checkpoint_from_items(const std::vector<Item>& items, const std::string& what) {
  for (std::size_t at = 0; at < items.size(); ++at) {
    if (get_s_or(items[at], "sk") != kCheckpointSk) continue;
    Checkpoint checkpoint;
    checkpoint.seq = EventSeq{get_n_or(items[at], "seq")};
    auto text = joined_text(items, at, what);
    if (!text) return text.error();
    checkpoint.state = nlohmann::json::parse(*text, nullptr, false);
    if (checkpoint.state.is_discarded()) return Error{Errc::fatal, what + ": the checkpoint holds invalid JSON"};
    return std::optional<Checkpoint>{std::move(checkpoint)};
  }
  return std::optional<Checkpoint>{};
}

Item message_item(const std::string& pk, const InboxMessage& message, std::int64_t order) {
  Item item = key(pk, message_sk(message.id));
  item["id"] = attr_s(message.id.str());
  item["text"] = attr_s(message.text);
  item["enqueued"] = attr_n(message.enqueued_ms);
  item["order"] = attr_n(order);
  return item;
}

InboxMessage message_from_item(const Item& item) {
  return InboxMessage{MessageId{get_s_or(item, "id")}, get_s_or(item, "text"), get_n_or(item, "enqueued")};
}

}  // namespace agentrt::dynamodb
