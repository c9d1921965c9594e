#include "backends/redis/redis_kv_cache.hpp"

#include <future>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include "backends/http/testing/run_coroutine.hpp"
#include "backends/memory/memory_kv_store.hpp"
#include "backends/redis/redis_subscriber.hpp"
#include "backends/redis/testing/redis_test_server.hpp"
#include "core/model/kv_bounds.hpp"
#include "core/ports/conformance/kv_store_conformance.hpp"

namespace agentrt {
namespace {

using conformance::KvStoreConformance;
using nlohmann::json;
using testing::RedisTestServer;
using testing::run_coroutine;
using testing::run_until;

// The conformance suite through the cache: a redis-server, its client on an io_context of its
// own thread (the suite calls from other io_contexts: the cache hops), over a memory store.
class RedisCachedMemoryStore final : public KvStore {
 public:
  RedisCachedMemoryStore() {
    client_.start();
    thread_ = std::thread([this] { ioc_.run(); });
    while (!client_.up()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~RedisCachedMemoryStore() override {
    boost::asio::post(ioc_, [this] { client_.stop(); });
    guard_.reset();
    thread_.join();
  }
  RedisCachedMemoryStore(const RedisCachedMemoryStore&) = delete;
  RedisCachedMemoryStore& operator=(const RedisCachedMemoryStore&) = delete;

  boost::asio::awaitable<Result<KvEntries>> get_many(KvScope scope, std::vector<std::string> keys) override {
    return on_redis_thread(cache_.get_many(std::move(scope), std::move(keys)));
  }
  boost::asio::awaitable<Result<void>> put_many(KvScope scope, KvEntries entries) override {
    return on_redis_thread(cache_.put_many(std::move(scope), std::move(entries)));
  }
  boost::asio::awaitable<Result<void>> erase_many(KvScope scope, std::vector<std::string> keys) override {
    return on_redis_thread(cache_.erase_many(std::move(scope), std::move(keys)));
  }

 private:
  // The cache runs on its client's io_context (no cancellation here, so co_spawn is safe).
  template <class T>
  boost::asio::awaitable<T> on_redis_thread(boost::asio::awaitable<T> op) {
    auto out = co_await boost::asio::co_spawn(ioc_, testing::as_optional(std::move(op)), boost::asio::use_awaitable);
    co_return std::move(*out);
  }

  RedisTestServer server_;
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{ioc_.get_executor()};
  RedisClient client_{ioc_.get_executor(), server_.options()};
  std::unique_ptr<KvStore> store_ = make_memory_kv_store();
  RedisKvCache cache_{client_, *store_, nullptr};
  std::thread thread_;
};

INSTANTIATE_TEST_SUITE_P(RedisCachedMemory, KvStoreConformance,
                         ::testing::Values(conformance::KvStoreBackend{
                             "RedisCachedMemory",
                             [] { return conformance::KvStoreUnderTest{nullptr, std::make_unique<RedisCachedMemoryStore>()}; }}),
                         conformance::kv_store_backend_name);

// A KvStore that counts the keys it is asked for.
class CountingKvStore final : public KvStore {
 public:
  explicit CountingKvStore(KvStore& inner) : inner_(inner) {}
  std::size_t keys_read = 0;
  std::size_t writes = 0;

  boost::asio::awaitable<Result<KvEntries>> get_many(KvScope scope, std::vector<std::string> keys) override {
    keys_read += keys.size();
    co_return co_await inner_.get_many(std::move(scope), std::move(keys));
  }
  boost::asio::awaitable<Result<void>> put_many(KvScope scope, KvEntries entries) override {
    ++writes;
    co_return co_await inner_.put_many(std::move(scope), std::move(entries));
  }
  boost::asio::awaitable<Result<void>> erase_many(KvScope scope, std::vector<std::string> keys) override {
    ++writes;
    co_return co_await inner_.erase_many(std::move(scope), std::move(keys));
  }

 private:
  KvStore& inner_;
};

const KvScope kScope{OrgId{"acme"}, BotId{"support"}};

// Two workers (two caches, each with its own client) over one store and one Redis.
class RedisKvCacheTest : public ::testing::Test {
 protected:
  RedisKvCacheTest() {
    client_a_.start();
    client_b_.start();
    subscriber_.start();
  }
  ~RedisKvCacheTest() override {
    subscriber_.stop();
    client_a_.stop();
    client_b_.stop();
  }

  KvEntries get(RedisKvCache& cache, std::vector<std::string> keys) {
    auto found = run_coroutine(ioc_, cache.get_many(kScope, std::move(keys)));
    EXPECT_TRUE(found.ok()) << found.error().to_string();
    return found.ok() ? *found : KvEntries{};
  }
  void put(RedisKvCache& cache, KvEntries entries) {
    auto done = run_coroutine(ioc_, cache.put_many(kScope, std::move(entries)));
    EXPECT_TRUE(done.ok()) << done.error().to_string();
  }
  std::string cached_text(const std::string& key) {
    auto reply = run_coroutine(ioc_, client_a_.command({"GET", "agentrt:kv:" + kv_entry_name(kScope.org, kScope.bot, key)}));
    return reply && reply->type == RedisReply::Type::string ? reply->str : "(none)";
  }

  boost::asio::io_context ioc_;
  RedisTestServer server_;
  RedisClient client_a_{ioc_.get_executor(), server_.options()};
  RedisClient client_b_{ioc_.get_executor(), server_.options()};
  RedisSubscriber subscriber_{ioc_.get_executor(), server_.options()};
  RedisInvalidations invalidations_{client_a_, subscriber_};
  std::unique_ptr<KvStore> memory_ = make_memory_kv_store();
  CountingKvStore store_{*memory_};
  RedisKvCache a_{client_a_, store_, &invalidations_, RedisKvCacheOptions{"agentrt:kv:", std::chrono::seconds{60}, "worker-a"}};
  RedisKvCache b_{client_b_, store_, nullptr, RedisKvCacheOptions{"agentrt:kv:", std::chrono::seconds{60}, "worker-b"}};
};

TEST_F(RedisKvCacheTest, AMissIsReadFromTheStoreOnceAndThenServedByRedisToEveryWorker) {
  ASSERT_TRUE(run_until(ioc_, [&] { return client_a_.up() && client_b_.up(); }));
  ASSERT_TRUE(run_coroutine(ioc_, memory_->put_many(kScope, KvEntries{{"plan", json{{"tier", "gold"}}}})).ok());
  EXPECT_EQ(get(a_, {"plan", "absent", "plan"}), (KvEntries{{"plan", json{{"tier", "gold"}}}}));
  EXPECT_EQ(store_.keys_read, 2u) << "one read of each distinct key";
  EXPECT_EQ(cached_text("plan"), R"(v{"tier":"gold"})");
  EXPECT_EQ(cached_text("absent"), "n") << "a missing key is cached as missing";
  auto ttl = run_coroutine(ioc_, client_a_.command({"TTL", "agentrt:kv:" + kv_entry_name(kScope.org, kScope.bot, "plan")}));
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT(ttl->integer, 0);
  EXPECT_LE(ttl->integer, 60);

  // Worker B never read them: Redis answers it, the store is not asked again.
  EXPECT_EQ(get(b_, {"plan", "absent"}), (KvEntries{{"plan", json{{"tier", "gold"}}}}));
  EXPECT_EQ(store_.keys_read, 2u);
  EXPECT_EQ(b_.stats().hits, 2u);
  EXPECT_EQ(a_.stats().misses, 2u);
}

TEST_F(RedisKvCacheTest, AWriteOnOneWorkerIsSeenByTheOtherAtOnceAndAnnouncedToListeners) {
  ASSERT_TRUE(run_until(ioc_, [&] { return client_a_.up() && client_b_.up(); }));
  std::vector<Invalidation> heard;
  auto token = invalidations_.listen([&heard](const Invalidation& i) { heard.push_back(i); });
  ASSERT_TRUE(run_until(ioc_, [&] { return subscriber_.subscriptions_confirmed() >= 1; }));
  put(a_, {{"plan", "silver"}});
  EXPECT_EQ(get(b_, {"plan"}), (KvEntries{{"plan", "silver"}}));
  put(a_, {{"plan", "gold"}, {"seats", 5}});
  EXPECT_EQ(cached_text("plan"), "(none)") << "the write dropped the cached value";
  EXPECT_EQ(get(b_, {"plan", "seats"}), (KvEntries{{"plan", "gold"}, {"seats", 5}}));
  ASSERT_TRUE(run_until(ioc_, [&] { return heard.size() >= 3; }));
  const auto named = parse_kv_entry_name(heard.back().key);
  ASSERT_TRUE(named.has_value()) << heard.back().key;
  EXPECT_EQ(heard.back().kind, RedisKvCache::kInvalidationKind);
  EXPECT_EQ(heard.back().origin, "worker-a");
  EXPECT_EQ(named->org, kScope.org);
  EXPECT_EQ(named->bot, kScope.bot);
  EXPECT_EQ(named->key, "seats");

  auto erased = run_coroutine(ioc_, a_.erase_many(kScope, {"seats"}));
  ASSERT_TRUE(erased.ok());
  EXPECT_EQ(get(b_, {"plan", "seats"}), (KvEntries{{"plan", "gold"}}));
}

TEST_F(RedisKvCacheTest, CorruptCachedTextIsAMissAndIsOverwritten) {
  ASSERT_TRUE(run_until(ioc_, [&] { return client_a_.up(); }));
  ASSERT_TRUE(run_coroutine(ioc_, memory_->put_many(kScope, KvEntries{{"a", 1}, {"b", 2}})).ok());
  const auto key = [](const std::string& k) { return "agentrt:kv:" + kv_entry_name(kScope.org, kScope.bot, k); };
  ASSERT_TRUE(run_coroutine(ioc_, client_a_.command({"SET", key("a"), "v{not json"})).ok());
  ASSERT_TRUE(run_coroutine(ioc_, client_a_.command({"SET", key("b"), "something else"})).ok());
  EXPECT_EQ(get(a_, {"a", "b"}), (KvEntries{{"a", 1}, {"b", 2}}));
  EXPECT_EQ(cached_text("a"), "v1");
  EXPECT_EQ(cached_text("b"), "v2");
}

TEST_F(RedisKvCacheTest, RedisDownReadsAndWritesGoToTheStoreAndNothingIsLost) {
  ASSERT_TRUE(run_until(ioc_, [&] { return client_a_.up() && client_b_.up(); }));
  put(a_, {{"plan", "gold"}});
  EXPECT_EQ(get(b_, {"plan"}), (KvEntries{{"plan", "gold"}}));
  server_.kill();
  ASSERT_TRUE(run_until(ioc_, [&] { return !client_a_.up() && !client_b_.up(); }));
  put(a_, {{"plan", "platinum"}});
  EXPECT_EQ(get(b_, {"plan"}), (KvEntries{{"plan", "platinum"}}));
  EXPECT_GE(a_.stats().redis_errors, 1u);
  EXPECT_GE(b_.stats().redis_errors, 1u);
  auto stored = run_coroutine(ioc_, memory_->get_many(kScope, {"plan"}));
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, (KvEntries{{"plan", "platinum"}}));

  // Redis back (empty: no persistence): read-through again.
  server_.start();
  ASSERT_TRUE(run_until(ioc_, [&] { return client_a_.up() && client_b_.up(); }, std::chrono::seconds(10)));
  EXPECT_EQ(get(b_, {"plan"}), (KvEntries{{"plan", "platinum"}}));
  EXPECT_EQ(cached_text("plan"), R"(v"platinum")");
}

TEST_F(RedisKvCacheTest, AHungRedisCostsAtMostTheCommandTimeoutAndTheStoreAnswers) {
  ASSERT_TRUE(run_until(ioc_, [&] { return client_a_.up(); }));
  put(a_, {{"plan", "gold"}});
  EXPECT_EQ(get(a_, {"plan"}), (KvEntries{{"plan", "gold"}}));
  server_.pause();
  const auto started = std::chrono::steady_clock::now();
  put(a_, {{"plan", "platinum"}});  // the store takes it; the DEL times out
  EXPECT_EQ(get(a_, {"plan"}), (KvEntries{{"plan", "platinum"}})) << "the stale cached value is never served";
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_LT(took, 4 * server_.options().command_timeout) << "each call waits at most the command timeout";
  EXPECT_GE(a_.stats().redis_errors, 1u);
  // The link reconnects, but a server that does not answer PING is not up: calls fail fast.
  ASSERT_TRUE(run_until(ioc_, [&] { return !client_a_.up(); }, std::chrono::seconds(5)));
  const auto fast_start = std::chrono::steady_clock::now();
  EXPECT_EQ(get(a_, {"plan"}), (KvEntries{{"plan", "platinum"}}));
  EXPECT_LT(std::chrono::steady_clock::now() - fast_start, server_.options().command_timeout / 2);
  server_.resume();
  ASSERT_TRUE(run_until(ioc_, [&] { return client_a_.up(); }, std::chrono::seconds(10)));
  EXPECT_EQ(get(a_, {"plan"}), (KvEntries{{"plan", "platinum"}}));
}

TEST_F(RedisKvCacheTest, BadKeysAreRefusedBeforeRedisOrTheStoreIsAsked) {
  ASSERT_TRUE(run_until(ioc_, [&] { return client_a_.up(); }));
  auto empty_key = run_coroutine(ioc_, a_.get_many(kScope, {""}));
  ASSERT_FALSE(empty_key.ok());
  EXPECT_EQ(empty_key.error().code, Errc::invalid);
  EXPECT_NE(empty_key.error().message.find("org=acme bot=support"), std::string::npos) << empty_key.error().message;
  auto too_long = run_coroutine(ioc_, a_.put_many(kScope, KvEntries{{std::string(kKvKeyBytesMax + 1, 'k'), 1}}));
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code, Errc::invalid);
  EXPECT_EQ(store_.keys_read, 0u);
  auto keys = run_coroutine(ioc_, client_a_.command({"KEYS", "agentrt:kv:*"}));
  ASSERT_TRUE(keys.ok());
  EXPECT_TRUE(keys->elements.empty());
}

TEST(KvEntryName, RoundTripsAndRejectsWhatIsNotOne) {
  const auto name = kv_entry_name(OrgId{"a#b"}, BotId{"x"}, "c#d");
  EXPECT_EQ(name, "3#a#b1#xc#d");
  const auto parsed = parse_kv_entry_name(name);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->org.str(), "a#b");
  EXPECT_EQ(parsed->bot.str(), "x");
  EXPECT_EQ(parsed->key, "c#d");
  for (const std::string bad : {"", "3#ab", "x#abc1#xk", "0#1#xk", "3#abc1#x", "9999#a", "3#abc1#", "-1#a1#bk"}) {
    EXPECT_FALSE(parse_kv_entry_name(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace agentrt
