#include "serve/config_watcher.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "backends/memory/memory_kv_store.hpp"
#include "core/ports/conformance/session_store_fixture.hpp"
#include "serve/config_version_key.hpp"

#include "core/model/scratch_dir.hpp"
#include "serve/config_reload.hpp"

namespace agentrt::serve {
namespace {

using ::testing::HasSubstr;

std::string definition(const std::string& system) {
  return "name: helper\nversion: 1\nmodel:\n  provider: scripted\n  script: replies.yaml\nsystem: " + system + "\n";
}

// A serve.yaml with one bot and one org, loaded from disk as `agentrt serve` does (no
// variables, no flags); each check() reads the files again.
class ConfigWatcherTest : public ::testing::Test {
 protected:
  ConfigWatcherTest() {
    write("replies.yaml", "turns:\n  - replies:\n      - content: hi\n");
    write("helper.yaml", definition("first"));
    write("serve.yaml", serve_yaml("quotas: {}"));
  }

  static std::string serve_yaml(const std::string& dispatch_extra, const std::string& more = "") {
    return "listen: 127.0.0.1:0\nbots: {helper: helper.yaml}\norgs: {acme: {token_env: ACME_TOKEN}}\n"
           "dispatch: {max_active_sessions: 8" +
           (dispatch_extra == "quotas: {}" ? std::string() : ", " + dispatch_extra) + "}\n" + more;
  }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_.path() / name, std::ios::binary) << text;
  }

  Result<ServeConfig> load() {
    ServeConfig config;
    if (auto loaded = load_serve_config_file((dir_.path() / "serve.yaml").string(), config); !loaded) return loaded.error();
    return config;
  }

  // A watcher over the files as they are now, recording what it applies.
  std::unique_ptr<ConfigWatcher> watcher() {
    auto running = load();
    EXPECT_TRUE(running.ok()) << (running.ok() ? "" : running.error().message);
    auto bots = load_bot_definitions(*running);
    EXPECT_TRUE(bots.ok()) << (bots.ok() ? "" : bots.error().message);
    return std::make_unique<ConfigWatcher>(
        ioc_.get_executor(), [this] { return load(); }, *running, *bots,
        [this](const ServeConfig& next, BotDefinitions loaded, const std::string& what) {
          applied_config_ = next;
          applied_bots_ = std::move(loaded);
          applied_what_ = what;
        });
  }

  // Runs what the watcher posted to the event loop.
  void run_posted() {
    ioc_.restart();
    ioc_.poll();
  }

  ScratchDir dir_{"agentrt-config-watcher"};
  boost::asio::io_context ioc_;
  std::optional<ServeConfig> applied_config_;
  BotDefinitions applied_bots_;
  std::string applied_what_;
};

TEST_F(ConfigWatcherTest, NothingChangedAppliesNothing) {
  auto w = watcher();
  write("serve.yaml", serve_yaml("quotas: {}"));  // saved again, same content
  w->check();
  run_posted();
  EXPECT_FALSE(applied_config_.has_value());
  EXPECT_EQ(w->applied(), 0u);
  EXPECT_EQ(w->refused(), 0u);
}

TEST_F(ConfigWatcherTest, AChangedDefinitionIsAppliedOnTheEventLoop) {
  auto w = watcher();
  write("helper.yaml", definition("second"));
  w->check();
  EXPECT_FALSE(applied_config_.has_value()) << "applied off the event loop";
  // Counted only once applied: a client that sees the count may rely on the new definition.
  EXPECT_EQ(w->applied(), 0u);
  run_posted();
  ASSERT_TRUE(applied_config_.has_value());
  EXPECT_EQ(applied_bots_.at("helper").system, "second");
  EXPECT_THAT(applied_what_, HasSubstr("bot helper: definition "));
  EXPECT_EQ(w->applied(), 1u);
  applied_config_.reset();
  w->check();  // the new files are now the running ones
  run_posted();
  EXPECT_FALSE(applied_config_.has_value());
}

