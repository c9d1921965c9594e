// select_reply (declared in scripted_script.hpp): which scripted reply answers a request.

#include <algorithm>
#include <cctype>

#include "backends/llm/scripted_script.hpp"

namespace agentrt {
namespace {

// Message content as text: a string, or the "text" parts of an OpenAI content array.
std::string content_text(const nlohmann::json& message) {
  const auto it = message.find("content");
  if (it == message.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  std::string text;
  if (it->is_array()) {
    for (const auto& part : *it) {
      if (part.is_object() && part.contains("text") && part["text"].is_string()) text += part["text"].get<std::string>();
    }
  }
  return text;
}

bool has_role(const nlohmann::json& message, std::string_view role) {
  return message.is_object() && message.contains("role") && message["role"].is_string() &&
         message["role"].get<std::string>() == role;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string excerpt(const std::string& text) {
  constexpr std::size_t kExcerptMax = 60;
  if (text.size() <= kExcerptMax) return text;
  std::size_t cut = kExcerptMax;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0U) == 0x80U) --cut;  // whole UTF-8 characters
  return text.substr(0, cut) + "...";
}

std::string describe_turn(const ReplyScript& script, std::size_t turn) {
  const auto& match = script.turns[turn].match;
  return "turn " + std::to_string(turn + 1) + (match ? " (match \"" + *match + "\")" : " (default)");
}

}  // namespace

Result<ScriptPosition> select_reply(const ReplyScript& script, const nlohmann::json& messages) {
  std::size_t user_index = 0;  // one past the last user message; 0 when there is none
  for (std::size_t i = 0; messages.is_array() && i < messages.size(); ++i) {
    if (has_role(messages[i], "user")) user_index = i + 1;
  }
  const std::string user_text = user_index > 0 ? content_text(messages[user_index - 1]) : std::string{};
  std::size_t answered = 0;
  for (std::size_t i = user_index; messages.is_array() && i < messages.size(); ++i) {
    if (has_role(messages[i], "assistant")) ++answered;
  }

  const std::string haystack = lower(user_text);
  std::optional<std::size_t> chosen;
  for (std::size_t t = 0; t < script.turns.size() && !chosen; ++t) {
    const auto& match = script.turns[t].match;
    if (match && haystack.find(lower(*match)) != std::string::npos) chosen = t;
  }
  for (std::size_t t = 0; t < script.turns.size() && !chosen; ++t) {
    if (!script.turns[t].match) chosen = t;
  }
  if (!chosen) {
    return Error{Errc::invalid, "script " + script.path + ": no turn matches the user message \"" + excerpt(user_text) +
                                    "\" and there is no default turn"};
  }
  const std::size_t count = script.turns[*chosen].replies.size();
  if (answered >= count) {
    return Error{Errc::invalid, "script " + script.path + ": " + describe_turn(script, *chosen) + " has " +
                                    std::to_string(count) + (count == 1 ? " reply" : " replies") + "; reply " +
                                    std::to_string(answered + 1) + " was asked for"};
  }
  return ScriptPosition{*chosen, answered};
}

}  // namespace agentrt
