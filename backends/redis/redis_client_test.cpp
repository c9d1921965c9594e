#include "backends/redis/redis_client.hpp"

#include <chrono>

#include <gtest/gtest.h>

#include "backends/http/testing/run_coroutine.hpp"
#include "backends/redis/testing/redis_test_server.hpp"

namespace agentrt {
namespace {

using testing::RedisTestServer;
using testing::run_coroutine;
using testing::run_until;
using std::chrono::milliseconds;

class RedisClientTest : public ::testing::Test {
 protected:
  Result<RedisReply> command(RedisClient& client, RedisCommand c) { return run_coroutine(ioc_, client.command(std::move(c))); }
  bool wait_up(RedisClient& client) {
    return run_until(ioc_, [&] { return client.up(); });
  }

  boost::asio::io_context ioc_;
};

TEST_F(RedisClientTest, CommandsRoundTripAndErrorRepliesBecomeErrors) {
  RedisTestServer server;
  RedisClient client(ioc_.get_executor(), server.options());
  client.start();
  ASSERT_TRUE(wait_up(client));
  auto set = command(client, {"SET", "k", std::string("a\0b", 3)});
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set->type, RedisReply::Type::status);
  auto got = command(client, {"GET", "k"});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->str, std::string("a\0b", 3));
  auto missing = command(client, {"GET", "nothing"});
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->is_nil());
  auto counted = command(client, {"INCRBY", "n", "5"});
  ASSERT_TRUE(counted.ok());
  EXPECT_EQ(counted->integer, 5);
  auto wrong = command(client, {"INCR", "k"});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, Errc::invalid);
  EXPECT_NE(wrong.error().message.find("redis 127.0.0.1:" + std::to_string(server.port()) + ": INCR: ERR"), std::string::npos)
      << wrong.error().message;
  client.stop();
}

TEST_F(RedisClientTest, PipelineRepliesComeInOrder) {
  RedisTestServer server;
  RedisClient client(ioc_.get_executor(), server.options());
  client.start();
  ASSERT_TRUE(wait_up(client));
  std::vector<RedisCommand> commands;
  for (int i = 0; i < 300; ++i) commands.push_back({"INCR", "counter"});
  commands.push_back({"NOSUCHCOMMAND"});
  commands.push_back({"GET", "counter"});
  auto replies = run_coroutine(ioc_, client.pipeline(commands));
  ASSERT_TRUE(replies.ok()) << replies.error().message;
  ASSERT_EQ(replies->size(), 302u);
  for (int i = 0; i < 300; ++i) EXPECT_EQ((*replies)[static_cast<std::size_t>(i)].integer, i + 1);
  EXPECT_TRUE((*replies)[300].is_error());  // an error reply stays a value in a pipeline
  EXPECT_EQ((*replies)[301].str, "300");
  client.stop();
}

TEST_F(RedisClientTest, LargeRepliesWithinTheBoundAreRead) {
  RedisTestServer server;
  RedisClient client(ioc_.get_executor(), server.options());
  client.start();
  ASSERT_TRUE(wait_up(client));
  std::string big(3 * 1024 * 1024, 'x');  // many socket reads: the drain must not stall
  big[12345] = 'y';
  ASSERT_TRUE(command(client, {"SET", "big", big}).ok());
  auto got = command(client, {"GET", "big"});
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->str, big);
  client.stop();
}

TEST_F(RedisClientTest, OversizedReplyIsRefusedAndTheConnectionRecovers) {
  RedisTestServer server;
  auto options = server.options();
  options.pool_size = 1;
  options.max_reply_bytes = 64 * 1024;
  RedisClient client(ioc_.get_executor(), options);
  client.start();
  ASSERT_TRUE(wait_up(client));
  ASSERT_TRUE(command(client, {"SET", "big", std::string(200 * 1024, 'x')}).ok());
  auto got = command(client, {"GET", "big"});
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.error().message.find("larger than max_reply_bytes"), std::string::npos) << got.error().message;
  ASSERT_TRUE(wait_up(client));
  auto small = command(client, {"STRLEN", "big"});
  ASSERT_TRUE(small.ok()) << small.error().message;
  EXPECT_EQ(small->integer, 200 * 1024);
  client.stop();
}

