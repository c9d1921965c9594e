#pragma once
// A reply script for the scripted LLM provider: which replies to play for which user message.
// The format is documented in docs/scripted-provider.md. Loading validates everything, so a
// bad script fails at startup with "script <file>:<line>: <problem>", never mid-conversation.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/model/error.hpp"

namespace agentrt {

struct ScriptedToolCall {
  std::string name;
  std::string arguments;  // JSON text, or a raw string kept verbatim (to test bad arguments)
};

struct ScriptedReply {
  std::string content;
  std::vector<ScriptedToolCall> tool_calls;
};

struct ScriptedTurn {
  std::optional<std::string> match;  // case-insensitive substring; empty: the default turn
  std::vector<ScriptedReply> replies;
};

struct ReplyScript {
  std::string path;                     // for error messages
  std::chrono::milliseconds token_delay{0};
  std::vector<ScriptedTurn> turns;
};

// Which reply to play: indexes into ReplyScript::turns and ScriptedTurn::replies (0-based).
struct ScriptPosition {
  std::size_t turn = 0;
  std::size_t reply = 0;
};

// Errors: invalid, naming the file, the line and the problem (unreadable file included).
Result<ReplyScript> load_reply_script(const std::string& path);
Result<ReplyScript> parse_reply_script(std::string_view text, const std::string& path);

// Selection: the turn is chosen by the last "user" message (the first turn whose match it
// contains, else the first turn without match); the reply index is the number of "assistant"
// messages after that user message. Errors: invalid (no turn fits, or the turn is exhausted).
Result<ScriptPosition> select_reply(const ReplyScript& script, const nlohmann::json& messages);

}  // namespace agentrt
