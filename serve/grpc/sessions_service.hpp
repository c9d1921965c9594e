#pragma once
// SessionsService: agentrt.v1.Sessions (proto/agentrt/v1/agentrt.proto) on gRPC's callback
// API. Each method only reads its metadata and request on gRPC's thread and hands the call to
// a reactor (UnaryCall, EventStreamCall) that does the work on the serve io_context.

#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "agentrt/v1/agentrt.grpc.pb.h"
#include "backends/http_server/router.hpp"
#include "serve/grpc/event_stream_call.hpp"
#include "serve/grpc/grpc_requests.hpp"

namespace agentrt::serve::grpc_api {

// The bearer token and a valid traceparent from a call's metadata (a malformed traceparent
// is dropped and logged at debug).
CallMetadata call_metadata(const grpc::CallbackServerContext& context);

class SessionsService final : public v1::Sessions::CallbackService {
 public:
  SessionsService(boost::asio::any_io_executor executor, const Router& router, StreamEnv& streams)
      : executor_(std::move(executor)), router_(router), streams_(streams) {}

  grpc::ServerUnaryReactor* CreateSession(grpc::CallbackServerContext* context, const v1::CreateSessionRequest* request,
                                          v1::CreateSessionResponse* response) override;
  grpc::ServerUnaryReactor* SendMessage(grpc::CallbackServerContext* context, const v1::SendMessageRequest* request,
                                        v1::SendMessageResponse* response) override;
  grpc::ServerWriteReactor<v1::SessionEvent>* StreamEvents(grpc::CallbackServerContext* context,
                                                           const v1::StreamEventsRequest* request) override;
  grpc::ServerUnaryReactor* GetSession(grpc::CallbackServerContext* context, const v1::GetSessionRequest* request,
                                       v1::GetSessionResponse* response) override;
  grpc::ServerUnaryReactor* Signal(grpc::CallbackServerContext* context, const v1::SignalRequest* request,
                                   v1::SignalResponse* response) override;
  grpc::ServerUnaryReactor* Query(grpc::CallbackServerContext* context, const v1::QueryRequest* request,
                                  v1::QueryResponse* response) override;
  grpc::ServerUnaryReactor* Update(grpc::CallbackServerContext* context, const v1::UpdateRequest* request,
                                   v1::UpdateResponse* response) override;
  grpc::ServerUnaryReactor* CancelSession(grpc::CallbackServerContext* context, const v1::CancelSessionRequest* request,
                                          v1::CancelSessionResponse* response) override;

 private:
  template <class Request, class Response>
  grpc::ServerUnaryReactor* unary(grpc::CallbackServerContext* context, const Request& request, Response* response,
                                  std::string name);

  boost::asio::any_io_executor executor_;
  const Router& router_;
  StreamEnv& streams_;
};

}  // namespace agentrt::serve::grpc_api
