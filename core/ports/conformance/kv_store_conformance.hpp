#pragma once
// The KvStore conformance suite: the contract of core/ports/kv_store.hpp as tests, run
// against every adapter. Header-only; include it in exactly one test file of a backend:
//
//   INSTANTIATE_TEST_SUITE_P(Memory, KvStoreConformance,
//       ::testing::Values(KvStoreBackend{"Memory", [] { return KvStoreUnderTest{nullptr, make_memory_kv_store()}; }}),
//       kv_store_backend_name);
//
// The factory is called once per test and must return a new, empty store.

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "core/model/kv_bounds.hpp"
#include "core/ports/conformance/session_store_fixture.hpp"
#include "core/ports/kv_store.hpp"

namespace agentrt::conformance {

// A KV store and whatever it lives on (the session store whose database or connection it
// shares; may be null). `kv` is declared last, so it is destroyed first.
struct KvStoreUnderTest {
  std::unique_ptr<SessionStore> owner;
  std::unique_ptr<KvStore> kv;
};

struct KvStoreBackend {
  std::string name;  // used in test names: letters and digits only
  std::function<KvStoreUnderTest()> make;
  friend void PrintTo(const KvStoreBackend& backend, std::ostream* os) { *os << backend.name; }
};

inline std::string kv_store_backend_name(const ::testing::TestParamInfo<KvStoreBackend>& info) {
  return info.param.name;
}

class KvStoreConformance : public ::testing::TestWithParam<KvStoreBackend> {
 protected:
  void SetUp() override {
    store_ = GetParam().make();
    ASSERT_NE(store_.kv, nullptr) << "factory returned no kv store";
  }
  void TearDown() override {
    store_.kv.reset();
    store_.owner.reset();
  }

  static KvScope scope(const std::string& org = "org-1", const std::string& bot = "bot-1") {
    return KvScope{OrgId{org}, BotId{bot}};
  }
  Result<KvEntries> get(std::vector<std::string> keys, KvScope where = scope()) {
    return run_awaitable(store_.kv->get_many(std::move(where), std::move(keys)));
  }
  Result<void> put(KvEntries entries, KvScope where = scope()) {
    return run_awaitable(store_.kv->put_many(std::move(where), std::move(entries)));
  }
  Result<void> erase(std::vector<std::string> keys, KvScope where = scope()) {
    return run_awaitable(store_.kv->erase_many(std::move(where), std::move(keys)));
  }
  // The entries found, failing the test on an error.
  KvEntries found(std::vector<std::string> keys, KvScope where = scope()) {
    auto entries = get(std::move(keys), std::move(where));
    EXPECT_TRUE(entries.ok()) << entries.error().to_string();
    return entries.ok() ? *entries : KvEntries{};
  }
  void must_put(KvEntries entries, KvScope where = scope()) {
    auto done = put(std::move(entries), std::move(where));
    EXPECT_TRUE(done.ok()) << done.error().to_string();
  }
  static std::vector<std::string> numbered_keys(std::size_t count) {
    std::vector<std::string> keys;
    for (std::size_t i = 0; i < count; ++i) keys.push_back("key-" + std::to_string(i));
    return keys;
  }

