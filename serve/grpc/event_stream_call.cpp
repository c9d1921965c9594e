#include "serve/grpc/event_stream_call.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "serve/api_support.hpp"
#include "serve/output_follower.hpp"

namespace agentrt::serve::grpc_api {
namespace {

namespace asio = boost::asio;

struct StreamEnd {
  grpc::StatusCode status = grpc::StatusCode::OK;
  std::string code;     // stable error code; empty for OK
  std::string message;  // without the resume point
  bool resume = false;  // say where to resume (the stream had started)
};

v1::SessionEvent to_proto(const OutputEvent& event) {
  v1::SessionEvent out;
  out.set_seq(event.seq);
  out.set_kind(event.kind);
  out.set_data_json(to_json(event).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  out.set_durable(event.durable);
  return out;
}

}  // namespace

// The io_context's side of one stream.
struct EventStreamCall::State {
  State(EventStreamCall* c, grpc::CallbackServerContext* ctx, StreamEnv& e)
      : call(c), context(ctx), env(e), stall(e.executor), room(e.executor) {}

  EventStreamCall* call;                  // valid until `finished`
  grpc::CallbackServerContext* context;  // valid until `finished`
  StreamEnv& env;
  std::deque<v1::SessionEvent> queue;
  std::size_t queued_bytes = 0;
  v1::SessionEvent in_flight;  // gRPC reads it until OnWriteDone
  bool writing = false;
  std::int64_t sent_seq = 0;  // the last durable seq written to the client
  std::optional<StreamEnd> end;
  bool finished = false;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();  // for metrics
  asio::cancellation_signal cancel;
  asio::steady_timer stall;
  asio::steady_timer room;  // the follower waits on it for the queue to drain

  void push(const OutputEvent& event) {
    queue.push_back(to_proto(event));
    queued_bytes += queue.back().ByteSizeLong();
  }

  [[nodiscard]] bool over_limit() const {
    return queue.size() > env.limits.max_queued_events || queued_bytes > env.limits.max_queued_bytes;
  }

  // Starts the next write, or finishes once the queue is empty and the end is known.
  void pump() {
    if (finished || writing) return;
    if (!queue.empty()) {
      in_flight = std::move(queue.front());
      queue.pop_front();
      queued_bytes -= std::min(queued_bytes, in_flight.ByteSizeLong());
      writing = true;
      call->StartWrite(&in_flight);
      return;
    }
    if (end) finish();
  }

  // The stream is to end with `e` (the first end wins); `flush`: write what is queued first.
  void end_with(StreamEnd e, bool flush) {
    if (end || finished) return;
    end = std::move(e);
    room.cancel();
    if (!flush) {
      queue.clear();
      queued_bytes = 0;
    }
    // A client that reads nothing cannot take even the last write: cut it after write_stall.
    stall.expires_after(env.limits.write_stall);
    // `this` outlives the wait: destroying the timer completes it with an error first.
    stall.async_wait([this](boost::system::error_code ec) {
      if (!ec && !finished) {
        spdlog::info("grpc: StreamEvents: the client took nothing for {} ms; cancelling the call",
                     env.limits.write_stall.count());
        context->TryCancel();
      }
    });
    pump();
  }

  void finish() {
    finished = true;
    stall.cancel();
    const StreamEnd& e = *end;
    std::string message = e.message;
    if (e.resume) {
      message += ", resume from seq " + std::to_string(sent_seq);
      context->AddTrailingMetadata(kResumeFromTrailer, std::to_string(sent_seq));
    }
    if (!e.code.empty()) context->AddTrailingMetadata(kErrorCodeTrailer, e.code);
    if (env.calls != nullptr) {
      env.calls->on_call("StreamEvents", status_code_name(e.status), std::chrono::steady_clock::now() - started);
    }
    call->Finish(e.status == grpc::StatusCode::OK ? grpc::Status::OK : grpc::Status(e.status, message));
  }

