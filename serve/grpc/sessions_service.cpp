#include "serve/grpc/sessions_service.hpp"

#include <utility>

#include <spdlog/spdlog.h>

#include "core/trace/trace_context.hpp"
#include "serve/grpc/unary_call.hpp"

namespace agentrt::serve::grpc_api {

CallMetadata call_metadata(const grpc::CallbackServerContext& context) {
  CallMetadata metadata;
  const auto& client = context.client_metadata();
  if (const auto it = client.find("authorization"); it != client.end()) {
    metadata.authorization = std::string(it->second.data(), it->second.size());
  }
  if (const auto it = client.find("traceparent"); it != client.end()) {
    const std::string value(it->second.data(), it->second.size());
    if (parse_traceparent(value).has_value()) {
      metadata.traceparent = value;
      if (const auto state = client.find("tracestate"); state != client.end()) {
        metadata.tracestate = std::string(state->second.data(), state->second.size());
      }
    } else {
      spdlog::debug("grpc: ignoring a malformed traceparent ({} bytes)", value.size());
    }
  }
  return metadata;
}

template <class Request, class Response>
grpc::ServerUnaryReactor* SessionsService::unary(grpc::CallbackServerContext* context, const Request& request,
                                                 Response* response, std::string name) {
  auto route = route_request(request, call_metadata(*context));
  UnaryCall::Fill fill = [response](const nlohmann::json& body, int http_status) {
    fill_response(body, http_status, *response);
  };
  return UnaryCall::start(executor_, router_, context, std::move(route), std::move(fill), std::move(name), streams_.calls);
}

grpc::ServerUnaryReactor* SessionsService::CreateSession(grpc::CallbackServerContext* context,
                                                         const v1::CreateSessionRequest* request,
                                                         v1::CreateSessionResponse* response) {
  return unary(context, *request, response, "CreateSession");
}

grpc::ServerUnaryReactor* SessionsService::SendMessage(grpc::CallbackServerContext* context,
                                                       const v1::SendMessageRequest* request,
                                                       v1::SendMessageResponse* response) {
  return unary(context, *request, response, "SendMessage");
}

grpc::ServerWriteReactor<v1::SessionEvent>* SessionsService::StreamEvents(grpc::CallbackServerContext* context,
                                                                          const v1::StreamEventsRequest* request) {
  return EventStreamCall::start(streams_, context, stream_request(*request, call_metadata(*context)),
                                request->session_id(), request->from_seq());
}

grpc::ServerUnaryReactor* SessionsService::GetSession(grpc::CallbackServerContext* context,
                                                      const v1::GetSessionRequest* request,
                                                      v1::GetSessionResponse* response) {
  return unary(context, *request, response, "GetSession");
}

grpc::ServerUnaryReactor* SessionsService::Signal(grpc::CallbackServerContext* context, const v1::SignalRequest* request,
                                                  v1::SignalResponse* response) {
  return unary(context, *request, response, "Signal");
}

grpc::ServerUnaryReactor* SessionsService::Query(grpc::CallbackServerContext* context, const v1::QueryRequest* request,
                                                 v1::QueryResponse* response) {
  return unary(context, *request, response, "Query");
}

grpc::ServerUnaryReactor* SessionsService::Update(grpc::CallbackServerContext* context, const v1::UpdateRequest* request,
                                                  v1::UpdateResponse* response) {
  return unary(context, *request, response, "Update");
}

grpc::ServerUnaryReactor* SessionsService::CancelSession(grpc::CallbackServerContext* context,
                                                         const v1::CancelSessionRequest* request,
                                                         v1::CancelSessionResponse* response) {
  return unary(context, *request, response, "CancelSession");
}

}  // namespace agentrt::serve::grpc_api
