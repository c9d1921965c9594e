// The LRU read cache: the KvStore conformance suite through it (over the memory store), and
// what the cache itself promises: hits, misses read in one call, invalidation by this
// process's writes, other writers seen after the TTL, the entry and byte bounds.
#include "backends/memory/caching_kv_store.hpp"

#include "backends/memory/memory_kv_store.hpp"
#include "core/ports/conformance/kv_store_conformance.hpp"

namespace agentrt {
namespace {

using conformance::KvStoreConformance;
using conformance::run_awaitable;
using json = nlohmann::json;
using ::testing::ElementsAre;

class ManualClock final : public Clock {
 public:
  std::int64_t wall_ms() const override { return 0; }
  std::chrono::steady_clock::time_point monotonic() const override { return now; }
  std::chrono::steady_clock::time_point now{};
};

// A KvStore that records the keys of each get and can fail the next call.
class CountingKvStore final : public KvStore {
 public:
  explicit CountingKvStore(KvStore& inner) : inner_(inner) {}
  std::vector<std::vector<std::string>> gets;
  std::optional<Error> fail_next;

  boost::asio::awaitable<Result<KvEntries>> get_many(KvScope scope, std::vector<std::string> keys) override {
    gets.push_back(keys);
    if (fail_next) {
      Error error = *fail_next;
      fail_next.reset();
      co_return error;
    }
    co_return co_await inner_.get_many(std::move(scope), std::move(keys));
  }
  boost::asio::awaitable<Result<void>> put_many(KvScope scope, KvEntries entries) override {
    if (fail_next) {
      Error error = *fail_next;
      fail_next.reset();
      co_return error;
    }
    co_return co_await inner_.put_many(std::move(scope), std::move(entries));
  }
  boost::asio::awaitable<Result<void>> erase_many(KvScope scope, std::vector<std::string> keys) override {
    co_return co_await inner_.erase_many(std::move(scope), std::move(keys));
  }

 private:
  KvStore& inner_;
};

// The cache over a memory store; owns both (the cache is declared last: destroyed first).
class CachedMemoryStore final : public KvStore {
 public:
  CachedMemoryStore() : cache_(make_caching_kv_store(*store_, clock_)) {}
  boost::asio::awaitable<Result<KvEntries>> get_many(KvScope scope, std::vector<std::string> keys) override {
    return cache_->get_many(std::move(scope), std::move(keys));
  }
  boost::asio::awaitable<Result<void>> put_many(KvScope scope, KvEntries entries) override {
    return cache_->put_many(std::move(scope), std::move(entries));
  }
  boost::asio::awaitable<Result<void>> erase_many(KvScope scope, std::vector<std::string> keys) override {
    return cache_->erase_many(std::move(scope), std::move(keys));
  }

 private:
  ManualClock clock_;
  std::unique_ptr<KvStore> store_ = make_memory_kv_store();
  std::unique_ptr<CachingKvStore> cache_;
};

INSTANTIATE_TEST_SUITE_P(CachedMemory, KvStoreConformance,
                         ::testing::Values(conformance::KvStoreBackend{
                             "CachedMemory",
                             [] { return conformance::KvStoreUnderTest{nullptr, std::make_unique<CachedMemoryStore>()}; }}),
                         conformance::kv_store_backend_name);

class CachingKvStoreTest : public ::testing::Test {
 protected:
  void make(KvCacheOptions options = {}) { cache_ = make_caching_kv_store(counting_, clock_, options); }
  void SetUp() override { make(); }

  KvEntries get(std::vector<std::string> keys, KvScope where = kScope) {
    auto found = run_awaitable(cache_->get_many(std::move(where), std::move(keys)));
    EXPECT_TRUE(found.ok()) << found.error().to_string();
    return found.ok() ? *found : KvEntries{};
  }
  void put(KvEntries entries, KvStore* through = nullptr) {
    KvStore& target = through != nullptr ? *through : *cache_;
    auto done = run_awaitable(target.put_many(kScope, std::move(entries)));
    EXPECT_TRUE(done.ok()) << done.error().to_string();
  }

