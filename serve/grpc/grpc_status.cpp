#include "serve/grpc/grpc_status.hpp"

namespace agentrt::serve::grpc_api {

grpc::StatusCode status_code_of(int http_status, std::string_view error_code) {
  using grpc::StatusCode;
  switch (http_status) {
    case 400:
      return StatusCode::INVALID_ARGUMENT;
    case 401:
      return StatusCode::UNAUTHENTICATED;
    case 403:
      return StatusCode::PERMISSION_DENIED;
    case 404:
      return StatusCode::NOT_FOUND;
    case 409:
      return error_code.starts_with("duplicate_") ? StatusCode::ALREADY_EXISTS : StatusCode::FAILED_PRECONDITION;
    case 413:
    case 429:
      return StatusCode::RESOURCE_EXHAUSTED;
    case 503:
      return (error_code == "too_many_streams" || error_code == "overloaded") ? StatusCode::RESOURCE_EXHAUSTED
                                                                             : StatusCode::UNAVAILABLE;
    case 500:
      return StatusCode::INTERNAL;
    default:
      return StatusCode::UNKNOWN;
  }
}

ApiError api_error_of(const ServerResponse& response) {
  ApiError error;
  error.code = "internal";
  std::string text = "the server answered HTTP " + std::to_string(response.status);
  const auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    const auto& e = body["error"];
    if (e.contains("code") && e["code"].is_string()) error.code = e["code"].get<std::string>();
    if (e.contains("message") && e["message"].is_string()) text = e["message"].get<std::string>();
  }
  error.status = status_code_of(response.status, error.code);
  error.message = error.code + ": " + text;
  return error;
}

std::string_view status_code_name(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "UNKNOWN";
  }
}

}  // namespace agentrt::serve::grpc_api
