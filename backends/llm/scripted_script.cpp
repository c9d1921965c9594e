#include "backends/llm/scripted_script.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <sstream>

#include <yaml-cpp/yaml.h>

namespace agentrt {
namespace {

// Thrown inside the parser only, turned into Error{invalid} at its boundary.
struct ScriptError {
  int line;  // 1-based; 0 when unknown
  std::string problem;
};

int line_of(const YAML::Node& node) { return node.Mark().is_null() ? 0 : node.Mark().line + 1; }

[[noreturn]] void fail(const YAML::Node& at, std::string problem) { throw ScriptError{line_of(at), std::move(problem)}; }

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

void require_map(const YAML::Node& node, const std::string& what) {
  if (!node.IsMap()) fail(node, what + " must be a mapping");
}

void check_keys(const YAML::Node& map, std::initializer_list<std::string_view> allowed, const std::string& where) {
  for (const auto& entry : map) {
    const std::string key = entry.first.as<std::string>();
    bool known = false;
    std::string expected;
    for (const auto k : allowed) {
      known = known || key == k;
      expected += (expected.empty() ? "" : ", ") + std::string(k);
    }
    if (!known) fail(entry.first, "unknown key " + in_quotes(key) + " in " + where + " (expected: " + expected + ")");
  }
}

std::string scalar(const YAML::Node& node, const std::string& what) {
  if (!node.IsScalar()) fail(node, what + " must be a string");
  return node.Scalar();
}

long long non_negative_integer(const YAML::Node& node, const std::string& what) {
  const std::string text = scalar(node, what);
  long long value = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 0) {
    fail(node, what + " must be a non-negative integer, not " + in_quotes(text));
  }
  return value;
}

// A plain YAML scalar as JSON: null, bool, integer, float or string (YAML 1.2 core schema);
// a quoted scalar is always a string.
nlohmann::json scalar_to_json(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") return nullptr;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  const char* end = text.data() + text.size();
  long long integer = 0;
  if (auto r = std::from_chars(text.data(), end, integer); r.ec == std::errc{} && r.ptr == end) return integer;
  double real = 0;
  if (auto r = std::from_chars(text.data(), end, real); r.ec == std::errc{} && r.ptr == end) return real;
  return text;
}

nlohmann::json to_json(const YAML::Node& node) {
  if (node.IsMap()) {
    nlohmann::json object = nlohmann::json::object();
    for (const auto& entry : node) object[entry.first.as<std::string>()] = to_json(entry.second);
    return object;
  }
  if (node.IsSequence()) {
    nlohmann::json array = nlohmann::json::array();
    for (const auto& item : node) array.push_back(to_json(item));
    return array;
  }
  if (node.IsScalar()) return scalar_to_json(node);
  return nullptr;
}

ScriptedToolCall parse_tool_call(const YAML::Node& node, const std::string& where) {
  require_map(node, where);
  check_keys(node, {"name", "arguments"}, where);
  ScriptedToolCall call;
  if (!node["name"]) fail(node, where + " has no \"name\"");
  call.name = scalar(node["name"], where + " name");
  if (call.name.empty()) fail(node["name"], where + " name is empty");
  const YAML::Node args = node["arguments"];
  if (!args || args.IsNull()) {
    call.arguments = "{}";
  } else if (args.IsScalar()) {
    call.arguments = args.Scalar();  // sent verbatim, even when it is not valid JSON
  } else {
    call.arguments = to_json(args).dump();
  }
  return call;
}

ScriptedReply parse_reply(const YAML::Node& node, const std::string& where) {
  require_map(node, where);
  check_keys(node, {"content", "tool_calls"}, where);
  ScriptedReply reply;
  if (node["content"] && !node["content"].IsNull()) reply.content = scalar(node["content"], where + " content");
  if (const YAML::Node calls = node["tool_calls"]; calls && !calls.IsNull()) {
    if (!calls.IsSequence()) fail(calls, where + " tool_calls must be a list");
    for (std::size_t i = 0; i < calls.size(); ++i) {
      reply.tool_calls.push_back(parse_tool_call(calls[i], where + " tool call " + std::to_string(i + 1)));
    }
  }
  if (reply.content.empty() && reply.tool_calls.empty()) fail(node, where + " has neither content nor tool_calls");
  return reply;
}

ScriptedTurn parse_turn(const YAML::Node& node, const std::string& where) {
  require_map(node, where);
  check_keys(node, {"match", "replies"}, where);
  ScriptedTurn turn;
  if (const YAML::Node match = node["match"]; match && !match.IsNull()) {
    turn.match = scalar(match, where + " match");
    if (turn.match->empty()) fail(match, where + " match is empty (leave it out for a default turn)");
  }
  const YAML::Node replies = node["replies"];
  if (!replies || replies.IsNull()) fail(node, where + " has no \"replies\"");
  if (!replies.IsSequence() || replies.size() == 0) fail(replies, where + " replies must be a non-empty list");
  for (std::size_t i = 0; i < replies.size(); ++i) {
    turn.replies.push_back(parse_reply(replies[i], where + " reply " + std::to_string(i + 1)));
  }
  return turn;
}

ReplyScript parse_document(const YAML::Node& root, const std::string& path) {
  if (!root || root.IsNull()) throw ScriptError{1, "the script is empty"};
  require_map(root, "the script");
  check_keys(root, {"token_delay_ms", "turns"}, "the script");
  ReplyScript script;
  script.path = path;
  if (root["token_delay_ms"]) {
    script.token_delay = std::chrono::milliseconds{non_negative_integer(root["token_delay_ms"], "token_delay_ms")};
  }
  const YAML::Node turns = root["turns"];
  if (!turns) fail(root, "the script has no \"turns\"");
  if (!turns.IsSequence() || turns.size() == 0) fail(turns, "\"turns\" must be a non-empty list");
  for (std::size_t i = 0; i < turns.size(); ++i) {
    script.turns.push_back(parse_turn(turns[i], "turn " + std::to_string(i + 1)));
  }
  return script;
}

Error script_error(const std::string& path, int line, const std::string& problem) {
  return Error{Errc::invalid, "script " + path + (line > 0 ? ":" + std::to_string(line) : "") + ": " + problem};
}

}  // namespace

Result<ReplyScript> parse_reply_script(std::string_view text, const std::string& path) {
  try {
    return parse_document(YAML::Load(std::string(text)), path);
  } catch (const ScriptError& e) {
    return script_error(path, e.line, e.problem);
  } catch (const YAML::Exception& e) {
    const int line = e.mark.is_null() ? 0 : e.mark.line + 1;
    return script_error(path, line, "YAML syntax error: " + e.msg);
  }
}

Result<ReplyScript> load_reply_script(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in) return script_error(path, 0, std::string("cannot read: ") + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return script_error(path, 0, "cannot read");
  return parse_reply_script(text.str(), path);
}

}  // namespace agentrt
