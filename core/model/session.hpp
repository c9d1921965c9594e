#pragma once
// The durable record of one session (what a store lists and queries), apart from its history.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/model/event.hpp"
#include "core/model/ids.hpp"

namespace agentrt {

enum class SessionStatus {
  idle,               // between turns: waiting for the next message
  running,            // planning or acting
  waiting_for_input,  // ask_human question or approval pending
  sleeping,           // a durable timer is pending
  completed,
  failed,
  cancelled,
};

std::string_view session_status_name(SessionStatus s) noexcept;
std::optional<SessionStatus> parse_session_status(std::string_view name) noexcept;
inline bool is_terminal(SessionStatus s) {
  return s == SessionStatus::completed || s == SessionStatus::failed || s == SessionStatus::cancelled;
}

struct SessionRecord {
  SessionId id;
  OrgId org;
  BotId bot;
  std::string definition_hash;      // the pinned definition (stored once per hash)
  SessionStatus status = SessionStatus::idle;
  EventSeq last_seq{0};             // highest appended event
  LeaseEpoch epoch{0};              // owner's fencing token (see SessionStore::claim)
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::optional<std::int64_t> wake_at_ms;  // sleeping: when the timer is due
};

// A snapshot of the decider's state after event `seq`, so recovery replays only the tail.
struct Checkpoint {
  EventSeq seq{0};
  nlohmann::json state;
};

// A message waiting to be turned into a MessageReceived event.
struct InboxMessage {
  MessageId id;           // client message id: a duplicate enqueue is dropped
  std::string text;
  std::int64_t enqueued_ms = 0;
};

}  // namespace agentrt
