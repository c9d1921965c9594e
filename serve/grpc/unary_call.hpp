#pragma once
// UnaryCall: one unary gRPC call run as its HTTP API request (grpc_requests.hpp) through the
// serve Router, on the serve io_context (docs/serve.md, "gRPC").
//
// Threading: gRPC calls start() and OnCancel() on its own threads; they only post to the
// io_context, which runs the route and then calls Finish (legal from any thread). Nothing
// blocks a gRPC thread and no serve state is touched off the io_context.
// Deadlines and cancellation: the call's deadline (a timer on the io_context) and OnCancel
// (the client went away, the deadline passed, the server shuts down) cancel the route's
// coroutine; an update waiting to be recorded then stops waiting. The call then ends with
// DEADLINE_EXCEEDED (or CANCELLED), whatever the route answered after the cancel.
// Lifetime: gRPC owns the object from start() until OnDone, which deletes it (the callback
// API's contract); what the io_context needs after that is in the shared State.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <grpcpp/support/server_callback.h>
#include <grpcpp/server_context.h>
#include <nlohmann/json.hpp>

#include "backends/http_server/router.hpp"
#include "serve/grpc/grpc_requests.hpp"
#include "serve/metrics/rpc_observer.hpp"

namespace agentrt::serve::grpc_api {

class UnaryCall final : public grpc::ServerUnaryReactor {
 public:
  // Writes the proto answer of a 2xx HTTP answer.
  using Fill = std::function<void(const nlohmann::json& body, int http_status)>;

  // Returns the reactor gRPC must be given. `name` is the RPC's name, for logs and metrics;
  // `observer` (optional, outlives the call) is told how the call ended.
  static grpc::ServerUnaryReactor* start(boost::asio::any_io_executor executor, const Router& router,
                                         grpc::CallbackServerContext* context, RouteRequest request, Fill fill,
                                         std::string name, RpcObserver* observer = nullptr);

  void OnCancel() override;
  void OnDone() override;

 private:
  struct State;
  UnaryCall(boost::asio::any_io_executor executor, grpc::CallbackServerContext* context, std::string name,
            RpcObserver* observer);
  // Finish, told to the observer first.
  void finish(const grpc::Status& status);
  void run(const Router& router, ServerRequest request, Fill fill, std::string name);
  void complete(std::exception_ptr error, const ServerResponse& response, const Fill& fill);
  void fail(const ApiError& error);

  boost::asio::any_io_executor executor_;
  grpc::CallbackServerContext* context_;
  std::shared_ptr<State> state_;
  std::string name_;
  RpcObserver* observer_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace agentrt::serve::grpc_api
