#pragma once
// GrpcSurface: the gRPC server of `agentrt serve` (config grpc.listen; docs/serve.md, "gRPC").
// It listens on its own port, serves agentrt.v1.Sessions through the serve Router and
// OutputFollower on the serve io_context, and stops with the HTTP server: begin_stop ends the
// open streams (UNAVAILABLE, with the seq to resume from) and calls Server::Shutdown with the
// grace as its deadline on a thread of its own (it blocks until every call has finished, and
// the calls finish on the io_context, which must keep running meanwhile).
//
// Bounds: a request message is at most http.max_body_bytes (RESOURCE_EXHAUSTED from gRPC
// beyond), an answer at most 16 MiB; streams as in EventStreamCall; the port is bound
// without SO_REUSEPORT, so a port taken by another process is an error, not a shared port.

#include "serve/api_surface.hpp"
#include "serve/grpc/event_stream_call.hpp"

namespace agentrt::serve::grpc_api {

// The factory cli/ hands to run_serve (tests give smaller stream limits).
[[nodiscard]] ApiSurfaceFactory grpc_surface_factory(GrpcStreamLimits limits = {});

}  // namespace agentrt::serve::grpc_api
