#include "serve/grpc/grpc_requests.hpp"

#include <gtest/gtest.h>

namespace agentrt::serve::grpc_api {
namespace {

using json = nlohmann::json;

const CallMetadata kMetadata{"Bearer token-0123456789abcdef", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"};

const ServerRequest& request_of(const RouteRequest& route) {
  EXPECT_TRUE(std::holds_alternative<ServerRequest>(route));
  return std::get<ServerRequest>(route);
}

TEST(GrpcRequests, CreateCarriesOnlyTheGivenFieldsAndTheMetadata) {
  v1::CreateSessionRequest create;
  create.set_bot("helpdesk");
  create.mutable_message()->set_text("hello");
  const auto route = route_request(create, kMetadata);
  const auto& request = request_of(route);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/v1/sessions");
  EXPECT_EQ(json::parse(request.body), (json{{"bot", "helpdesk"}, {"message", {{"text", "hello"}}}}));
  EXPECT_EQ(request.header("authorization").value_or(""), "Bearer token-0123456789abcdef");
  EXPECT_EQ(request.header("traceparent").value_or(""), kMetadata.traceparent);
}

TEST(GrpcRequests, NoTokenMeansNoAuthorizationHeader) {
  v1::GetSessionRequest get;
  get.set_session_id("s-1");
  const auto route = route_request(get, CallMetadata{});
  const auto& request = request_of(route);
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.target, "/v1/sessions/s-1");
  EXPECT_FALSE(request.header("authorization").has_value());
  EXPECT_FALSE(request.header("traceparent").has_value());
}

TEST(GrpcRequests, ASessionIdIsOnePercentEncodedSegment) {
  v1::SendMessageRequest send;
  send.set_session_id("a/b c");
  send.set_text("hi");
  const auto route = route_request(send, kMetadata);
  const auto& request = request_of(route);
  EXPECT_EQ(request.target, "/v1/sessions/a%2Fb%20c/messages");
  EXPECT_EQ(json::parse(request.body), (json{{"text", "hi"}}));
}

TEST(GrpcRequests, AMissingSessionIdOrAPayloadThatIsNotJsonIsInvalidArgument) {
  v1::SendMessageRequest send;
  const auto missing = route_request(send, kMetadata);
  ASSERT_TRUE(std::holds_alternative<ApiError>(missing));
  EXPECT_EQ(std::get<ApiError>(missing).status, grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(std::get<ApiError>(missing).message, "invalid_request: session_id: required");
  v1::SignalRequest signal;
  signal.set_session_id("s-1");
  signal.set_name("ping");
  signal.set_payload_json("{not json");
  const auto bad = route_request(signal, kMetadata);
  ASSERT_TRUE(std::holds_alternative<ApiError>(bad));
  EXPECT_EQ(std::get<ApiError>(bad).status, grpc::StatusCode::INVALID_ARGUMENT);
}

TEST(GrpcRequests, SignalPayloadIsJsonAndUpdateApprovalIsKeptWhenFalse) {
  v1::SignalRequest signal;
  signal.set_session_id("s-1");
  signal.set_name("ticket");
  signal.set_payload_json(R"({"ticket":4711})");
  const auto signal_route = route_request(signal, kMetadata);
  EXPECT_EQ(json::parse(request_of(signal_route).body),
            (json{{"name", "ticket"}, {"payload", {{"ticket", 4711}}}}));
  v1::UpdateRequest update;
  update.set_session_id("s-1");
  update.set_name("approve");
  update.set_call_id("call_1");
  update.set_approved(false);
  const auto route = route_request(update, kMetadata);
  const auto& request = request_of(route);
  EXPECT_EQ(request.target, "/v1/sessions/s-1/updates");
  EXPECT_EQ(json::parse(request.body), (json{{"name", "approve"}, {"call_id", "call_1"}, {"approved", false}}));
}

TEST(GrpcRequests, QueryAndCancelAndStreamPaths) {
  v1::QueryRequest query;
  query.set_session_id("s-1");
  query.set_name("status");
  const auto query_route = route_request(query, kMetadata);
  EXPECT_EQ(request_of(query_route).target, "/v1/sessions/s-1/query/status");
  v1::CancelSessionRequest cancel;
  cancel.set_session_id("s-1");
  cancel.set_reason("done");
  const auto cancel_route = route_request(cancel, kMetadata);
  EXPECT_EQ(json::parse(request_of(cancel_route).body), (json{{"reason", "done"}}));
  v1::StreamEventsRequest stream;
  stream.set_session_id("s-1");
  stream.set_from_seq(-1);
  EXPECT_TRUE(std::holds_alternative<ApiError>(stream_request(stream, kMetadata)));
}

TEST(GrpcRequests, AnswersFillTheProtoFromTheHttpJson) {
  const json session{{"id", "s-1"}, {"org", "acme"},      {"bot", "helpdesk"},        {"status", "idle"},
                     {"last_seq", 9},  {"created_ms", 1}, {"updated_ms", 2},          {"definition_hash", "c0ffee"},
                     {"pending_messages", 3}};
  v1::GetSessionResponse get;
  fill_response(json{{"session", session}}, 200, get);
  EXPECT_EQ(get.session().id(), "s-1");
  EXPECT_EQ(get.session().last_seq(), 9);
  EXPECT_TRUE(get.session().has_pending_messages());
  EXPECT_EQ(get.session().pending_messages(), 3);
  EXPECT_FALSE(get.session().has_wake_at_ms());

  v1::UpdateResponse recorded;
  fill_response(json{{"session", "s-1"}, {"update_id", "u-1"}, {"result", {{"recorded_seq", 15}, {"call_id", "c"}, {"answer", "x"}}}},
                200, recorded);
  EXPECT_TRUE(recorded.recorded());
  EXPECT_EQ(recorded.recorded_seq(), 15);
  v1::UpdateResponse queued;
  fill_response(json{{"session", "s-1"}, {"update_id", "u-1"}, {"accepted", true}}, 202, queued);
  EXPECT_FALSE(queued.recorded());
  EXPECT_EQ(queued.update_id(), "u-1");

  v1::QueryResponse query;
  fill_response(json{{"session", "s-1"}, {"query", "status"}, {"seq", 4}, {"result", {{"turn", 2}}}}, 200, query);
  EXPECT_EQ(json::parse(query.result_json()), (json{{"turn", 2}}));
}

}  // namespace
}  // namespace agentrt::serve::grpc_api
