#pragma once
// Shared pieces of the serve HTTP API (docs/serve.md, "HTTP API"): who is calling (the org of
// the bearer token), the JSON body as an object, checked ids and texts, the session document,
// and the stable error codes. Every failure is a JSON error {"error":{"code","message"}}.

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "backends/http_server/http_message.hpp"
#include "core/model/error.hpp"
#include "core/model/session.hpp"
#include "core/ports/inbox_queue.hpp"
#include "core/ports/session_store.hpp"
#include "serve/org_tokens.hpp"

namespace agentrt::serve {

inline constexpr std::size_t kMaxMessageText = 64 * 1024;  // bytes of one message or answer
inline constexpr std::size_t kMaxClientId = 128;            // message, signal and update ids

// The caller's org, or the 401 answer (missing, malformed or unknown token).
std::variant<std::string, ServerResponse> authorise(const ServerRequest& request, const OrgTokens& tokens);

// The body as a JSON object, or the 400 answer (invalid_json / invalid_request).
std::variant<nlohmann::json, ServerResponse> json_object_body(const ServerRequest& request);

// A client-chosen id: 1..128 of [A-Za-z0-9_.:-]. nullopt when valid, else what is wrong.
std::optional<std::string> client_id_problem(std::string_view id);

// A string field of `body`: nullopt when absent; the 400 answer when mistyped, empty, too long.
std::variant<std::optional<std::string>, ServerResponse> string_field(const nlohmann::json& body, const char* name,
                                                                      std::size_t max_bytes);

// The error answer for a store error (not_found -> 404 session_not_found, busy -> 503
// unavailable, other -> 500 internal with a generic message; details only in the log).
ServerResponse store_error(const Error& error, std::string_view what);

ServerResponse session_not_found(std::string_view id);

// The error answer for an inbox queue error: invalid (the client's message) -> 400; anything
// else (down, missing, misconfigured: the deployment's) -> 503 inbox_unavailable.
ServerResponse queue_error(const Error& error, std::string_view what);

// Where a client's message (a message, signal, update, first message) goes: the inbox queue
// when one is configured (inbox: {kind: sqs}; its consumer moves it into the store, which
// drops a repeat), else straight into the store. `fresh` is false for a repeat the store
// recognised (never known when queued). The error answer on failure.
struct Delivered {
  bool queued = false;  // sent to the inbox queue
  bool fresh = true;
};
boost::asio::awaitable<std::variant<Delivered, ServerResponse>> deliver_message(SessionStore& store, InboxQueue* queue,
                                                                                const SessionId& session,
                                                                                InboxMessage message,
                                                                                std::string traceparent);

// The session `id` if it exists and belongs to `org`; else the answer: 404 session_not_found
// exactly as for a missing one (a token never learns that another org's session exists), or
// the store error.
boost::asio::awaitable<std::variant<SessionRecord, ServerResponse>> find_owned_session(SessionStore& store,
                                                                                      const std::string& org,
                                                                                      const std::string& id);

nlohmann::json session_json(const SessionRecord& record);

}  // namespace agentrt::serve
