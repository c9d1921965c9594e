#include "backends/llm/openai_provider.hpp"

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "backends/http/retry_after.hpp"
#include "backends/http/retry_timing.hpp"
#include "backends/http/url.hpp"
#include "backends/llm/openai_reply.hpp"

namespace agentrt {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

constexpr std::size_t kLlmResponseBytesMax = 32 * 1024 * 1024;

struct TryOutcome {
  Result<LlmReply> reply;
  std::optional<milliseconds> retry_after;  // from a 429/503 reply
  bool streamed_tokens = false;
};

std::string completions_url(std::string base_url) {
  while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
  return base_url + "/chat/completions";
}

// A server may echo the key in an error body; it never reaches a message or a log.
Error without_secret(Error error, const std::string& api_key) {
  if (api_key.size() < 4) return error;
  for (auto at = error.message.find(api_key); at != std::string::npos; at = error.message.find(api_key, at)) {
    error.message.replace(at, api_key.size(), "[redacted]");
  }
  return error;
}

std::string request_body(const LlmRequest& request) {
  const ModelConfig& model = *request.model;
  nlohmann::json body = {{"model", model.name},
                         {"messages", request.messages},
                         {"stream", true},
                         {"stream_options", {{"include_usage", true}}}};
  if (request.tools.is_array() && !request.tools.empty()) body["tools"] = request.tools;
  if (model.temperature) body["temperature"] = *model.temperature;
  if (model.max_tokens) body["max_tokens"] = *model.max_tokens;
  return body.dump();
}

class OpenAiProvider final : public LlmProvider {
 public:
  OpenAiProvider(CurlClient& http, RetryJitter jitter) : http_(http), jitter_(jitter) {}

  asio::awaitable<Result<LlmReply>> complete(LlmRequest request, TokenSink on_token) override {
    if (request.model == nullptr) co_return Error{Errc::invalid, "llm request without a model"};
    const ModelConfig& model = *request.model;
    if (model.base_url.empty()) co_return Error{Errc::invalid, "model " + model.name + ": base_url is empty"};
    if (!request.messages.is_array()) co_return Error{Errc::invalid, "model " + model.name + ": messages must be an array"};
    const HttpRequest http_request = build_request(request);
    const int attempts = std::max(1, model.retry.attempts);
    for (int attempt = 1;; ++attempt) {
      TryOutcome outcome = co_await try_once(http_request, on_token);
      if (outcome.reply.ok()) co_return std::move(outcome.reply);
      Error error = without_secret(outcome.reply.error(), request.api_key);
      if (outcome.streamed_tokens && error.retryable()) {
        co_return Error{error.code, error.message + " (not retried: part of the reply was already streamed)"};
      }
      if (attempt >= attempts || !error.retryable()) {
        if (attempt > 1) error.message += " (after " + std::to_string(attempt) + " tries)";
        co_return error;
      }
      const milliseconds delay = retry_delay(model.retry, attempt + 1, jitter_.next(), outcome.retry_after);
      spdlog::warn("llm {} try {}/{} failed: {}; retrying in {} ms", redact_url(http_request.url), attempt, attempts,
                   error.to_string(), delay.count());
      if (auto slept = co_await sleep_for(delay); !slept) co_return slept.error();
    }
  }

 private:
  static HttpRequest build_request(const LlmRequest& request) {
    HttpRequest http_request;
    http_request.method = "POST";
    http_request.url = completions_url(request.model->base_url);
    http_request.headers = {{"Content-Type", "application/json"}, {"Accept", "text/event-stream, application/json"}};
    if (!request.api_key.empty()) http_request.headers.emplace_back("Authorization", "Bearer " + request.api_key);
    if (!request.idempotency_key.empty()) http_request.headers.emplace_back("Idempotency-Key", request.idempotency_key);
    if (!request.traceparent.empty()) http_request.headers.emplace_back("traceparent", request.traceparent);
    http_request.body = request_body(request);
    http_request.timeout = request.model->timeout;
    http_request.response_bytes_max = kLlmResponseBytesMax;
    return http_request;
  }

  asio::awaitable<TryOutcome> try_once(const HttpRequest& http_request, const TokenSink& on_token) {
    OpenAiStreamReader reader(on_token);
    auto response = co_await http_.request(http_request, [&reader](std::string_view chunk) { reader.feed(chunk); });
    const std::string url = redact_url(http_request.url);
    if (!response) co_return TryOutcome{response.error(), std::nullopt, reader.streamed_tokens()};
    const long status = response->status;
    if (status >= 200 && status < 300) {
      auto reply = reader.finish();
      if (!reply && reply.error().code == Errc::invalid) {
        reply = Error{Errc::invalid, "malformed reply from " + url + ": " + reply.error().message};
      } else if (!reply) {
        reply = reply.error().with_context("reply from " + url);
      }
      co_return TryOutcome{std::move(reply), std::nullopt, reader.streamed_tokens()};
    }
    const Errc code = status == 429 ? Errc::throttled : status >= 500 ? Errc::retryable : Errc::invalid;
    Error error{code, "HTTP " + std::to_string(status) + " from POST " + url + ": " + openai_error_message(response->body)};
    std::optional<milliseconds> retry_after;
    if (const auto header = response->header("Retry-After")) {
      retry_after = parse_retry_after(*header, std::chrono::system_clock::now());
    }
    co_return TryOutcome{std::move(error), retry_after, false};
  }

  CurlClient& http_;
  RetryJitter jitter_;
};

}  // namespace

std::unique_ptr<LlmProvider> make_openai_provider(CurlClient& http) {
  return std::make_unique<OpenAiProvider>(http, RetryJitter());
}

std::unique_ptr<LlmProvider> make_openai_provider(CurlClient& http, std::uint32_t jitter_seed) {
  return std::make_unique<OpenAiProvider>(http, RetryJitter(jitter_seed));
}

}  // namespace agentrt
