#include "serve/api_support.hpp"

#include <spdlog/spdlog.h>

namespace agentrt::serve {

std::variant<std::string, ServerResponse> authorise(const ServerRequest& request, const OrgTokens& tokens) {
  const auto header = request.header("authorization");
  if (!header) return json_error(401, "unauthorized", "missing Authorization: Bearer <org token>");
  const auto token = bearer_token(*header);
  if (!token) return json_error(401, "unauthorized", "the Authorization header is not \"Bearer <org token>\"");
  auto org = tokens.org_for(*token);
  if (!org) return json_error(401, "unauthorized", "unknown token");
  return *org;
}

std::variant<nlohmann::json, ServerResponse> json_object_body(const ServerRequest& request) {
  if (request.body.empty()) return nlohmann::json::object();
  auto body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded()) return json_error(400, "invalid_json", "the request body is not valid JSON (UTF-8)");
  if (!body.is_object()) return json_error(400, "invalid_request", "the request body must be a JSON object");
  return body;
}

std::optional<std::string> client_id_problem(std::string_view id) {
  if (id.empty()) return "is empty";
  if (id.size() > kMaxClientId) return "is longer than " + std::to_string(kMaxClientId) + " characters";
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '.' || c == ':' || c == '-';
    if (!ok) return "may hold only letters, digits and _ . : -";
  }
  return std::nullopt;
}

std::variant<std::optional<std::string>, ServerResponse> string_field(const nlohmann::json& body, const char* name,
                                                                      std::size_t max_bytes) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::optional<std::string>{};
  if (!it->is_string()) return json_error(400, "invalid_request", std::string(name) + ": expected a string");
  auto text = it->get<std::string>();
  if (text.empty()) return json_error(400, "invalid_request", std::string(name) + ": must not be empty");
  if (text.size() > max_bytes) {
    return json_error(400, "invalid_request", std::string(name) + ": longer than " + std::to_string(max_bytes) + " bytes");
  }
  return std::optional<std::string>{std::move(text)};
}

ServerResponse store_error(const Error& error, std::string_view what) {
  if (error.code == Errc::not_found) return json_error(404, "session_not_found", "no such session");
  spdlog::error("api: {}: {}", what, error.to_string());
  if (error.code == Errc::retryable || error.code == Errc::throttled || error.code == Errc::timeout) {
    return json_error(503, "unavailable", "the store is busy; retry with the same ids");
  }
  return json_error(500, "internal", "the store failed; see the server log");
}

ServerResponse queue_error(const Error& error, std::string_view what) {
  if (error.code == Errc::invalid) {
    spdlog::warn("api: {}: {}", what, error.to_string());
    return json_error(400, "invalid_request", "the message cannot be queued: ids of 1 to 128 printable ASCII "
                                              "characters without spaces, and at most 256 KiB");
  }
  if (error.code == Errc::cancelled) return json_error(503, "inbox_unavailable", "the server is stopping; retry");
  spdlog::error("api: {}: {}", what, error.to_string());
  return json_error(503, "inbox_unavailable", "the inbox queue is unavailable; retry with the same ids");
}

boost::asio::awaitable<std::variant<Delivered, ServerResponse>> deliver_message(SessionStore& store, InboxQueue* queue,
                                                                                const SessionId& session,
                                                                                InboxMessage message,
                                                                                std::string traceparent) {
  if (queue != nullptr) {
    auto sent = co_await queue->send(session, std::move(message), std::move(traceparent));
    if (!sent) co_return queue_error(sent.error(), "send to the inbox queue of session " + session.str());
    co_return Delivered{true, true};
  }
  auto stored = co_await store.enqueue(session, std::move(message));
  if (!stored) co_return store_error(stored.error(), "enqueue to session " + session.str());
  co_return Delivered{false, *stored};
}

ServerResponse session_not_found(std::string_view id) {
  return json_error(404, "session_not_found", "no session " + std::string(id) + " in your org");
}

boost::asio::awaitable<std::variant<SessionRecord, ServerResponse>> find_owned_session(SessionStore& store,
                                                                                      const std::string& org,
                                                                                      const std::string& id) {
  if (client_id_problem(id)) co_return session_not_found(id);
  auto record = co_await store.get_session(SessionId{id});
  if (!record) {
    if (record.error().code == Errc::not_found) co_return session_not_found(id);
    co_return store_error(record.error(), "get session " + id);
  }
  if (record->org.str() != org) co_return session_not_found(id);  // never reveal another org's session
  co_return std::move(record).value();
}

nlohmann::json session_json(const SessionRecord& record) {
  nlohmann::json j{{"id", record.id.str()},
                   {"org", record.org.str()},
                   {"bot", record.bot.str()},
                   {"status", session_status_name(record.status)},
                   {"last_seq", record.last_seq.value},
                   {"definition_hash", record.definition_hash},
                   {"created_ms", record.created_ms},
                   {"updated_ms", record.updated_ms}};
  if (record.wake_at_ms) j["wake_at_ms"] = *record.wake_at_ms;
  return j;
}

}  // namespace agentrt::serve