  inline static const KvScope kScope{OrgId{"org-1"}, BotId{"bot-1"}};
  ManualClock clock_;
  std::unique_ptr<KvStore> memory_ = make_memory_kv_store();  // what another worker writes to
  CountingKvStore counting_{*memory_};
  std::unique_ptr<CachingKvStore> cache_;
};

TEST_F(CachingKvStoreTest, RepeatedReadsAreAnsweredFromTheCacheMissingKeysToo) {
  put({{"a", 1}});
  EXPECT_EQ(get({"a", "missing"}), (KvEntries{{"a", 1}}));
  EXPECT_EQ(get({"a", "missing"}), (KvEntries{{"a", 1}}));
  EXPECT_EQ(counting_.gets.size(), 1U);
  EXPECT_EQ(cache_->stats().hits, 2U);
  EXPECT_EQ(cache_->stats().misses, 2U);
}

TEST_F(CachingKvStoreTest, OnlyTheKeysNotCachedAreReadInOneCall) {
  put({{"a", 1}, {"b", 2}, {"c", 3}});
  get({"a"});
  EXPECT_EQ(get({"a", "b", "c", "b"}), (KvEntries{{"a", 1}, {"b", 2}, {"c", 3}}));
  ASSERT_EQ(counting_.gets.size(), 2U);
  EXPECT_THAT(counting_.gets[1], ElementsAre("b", "c"));
}

TEST_F(CachingKvStoreTest, OwnPutsAndErasesAreSeenAtOnce) {
  put({{"a", 1}});
  get({"a", "b"});
  put({{"a", 2}, {"b", 3}});
  EXPECT_EQ(get({"a", "b"}), (KvEntries{{"a", 2}, {"b", 3}}));
  ASSERT_TRUE(run_awaitable(cache_->erase_many(kScope, {"a"})).ok());
  EXPECT_EQ(get({"a", "b"}), (KvEntries{{"b", 3}}));
}

TEST_F(CachingKvStoreTest, AnotherWritersChangeIsSeenAfterTheTtl) {
  put({{"a", 1}});
  get({"a"});
  put({{"a", 2}}, memory_.get());  // another worker, straight to the store
  clock_.now += std::chrono::milliseconds{4'999};
  EXPECT_EQ(get({"a"}), (KvEntries{{"a", 1}}));  // stale within the TTL: documented
  clock_.now += std::chrono::milliseconds{1};
  EXPECT_EQ(get({"a"}), (KvEntries{{"a", 2}}));
}

TEST_F(CachingKvStoreTest, AnInvalidatedKeyIsReadAgainAtOnceAndOnlyThatKey) {
  put({{"a", 1}, {"b", 1}});
  get({"a", "b"});
  put({{"a", 2}, {"b", 2}}, memory_.get());  // another worker, which announces "a" only
  cache_->invalidate(kScope, {"a"});
  cache_->invalidate(KvScope{OrgId{"org-2"}, BotId{"bot-1"}}, {"b"});  // another scope's "b"
  EXPECT_EQ(get({"a", "b"}), (KvEntries{{"a", 2}, {"b", 1}}));
  ASSERT_EQ(counting_.gets.size(), 2U);
  EXPECT_THAT(counting_.gets[1], ElementsAre("a"));
}

TEST_F(CachingKvStoreTest, ScopesDoNotShareCachedAnswers) {
  put({{"a", 1}});
  get({"a"});
  EXPECT_TRUE(get({"a"}, KvScope{OrgId{"org-2"}, BotId{"bot-1"}}).empty());
  EXPECT_TRUE(get({"a"}, KvScope{OrgId{"org-1"}, BotId{"bot-2"}}).empty());
}

TEST_F(CachingKvStoreTest, TheLeastRecentlyUsedKeyGoesWhenEntriesAreFull) {
  make(KvCacheOptions{2, 1 << 20, std::chrono::milliseconds{5'000}});
  put({{"a", 1}, {"b", 2}, {"c", 3}});
  get({"a"});
  get({"b"});
  get({"a"});  // a is now more recent than b
  get({"c"});  // evicts b
  EXPECT_EQ(cache_->stats().entries, 2U);
  counting_.gets.clear();
  get({"a", "b", "c"});
  ASSERT_EQ(counting_.gets.size(), 1U);
  EXPECT_THAT(counting_.gets[0], ElementsAre("b"));
}

TEST_F(CachingKvStoreTest, BytesAreBoundedAndAValueLargerThanTheCacheIsNotKept) {
  make(KvCacheOptions{100, 1'000, std::chrono::milliseconds{5'000}});
  put({{"small", "x"}, {"big", std::string(2'000, 'v')}, {"mid1", std::string(400, 'm')}, {"mid2", std::string(400, 'n')}});
  get({"big"});
  EXPECT_EQ(cache_->stats().entries, 0U);
  get({"mid1"});
  get({"mid2"});  // both do not fit in 1,000 bytes with their overhead: mid1 goes
  EXPECT_EQ(cache_->stats().entries, 1U);
  EXPECT_LE(cache_->stats().bytes, 1'000U);
}

TEST_F(CachingKvStoreTest, ErrorsAreNotCachedAndAFailedWriteStillInvalidates) {
  put({{"a", 1}});
  counting_.fail_next = Error{Errc::retryable, "store down"};
  auto failed = run_awaitable(cache_->get_many(kScope, {"a"}));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, Errc::retryable);
  EXPECT_EQ(get({"a"}), (KvEntries{{"a", 1}}));
  counting_.fail_next = Error{Errc::retryable, "store down"};
  auto put_failed = run_awaitable(cache_->put_many(kScope, KvEntries{{"a", 5}}));
  ASSERT_FALSE(put_failed.ok());
  put({{"a", 6}}, memory_.get());  // as if the failed write had been applied after all
  EXPECT_EQ(get({"a"}), (KvEntries{{"a", 6}}));
}

TEST_F(CachingKvStoreTest, OutOfBoundsKeysAreRefusedBeforeTheStore) {
  auto refused = run_awaitable(cache_->get_many(kScope, {std::string(kKvKeyBytesMax + 1, 'k')}));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::invalid);
  EXPECT_TRUE(counting_.gets.empty());
}

}  // namespace
}  // namespace agentrt
