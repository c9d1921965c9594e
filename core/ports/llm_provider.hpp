#pragma once
// LlmProvider: one chat completion with tool calling.
//
// Contract:
// - complete() streams content tokens to `on_token` as they arrive (may be never called),
//   then returns the whole reply. It retries 429/5xx/transport errors itself with backoff
//   (honouring Retry-After) up to the model's retry policy, within `request.timeout` per try.
// - It does not validate tool calls: arguments come back as the raw string the model wrote,
//   so the decider can send a bad reply back to the model as an error.
// - Errors: invalid (4xx other than 429, malformed reply body), retryable/throttled/timeout
//   after retries are exhausted, cancelled. Messages never contain the API key.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "core/model/definition.hpp"
#include "core/model/error.hpp"

namespace agentrt {

struct LlmToolCall {
  std::string id;
  std::string name;
  std::string arguments;  // raw JSON text as produced by the model
};

struct LlmRequest {
  const ModelConfig* model = nullptr;      // never null
  std::string api_key;                     // resolved secret; empty for none. Never logged.
  nlohmann::json messages = nlohmann::json::array();  // OpenAI chat format
  nlohmann::json tools = nlohmann::json::array();     // OpenAI "tools" array (function specs)
  std::string idempotency_key;             // <session>:<LlmRequested seq>
  std::string traceparent{};               // W3C context of this call's span (sent as a header); empty: none
};

struct LlmReply {
  std::string content;
  std::vector<LlmToolCall> tool_calls;
  long long tokens_in = 0;
  long long tokens_out = 0;
  std::string finish_reason;
};

using TokenSink = std::function<void(std::string_view token)>;

class LlmProvider {
 public:
  virtual ~LlmProvider() = default;
  virtual boost::asio::awaitable<Result<LlmReply>> complete(LlmRequest request, TokenSink on_token) = 0;
};

}  // namespace agentrt
