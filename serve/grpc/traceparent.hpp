#pragma once
// W3C trace context (https://www.w3.org/TR/trace-context/#traceparent-header): a gRPC call's
// `traceparent` metadata is passed on to the API handlers only when well formed; a malformed
// one is dropped (the spec says to ignore it, not to fail the call).

#include <string_view>

namespace agentrt::serve::grpc_api {

// "VV-<32 hex trace id>-<16 hex parent id>-<2 hex flags>", lower-case hex; version ff is
// invalid, as are all-zero ids. Version 00 is exactly 55 characters; a later version may
// append "-..." fields.
[[nodiscard]] bool valid_traceparent(std::string_view value);

}  // namespace agentrt::serve::grpc_api