TEST_F(RedisClientTest, CommandTimeoutFailsTheCommandAndReconnects) {
  RedisTestServer server;
  auto options = server.options();
  options.pool_size = 1;
  options.command_timeout = milliseconds{150};
  RedisClient client(ioc_.get_executor(), options);
  client.start();
  ASSERT_TRUE(wait_up(client));
  const auto started = std::chrono::steady_clock::now();
  auto blocked = command(client, {"BLPOP", "empty-list", "2"});  // the server holds it for 2 s
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().code, Errc::timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds{1000});
  ASSERT_TRUE(wait_up(client));
  EXPECT_TRUE(command(client, {"PING"}).ok());
  client.stop();
}

TEST_F(RedisClientTest, ServerDownFailsFastThenReconnectsWhenItReturns) {
  RedisTestServer server;
  RedisClient client(ioc_.get_executor(), server.options());
  client.start();
  ASSERT_TRUE(wait_up(client));
  ASSERT_TRUE(command(client, {"SET", "a", "1"}).ok());
  server.kill();
  ASSERT_TRUE(run_until(ioc_, [&] { return !client.up(); }));
  const auto started = std::chrono::steady_clock::now();
  auto down = command(client, {"GET", "a"});
  ASSERT_FALSE(down.ok());
  EXPECT_TRUE(down.error().retryable());
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds{250});  // well under connect and command timeouts: no waiting on a dead server
  EXPECT_NE(down.error().message.find("redis 127.0.0.1:" + std::to_string(server.port())), std::string::npos);
  server.start();
  ASSERT_TRUE(wait_up(client));
  auto back = command(client, {"SET", "a", "2"});
  EXPECT_TRUE(back.ok());
  client.stop();
}

TEST_F(RedisClientTest, AuthUsesThePasswordAndNeverShowsIt) {
  const std::string password = "s3cret-Pa55word-for-tests";
  RedisTestServer server({"--requirepass", password});
  auto options = server.options();
  options.password = "wrong-" + password;
  RedisClient wrong(ioc_.get_executor(), options);
  wrong.start();
  run_until(ioc_, [&] { return wrong.last_error().find("AUTH") != std::string::npos; }, milliseconds{2000});
  EXPECT_FALSE(wrong.up());
  EXPECT_NE(wrong.last_error().find("AUTH"), std::string::npos) << wrong.last_error();
  EXPECT_EQ(wrong.last_error().find(password), std::string::npos);
  auto refused = command(wrong, {"PING"});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message.find(password), std::string::npos);
  wrong.stop();

  options.password = password;
  RedisClient right(ioc_.get_executor(), options);
  right.start();
  ASSERT_TRUE(wait_up(right));
  EXPECT_TRUE(command(right, {"SET", "x", "1"}).ok());
  right.stop();
}

TEST_F(RedisClientTest, NothingListeningIsReportedWithTheServerName) {
  auto options = RedisTestServer::options_for_port(RedisTestServer::free_port());
  RedisClient client(ioc_.get_executor(), options);
  client.start();
  run_until(ioc_, [&] { return !client.last_error().empty() && client.last_error() != "not connected yet"; }, milliseconds{2000});
  EXPECT_FALSE(client.up());
  EXPECT_NE(client.last_error().find("redis 127.0.0.1:" + std::to_string(options.port)), std::string::npos)
      << client.last_error();
  client.stop();
}

TEST(RedisOptionsTest, UrlsAreParsedAndCredentialsInThemRefused) {
  RedisOptions options;
  ASSERT_TRUE(parse_redis_url("redis://cache.internal:6380", options).ok());
  EXPECT_EQ(options.host, "cache.internal");
  EXPECT_EQ(options.port, 6380);
  ASSERT_TRUE(parse_redis_url("redis://localhost/", options).ok());
  EXPECT_EQ(options.port, 6379);
  auto with_password = parse_redis_url("redis://:hunter2@host:6379", options);
  ASSERT_FALSE(with_password.ok());
  EXPECT_EQ(with_password.error().message.find("hunter2"), std::string::npos);
  EXPECT_FALSE(parse_redis_url("http://host", options).ok());
  EXPECT_FALSE(parse_redis_url("redis://host:0", options).ok());
  EXPECT_FALSE(parse_redis_url("redis://host:99999", options).ok());
  EXPECT_FALSE(parse_redis_url("redis://host:6379/2", options).ok());
  options.pool_size = 0;
  EXPECT_FALSE(check_redis_options(options).ok());
}

}  // namespace
}  // namespace agentrt
