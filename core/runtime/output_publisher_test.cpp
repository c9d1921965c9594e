#include "core/runtime/output_publisher.hpp"

#include <chrono>
#include <vector>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

namespace agentrt {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// A hub that records what is published (the OutputHub contract is tested on the real
// in-process hub in backends/memory; this checks what the publisher hands it).
class RecordingHub final : public OutputHub {
 public:
  asio::awaitable<Result<void>> publish(SessionId session, std::vector<OutputEvent> events) override {
    ++calls;
    if (fail) co_return Error{Errc::retryable, "hub down"};
    for (auto& e : events) published.emplace_back(session.str(), std::move(e));
    co_return ok_result();
  }
  std::unique_ptr<OutputSubscription> subscribe(const SessionId&, SubscriberLimits) override { return nullptr; }

  std::vector<std::pair<std::string, OutputEvent>> published;
  int calls = 0;
  bool fail = false;
};

Event event(std::int64_t seq, EventType type, nlohmann::json data = nlohmann::json::object()) {
  return Event{EventSeq{seq}, type, 1'000, std::move(data)};
}

struct PublisherRun {
  asio::io_context ctx;
  RecordingHub hub;
  std::optional<Result<void>> result;
};

// Starts the publisher's child on `run.ctx`; the result lands in run.result.
void start(PublisherRun& run, OutputPublisher& publisher) {
  auto child = [](OutputPublisher* p, PublisherRun* r) -> asio::awaitable<void> { r->result.emplace(co_await p->run()); };
  asio::co_spawn(run.ctx, child(&publisher, &run), asio::detached);
}

TEST(OutputPublisher, PublishesEachOutputEventWithTheSeqItFollows) {
  PublisherRun run;
  const SessionId id{"s-1"};
  OutputPublisher publisher(run.ctx.get_executor(), run.hub, id, 4);
  start(run, publisher);
  publisher.on_event(id, event(5, EventType::MessageReceived, {{"text", "hi"}}));
  publisher.on_event(id, event(6, EventType::LlmRequested));  // no output event
  publisher.on_token(id, "He");
  publisher.on_token(id, "llo");
  publisher.on_event(id, event(7, EventType::LlmCompleted, {{"content", "Hello"}}));
  publisher.on_event(id, event(8, EventType::OutputEmitted, {{"text", "Hello"}}));
  publisher.finish();
  run.ctx.run_for(2s);
  ASSERT_TRUE(run.result.has_value());
  EXPECT_TRUE(run.result->ok());
  ASSERT_EQ(run.hub.published.size(), 4U);
  const auto& message = run.hub.published[0].second;
  EXPECT_EQ(run.hub.published[0].first, "s-1");
  EXPECT_EQ(message.kind, "message");
  EXPECT_EQ(message.seq, 5);
  EXPECT_EQ(message.follows_seq, 4);  // the activation's start: nothing in between
  const auto& token = run.hub.published[1].second;
  EXPECT_EQ(token.kind, "token");
  EXPECT_FALSE(token.durable);
  EXPECT_EQ(token.seq, 6);          // after LlmRequested
  EXPECT_EQ(token.follows_seq, 5);  // the last output event before it
  const auto& answer = run.hub.published[3].second;
  EXPECT_EQ(answer.kind, "output");
  EXPECT_EQ(answer.follows_seq, 5);  // 6 and 7 have no output events
  EXPECT_EQ(publisher.published(), 4U);
  EXPECT_EQ(publisher.dropped(), 0U);
}

TEST(OutputPublisher, PastItsBoundItDropsAndTheNextEventShowsTheGap) {
  PublisherRun run;
  const SessionId id{"s-1"};
  OutputPublisher publisher(run.ctx.get_executor(), run.hub, id, 0, 2);
  // Not started yet: the queue fills up as under a hub that cannot keep up.
  publisher.on_event(id, event(1, EventType::MessageReceived));
  publisher.on_event(id, event(2, EventType::OutputEmitted));
  publisher.on_event(id, event(3, EventType::OutputEmitted));  // dropped
  EXPECT_EQ(publisher.dropped(), 1U);
  start(run, publisher);
  run.ctx.run_for(50ms);
  publisher.on_event(id, event(4, EventType::OutputEmitted));
  publisher.finish();
  run.ctx.restart();
  run.ctx.run_for(2s);
  ASSERT_EQ(run.hub.published.size(), 3U);
  EXPECT_EQ(run.hub.published[2].second.seq, 4);
  // It follows 3, which no subscriber got: they see the gap and read the store.
  EXPECT_EQ(run.hub.published[2].second.follows_seq, 3);
}

TEST(OutputPublisher, AFailingHubCountsDropsAndKeepsTheSessionRunning) {
  PublisherRun run;
  run.hub.fail = true;
  const SessionId id{"s-1"};
  OutputPublisher publisher(run.ctx.get_executor(), run.hub, id, 0);
  start(run, publisher);
  publisher.on_event(id, event(1, EventType::OutputEmitted));
  publisher.finish();
  run.ctx.run_for(2s);
  ASSERT_TRUE(run.result.has_value());
  EXPECT_TRUE(run.result->ok());
  EXPECT_EQ(publisher.dropped(), 1U);
}

TEST(OutputPublisher, FlushWaitsForWhatIsQueuedThenCancellationEndsTheChild) {
  PublisherRun run;
  const SessionId id{"s-1"};
  OutputPublisher publisher(run.ctx.get_executor(), run.hub, id, 0);
  asio::cancellation_signal stop;
  auto child = [](OutputPublisher* p, PublisherRun* r) -> asio::awaitable<void> { r->result.emplace(co_await p->run()); };
  asio::co_spawn(run.ctx, child(&publisher, &run), asio::bind_cancellation_slot(stop.slot(), asio::detached));
  bool flushed = false;
  auto flusher = [](OutputPublisher* p, const SessionId* s, bool* done, asio::cancellation_signal* c) -> asio::awaitable<void> {
    p->on_event(*s, event(1, EventType::OutputEmitted));
    p->on_event(*s, event(2, EventType::OutputEmitted));
    co_await p->flush(2s);
    *done = true;
    c->emit(asio::cancellation_type::terminal);
  };
  asio::co_spawn(run.ctx, flusher(&publisher, &id, &flushed, &stop), asio::detached);
  run.ctx.run_for(3s);
  EXPECT_TRUE(flushed);
  EXPECT_EQ(run.hub.published.size(), 2U);
  ASSERT_TRUE(run.result.has_value());
  EXPECT_EQ(run.result->error().code, Errc::cancelled);
}

}  // namespace
}  // namespace agentrt
