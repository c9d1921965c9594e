#include "serve/grpc/unary_call.hpp"

#include <chrono>
#include <optional>
#include <utility>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "serve/grpc/call_deadline.hpp"
#include "serve/grpc/grpc_status.hpp"

namespace agentrt::serve::grpc_api {
namespace {

namespace asio = boost::asio;

// The request is copied into the coroutine frame: Router::handle keeps a reference to it.
asio::awaitable<ServerResponse> handle_owned(const Router& router, ServerRequest request) {
  ServerResponse response = co_await router.handle(request);
  co_return response;
}

}  // namespace

// The io_context's side of the call: it outlives the reactor when a cancel is still queued.
struct UnaryCall::State {
  explicit State(const asio::any_io_executor& executor) : deadline(executor) {}
  asio::cancellation_signal cancel;
  asio::steady_timer deadline;
  bool running = false;
  bool done = false;
  std::optional<grpc::StatusCode> cancelled;  // why: DEADLINE_EXCEEDED or CANCELLED

  void stop(grpc::StatusCode why) {
    if (!cancelled) cancelled = why;
    if (running && !done) cancel.emit(asio::cancellation_type::terminal);
  }
};

UnaryCall::UnaryCall(asio::any_io_executor executor, grpc::CallbackServerContext* context, std::string name,
                     RpcObserver* observer)
    : executor_(std::move(executor)),
      context_(context),
      state_(std::make_shared<State>(executor_)),
      name_(std::move(name)),
      observer_(observer) {}

void UnaryCall::finish(const grpc::Status& status) {
  if (observer_ != nullptr) {
    observer_->on_call(name_, status_code_name(status.error_code()), std::chrono::steady_clock::now() - started_);
  }
  Finish(status);
}

grpc::ServerUnaryReactor* UnaryCall::start(asio::any_io_executor executor, const Router& router,
                                           grpc::CallbackServerContext* context, RouteRequest request, Fill fill,
                                           std::string name, RpcObserver* observer) {
  auto* call = new UnaryCall(std::move(executor), context, name, observer);  // owned by gRPC until OnDone
  if (std::holds_alternative<ApiError>(request)) {
    call->fail(std::get<ApiError>(request));
    return call;
  }
  asio::post(call->executor_, [call, &router, request = std::get<ServerRequest>(std::move(request)),
                               fill = std::move(fill), name = std::move(name)]() mutable {
    call->run(router, std::move(request), std::move(fill), std::move(name));
  });
  return call;
}

// On the io_context.
void UnaryCall::run(const Router& router, ServerRequest request, Fill fill, std::string name) {
  auto state = state_;
  if (state->cancelled) {  // cancelled before it started: nothing to undo
    state->done = true;
    finish(grpc::Status(*state->cancelled, "cancelled before it started"));
    return;
  }
  if (const auto traceparent = request.header("traceparent")) {
    spdlog::debug("grpc: {} {} traceparent {}", name, request.target, *traceparent);
  }
  if (auto at = steady_deadline(context_->deadline())) {
    state->deadline.expires_at(*at);
    state->deadline.async_wait([state](boost::system::error_code ec) {
      if (!ec) state->stop(grpc::StatusCode::DEADLINE_EXCEEDED);
    });
  }
  state->running = true;
  asio::co_spawn(executor_, handle_owned(router, std::move(request)),
                 asio::bind_cancellation_slot(state->cancel.slot(),
                                              [this, state, fill, name](std::exception_ptr error, ServerResponse response) {
                                                state->done = true;
                                                state->deadline.cancel();
                                                if (state->cancelled) spdlog::debug("grpc: {} stopped: cancelled", name);
                                                complete(error, response, fill);
                                              }));
}

void UnaryCall::complete(std::exception_ptr error, const ServerResponse& response, const Fill& fill) {
  if (state_->cancelled) {  // whatever the route answered, the call did not wait for it
    const bool late = *state_->cancelled == grpc::StatusCode::DEADLINE_EXCEEDED;
    finish(grpc::Status(*state_->cancelled, late ? "deadline_exceeded: the call's deadline passed" : "cancelled"));
    return;
  }
  if (error) {
    spdlog::error("grpc: a call ended with an exception");
    finish(grpc::Status(grpc::StatusCode::INTERNAL, "internal: see the server log"));
    return;
  }
  if (response.status < 200 || response.status > 299) {
    fail(api_error_of(response));
    return;
  }
  const auto body = nlohmann::json::parse(response.body, nullptr, false);
  fill(body.is_discarded() ? nlohmann::json::object() : body, response.status);
  finish(grpc::Status::OK);
}

void UnaryCall::fail(const ApiError& error) {
  context_->AddTrailingMetadata(kErrorCodeTrailer, error.code);
  finish(grpc::Status(error.status, error.message));
}

void UnaryCall::OnCancel() {
  asio::post(executor_, [state = state_] { state->stop(grpc::StatusCode::CANCELLED); });
}

void UnaryCall::OnDone() { delete this; }

}  // namespace agentrt::serve::grpc_api
