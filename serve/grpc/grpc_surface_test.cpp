// The gRPC server in process, called by the C++ gRPC client: metadata reaches the route, HTTP
// errors become statuses with their trailer, a deadline cancels the route's work on the
// io_context, StreamEvents ends OK after the terminal event, a reader that stops is ended with
// RESOURCE_EXHAUSTED "slow consumer, resume from seq N" (N = the last seq it got), bad tokens
// and other orgs' sessions are refused, and begin_stop ends open streams with UNAVAILABLE.

#include "serve/grpc/grpc_surface.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <optional>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "agentrt/v1/agentrt.grpc.pb.h"
#include "backends/memory/in_process_output_hub.hpp"
#include "backends/memory/memory_session_store.hpp"
#include "core/ports/conformance/session_store_fixture.hpp"
#include "serve/testing/one_session_world.hpp"

namespace agentrt::serve::grpc_api {
namespace {

namespace asio = boost::asio;
using json = nlohmann::json;
using namespace std::chrono_literals;
using conformance::run_awaitable;
using ::testing::HasSubstr;

constexpr const char* kToken = testing::kAcmeToken;
constexpr const char* kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

std::string trailer(const grpc::ClientContext& context, const std::string& name) {
  const auto& trailers = context.GetServerTrailingMetadata();
  const auto it = trailers.find(name);
  return it == trailers.end() ? std::string() : std::string(it->second.data(), it->second.size());
}

class GrpcSurfaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto problem = world_.create();
    ASSERT_FALSE(problem) << *problem;
    router_.add("GET", "/v1/sessions/{id}", [](const ServerRequest& r, const PathParams& p) { return echo(r, p.at("id")); });
    router_.add("POST", "/v1/sessions/{id}/updates",
                [this](const ServerRequest&, const PathParams&) { return slow_update(); });
    config_.grpc_listen_host = "127.0.0.1";
    StreamContext streams;
    streams.store = world_.store.get();
    streams.hub = &hub_;
    streams.tokens = world_.tokens.get();
    streams.options.poll_interval = 50ms;
    const GrpcStreamLimits limits{4, 1 << 20, 2'000ms};
    surface_ = grpc_surface_factory(limits)(ApiSurfaceDeps{ctx_.get_executor(), &router_, streams, &config_});
    auto port = surface_->start();
    ASSERT_TRUE(port.ok()) << port.error().to_string();
    thread_ = std::thread([this] { ctx_.run(); });
    stub_ = v1::Sessions::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(*port), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (!stopped_) stop();
    guard_.reset();
    if (thread_.joinable()) thread_.join();
  }