  void end_with_api_error(const ServerResponse& response) {
    const ApiError error = api_error_of(response);
    end_with(StreamEnd{error.status, error.code, error.message, false}, false);
  }
};

namespace {

using State = EventStreamCall::State;

// Backpressure: the follower takes more only once the client has taken most of what is queued.
// False when the queue stayed over its limits for write_stall: a slow consumer.
asio::awaitable<bool> wait_for_room(State& state) {
  const auto give_up = std::chrono::steady_clock::now() + state.env.limits.write_stall;
  while (!state.end && state.over_limit()) {
    if (std::chrono::steady_clock::now() >= give_up) co_return false;
    state.room.expires_at(give_up);
    boost::system::error_code ec;
    co_await state.room.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return true;
}

// Follows the session and feeds the writer until the stream must end.
asio::awaitable<void> follow(std::shared_ptr<State> state, ServerRequest request, std::string session_id,
                             std::int64_t from_seq) {
  StreamEnv& env = state->env;
  auto org = authorise(request, *env.streams.tokens);
  if (std::holds_alternative<ServerResponse>(org)) {
    state->end_with_api_error(std::get<ServerResponse>(org));
    co_return;
  }
  const std::string org_name = std::get<std::string>(org);
  auto found = co_await find_owned_session(*env.streams.store, org_name, session_id);
  if (std::holds_alternative<ServerResponse>(found)) {
    state->end_with_api_error(std::get<ServerResponse>(found));
    co_return;
  }
  SessionRecord record = std::get<SessionRecord>(std::move(found));
  if (from_seq > record.last_seq.value) {
    state->end_with(StreamEnd{grpc::StatusCode::FAILED_PRECONDITION, "seq_ahead",
                              "seq_ahead: from_seq " + std::to_string(from_seq) + " is past session " + session_id +
                                  "'s last seq " + std::to_string(record.last_seq.value) +
                                  "; resume from a seq you received from this session, or 0",
                              false},
                    false);
    co_return;
  }
  if (env.open >= env.streams.options.max_streams) {
    state->end_with(StreamEnd{grpc::StatusCode::RESOURCE_EXHAUSTED, "too_many_streams",
                              "too_many_streams: this server streams to as many clients as it may; retry", false},
                    false);
    co_return;
  }
  ++env.open;
  struct Counted {
    std::size_t& open;
    ~Counted() { --open; }
  } counted{env.open};
  if (const auto traceparent = request.header("traceparent")) {
    spdlog::debug("grpc: StreamEvents {} from seq {} traceparent {}", session_id, from_seq, *traceparent);
  }
  state->sent_seq = from_seq;
  const auto& o = env.streams.options;
  FollowOptions options{o.poll_interval, o.page, o.subscriber};
  OutputFollower follower(*env.streams.store, *env.streams.hub, std::move(record), from_seq, options);
  while (!state->end && !env.draining) {
    const bool room = co_await wait_for_room(*state);
    if (state->end) co_return;  // cancelled meanwhile
    if (!room) {
      state->end_with(StreamEnd{grpc::StatusCode::RESOURCE_EXHAUSTED, "slow_consumer", "slow_consumer: slow consumer", true},
                      false);
      co_return;
    }
    FollowStep step = co_await follower.next();
    if (state->end) co_return;
    for (const auto& event : step.events) state->push(event);
    state->pump();
    switch (step.end) {
      case FollowEnd::none:
        break;
      case FollowEnd::finished:
        state->end_with(StreamEnd{}, true);
        co_return;
      case FollowEnd::slow_consumer:
        state->end_with(StreamEnd{grpc::StatusCode::RESOURCE_EXHAUSTED, "slow_consumer", "slow_consumer: slow consumer", true},
                        true);
        co_return;
      case FollowEnd::unavailable:
        state->end_with(
            StreamEnd{grpc::StatusCode::UNAVAILABLE, "unavailable", "unavailable: the store could not be read", true},
            true);
        co_return;
    }
  }
  if (env.draining) {
    state->end_with(
        StreamEnd{grpc::StatusCode::UNAVAILABLE, "draining", "draining: the server is shutting down", true}, true);
  }
}

}  // namespace

EventStreamCall::EventStreamCall(StreamEnv& env, grpc::CallbackServerContext* context)
    : env_(env), state_(std::make_shared<State>(this, context, env)) {}

grpc::ServerWriteReactor<v1::SessionEvent>* EventStreamCall::start(StreamEnv& env, grpc::CallbackServerContext* context,
                                                                   RouteRequest request, std::string session_id,
                                                                   std::int64_t from_seq) {
  auto* call = new EventStreamCall(env, context);  // owned by gRPC until OnDone
  if (std::holds_alternative<ApiError>(request)) {
    const auto& error = std::get<ApiError>(request);
    context->AddTrailingMetadata(kErrorCodeTrailer, error.code);
    if (env.calls != nullptr) env.calls->on_call("StreamEvents", status_code_name(error.status), std::chrono::nanoseconds{0});
    call->Finish(grpc::Status(error.status, error.message));
    call->state_->finished = true;  // not yet shared with the io_context
    return call;
  }
  asio::post(env.executor, [state = call->state_, request = std::get<ServerRequest>(std::move(request)),
                            session_id = std::move(session_id), from_seq]() mutable {
    if (state->end) return;  // cancelled before it started (end_with has finished it)
    if (state->env.draining) {
      state->end_with(StreamEnd{grpc::StatusCode::UNAVAILABLE, "draining", "draining: the server is shutting down",
                                false},
                      false);
      return;
    }
    asio::co_spawn(state->env.executor, follow(state, std::move(request), std::move(session_id), from_seq),
                   asio::bind_cancellation_slot(state->cancel.slot(), [state](std::exception_ptr error) {
                     if (error && !state->end) spdlog::error("grpc: StreamEvents ended by an exception");
                     state->end_with(StreamEnd{grpc::StatusCode::INTERNAL, "internal", "internal: see the server log",
                                               true},
                                     false);
                   }));
  });
  return call;
}

void EventStreamCall::OnWriteDone(bool ok) {
  asio::post(env_.executor, [state = state_, ok] {
    state->writing = false;
    if (!ok) {  // the call is broken: the client went away or it was cancelled
      state->cancel.emit(asio::cancellation_type::terminal);
      state->end_with(StreamEnd{grpc::StatusCode::CANCELLED, "cancelled", "cancelled: the write failed", false}, false);
      state->pump();
      return;
    }
    if (state->in_flight.durable()) state->sent_seq = state->in_flight.seq();
    state->pump();
    if (!state->over_limit()) state->room.cancel();  // wake the follower
  });
}

void EventStreamCall::OnCancel() {
  asio::post(env_.executor, [state = state_] {
    state->cancel.emit(asio::cancellation_type::terminal);
    state->end_with(StreamEnd{grpc::StatusCode::CANCELLED, "cancelled", "cancelled: the client went away", false},
                    false);
  });
}

void EventStreamCall::OnDone() { delete this; }

}  // namespace agentrt::serve::grpc_api