TEST_F(ConfigWatcherTest, QuotasLogLevelAndNewBotsAreApplied) {
  auto w = watcher();
  write("other.yaml", definition("other"));
  write("serve.yaml", "listen: 127.0.0.1:0\nbots: {helper: helper.yaml, other: other.yaml}\n"
                      "orgs: {acme: {token_env: ACME_TOKEN}}\n"
                      "dispatch: {max_active_sessions: 8, org_quotas: {acme: 3}}\nlog_level: debug\n");
  w->check();
  run_posted();
  ASSERT_TRUE(applied_config_.has_value());
  EXPECT_EQ(applied_config_->org_quotas.at("acme"), 3u);
  EXPECT_EQ(applied_config_->log_level, "debug");
  EXPECT_TRUE(applied_bots_.contains("other"));
  EXPECT_THAT(applied_what_, HasSubstr("bot other added"));
  EXPECT_THAT(applied_what_, HasSubstr("org_quotas"));
  EXPECT_THAT(applied_what_, HasSubstr("log_level debug"));
}

TEST_F(ConfigWatcherTest, ABadFileIsRefusedOnceAndTheNextGoodOneApplies) {
  auto w = watcher();
  write("serve.yaml", "listen: [unclosed\n");
  w->check();
  w->check();  // the same problem: not counted (nor logged) again
  run_posted();
  EXPECT_FALSE(applied_config_.has_value());
  EXPECT_EQ(w->refused(), 1u);

  write("serve.yaml", serve_yaml("quotas: {}"));
  write("helper.yaml", "name: helper\nversion: 1\nmodel: {provider: nonsense}\n");  // a bad definition
  w->check();
  run_posted();
  EXPECT_FALSE(applied_config_.has_value());
  EXPECT_EQ(w->refused(), 2u);

  write("helper.yaml", definition("fixed"));
  w->check();
  run_posted();
  ASSERT_TRUE(applied_config_.has_value());
  EXPECT_EQ(applied_bots_.at("helper").system, "fixed");
}

TEST_F(ConfigWatcherTest, AChangeOnlyARestartCanMakeRefusesTheWholeReload) {
  auto w = watcher();
  write("helper.yaml", definition("second"));
  write("serve.yaml", serve_yaml("quotas: {}") + "db: elsewhere.db\nlease: {ttl: 30s, heartbeat: 5s}\n");
  w->check();
  run_posted();
  EXPECT_FALSE(applied_config_.has_value()) << "the definition change must wait with the rest";
  EXPECT_EQ(w->refused(), 1u);
}

TEST(RestartOnlyChanges, NamesEachKeyThatNeedsARestart) {
  ServeConfig a;
  ServeConfig b = a;
  EXPECT_TRUE(restart_only_changes(a, b).empty());
  b.bots["x"] = "x.yaml";
  b.org_quotas["acme"] = 2;
  b.log_level = "debug";
  EXPECT_TRUE(restart_only_changes(a, b).empty()) << "these reload";
  b.listen_port = 9999;
  b.orgs.push_back({"acme", "ACME_TOKEN", ""});
  b.tracing.sampling_ratio = 0.5;
  EXPECT_EQ(restart_only_changes(a, b), (std::vector<std::string>{"listen", "orgs", "tracing"}));
}

TEST(RestartOnlyChanges, TheVersionKeyAndTheRedisKvCacheNeedARestart) {
  ServeConfig a;
  ServeConfig b = a;
  b.config_version_key = ConfigVersionKey{"ops", "helpdesk", "version"};
  b.redis.kv_cache = false;
  EXPECT_EQ(restart_only_changes(a, b), (std::vector<std::string>{"config_version_key", "redis"}));
}

TEST(RestartOnlyChanges, KafkaRoutesReloadButNotTheirTopics) {
  ServeConfig a;
  a.kafka.brokers = "127.0.0.1:9092";
  a.kafka.dead_letter_topic = "dlq";
  a.kafka.routes = {{"tickets", "acme", "", "key", "ticket_updated"}};
  ServeConfig b = a;
  b.kafka.routes[0].signal = "ticket_changed";
  b.kafka.routes[0].session_from = "header:session";
  EXPECT_TRUE(restart_only_changes(a, b).empty());
  EXPECT_THAT(describe_reload(a, {}, b, {}), HasSubstr("kafka.routes"));
  b.kafka.routes.push_back({"approvals", "acme", "", "key", "approval"});
  EXPECT_EQ(restart_only_changes(a, b), (std::vector<std::string>{"kafka.routes (their topics)"}));
  b = a;
  b.kafka.group_id = "other";
  EXPECT_EQ(restart_only_changes(a, b), (std::vector<std::string>{"kafka"}));
}

