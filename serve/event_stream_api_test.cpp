// GET /v1/sessions/{id}/events on the memory store and the in-process hub: catch-up from the
// store, live events, gaps filled from the store, a session running elsewhere followed by
// polling, a slow client cut off with slow_consumer, and every bad request's answer.

#include "serve/event_stream_api.hpp"

#include <chrono>
#include <deque>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "backends/memory/in_process_output_hub.hpp"
#include "backends/memory/memory_session_store.hpp"
#include "core/ports/conformance/session_store_fixture.hpp"
#include "serve/testing/one_session_world.hpp"

namespace agentrt::serve {
namespace {

namespace asio = boost::asio;
using json = nlohmann::json;
using namespace std::chrono_literals;
using conformance::run_awaitable;
using ::testing::HasSubstr;

constexpr const char* kToken = testing::kAcmeToken;

// Records what the stream writes; can be made to stall like a client that stopped reading.
class RecordingStream final : public ResponseStream {
 public:
  asio::awaitable<bool> write(std::string_view data) override {
    if (stall > 0ms) {
      asio::steady_timer timer(co_await asio::this_coro::executor, stall);
      co_await timer.async_wait(asio::use_awaitable);
    }
    text += data;
    ++writes;
    co_return true;
  }
  [[nodiscard]] bool stopping() const override { return stop; }

  // The SSE frames written so far, as (event, data) pairs (keepalives and retry skipped).
  [[nodiscard]] std::vector<std::pair<std::string, json>> frames() const {
    std::vector<std::pair<std::string, json>> out;
    std::size_t at = 0;
    while (true) {
      const auto end = text.find("\n\n", at);
      if (end == std::string::npos) break;
      const std::string frame = text.substr(at, end - at);
      at = end + 2;
      const auto event = frame.find("event: ");
      const auto data = frame.find("data: ");
      if (event == std::string::npos || data == std::string::npos) continue;
      out.emplace_back(frame.substr(event + 7, frame.find('\n', event) - event - 7), json::parse(frame.substr(data + 6)));
    }
    return out;
  }
  [[nodiscard]] std::vector<std::int64_t> durable_seqs() const {
    std::vector<std::int64_t> out;
    for (const auto& [event, data] : frames()) {
      if (event != "token" && event != "error") out.push_back(data["seq"].get<std::int64_t>());
    }
    return out;
  }

  std::string text;
  int writes = 0;
  std::chrono::milliseconds stall{0};
  bool stop = false;
};

class EventStreamApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto problem = world_.create();
    ASSERT_FALSE(problem) << *problem;
    StreamContext context;
    context.store = world_.store.get();
    context.hub = &hub_;
    context.tokens = world_.tokens.get();
    context.options.poll_interval = 50ms;
    context.options.keepalive = 10s;
    context.options.subscriber = SubscriberLimits{8, 1 << 20};
    api_ = std::make_unique<EventStreamApi>(context);
    api_->add_routes(router_);
  }

