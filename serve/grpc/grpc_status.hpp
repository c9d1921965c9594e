#pragma once
// The gRPC status of an HTTP API answer (docs/serve.md, "gRPC", status table). The unary calls
// run the HTTP handlers, so their errors arrive as {status, {"error": {code, message}}} and
// become one status each:
//
//   400 (invalid_json, invalid_request, unknown_bot, bad_request)  INVALID_ARGUMENT
//   401 unauthorized                                               UNAUTHENTICATED
//   404 (session_not_found, unknown_query, not_found)              NOT_FOUND
//   409 duplicate_message, duplicate_signal                        ALREADY_EXISTS
//   409 session_finished, not_waiting, already_answered, seq_ahead FAILED_PRECONDITION
//   413, 429, 503 too_many_streams / overloaded                    RESOURCE_EXHAUSTED
//   503 unavailable, not_ready                                     UNAVAILABLE
//   500 internal                                                   INTERNAL
//
// The status message is "<code>: <message>"; the stable code also travels in the trailer
// `agentrt-error-code`, for programs.

#include <string>
#include <string_view>

#include <grpcpp/support/status.h>

#include "backends/http_server/http_message.hpp"

namespace agentrt::serve::grpc_api {

inline constexpr const char* kErrorCodeTrailer = "agentrt-error-code";
inline constexpr const char* kResumeFromTrailer = "agentrt-resume-from-seq";

struct ApiError {
  grpc::StatusCode status = grpc::StatusCode::UNKNOWN;
  std::string code;     // the HTTP API's stable error code (session_not_found, ...)
  std::string message;  // "<code>: <human message>"
};

[[nodiscard]] grpc::StatusCode status_code_of(int http_status, std::string_view error_code);

// The code's canonical name ("OK", "NOT_FOUND", ...), as gRPC documents them; "UNKNOWN" for a
// value outside the enum.
[[nodiscard]] std::string_view status_code_name(grpc::StatusCode code);

// The error of a non-2xx answer (its JSON body read for the code and message).
[[nodiscard]] ApiError api_error_of(const ServerResponse& response);

}  // namespace agentrt::serve::grpc_api
