#include "backends/llm/openai_reply.hpp"

#include <nlohmann/json.hpp>

#include "backends/http/text_excerpt.hpp"

namespace agentrt {
namespace {

using nlohmann::json;

std::string string_field(const json& object, const char* key) {
  if (!object.is_object()) return {};
  const auto it = object.find(key);
  return (it != object.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

long long count_field(const json& object, const char* key) {
  const auto it = object.find(key);
  return (it != object.end() && it->is_number_integer()) ? it->get<long long>() : 0;
}

void take_usage(const json& document, LlmReply& reply) {
  const auto usage = document.find("usage");
  if (usage == document.end() || !usage->is_object()) return;
  reply.tokens_in = count_field(*usage, "prompt_tokens");
  reply.tokens_out = count_field(*usage, "completion_tokens");
}

Error invalid(std::string detail) { return Error{Errc::invalid, std::move(detail)}; }

std::optional<Error> error_in(const json& document) {
  const auto it = document.find("error");
  if (it == document.end() || it->is_null()) return std::nullopt;
  return Error{Errc::invalid, "the server reported an error: " + openai_error_message(document.dump())};
}

// Arguments are a JSON string in the API; some servers send the object itself.
std::string arguments_text(const json& function) {
  const auto it = function.find("arguments");
  if (it == function.end() || it->is_null()) return {};
  return it->is_string() ? it->get<std::string>() : it->dump();
}

Result<json> parse_object(std::string_view text, const char* what) {
  json document = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) {
    return invalid(std::string(what) + " is not a JSON object: " + text_excerpt(text, 200));
  }
  return document;
}

}  // namespace

std::string openai_error_message(std::string_view body, std::size_t bytes_max) {
  const json document = json::parse(body, nullptr, false);
  std::string message;
  if (!document.is_discarded() && document.is_object()) {
    const auto error = document.find("error");
    if (error != document.end() && error->is_object()) message = string_field(*error, "message");
    if (error != document.end() && error->is_string()) message = error->get<std::string>();
    if (message.empty()) message = string_field(document, "message");
    if (message.empty()) message = string_field(document, "detail");
  }
  if (message.empty()) message = std::string(body);
  return text_excerpt(message, bytes_max);
}

Result<std::string> OpenAiChunkAccumulator::apply(std::string_view payload) {
  auto parsed = parse_object(payload, "stream chunk");
  if (!parsed) return parsed.error();
  const json& chunk = *parsed;
  if (auto error = error_in(chunk)) return *error;
  take_usage(chunk, reply_);
  const auto choices = chunk.find("choices");
  if (choices == chunk.end() || !choices->is_array() || choices->empty()) return std::string();
  const json& choice = (*choices)[0];
  if (!choice.is_object()) return invalid("stream chunk has a malformed choice");
  if (auto reason = string_field(choice, "finish_reason"); !reason.empty()) reply_.finish_reason = std::move(reason);
  const auto delta = choice.find("delta");
  if (delta == choice.end() || !delta->is_object()) return std::string();
  if (const auto calls = delta->find("tool_calls"); calls != delta->end() && calls->is_array()) {
    for (const auto& fragment : *calls) {
      if (fragment.is_object()) apply_tool_call(fragment);
    }
  }
  std::string content = string_field(*delta, "content");
  reply_.content += content;
  return content;
}

void OpenAiChunkAccumulator::apply_tool_call(const json& fragment) {
  long long index = last_index_;
  if (const auto it = fragment.find("index"); it != fragment.end() && it->is_number_integer()) {
    index = it->get<long long>();
  } else if (!string_field(fragment, "id").empty() || index < 0) {
    index = static_cast<long long>(tool_calls_.size());  // no index: a new id starts a new call
  }
  last_index_ = index;
  LlmToolCall& call = tool_calls_[index];
  if (call.id.empty()) call.id = string_field(fragment, "id");
  const auto function = fragment.find("function");
  if (function == fragment.end() || !function->is_object()) return;
  if (call.name.empty()) call.name = string_field(*function, "name");
  call.arguments += arguments_text(*function);
}

LlmReply OpenAiChunkAccumulator::take() {
  for (auto& [index, call] : tool_calls_) {
    if (call.id.empty()) call.id = "call_" + std::to_string(index);  // some servers omit ids
    reply_.tool_calls.push_back(std::move(call));
  }
  tool_calls_.clear();
  return std::move(reply_);
}

void OpenAiStreamReader::feed(std::string_view chunk) {
  if (form_ == Form::unknown) {
    const auto first = chunk.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
      json_body_.append(chunk);  // still undecided; kept in case it is JSON
      return;
    }
    form_ = chunk[first] == '{' ? Form::json : Form::sse;
    if (form_ == Form::sse) {
      json_body_.clear();
      feed_sse(chunk);
      return;
    }
  }
  if (form_ == Form::json) {
    json_body_.append(chunk);
  } else {
    feed_sse(chunk);
  }
}

void OpenAiStreamReader::feed_sse(std::string_view chunk) {
  for (const SseEvent& event : sse_.feed(chunk)) {
    ++events_;
    if (done_ || error_) continue;
    if (event.data == "[DONE]") {
      done_ = true;
      continue;
    }
    auto delta = accumulator_.apply(event.data);
    if (!delta) {
      error_ = delta.error();
    } else if (!delta->empty()) {
      streamed_tokens_ = true;
      if (on_token_) on_token_(*delta);
    }
  }
}

Result<LlmReply> OpenAiStreamReader::finish() {
  if (error_) return *error_;
  if (form_ == Form::json) {
    auto reply = parse_openai_completion(json_body_);
    if (reply && !reply->content.empty() && on_token_) {
      streamed_tokens_ = true;
      on_token_(reply->content);  // the whole content at once: one "delta"
    }
    return reply;
  }
  if (form_ == Form::unknown) return invalid("empty body");
  if (events_ == 0) return invalid("neither JSON nor an SSE stream");
  if (!done_ && !accumulator_.finished()) {
    return Error{Errc::retryable, "stream ended before [DONE] and before a finish_reason"};
  }
  return accumulator_.take();
}

Result<LlmReply> parse_openai_completion(std::string_view body) {
  auto parsed = parse_object(body, "reply");
  if (!parsed) return parsed.error();
  const json& document = *parsed;
  if (auto error = error_in(document)) return *error;
  const auto choices = document.find("choices");
  if (choices == document.end() || !choices->is_array() || choices->empty() || !(*choices)[0].is_object()) {
    return invalid("reply has no choices");
  }
  const json& choice = (*choices)[0];
  const auto message = choice.find("message");
  if (message == choice.end() || !message->is_object()) return invalid("reply choice has no message");
  LlmReply reply;
  reply.content = string_field(*message, "content");
  reply.finish_reason = string_field(choice, "finish_reason");
  take_usage(document, reply);
  if (const auto calls = message->find("tool_calls"); calls != message->end() && calls->is_array()) {
    for (const auto& call : *calls) {
      if (!call.is_object()) return invalid("reply has a malformed tool call");
      const auto function = call.find("function");
      if (function == call.end() || !function->is_object()) return invalid("reply tool call has no function");
      LlmToolCall tool_call{string_field(call, "id"), string_field(*function, "name"), arguments_text(*function)};
      if (tool_call.id.empty()) tool_call.id = "call_" + std::to_string(reply.tool_calls.size());
      reply.tool_calls.push_back(std::move(tool_call));
    }
  }
  return reply;
}

}  // namespace agentrt
