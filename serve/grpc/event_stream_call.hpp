#pragma once
// EventStreamCall: one StreamEvents call, a session's output over gRPC server streaming
// (docs/streaming.md, docs/serve.md "gRPC"). An OutputFollower on the serve io_context yields
// the durable events after from_seq (then live ones) exactly once and in order; they pass a
// bounded queue to a single writer: one Write in flight at a time.
//
// How it ends (status, and trailers agentrt-error-code / agentrt-resume-from-seq):
//   OK                  after the session's terminal status event was written
//   UNAVAILABLE         the server drains (SIGTERM), or the store could not be read
//   RESOURCE_EXHAUSTED  "slow consumer, resume from seq N": more than max_queued_events /
//                       max_queued_bytes stayed unread for write_stall, or the client fell
//                       behind the hub's live buffer
// Backpressure: the follower is asked for more only when the queue is under its limits, so a
// long catch-up from the store flows at the client's pace.
//   NOT_FOUND, UNAUTHENTICATED, FAILED_PRECONDITION (seq_ahead), INVALID_ARGUMENT: before any
//                       event, exactly as GET /v1/sessions/{id}/events answers
//   CANCELLED           the client went away (or its deadline passed): the follower stops
// N is the last durable seq written to this client: resume with from_seq = N.
//
// Threading: gRPC calls OnWriteDone/OnCancel on its threads; they only post to the
// io_context, where the follower runs and StartWrite/Finish are issued. gRPC owns the reactor
// until OnDone; the io_context side lives in the shared State and never touches the reactor
// once it has called Finish.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include "agentrt/v1/agentrt.pb.h"
#include "serve/event_stream_api.hpp"
#include "serve/grpc/grpc_requests.hpp"
#include "serve/metrics/rpc_observer.hpp"

namespace agentrt::serve::grpc_api {

struct GrpcStreamLimits {
  std::size_t max_queued_events = 256;           // events not yet handed to gRPC
  std::size_t max_queued_bytes = 1024 * 1024;    // their serialized size
  // How long the queue may stay over those limits (then: slow consumer), and how long a stream
  // that must end may wait for its last write (then the call is cancelled).
  std::chrono::milliseconds write_stall{10'000};
};

// What every stream of one server shares; used on the io_context only.
struct StreamEnv {
  boost::asio::any_io_executor executor;
  StreamContext streams;  // store, hub, tokens, follower options, max_streams
  GrpcStreamLimits limits;
  std::size_t open = 0;   // streams following a session now
  bool draining = false;  // the server stops: streams end with UNAVAILABLE
  RpcObserver* calls = nullptr;  // told of every call that ended, unary ones too (metrics)
};

class EventStreamCall final : public grpc::ServerWriteReactor<v1::SessionEvent> {
 public:
  static grpc::ServerWriteReactor<v1::SessionEvent>* start(StreamEnv& env, grpc::CallbackServerContext* context,
                                                           RouteRequest request, std::string session_id,
                                                           std::int64_t from_seq);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

  struct State;

 private:
  EventStreamCall(StreamEnv& env, grpc::CallbackServerContext* context);

  StreamEnv& env_;
  std::shared_ptr<State> state_;
};

}  // namespace agentrt::serve::grpc_api
