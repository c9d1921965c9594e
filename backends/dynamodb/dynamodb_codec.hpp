#pragma once
// The agentrt table's items as C++ values and back: the session item (META), events and
// checkpoints (split into part items above kPartBytesMax), inbox messages.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "backends/dynamodb/dynamodb_item.hpp"
#include "core/model/error.hpp"
#include "core/model/event.hpp"
#include "core/model/session.hpp"
#include "core/ports/lease_store.hpp"

namespace agentrt::dynamodb {

// The session item: the record, its lease and the counters the writers keep.
struct Meta {
  SessionRecord record;
  std::string owner;                 // lease owner; empty: not held
  std::int64_t expires_ms = 0;       // lease expiry (wall ms)
  std::int64_t version = 0;          // bumped by every write that changes what find_runnable sees
  std::int64_t pending = 0;          // inbox messages not consumed yet
  std::int64_t branches = 0;         // archived branches (reset)
  std::int64_t checkpoint_seq = -1;  // -1: no checkpoint
  std::int64_t checkpoint_parts = 0; // items of the stored checkpoint (1 + part items)
};

Result<Meta> meta_from_item(const Item& item, const SessionId& id);
Item meta_item(const Meta& meta);  // every attribute, for the creating Put
// When the session needs a worker (the runnable GSI's sort key): running or with a pending
// message since updated_ms, sleeping from wake_at_ms; never when terminal. nullopt: not runnable.
std::optional<std::int64_t> runnable_due(const Meta& meta);
std::optional<RunnableReason> runnable_reason(const Meta& meta, std::int64_t now_ms);
Lease lease_of(const Meta& meta);

// An item whose `data` text may be split: the owner item (with `parts`) then its part items.
std::vector<Item> parted_items(const std::string& pk, const std::string& sk, Item owner, const std::string& text);

std::vector<Item> event_items(const std::string& pk, const std::string& sk, const Event& event);
// Rebuilds events from items in sk order (owner items each followed by their parts). At most
// `limit` events; an event whose parts are missing is Errc::fatal (a corrupt table).
Result<std::vector<Event>> events_from_items(const std::vector<Item>& items, std::size_t limit, const std::string& what);

std::vector<Item> checkpoint_items(const std::string& pk, const Checkpoint& checkpoint);
// Items of sk "C", "C#P#...": nullopt when there is none.
Result<std::optional<Checkpoint>> checkpoint_from_items(const std::vector<Item>& items, const std::string& what);

Item message_item(const std::string& pk, const InboxMessage& message, std::int64_t order);
InboxMessage message_from_item(const Item& item);

}  // namespace agentrt::dynamodb