 private:
  KvStoreUnderTest store_;
};

using nlohmann::json;

TEST_P(KvStoreConformance, PutThenGetReturnsTheValuesAndLeavesMissingKeysOut) {
  must_put({{"a", 1}, {"b", json{{"nested", json::array({1, "two", nullptr})}}}, {"c", nullptr}, {"d", "text"}});
  const auto entries = found({"a", "b", "c", "d", "missing"});
  EXPECT_EQ(entries, (KvEntries{{"a", 1}, {"b", json{{"nested", json::array({1, "two", nullptr})}}}, {"c", nullptr},
                                {"d", "text"}}));
  EXPECT_EQ(entries.count("missing"), 0U);
}

TEST_P(KvStoreConformance, GetOnAnEmptyStoreFindsNothing) {
  EXPECT_TRUE(found({"a", "b"}).empty());
  EXPECT_TRUE(found({}).empty());
}

TEST_P(KvStoreConformance, RepeatedKeysAreReadOnce) {
  must_put({{"a", 1}});
  EXPECT_EQ(found({"a", "a", "b", "a"}), (KvEntries{{"a", 1}}));
}

TEST_P(KvStoreConformance, PutOverwritesAndRepeatingItIsHarmless) {
  must_put({{"a", 1}, {"b", 2}});
  must_put({{"a", "second"}});
  must_put({{"a", "second"}});
  EXPECT_EQ(found({"a", "b"}), (KvEntries{{"a", "second"}, {"b", 2}}));
}

TEST_P(KvStoreConformance, EraseRemovesOnlyTheGivenKeysAndIgnoresMissingOnes) {
  must_put({{"a", 1}, {"b", 2}, {"c", 3}});
  auto erased = erase({"a", "c", "never-written"});
  ASSERT_TRUE(erased.ok()) << erased.error().to_string();
  EXPECT_EQ(found({"a", "b", "c"}), (KvEntries{{"b", 2}}));
  auto again = erase({"a"});
  EXPECT_TRUE(again.ok()) << again.error().to_string();
}

TEST_P(KvStoreConformance, TheSameKeyInAnotherOrgOrBotIsAnotherEntry) {
  must_put({{"k", "org-1/bot-1"}}, scope("org-1", "bot-1"));
  must_put({{"k", "org-2/bot-1"}}, scope("org-2", "bot-1"));
  must_put({{"k", "org-1/bot-2"}}, scope("org-1", "bot-2"));
  EXPECT_EQ(found({"k"}, scope("org-1", "bot-1")), (KvEntries{{"k", "org-1/bot-1"}}));
  EXPECT_EQ(found({"k"}, scope("org-2", "bot-1")), (KvEntries{{"k", "org-2/bot-1"}}));
  EXPECT_EQ(found({"k"}, scope("org-1", "bot-2")), (KvEntries{{"k", "org-1/bot-2"}}));
  EXPECT_TRUE(found({"k"}, scope("org-3", "bot-1")).empty());
  ASSERT_TRUE(erase({"k"}, scope("org-2", "bot-1")).ok());
  EXPECT_TRUE(found({"k"}, scope("org-2", "bot-1")).empty());
  EXPECT_EQ(found({"k"}, scope("org-1", "bot-1")), (KvEntries{{"k", "org-1/bot-1"}}));
}

TEST_P(KvStoreConformance, SeparatorsInNamesNeverMergeTwoScopes) {
  // A naive "org#bot#key" encoding would make these three one entry.
  must_put({{"c#d", 1}}, scope("a#b", "x"));
  must_put({{"d", 2}}, scope("a#b", "x#c"));
  must_put({{"b#x#c#d", 3}}, scope("a", "x"));
  EXPECT_EQ(found({"c#d", "d", "b#x#c#d"}, scope("a#b", "x")), (KvEntries{{"c#d", 1}}));
  EXPECT_EQ(found({"c#d", "d", "b#x#c#d"}, scope("a#b", "x#c")), (KvEntries{{"d", 2}}));
  EXPECT_EQ(found({"c#d", "d", "b#x#c#d"}, scope("a", "x")), (KvEntries{{"b#x#c#d", 3}}));
}

TEST_P(KvStoreConformance, KeysAndValuesAtTheirBoundsRoundTrip) {
  const std::string longest_key(kKvKeyBytesMax, 'k');
  const std::string unicode_key = "clé/ünïcode 🙂 with spaces";
  // A JSON string of exactly kKvValueBytesMax bytes once encoded (two quotes).
  const json biggest = std::string(kKvValueBytesMax - 2, 'v');
  must_put({{longest_key, biggest}, {unicode_key, "été"}});
  const auto entries = found({longest_key, unicode_key});
  ASSERT_EQ(entries.size(), 2U);
  EXPECT_EQ(entries.at(longest_key), biggest);
  EXPECT_EQ(entries.at(unicode_key), "été");
}

TEST_P(KvStoreConformance, OutOfBoundsCallsAreInvalidAndWriteNothing) {
  const auto refused = [&](KvEntries entries, const std::string& expected) {
    entries["valid"] = "must not be written";
    auto done = put(std::move(entries));
    ASSERT_FALSE(done.ok()) << "accepted: " << expected;
    EXPECT_EQ(done.error().code, Errc::invalid) << done.error().to_string();
    EXPECT_THAT(done.error().message, ::testing::HasSubstr(expected));
  };
  refused({{std::string(kKvKeyBytesMax + 1, 'k'), 1}}, "at most 512");
  refused({{std::string("nul\0key", 7), 1}}, "NUL");
  refused({{"\xff\xfe", 1}}, "UTF-8");
  refused({{"", 1}}, "empty key");
  refused({{"big", std::string(kKvValueBytesMax, 'v')}}, "at most 65536");
  refused({{"bad-text", std::string("\xc3\x28")}}, "UTF-8");
  KvEntries too_many;
  for (const auto& key : numbered_keys(kKvBatchMax)) too_many[key] = 1;
  refused(std::move(too_many), "at most 250");
  EXPECT_TRUE(found({"valid"}).empty());

  auto long_get = get({std::string(kKvKeyBytesMax + 1, 'k')});
  ASSERT_FALSE(long_get.ok());
  EXPECT_EQ(long_get.error().code, Errc::invalid);
  auto many_get = get(numbered_keys(kKvBatchMax + 1));
  ASSERT_FALSE(many_get.ok());
  EXPECT_EQ(many_get.error().code, Errc::invalid);
  auto bad_erase = erase({""});
  ASSERT_FALSE(bad_erase.ok());
  EXPECT_EQ(bad_erase.error().code, Errc::invalid);
  auto no_org = get({"a"}, scope("", "bot-1"));
  ASSERT_FALSE(no_org.ok());
  EXPECT_EQ(no_org.error().code, Errc::invalid);
  auto long_bot = put({{"a", 1}}, scope("org-1", std::string(kKvScopeBytesMax + 1, 'b')));
  ASSERT_FALSE(long_bot.ok());
  EXPECT_EQ(long_bot.error().code, Errc::invalid);
}

// More than DynamoDB takes in one BatchGetItem (100 keys) or BatchWriteItem (25 writes):
// the adapter splits the call, the caller never sees it.
TEST_P(KvStoreConformance, BatchesLargerThanDynamoDbLimitsWork) {
  const auto keys = numbered_keys(kKvBatchMax);
  KvEntries entries;
  for (std::size_t i = 0; i < keys.size(); ++i) entries[keys[i]] = json{{"i", i}, {"pad", std::string(1000, 'p')}};
  must_put(entries);
  EXPECT_EQ(found(keys), entries);
  std::vector<std::string> first_half(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(keys.size() / 2));
  auto erased = erase(first_half);
  ASSERT_TRUE(erased.ok()) << erased.error().to_string();
  const auto rest = found(keys);
  EXPECT_EQ(rest.size(), keys.size() - first_half.size());
  EXPECT_EQ(rest.count(first_half.front()), 0U);
  EXPECT_EQ(rest.count(keys.back()), 1U);
}

}  // namespace agentrt::conformance