  // Appends events of the given types after the last one; returns the seq of the first.
  std::int64_t append(const std::vector<std::pair<EventType, json>>& events, std::optional<SessionStatus> status = {}) {
    AppendRequest request;
    request.session = SessionId{"s-1"};
    request.epoch = world_.epoch;
    for (const auto& [type, data] : events) request.events.push_back(Event{EventSeq{++last_seq_}, type, 2'000, data});
    request.status = status;
    EXPECT_TRUE(run_awaitable(world_.store->append(request)).ok());
    return request.events.front().seq.value;
  }

  ServerResponse get(const std::string& target, const std::string& token = kToken,
                     const std::optional<std::string>& last_event_id = {}) {
    ServerRequest request;
    request.method = "GET";
    request.target = target;
    const auto q = target.find('?');
    request.path = target.substr(0, q);
    if (q != std::string::npos) {
      const auto query = target.substr(q + 1);
      const auto eq = query.find('=');
      request.query[query.substr(0, eq)] = query.substr(eq + 1);
    }
    request.headers["authorization"] = "Bearer " + token;
    if (last_event_id) request.headers["last-event-id"] = *last_event_id;
    return run_awaitable(router_.handle(request));
  }

  // Runs the response's stream on ctx_ while `during` runs between ticks, for at most `limit`.
  void stream(ServerResponse& response, RecordingStream& out, const std::function<void()>& during = {},
              std::chrono::milliseconds limit = 3s) {
    ASSERT_TRUE(response.stream) << response.status << " " << response.body;
    bool done = false;
    auto body = response.stream;
    auto run = [](StreamBody b, RecordingStream* o, bool* d) -> asio::awaitable<void> {
      co_await b(*o);
      *d = true;
    };
    ctx_.restart();  // an earlier stream may have run it out of work
    asio::co_spawn(ctx_, run(body, &out, &done), asio::detached);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    bool called = false;
    while (!done && std::chrono::steady_clock::now() < deadline) {
      ctx_.run_for(10ms);
      if (!called && during) {
        called = true;
        during();
      }
    }
    if (!done) {  // end it the way the server would on drain
      out.stop = true;
      ctx_.run_for(500ms);
    }
  }

  void publish(std::vector<OutputEvent> events) {
    auto op = [](InProcessOutputHub* hub, std::vector<OutputEvent> e) -> asio::awaitable<void> {
      const SessionId id{"s-1"};
      (void)co_await hub->publish(id, std::move(e));
    };
    asio::co_spawn(ctx_, op(&hub_, std::move(events)), asio::detached);
  }

  testing::OneSessionWorld world_;
  asio::io_context ctx_;
  InProcessOutputHub hub_{ctx_.get_executor()};
  std::unique_ptr<EventStreamApi> api_;
  Router router_;
  std::int64_t last_seq_ = 1;
};

TEST_F(EventStreamApiTest, CatchesUpFromTheStoreThenEndsAtATerminalStatus) {
  append({{EventType::MessageReceived, {{"message_id", "m1"}, {"text", "hi"}}},
          {EventType::LlmRequested, json::object()},
          {EventType::OutputEmitted, {{"text", "hello"}}},
          {EventType::SessionCompleted, json::object()}},
         SessionStatus::completed);
  auto response = get("/v1/sessions/s-1/events");
  EXPECT_EQ(response.status, 200);
  EXPECT_THAT(response.content_type, HasSubstr("text/event-stream"));
  RecordingStream out;
  stream(response, out);
  EXPECT_FALSE(out.stop) << "the stream ended by itself after the terminal status";
  EXPECT_EQ(out.durable_seqs(), (std::vector<std::int64_t>{2, 4, 5}));
  EXPECT_THAT(out.text, HasSubstr("id: 4\nevent: output\ndata: "));
  EXPECT_EQ(out.frames().back().second["status"], "completed");
  EXPECT_EQ(hub_.subscriber_count(), 0U);
}

TEST_F(EventStreamApiTest, ResumesAfterLastEventIdOrFromSeqWithoutRepeats) {
  append({{EventType::MessageReceived, {{"text", "a"}}}, {EventType::OutputEmitted, {{"text", "b"}}},
          {EventType::TurnCompleted, {{"turn", 1}}}, {EventType::SessionCompleted, json::object()}},
         SessionStatus::completed);
  auto by_header = get("/v1/sessions/s-1/events?from_seq=1", kToken, "3");  // the header wins
  RecordingStream a;
  stream(by_header, a);
  EXPECT_EQ(a.durable_seqs(), (std::vector<std::int64_t>{4, 5}));
  auto by_query = get("/v1/sessions/s-1/events?from_seq=4");
  RecordingStream b;
  stream(by_query, b);
  EXPECT_EQ(b.durable_seqs(), (std::vector<std::int64_t>{5}));
}

TEST_F(EventStreamApiTest, LiveEventsAndTokensFollowOnWithoutReadingTheStore) {
  append({{EventType::MessageReceived, {{"text", "a"}}}});  // seq 2
  auto response = get("/v1/sessions/s-1/events");
  RecordingStream out;
  stream(response, out, [&] {
    // As a publisher would: LlmRequested (3) has no output event; tokens follow output 2.
    auto t1 = token_event(3, "Hel");
    t1.follows_seq = 2;
    auto t2 = token_event(3, "lo");
    t2.follows_seq = 2;
    // Published but never appended: only the live path can deliver these two.
    OutputEvent live{4, "output", {{"text", "Hello"}}, true, 2};
    OutputEvent done{5, "status", {{"status", "completed"}}, true, 4};
    publish({t1, t2, live, done});
  });
  const auto frames = out.frames();
  ASSERT_EQ(frames.size(), 5U) << out.text;
  EXPECT_EQ(frames[1].first, "token");
  EXPECT_EQ(frames[1].second["text"], "Hel");
  EXPECT_EQ(frames[2].second["text"], "lo");
  EXPECT_EQ(out.durable_seqs(), (std::vector<std::int64_t>{2, 4, 5}));
  EXPECT_THAT(out.text, Not(HasSubstr("id: 3")));  // tokens carry no id
}

TEST_F(EventStreamApiTest, ALiveEventAfterAGapIsPrecededByWhatTheStoreHas) {
  append({{EventType::MessageReceived, {{"text", "a"}}}});  // seq 2
  auto response = get("/v1/sessions/s-1/events");
  RecordingStream out;
  stream(response, out, [&] {
    append({{EventType::ToolRequested, {{"call_id", "c"}, {"name", "t"}}},   // 3: its publish was lost
            {EventType::OutputEmitted, {{"text", "x"}}},                      // 4
            {EventType::SessionCompleted, json::object()}},                   // 5
           SessionStatus::completed);
    OutputEvent live{4, "output", {{"text", "x"}}, true, 3};  // follows 3, which this client never got
    publish({live});
  });
  EXPECT_EQ(out.durable_seqs(), (std::vector<std::int64_t>{2, 3, 4, 5}));
}

TEST_F(EventStreamApiTest, ASessionRunningElsewhereIsFollowedByPollingTheStore) {
  append({{EventType::MessageReceived, {{"text", "a"}}}});
  auto response = get("/v1/sessions/s-1/events");
  RecordingStream out;
  stream(response, out, [&] {
    append({{EventType::OutputEmitted, {{"text", "from another worker"}}}, {EventType::SessionCompleted, json::object()}},
           SessionStatus::completed);
  });
  EXPECT_EQ(out.durable_seqs(), (std::vector<std::int64_t>{2, 3, 4}));
  EXPECT_FALSE(out.stop);
}

TEST_F(EventStreamApiTest, AClientThatFallsBehindIsToldWhereToResumeAndCutOff) {
  append({{EventType::MessageReceived, {{"text", "a"}}}});
  auto response = get("/v1/sessions/s-1/events");
  RecordingStream out;
  stream(response, out, [&] {
    out.stall = 300ms;  // each write now takes long: live events pile up past the limit (8)
    std::vector<OutputEvent> burst;
    for (int i = 0; i < 5; ++i) {
      auto t = token_event(2, "tok");
      t.follows_seq = 2;
      burst.push_back(t);
    }
    publish(burst);
    std::vector<OutputEvent> more = burst;
    publish(more);
  });
  const auto frames = out.frames();
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames.back().first, "error") << out.text;
  EXPECT_EQ(frames.back().second["code"], "slow_consumer");
  EXPECT_EQ(frames.back().second["resume_from"], 2);
  EXPECT_FALSE(out.stop) << "the stream ended by itself";
}

TEST_F(EventStreamApiTest, BadRequestsGetTheDocumentedErrors) {
  EXPECT_EQ(get("/v1/sessions/s-1/events", "wrong-token").status, 401);
  auto other_org = get("/v1/sessions/s-1/events", testing::kGlobexToken);
  EXPECT_EQ(other_org.status, 404);
  EXPECT_THAT(other_org.body, HasSubstr("session_not_found"));
  EXPECT_EQ(get("/v1/sessions/s-nope/events").status, 404);
  auto bad_header = get("/v1/sessions/s-1/events", kToken, "abc");
  EXPECT_EQ(bad_header.status, 400);
  EXPECT_THAT(bad_header.body, HasSubstr("Last-Event-ID"));
  EXPECT_EQ(get("/v1/sessions/s-1/events?from_seq=-3").status, 400);
  auto ahead = get("/v1/sessions/s-1/events?from_seq=99");
  EXPECT_EQ(ahead.status, 409);
  EXPECT_THAT(ahead.body, HasSubstr("seq_ahead"));
  EXPECT_FALSE(ahead.stream);
}

}  // namespace
}  // namespace agentrt::serve
