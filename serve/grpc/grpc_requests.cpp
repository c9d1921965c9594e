#include "serve/grpc/grpc_requests.hpp"

#include <utility>

namespace agentrt::serve::grpc_api {
namespace {

using json = nlohmann::json;

ApiError invalid(std::string message) {
  return ApiError{grpc::StatusCode::INVALID_ARGUMENT, "invalid_request", "invalid_request: " + std::move(message)};
}

// The request as the HTTP server would have parsed it: `path` decoded, `target` encoded.
ServerRequest make_request(std::string method, const std::string& decoded_path, std::string encoded_path,
                           const json* body, const CallMetadata& metadata) {
  ServerRequest request;
  request.method = std::move(method);
  request.target = std::move(encoded_path);
  request.path = decoded_path;
  if (body != nullptr) request.body = body->dump();
  if (metadata.authorization) request.headers.emplace("authorization", *metadata.authorization);
  if (!metadata.traceparent.empty()) request.headers.emplace("traceparent", metadata.traceparent);
  if (!metadata.tracestate.empty()) request.headers.emplace("tracestate", metadata.tracestate);
  if (body != nullptr) request.headers.emplace("content-type", "application/json");
  request.remote = "grpc";
  return request;
}

// /v1/sessions/{id}[/suffix...], or the error for an empty id.
RouteRequest session_request(std::string method, const std::string& id, const std::string& suffix, const json* body,
                             const CallMetadata& metadata) {
  if (id.empty()) return invalid("session_id: required");
  return make_request(std::move(method), "/v1/sessions/" + id + suffix, "/v1/sessions/" + encode_segment(id) + suffix,
                      body, metadata);
}

void put_if(json& body, const char* name, const std::string& value) {
  if (!value.empty()) body[name] = value;
}

std::string text_of(const json& body, const char* name) {
  const auto it = body.find(name);
  return (it != body.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

std::int64_t int_of(const json& body, const char* name) {
  const auto it = body.find(name);
  return (it != body.end() && it->is_number_integer()) ? it->get<std::int64_t>() : 0;
}

bool bool_of(const json& body, const char* name) {
  const auto it = body.find(name);
  return it != body.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace

std::string encode_segment(std::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : segment) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                       c == '.' || c == '_' || c == '~';
    if (plain) {
      out += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
  return out;
}

RouteRequest route_request(const v1::CreateSessionRequest& request, const CallMetadata& metadata) {
  json body = json::object();
  put_if(body, "bot", request.bot());
  if (request.has_message()) {
    json message = json::object();
    put_if(message, "text", request.message().text());
    put_if(message, "message_id", request.message().message_id());
    body["message"] = std::move(message);
  }
  return make_request("POST", "/v1/sessions", "/v1/sessions", &body, metadata);
}

RouteRequest route_request(const v1::SendMessageRequest& request, const CallMetadata& metadata) {
  json body = json::object();
  put_if(body, "text", request.text());
  put_if(body, "message_id", request.message_id());
  return session_request("POST", request.session_id(), "/messages", &body, metadata);
}

RouteRequest route_request(const v1::GetSessionRequest& request, const CallMetadata& metadata) {
  return session_request("GET", request.session_id(), "", nullptr, metadata);
}

RouteRequest route_request(const v1::SignalRequest& request, const CallMetadata& metadata) {
  json body = json::object();
  put_if(body, "name", request.name());
  put_if(body, "signal_id", request.signal_id());
  if (!request.payload_json().empty()) {
    auto payload = json::parse(request.payload_json(), nullptr, false);
    if (payload.is_discarded()) return invalid("payload_json: not valid JSON");
    body["payload"] = std::move(payload);
  }
  return session_request("POST", request.session_id(), "/signals", &body, metadata);
}

RouteRequest route_request(const v1::QueryRequest& request, const CallMetadata& metadata) {
  if (request.name().empty()) return invalid("name: required (status, output, transcript, calls)");
  return session_request("GET", request.session_id(), "/query/" + encode_segment(request.name()), nullptr, metadata);
}

RouteRequest route_request(const v1::UpdateRequest& request, const CallMetadata& metadata) {
  json body = json::object();
  put_if(body, "name", request.name());
  put_if(body, "call_id", request.call_id());
  put_if(body, "text", request.text());
  put_if(body, "update_id", request.update_id());
  if (request.has_approved()) body["approved"] = request.approved();
  return session_request("POST", request.session_id(), "/updates", &body, metadata);
}

RouteRequest route_request(const v1::CancelSessionRequest& request, const CallMetadata& metadata) {
  json body = json::object();
  put_if(body, "reason", request.reason());
  put_if(body, "mode", request.mode());
  return session_request("POST", request.session_id(), "/cancel", &body, metadata);
}

RouteRequest stream_request(const v1::StreamEventsRequest& request, const CallMetadata& metadata) {
  if (request.from_seq() < 0) return invalid("from_seq: must not be negative");
  return session_request("GET", request.session_id(), "/events", nullptr, metadata);
}

void fill_session(const json& session, v1::Session& out) {
  if (!session.is_object()) return;
  out.set_id(text_of(session, "id"));
  out.set_org(text_of(session, "org"));
  out.set_bot(text_of(session, "bot"));
  out.set_status(text_of(session, "status"));
  out.set_last_seq(int_of(session, "last_seq"));
  out.set_definition_hash(text_of(session, "definition_hash"));
  out.set_created_ms(int_of(session, "created_ms"));
  out.set_updated_ms(int_of(session, "updated_ms"));
  if (session.contains("wake_at_ms")) out.set_wake_at_ms(int_of(session, "wake_at_ms"));
  if (session.contains("pending_messages")) out.set_pending_messages(int_of(session, "pending_messages"));
}

void fill_response(const json& body, int /*http_status*/, v1::CreateSessionResponse& response) {
  if (body.contains("session")) fill_session(body["session"], *response.mutable_session());
}

void fill_response(const json& body, int /*http_status*/, v1::SendMessageResponse& response) {
  response.set_session_id(text_of(body, "session"));
  response.set_message_id(text_of(body, "message_id"));
  response.set_accepted(bool_of(body, "accepted"));
}

void fill_response(const json& body, int /*http_status*/, v1::GetSessionResponse& response) {
  if (body.contains("session")) fill_session(body["session"], *response.mutable_session());
}

void fill_response(const json& body, int /*http_status*/, v1::SignalResponse& response) {
  response.set_session_id(text_of(body, "session"));
  response.set_signal_id(text_of(body, "signal_id"));
  response.set_accepted(bool_of(body, "accepted"));
}

void fill_response(const json& body, int /*http_status*/, v1::QueryResponse& response) {
  response.set_session_id(text_of(body, "session"));
  response.set_query(text_of(body, "query"));
  response.set_seq(int_of(body, "seq"));
  const auto it = body.find("result");
  response.set_result_json(it == body.end() ? "null" : it->dump(-1, ' ', false, json::error_handler_t::replace));
}

void fill_response(const json& body, int http_status, v1::UpdateResponse& response) {
  response.set_session_id(text_of(body, "session"));
  response.set_update_id(text_of(body, "update_id"));
  // 200: recorded by a worker; 202: durably queued, not yet recorded within the wait.
  response.set_recorded(http_status == 200);
  if (const auto it = body.find("result"); it != body.end() && it->is_object()) {
    response.set_recorded_seq(int_of(*it, "recorded_seq"));
    response.set_call_id(text_of(*it, "call_id"));
    response.set_answer(text_of(*it, "answer"));
  }
}

void fill_response(const json& body, int /*http_status*/, v1::CancelSessionResponse& response) {
  if (body.contains("session")) fill_session(body["session"], *response.mutable_session());
  response.set_cancelled_seq(int_of(body, "cancelled_seq"));
}

}  // namespace agentrt::serve::grpc_api
