// EngineSession without HTTP: polling payloads, the heartbeat's ping timeout, overlapping
// polls, the outgoing buffer bound, and a client close ending a waiting poll.
#include "serve/engine_session.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "backends/http_server/testing/raw_http_client.hpp"

namespace agentrt::serve {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

// The poll's payload as a plain string ("" when refused): a default-constructible result.
asio::awaitable<std::string> poll_text(std::shared_ptr<EngineSession> session) {
  std::optional<std::string> payload = co_await session->poll();
  co_return payload ? *payload : std::string();
}

class EngineSessionTest : public ::testing::Test {
 protected:
  std::shared_ptr<EngineSession> make(EngineOptions options = {}) {
    auto session = std::make_shared<EngineSession>(ioc_.get_executor(), "sid-1", options,
                                                   [this](const std::string& sid) { closed_sid_ = sid; });
    return session;
  }

  std::future<std::string> start_poll(const std::shared_ptr<EngineSession>& session) {
    return asio::co_spawn(ioc_, poll_text(session), asio::use_future);
  }

  asio::io_context ioc_;
  std::string closed_sid_;
};

TEST_F(EngineSessionTest, APollTakesEveryQueuedPacketJoinedByTheRecordSeparator) {
  auto session = make();
  session->send_message("2[\"a\"]");
  session->send("2");
  auto poll = start_poll(session);
  EXPECT_EQ(testing::wait_bounded(ioc_, poll), "42[\"a\"]\x1e" "2");
  EXPECT_EQ(session->buffered_bytes(), 0U);
}

TEST_F(EngineSessionTest, AWaitingPollAnswersWhenAPacketIsQueued) {
  auto session = make();
  auto poll = start_poll(session);
  ioc_.run_for(milliseconds(20));
  EXPECT_EQ(poll.wait_for(std::chrono::seconds(0)), std::future_status::timeout);  // still waiting
  session->send_message("hello");
  EXPECT_EQ(testing::wait_bounded(ioc_, poll), "4hello");
}

TEST_F(EngineSessionTest, NoPongWithinPingTimeoutClosesTheSession) {
  EngineOptions options;
  options.ping_interval = milliseconds(50);
  options.ping_timeout = milliseconds(50);
  auto session = make(options);
  session->start();
  auto poll = start_poll(session);
  EXPECT_EQ(testing::wait_bounded(ioc_, poll), "2");
  testing::run_until(ioc_, [&] { return session->closed(); }, milliseconds(2000));
  EXPECT_EQ(closed_sid_, "sid-1");
  auto after = start_poll(session);
  EXPECT_EQ(testing::wait_bounded(ioc_, after), "1");  // a closed session answers close
}

TEST_F(EngineSessionTest, PongsKeepTheSessionOpen) {
  EngineOptions options;
  options.ping_interval = milliseconds(30);
  options.ping_timeout = milliseconds(60);
  auto session = make(options);
  session->start();
  for (int i = 0; i < 5; ++i) {
    auto poll = start_poll(session);
    EXPECT_EQ(testing::wait_bounded(ioc_, poll), "2");
    session->receive(EnginePacket{EngineType::pong, ""});
  }
  EXPECT_FALSE(session->closed());
  session->close("test over");
  ioc_.run_for(milliseconds(50));
}

TEST_F(EngineSessionTest, AnOverlappingPollIsAProtocolErrorThatClosesTheSession) {
  auto session = make();
  auto first = start_poll(session);
  ioc_.run_for(milliseconds(10));
  auto second = start_poll(session);
  EXPECT_EQ(testing::wait_bounded(ioc_, second), "");  // refused
  EXPECT_EQ(testing::wait_bounded(ioc_, first), "1");
  EXPECT_TRUE(session->closed());
}

TEST_F(EngineSessionTest, AClientThatDoesNotReadIsClosedPastTwiceTheBufferBound) {
  EngineOptions options;
  options.max_buffered_bytes = 100;
  auto session = make(options);
  session->send(std::string(150, '4'));
  EXPECT_FALSE(session->closed());  // past the soft bound: joins end, the client stays
  session->send(std::string(60, '4'));
  EXPECT_TRUE(session->closed());
  EXPECT_EQ(session->buffered_bytes(), 0U);
}

TEST_F(EngineSessionTest, TheClientsCloseEndsAWaitingPoll) {
  auto session = make();
  auto poll = start_poll(session);
  ioc_.run_for(milliseconds(10));
  session->receive(EnginePacket{EngineType::close, ""});
  EXPECT_EQ(testing::wait_bounded(ioc_, poll), "1");
  EXPECT_EQ(closed_sid_, "sid-1");
}

TEST_F(EngineSessionTest, UnexpectedPacketTypesFromTheClientCloseTheSession) {
  auto session = make();
  session->receive(EnginePacket{EngineType::upgrade, ""});
  EXPECT_TRUE(session->closed());
}

}  // namespace
}  // namespace agentrt::serve
