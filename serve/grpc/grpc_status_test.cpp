#include "serve/grpc/grpc_status.hpp"

#include <gtest/gtest.h>

namespace agentrt::serve::grpc_api {
namespace {

using grpc::StatusCode;

TEST(GrpcStatus, EveryDocumentedHttpErrorHasItsStatus) {
  const struct {
    int http;
    const char* code;
    StatusCode want;
  } cases[] = {
      {400, "invalid_json", StatusCode::INVALID_ARGUMENT},       {400, "invalid_request", StatusCode::INVALID_ARGUMENT},
      {400, "unknown_bot", StatusCode::INVALID_ARGUMENT},        {401, "unauthorized", StatusCode::UNAUTHENTICATED},
      {404, "session_not_found", StatusCode::NOT_FOUND},         {404, "unknown_query", StatusCode::NOT_FOUND},
      {409, "duplicate_message", StatusCode::ALREADY_EXISTS},    {409, "duplicate_signal", StatusCode::ALREADY_EXISTS},
      {409, "session_finished", StatusCode::FAILED_PRECONDITION}, {409, "not_waiting", StatusCode::FAILED_PRECONDITION},
      {409, "already_answered", StatusCode::FAILED_PRECONDITION}, {409, "seq_ahead", StatusCode::FAILED_PRECONDITION},
      {413, "body_too_large", StatusCode::RESOURCE_EXHAUSTED},   {503, "too_many_streams", StatusCode::RESOURCE_EXHAUSTED},
      {503, "overloaded", StatusCode::RESOURCE_EXHAUSTED},       {503, "unavailable", StatusCode::UNAVAILABLE},
      {503, "not_ready", StatusCode::UNAVAILABLE},               {500, "internal", StatusCode::INTERNAL},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.code);
    EXPECT_EQ(status_code_of(c.http, c.code), c.want);
  }
}

TEST(GrpcStatus, TheErrorCarriesTheStableCodeAndTheMessage) {
  const auto error = api_error_of(json_error(404, "session_not_found", "no session s-1 in your org"));
  EXPECT_EQ(error.status, StatusCode::NOT_FOUND);
  EXPECT_EQ(error.code, "session_not_found");
  EXPECT_EQ(error.message, "session_not_found: no session s-1 in your org");
}

TEST(GrpcStatus, AnAnswerWithoutAnErrorDocumentIsInternal) {
  ServerResponse response;
  response.status = 500;
  response.body = "not json";
  const auto error = api_error_of(response);
  EXPECT_EQ(error.status, StatusCode::INTERNAL);
  EXPECT_EQ(error.code, "internal");
  EXPECT_EQ(error.message, "internal: the server answered HTTP 500");
}

}  // namespace
}  // namespace agentrt::serve::grpc_api
