#pragma once
// The HTTP API request each unary gRPC call stands for, and the proto answer built from the
// HTTP API's JSON answer (docs/serve.md, "gRPC"). Pure functions: no serve state, so they run
// on gRPC's threads and are tested alone.
//
// A proto3 string left empty is a field not given: it is left out of the JSON body, and the
// HTTP handler applies its default or its "required" error, exactly as for an HTTP client.

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "agentrt/v1/agentrt.pb.h"
#include "backends/http_server/http_message.hpp"
#include "serve/grpc/grpc_status.hpp"

namespace agentrt::serve::grpc_api {

// What the call's metadata brings to the request: the bearer token header and a valid
// traceparent (else empty).
struct CallMetadata {
  std::optional<std::string> authorization;
  std::string traceparent;
  std::string tracestate{};  // only with a valid traceparent
};

// A request the router can handle, or the INVALID_ARGUMENT error found before it (a missing
// session id, a signal payload that is not JSON).
using RouteRequest = std::variant<ServerRequest, ApiError>;

RouteRequest route_request(const v1::CreateSessionRequest& request, const CallMetadata& metadata);
RouteRequest route_request(const v1::SendMessageRequest& request, const CallMetadata& metadata);
RouteRequest route_request(const v1::GetSessionRequest& request, const CallMetadata& metadata);
RouteRequest route_request(const v1::SignalRequest& request, const CallMetadata& metadata);
RouteRequest route_request(const v1::QueryRequest& request, const CallMetadata& metadata);
RouteRequest route_request(const v1::UpdateRequest& request, const CallMetadata& metadata);
RouteRequest route_request(const v1::CancelSessionRequest& request, const CallMetadata& metadata);

// The request StreamEvents authorises with (GET .../events; from_seq travels apart).
RouteRequest stream_request(const v1::StreamEventsRequest& request, const CallMetadata& metadata);

// The proto answer of a successful (2xx) HTTP answer `body`.
void fill_response(const nlohmann::json& body, int http_status, v1::CreateSessionResponse& response);
void fill_response(const nlohmann::json& body, int http_status, v1::SendMessageResponse& response);
void fill_response(const nlohmann::json& body, int http_status, v1::GetSessionResponse& response);
void fill_response(const nlohmann::json& body, int http_status, v1::SignalResponse& response);
void fill_response(const nlohmann::json& body, int http_status, v1::QueryResponse& response);
void fill_response(const nlohmann::json& body, int http_status, v1::UpdateResponse& response);
void fill_response(const nlohmann::json& body, int http_status, v1::CancelSessionResponse& response);

void fill_session(const nlohmann::json& session, v1::Session& out);

// Percent-encodes one path segment (everything but A-Z a-z 0-9 - . _ ~).
[[nodiscard]] std::string encode_segment(std::string_view segment);

}  // namespace agentrt::serve::grpc_api