  void stop() {
    stopped_ = true;
    std::promise<void> done;
    asio::post(ctx_, [this, &done] {
      surface_->begin_stop(1'000ms);
      asio::co_spawn(ctx_, surface_->stopped(), [&done](std::exception_ptr) { done.set_value(); });
    });
    ASSERT_EQ(done.get_future().wait_for(10s), std::future_status::ready);
  }

  // A route that answers with what the call's metadata became.
  static asio::awaitable<ServerResponse> echo(const ServerRequest& request, std::string id) {
    if (id == "missing") co_return json_error(404, "session_not_found", "no session missing in your org");
    json session{{"id", id},
                 {"org", std::string(request.header("authorization").value_or(""))},
                 {"bot", std::string(request.header("traceparent").value_or(""))}};
    co_return json_response(200, {{"session", std::move(session)}});
  }

  // An update nobody records: it waits 10 s unless cancelled.
  asio::awaitable<ServerResponse> slow_update() {
    asio::steady_timer timer(co_await asio::this_coro::executor, 10s);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    update_cancelled_ = ec == asio::error::operation_aborted;
    co_return json_response(202, {{"session", "s-1"}, {"update_id", "u-1"}, {"accepted", true}});
  }

  void append(const std::vector<std::pair<EventType, json>>& events, std::optional<SessionStatus> status = {}) {
    AppendRequest request;
    request.session = SessionId{"s-1"};
    request.epoch = world_.epoch;
    for (const auto& [type, data] : events) request.events.push_back(Event{EventSeq{++last_seq_}, type, 2'000, data});
    request.status = status;
    std::promise<void> done;
    bool ok = false;
    asio::post(ctx_, [&] {
      asio::co_spawn(ctx_, append_op(*world_.store, request, &ok), [&done](std::exception_ptr) { done.set_value(); });
    });
    done.get_future().wait();
    ASSERT_TRUE(ok);
  }

  // On the io_context, which the store belongs to while the server runs.
  static asio::awaitable<void> append_op(SessionStore& store, AppendRequest request, bool* ok) {
    auto appended = co_await store.append(std::move(request));
    *ok = appended.ok();
  }

  testing::OneSessionWorld world_;
  asio::io_context ctx_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_{ctx_.get_executor()};
  InProcessOutputHub hub_{ctx_.get_executor()};
  Router router_;
  ServeConfig config_;
  std::unique_ptr<ApiSurface> surface_;
  std::thread thread_;
  std::unique_ptr<v1::Sessions::Stub> stub_;
  std::int64_t last_seq_ = 1;
  std::atomic<bool> update_cancelled_{false};
  bool stopped_ = false;
};

TEST_F(GrpcSurfaceTest, MetadataReachesTheRouteAndAMalformedTraceparentIsDropped) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer abc");
  context.AddMetadata("traceparent", kTraceparent);
  v1::GetSessionRequest request;
  request.set_session_id("s-9");
  v1::GetSessionResponse response;
  ASSERT_TRUE(stub_->GetSession(&context, request, &response).ok());
  EXPECT_EQ(response.session().id(), "s-9");
  EXPECT_EQ(response.session().org(), "Bearer abc");
  EXPECT_EQ(response.session().bot(), kTraceparent);

  grpc::ClientContext bad;
  bad.AddMetadata("traceparent", "00-nope");
  v1::GetSessionResponse bad_response;
  ASSERT_TRUE(stub_->GetSession(&bad, request, &bad_response).ok());
  EXPECT_EQ(bad_response.session().bot(), "");
  EXPECT_EQ(bad_response.session().org(), "");
}

TEST_F(GrpcSurfaceTest, AnHttpErrorIsAStatusWithItsCodeInTheTrailer) {
  grpc::ClientContext context;
  v1::GetSessionRequest request;
  request.set_session_id("missing");
  v1::GetSessionResponse response;
  const auto status = stub_->GetSession(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "session_not_found: no session missing in your org");
  EXPECT_EQ(trailer(context, "agentrt-error-code"), "session_not_found");
}

TEST_F(GrpcSurfaceTest, ADeadlineCancelsTheWorkOnTheServer) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 300ms);
  v1::UpdateRequest request;
  request.set_session_id("s-1");
  v1::UpdateResponse response;
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(stub_->Update(&context, request, &response).error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  for (int i = 0; i < 200 && !update_cancelled_; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(update_cancelled_) << "the route's wait was cancelled";
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST_F(GrpcSurfaceTest, AStreamEndsOkAfterTheTerminalEvent) {
  append({{EventType::MessageReceived, {{"message_id", "m1"}, {"text", "hi"}}},
          {EventType::OutputEmitted, {{"text", "hello"}}},
          {EventType::SessionCompleted, json::object()}},
         SessionStatus::completed);
  grpc::ClientContext context;
  context.AddMetadata("authorization", std::string("Bearer ") + kToken);
  v1::StreamEventsRequest request;
  request.set_session_id("s-1");
  request.set_from_seq(2);
  auto reader = stub_->StreamEvents(&context, request);
  std::vector<std::pair<std::int64_t, std::string>> got;
  v1::SessionEvent event;
  while (reader->Read(&event)) {
    got.emplace_back(event.seq(), event.kind());
    EXPECT_EQ(json::parse(event.data_json())["seq"], event.seq());
  }
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(got, (std::vector<std::pair<std::int64_t, std::string>>{{3, "output"}, {4, "status"}}));
}

TEST_F(GrpcSurfaceTest, AStreamRefusesBadTokensOtherOrgsAndSeqsAhead) {
  const struct {
    std::string token;
    std::string session;
    std::int64_t from_seq;
    grpc::StatusCode want;
    std::string code;
  } cases[] = {
      {"", "s-1", 0, grpc::StatusCode::UNAUTHENTICATED, "unauthorized"},
      {"Bearer nobody-0123456789", "s-1", 0, grpc::StatusCode::UNAUTHENTICATED, "unauthorized"},
      {"Bearer globex-token-0123456789", "s-1", 0, grpc::StatusCode::NOT_FOUND, "session_not_found"},
      {std::string("Bearer ") + kToken, "s-2", 0, grpc::StatusCode::NOT_FOUND, "session_not_found"},
      {std::string("Bearer ") + kToken, "s-1", 99, grpc::StatusCode::FAILED_PRECONDITION, "seq_ahead"},
      {std::string("Bearer ") + kToken, "", 0, grpc::StatusCode::INVALID_ARGUMENT, "invalid_request"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.token + " " + c.session);
    grpc::ClientContext context;
    if (!c.token.empty()) context.AddMetadata("authorization", c.token);
    v1::StreamEventsRequest request;
    request.set_session_id(c.session);
    request.set_from_seq(c.from_seq);
    auto reader = stub_->StreamEvents(&context, request);
    v1::SessionEvent event;
    EXPECT_FALSE(reader->Read(&event));
    EXPECT_EQ(reader->Finish().error_code(), c.want);
    EXPECT_EQ(trailer(context, "agentrt-error-code"), c.code);
  }
}

TEST_F(GrpcSurfaceTest, AReaderThatStopsIsEndedAsASlowConsumerWithWhereToResume) {
  const std::string big(64 * 1024, 'x');
  std::vector<std::pair<EventType, json>> events;
  for (int i = 0; i < 150; ++i) events.emplace_back(EventType::MessageReceived, json{{"message_id", "m"}, {"text", big}});
  append(events);
  grpc::ClientContext context;
  context.AddMetadata("authorization", std::string("Bearer ") + kToken);
  v1::StreamEventsRequest request;
  request.set_session_id("s-1");
  auto reader = stub_->StreamEvents(&context, request);
  v1::SessionEvent event;
  ASSERT_TRUE(reader->Read(&event));
  std::this_thread::sleep_for(3s);  // stops reading: the server's queue stays full for 2 s
  std::int64_t last = event.seq();
  while (reader->Read(&event)) last = event.seq();
  const auto status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("slow consumer, resume from seq " + std::to_string(last)));
  EXPECT_EQ(trailer(context, "agentrt-resume-from-seq"), std::to_string(last));
  EXPECT_EQ(trailer(context, "agentrt-error-code"), "slow_consumer");
  EXPECT_LT(last, 151) << "it was cut off before the end";
}

TEST_F(GrpcSurfaceTest, AClientThatGoesAwayStopsItsFollower) {
  append({{EventType::MessageReceived, {{"message_id", "m1"}, {"text", "hi"}}}});
  auto subscribers = [this] {
    std::promise<std::size_t> count;
    asio::post(ctx_, [&] { count.set_value(hub_.subscriber_count()); });
    return count.get_future().get();
  };
  grpc::ClientContext context;
  context.AddMetadata("authorization", std::string("Bearer ") + kToken);
  v1::StreamEventsRequest request;
  request.set_session_id("s-1");
  auto reader = stub_->StreamEvents(&context, request);
  v1::SessionEvent event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(subscribers(), 1U) << "the stream follows the live hub";
  context.TryCancel();
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  for (int i = 0; i < 200 && subscribers() != 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(subscribers(), 0U) << "the follower stopped with the call";
}

TEST_F(GrpcSurfaceTest, StoppingEndsAnOpenStreamWithUnavailable) {
  append({{EventType::MessageReceived, {{"message_id", "m1"}, {"text", "hi"}}}});
  grpc::ClientContext context;
  context.AddMetadata("authorization", std::string("Bearer ") + kToken);
  v1::StreamEventsRequest request;
  request.set_session_id("s-1");
  auto reader = stub_->StreamEvents(&context, request);
  v1::SessionEvent event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.seq(), 2);
  stop();
  EXPECT_FALSE(reader->Read(&event));
  const auto status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("resume from seq 2"));
  EXPECT_EQ(trailer(context, "agentrt-error-code"), "draining");
}

}  // namespace
}  // namespace agentrt::serve::grpc_api
