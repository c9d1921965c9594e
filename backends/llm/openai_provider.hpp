#pragma once
// LlmProvider for any OpenAI-compatible `POST {base_url}/chat/completions` (OpenAI, vLLM,
// llama.cpp server, Ollama, LiteLLM, ...), streaming with tool calls.
//
// - Sends {model, messages, tools (when any), temperature / max_tokens (when set),
//   stream: true, stream_options: {include_usage: true}} with `Authorization: Bearer <key>`
//   when a key is given, and `Idempotency-Key` when the request has one.
// - Streams content deltas to on_token as they arrive. A server that answers with a plain
//   JSON completion instead of SSE is accepted too (on_token then gets the whole content once).
// - Retries HTTP 429, 5xx, timeouts and transport errors per ModelConfig::retry, with
//   exponential backoff and jitter, honouring Retry-After (capped by retry.max_backoff).
//   Other 4xx -> Errc::invalid "HTTP <status> from POST <url>: <server message>".
//   An unparseable 2xx body -> Errc::invalid "malformed reply from <url>: ...".
// - Tokens are never streamed twice: once a try has passed tokens to on_token, a failure
//   of that try (say the stream is cut mid-way) is returned, not retried, so the caller never
//   sees a reply's beginning repeated. Failures before the first token are retried.
// - The API key never appears in a log or an error message.
// One provider per CurlClient executor; complete() may run concurrently for many sessions.

#include <cstdint>
#include <memory>

#include "backends/http/curl_client.hpp"
#include "core/ports/llm_provider.hpp"

namespace agentrt {

std::unique_ptr<LlmProvider> make_openai_provider(CurlClient& http);
// Same, with a fixed jitter seed (reproducible retry delays in tests).
std::unique_ptr<LlmProvider> make_openai_provider(CurlClient& http, std::uint32_t jitter_seed);

}  // namespace agentrt
