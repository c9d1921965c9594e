#include "backends/redis/redis_definition_cache.hpp"

#include <map>

#include <gtest/gtest.h>

#include "backends/http/testing/run_coroutine.hpp"
#include "backends/redis/redis_invalidations.hpp"
#include "backends/redis/testing/redis_test_server.hpp"

namespace agentrt {
namespace {

using std::chrono::milliseconds;
using testing::RedisTestServer;
using testing::run_coroutine;
using testing::run_until;

class RedisDefinitionCacheTest : public ::testing::Test {
 protected:
  RedisDefinitionCacheTest() : client_(ioc_.get_executor(), server_.options()) { client_.start(); }
  ~RedisDefinitionCacheTest() override { client_.stop(); }

  // The store: counts its reads.
  RedisDefinitionCache::Loader loader() {
    return [this](const std::string& hash) -> boost::asio::awaitable<Result<nlohmann::json>> {
      ++loads_[hash];
      if (hash == "missing") co_return Error{Errc::not_found, "definition missing"};
      co_return nlohmann::json{{"name", "bot-" + hash}};
    };
  }

  boost::asio::io_context ioc_;
  RedisTestServer server_;
  RedisClient client_;
  std::map<std::string, int> loads_;
};

TEST_F(RedisDefinitionCacheTest, MissesLoadFromTheStoreOnceThenHitInOneBatch) {
  ASSERT_TRUE(run_until(ioc_, [&] { return client_.up(); }));
  RedisDefinitionCache cache(client_);
  auto first = run_coroutine(ioc_, cache.get_many({"h1", "h2"}, loader()));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ((*first)[1]["name"], "bot-h2");
  EXPECT_EQ(cache.stats().misses, 2u);
  auto second = run_coroutine(ioc_, cache.get_many({"h2", "h1", "h3"}, loader()));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ((*second)[0]["name"], "bot-h2");
  EXPECT_EQ((*second)[1]["name"], "bot-h1");
  EXPECT_EQ((*second)[2]["name"], "bot-h3");
  EXPECT_EQ(cache.stats().hits, 2u);
  EXPECT_EQ(loads_["h1"], 1);
  EXPECT_EQ(loads_["h3"], 1);
  // Another process's cache shares the entries.
  RedisDefinitionCache other(client_);
  EXPECT_TRUE(run_coroutine(ioc_, other.get("h3", loader())).ok());
  EXPECT_EQ(other.stats().hits, 1u);
  auto ttl = run_coroutine(ioc_, client_.command({"TTL", "agentrt:def:h1"}));
  EXPECT_GT(ttl->integer, 0);
}

TEST_F(RedisDefinitionCacheTest, RedisDownServesFromTheStoreAndCorruptEntriesAreMisses) {
  ASSERT_TRUE(run_until(ioc_, [&] { return client_.up(); }));
  RedisDefinitionCache cache(client_);
  ASSERT_TRUE(run_coroutine(ioc_, client_.command({"SET", "agentrt:def:bad", "{not json"})).ok());
  auto repaired = run_coroutine(ioc_, cache.get("bad", loader()));
  ASSERT_TRUE(repaired.ok());
  EXPECT_EQ((*repaired)["name"], "bot-bad");
  auto stored = run_coroutine(ioc_, client_.command({"GET", "agentrt:def:bad"}));
  EXPECT_EQ(stored->str, R"({"name":"bot-bad"})");  // overwritten

  server_.kill();
  ASSERT_TRUE(run_until(ioc_, [&] { return !client_.up(); }));
  auto down = run_coroutine(ioc_, cache.get("h9", loader()));
  ASSERT_TRUE(down.ok());
  EXPECT_EQ((*down)["name"], "bot-h9");
  EXPECT_GE(cache.stats().redis_errors, 1u);
  auto failed = run_coroutine(ioc_, cache.get("missing", loader()));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, Errc::not_found);
  EXPECT_FALSE(run_coroutine(ioc_, cache.get("bad hash\r\n", loader())).ok());
}

TEST_F(RedisDefinitionCacheTest, InvalidationsReachEveryListener) {
  RedisSubscriber subscriber(ioc_.get_executor(), server_.options());
  subscriber.start();
  RedisInvalidations invalidations(client_, subscriber);
  std::vector<Invalidation> seen;
  auto token = invalidations.listen([&seen](const Invalidation& i) { seen.push_back(i); });
  ASSERT_TRUE(run_until(ioc_, [&] { return client_.up() && subscriber.subscriptions_confirmed() >= 1; }));
  ASSERT_TRUE(run_coroutine(ioc_, client_.command({"PUBLISH", "agentrt:invalidate", "[1,2]"})).ok());  // skipped
  ASSERT_TRUE(run_coroutine(ioc_, invalidations.publish(Invalidation{"quotas", "acme", "worker-a"})).ok());
  ASSERT_TRUE(run_until(ioc_, [&] { return !seen.empty(); }));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, "quotas");
  EXPECT_EQ(seen[0].key, "acme");
  EXPECT_EQ(seen[0].origin, "worker-a");
  EXPECT_FALSE(run_coroutine(ioc_, invalidations.publish(Invalidation{"", "x", "w"})).ok());
  subscriber.stop();
}

}  // namespace
}  // namespace agentrt