TEST_F(ConfigWatcherTest, TheThreadChecksEveryIntervalAndOnRequest) {
  auto w = watcher();
  w->start(std::chrono::milliseconds(0));  // only on request
  write("helper.yaml", definition("asked"));
  w->check_now();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!applied_config_ && std::chrono::steady_clock::now() < deadline) {
    ioc_.restart();
    ioc_.run_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(applied_config_.has_value());
  EXPECT_EQ(applied_bots_.at("helper").system, "asked");
  w->stop();
}

// The memory KV, with reads counted and failing while `failing` is set.
class FlakyKv final : public KvStore {
 public:
  explicit FlakyKv(KvStore& inner) : inner_(inner) {}
  int reads = 0;
  bool failing = false;
  boost::asio::awaitable<Result<KvEntries>> get_many(KvScope scope, std::vector<std::string> keys) override {
    ++reads;
    if (failing) co_return Error{Errc::retryable, "kv get: store unavailable"};
    co_return co_await inner_.get_many(std::move(scope), std::move(keys));
  }
  boost::asio::awaitable<Result<void>> put_many(KvScope scope, KvEntries entries) override {
    return inner_.put_many(std::move(scope), std::move(entries));
  }
  boost::asio::awaitable<Result<void>> erase_many(KvScope scope, std::vector<std::string> keys) override {
    return inner_.erase_many(std::move(scope), std::move(keys));
  }

 private:
  KvStore& inner_;
};

TEST(ConfigVersionPoller, CallsOnlyWhenTheValueChangesAndGoesOnAfterFailedReads) {
  using std::chrono::milliseconds;
  boost::asio::io_context io;
  auto memory = make_memory_kv_store();
  FlakyKv kv(*memory);
  const KvScope scope{OrgId{"ops"}, BotId{"fleet"}};
  const auto set_version = [&](nlohmann::json value) {
    ASSERT_TRUE(conformance::run_awaitable(memory->put_many(scope, KvEntries{{"version", std::move(value)}})).ok());
  };
  const auto run_until = [&io](const std::function<bool()>& done) {
    for (int i = 0; i < 500 && !done(); ++i) io.run_for(milliseconds{10});
    return done();
  };
  std::vector<nlohmann::json> seen;
  ConfigVersionPoller poller(io.get_executor(), kv, ConfigVersionKey{"ops", "fleet", "version"}, milliseconds{5},
                             [&seen](const nlohmann::json& value) { seen.push_back(value); });
  poller.start();
  ASSERT_TRUE(run_until([&] { return kv.reads >= 3; }));
  EXPECT_TRUE(seen.empty()) << "the first read is the baseline, and nothing changed since";

  set_version(1);
  ASSERT_TRUE(run_until([&] { return !seen.empty(); }));
  EXPECT_EQ(seen, (std::vector<nlohmann::json>{1}));
  const int reads = kv.reads;
  ASSERT_TRUE(run_until([&] { return kv.reads >= reads + 3; }));
  EXPECT_EQ(seen.size(), 1U) << "the same value again is no change";

  kv.failing = true;
  set_version("two");
  const int failed_from = kv.reads;
  ASSERT_TRUE(run_until([&] { return kv.reads >= failed_from + 3; }));
  EXPECT_EQ(seen.size(), 1U) << "a failed read is no change";
  kv.failing = false;
  ASSERT_TRUE(run_until([&] { return seen.size() == 2; })) << "polling goes on after failures";
  EXPECT_EQ(seen[1], "two");

  poller.stop();
  io.run_for(milliseconds{500});
  EXPECT_TRUE(io.stopped()) << "after stop() the poll loop ends: nothing keeps the io_context running";
}


}  // namespace
}  // namespace agentrt::serve
