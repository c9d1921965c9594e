#pragma once
// Parsing of OpenAI-compatible chat completion replies, both forms:
// - streaming: SSE `data:` payloads (chat.completion.chunk), accumulated by OpenAiStreamReader;
// - plain JSON (chat.completion), when a server ignores "stream": true.
// Errors returned here carry only the detail ("chunk is not JSON: ..."); the provider adds
// "malformed reply from <url>: " in front.

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "backends/http/sse_parser.hpp"
#include "core/model/error.hpp"
#include "core/ports/llm_provider.hpp"

namespace agentrt {

// Accumulates chat.completion.chunk payloads: content deltas, tool-call fragments by index
// (id and name from the first fragment, arguments concatenated), finish_reason and usage.
class OpenAiChunkAccumulator {
 public:
  // Applies one JSON payload; returns its content delta (often empty).
  Result<std::string> apply(std::string_view payload);
  [[nodiscard]] bool finished() const { return !reply_.finish_reason.empty(); }
  LlmReply take();

 private:
  void apply_tool_call(const nlohmann::json& fragment);

  LlmReply reply_;
  std::map<long long, LlmToolCall> tool_calls_;  // by the chunk's "index"
  long long last_index_ = -1;
};

// Reads a 2xx body chunk by chunk. The first non-blank byte decides the form: '{' is a plain
// JSON reply, anything else an SSE stream (SSE lines start with a field name or ':').
class OpenAiStreamReader {
 public:
  explicit OpenAiStreamReader(std::function<void(std::string_view)> on_token) : on_token_(std::move(on_token)) {}

  void feed(std::string_view chunk);
  // After the body ended: the whole reply, or what was wrong with it. An SSE stream that
  // stopped before `[DONE]` and before any finish_reason is Errc::retryable (cut off);
  // anything unparseable is Errc::invalid.
  Result<LlmReply> finish();
  [[nodiscard]] bool streamed_tokens() const { return streamed_tokens_; }

 private:
  enum class Form { unknown, json, sse };
  void feed_sse(std::string_view chunk);

  std::function<void(std::string_view)> on_token_;
  Form form_ = Form::unknown;
  std::string json_body_;
  SseParser sse_;
  OpenAiChunkAccumulator accumulator_;
  std::size_t events_ = 0;
  bool done_ = false;  // `data: [DONE]` seen
  std::optional<Error> error_;
  bool streamed_tokens_ = false;
};

// Parses a non-streaming chat.completion body.
Result<LlmReply> parse_openai_completion(std::string_view body);

// The human-readable part of an error body ({"error":{"message":...}} and common variants),
// else the body itself; cut to about `bytes_max` bytes on a UTF-8 boundary, valid UTF-8.
std::string openai_error_message(std::string_view body, std::size_t bytes_max = 500);

}  // namespace agentrt
