#include "serve/serve_config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "core/model/scratch_dir.hpp"

namespace agentrt::serve {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::testing::Not;

// A fresh folder per test, removed with everything in it, with a helper to write files.
class TempDir {
 public:
  [[nodiscard]] const std::filesystem::path& path() const { return dir_.path(); }
  std::string write(const std::string& name, const std::string& text) const {
    const auto file = dir_.path() / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
    return file.string();
  }

 private:
  ScratchDir dir_{"agentrt-serve-config"};
};

// An environment made of a map, so no test touches the process's variables.
EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

class ServeConfigFileTest : public ::testing::Test {
 protected:
  // Loads `text` written to serve.yaml; the config is kept in config_.
  Result<void> load(const std::string& text) {
    path_ = dir_.write("serve.yaml", text);
    return load_serve_config_file(path_, config_);
  }
  // The error message of a config that must not load (and is Errc::invalid).
  std::string error_of(const std::string& text) {
    auto loaded = load(text);
    EXPECT_FALSE(loaded.ok()) << "loaded but should not:\n" << text;
    if (loaded.ok()) return {};
    EXPECT_EQ(loaded.error().code, Errc::invalid);
    return loaded.error().message;
  }

  TempDir dir_;
  std::string path_;
  ServeConfig config_;
};

TEST_F(ServeConfigFileTest, ReadsEveryKey) {
  const auto loaded = load(
      "listen: 0.0.0.0:9090\n"
      "db: /var/lib/agentrt/agentrt.db\n"
      "worker_id: w-1\n"
      "lease: {ttl: 30s, heartbeat: 5s}\n"
      "dispatch:\n"
      "  max_active_sessions: 10\n"
      "  poll_interval: 50ms\n"
      "  org_quotas: {acme: 4}\n"
      "shutdown: {grace: 1m}\n"
      "http: {max_body_bytes: 4096}\n"
      "bots: {helpdesk: /agents/helpdesk.yaml}\n"
      "orgs:\n"
      "  acme: {token_env: ACME_TOKEN}\n"
      "  globex: {token_sha256: " +
      std::string(64, 'a') +
      "}\n"
      "llm: {base_url: 'http://127.0.0.1:1/v1', provider: openai, model: m, api_key_env: KEY}\n");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(config_.listen_host, "0.0.0.0");
  EXPECT_EQ(config_.listen_port, 9090);
  EXPECT_EQ(config_.db_path, "/var/lib/agentrt/agentrt.db");
  EXPECT_EQ(config_.worker_id, "w-1");
  EXPECT_EQ(config_.lease.ttl, milliseconds{30'000});
  EXPECT_EQ(config_.lease.heartbeat, milliseconds{5'000});
  EXPECT_EQ(config_.max_active_sessions, 10U);
  EXPECT_EQ(config_.poll_interval, milliseconds{50});
  EXPECT_EQ(config_.org_quotas, (std::map<std::string, std::size_t>{{"acme", 4}}));
  EXPECT_EQ(config_.shutdown_grace, milliseconds{60'000});
  EXPECT_EQ(config_.max_body_bytes, 4096U);
  EXPECT_EQ(config_.bots, (std::map<std::string, std::string>{{"helpdesk", "/agents/helpdesk.yaml"}}));
  ASSERT_EQ(config_.orgs.size(), 2U);
  EXPECT_EQ(config_.orgs[0].org, "acme");
  EXPECT_EQ(config_.orgs[0].token_env, "ACME_TOKEN");
  EXPECT_EQ(config_.orgs[0].token_sha256, "");
  EXPECT_EQ(config_.orgs[1].org, "globex");
  EXPECT_EQ(config_.orgs[1].token_sha256, std::string(64, 'a'));
  EXPECT_EQ(config_.llm.base_url, "http://127.0.0.1:1/v1");
  EXPECT_EQ(config_.llm.provider, "openai");
  EXPECT_EQ(config_.llm.model, "m");
  EXPECT_EQ(config_.llm.api_key_env, "KEY");
  EXPECT_EQ(config_.config_path, path_);
  EXPECT_TRUE(check_serve_config(config_).ok());
}

TEST_F(ServeConfigFileTest, AnEmptyFileKeepsTheDefaults) {
  for (const std::string empty : {"", "\n  \n", "# only a comment\n---\n  # another\n...\n"}) {
    SCOPED_TRACE(empty);
    const auto loaded = load(empty);
    EXPECT_TRUE(loaded.ok()) << loaded.error().message;
  }
  // The check then asks for what has no default.
  EXPECT_THAT(check_serve_config(config_).error().message, HasSubstr("no orgs"));
  ASSERT_TRUE(load("--- {listen: 127.0.0.1:9}\n").ok()) << "a marker with content on its line is not blank";
  EXPECT_EQ(config_.listen_port, 9);
  config_ = ServeConfig{};
  ASSERT_TRUE(load("").ok());
  const ServeConfig defaults;
  EXPECT_EQ(config_.listen_host, defaults.listen_host);
  EXPECT_EQ(config_.listen_port, defaults.listen_port);
  EXPECT_EQ(config_.db_path, defaults.db_path);
  EXPECT_EQ(config_.lease.ttl, defaults.lease.ttl);
  EXPECT_EQ(config_.max_body_bytes, defaults.max_body_bytes);
  EXPECT_EQ(config_.shutdown_grace, defaults.shutdown_grace);
  EXPECT_TRUE(config_.orgs.empty());
}

TEST_F(ServeConfigFileTest, UnknownTopLevelKeyNamesFileLineColumnAndSuggests) {
  const auto message = error_of("listen: 127.0.0.1:0\nlisen: 127.0.0.1:1\n");
  EXPECT_THAT(message, HasSubstr(path_ + ":2:1: unknown key \"lisen\" (did you mean \"listen\"?)")) << message;
}

TEST_F(ServeConfigFileTest, UnknownNestedKeyNamesItsParentAndSuggests) {
  const auto message = error_of("lease:\n  ttl: 10s\n  heartbaet: 3s\n");
  EXPECT_THAT(message, HasSubstr(path_ + ":3:3: lease: unknown key \"heartbaet\" (did you mean \"heartbeat\"?)"))
      << message;
  const auto org_key = error_of("orgs:\n  acme: {token_evn: ACME_TOKEN}\n");
  EXPECT_THAT(org_key, HasSubstr(":2:10: orgs.acme: unknown key \"token_evn\" (did you mean \"token_env\"?)")) << org_key;
  const auto far = error_of("http: {body: 1}\n");
  EXPECT_THAT(far, HasSubstr("http: unknown key \"body\" (expected one of: max_body_bytes)")) << far;
}

TEST_F(ServeConfigFileTest, EveryProblemIsReportedInFileOrder) {
  const auto message = error_of("listen: 5\nlease: {ttl: soon}\nhttp: {max_body_bytes: 1}\n");
  const auto first = message.find(":1:");
  const auto second = message.find(":2:");
  const auto third = message.find(":3:");
  ASSERT_NE(first, std::string::npos) << message;
  ASSERT_NE(second, std::string::npos) << message;
  ASSERT_NE(third, std::string::npos) << message;
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
}

// One bad value per key: each message names the key's path, its line, what was expected and
// what was found.
TEST_F(ServeConfigFileTest, EveryBadValueTypeIsNamed) {
  struct Case {
    std::string yaml;
    std::string expected;
  };
  const Case cases[] = {
      {"listen: 8080\n", ":1:9: listen: expected host:port such as 127.0.0.1:8080, got number 8080"},
      {"listen: localhost\n", ":1:9: listen: expected host:port such as 127.0.0.1:8080, got \"localhost\""},
      {"listen: 127.0.0.1:70000\n", "listen: expected host:port"},
      {"listen: 127.0.0.1:http\n", "listen: expected host:port"},
      {"listen: ':80'\n", "listen: expected host:port"},
      {"db: [a]\n", ":1:5: db: expected a database file path, got a list"},
      {"worker_id: 7\n", ":1:12: worker_id: expected 1 to 64 characters"},
      {"lease: 10s\n", ":1:8: lease: expected a mapping with ttl and heartbeat, got string \"10s\""},
      {"lease: {ttl: soon}\n", "lease.ttl: expected a duration > 0"},
      {"lease: {heartbeat: 0}\n", "lease.heartbeat: expected a duration > 0"},
      {"lease: {ttl: -5s}\n", "lease.ttl: expected a duration > 0"},
      {"dispatch: 3\n", "dispatch: expected a mapping, got number 3"},
      {"dispatch: {max_active_sessions: -1}\n", "dispatch.max_active_sessions: expected an integer from 0 to 100000, got number -1"},
      {"dispatch: {max_active_sessions: many}\n", "dispatch.max_active_sessions: expected an integer from 0 to 100000"},
      {"dispatch: {max_active_sessions: 2.5}\n", "dispatch.max_active_sessions: expected an integer from 0 to 100000"},
      {"dispatch: {poll_interval: often}\n", "dispatch.poll_interval: expected a duration > 0"},
      {"dispatch: {org_quotas: [acme]}\n", "dispatch.org_quotas: expected a mapping of org id to a number of sessions"},
      {"dispatch: {org_quotas: {acme: lots}}\n", "dispatch.org_quotas.acme: expected an integer from 1 to 100000"},
      {"dispatch: {org_quotas: {acme: 0}}\n", "dispatch.org_quotas.acme: expected an integer from 1 to 100000"},
      {"dispatch: {org_quotas: {'bad org': 1}}\n", "org id must be 1 to 64 characters of [A-Za-z0-9_.-]"},
      {"shutdown: 20s\n", "shutdown: expected a mapping with grace, got string \"20s\""},
      {"shutdown: {grace: never}\n", "shutdown.grace: expected a duration > 0"},
      {"http: 1\n", "http: expected a mapping with max_body_bytes, got number 1"},
      {"http: {max_body_bytes: 1023}\n", "http.max_body_bytes: expected an integer from 1024 to 67108864, got number 1023"},
      {"http: {max_body_bytes: 1MB}\n", "http.max_body_bytes: expected an integer from 1024 to 67108864"},
      {"http: {max_body_bytes: 67108865}\n", "http.max_body_bytes: expected an integer from 1024 to 67108864"},
      {"bots: agent.yaml\n", "bots: expected a mapping of bot name to a definition file, got string"},
      {"bots: {helpdesk: 3}\n", "bots.helpdesk: expected a definition file path, got number 3"},
      {"bots: {'help desk': a.yaml}\n", "bot name must be 1 to 64 characters of [A-Za-z0-9_.-]"},
      {"orgs: [acme]\n", "orgs: expected a mapping of org id to {token_env} or {token_sha256}, got a list"},
      {"orgs: {acme: ACME_TOKEN}\n", "orgs.acme: expected a mapping with token_env or token_sha256, got string"},
      {"orgs: {acme: {}}\n", "orgs.acme: give exactly one of token_env or token_sha256"},
      {"orgs: {acme: {token_env: A, token_sha256: " + std::string(64, 'a') + "}}\n",
       "orgs.acme: give exactly one of token_env or token_sha256"},
      {"orgs: {acme: {token_sha256: ABC}}\n", "orgs.acme.token_sha256: expected 64 lower-case hex digits"},
      {"orgs: {acme: {token_sha256: " + std::string(64, 'A') + "}}\n",
       "orgs.acme.token_sha256: expected 64 lower-case hex digits"},
      {"orgs: {acme: {token_env: 5}}\n", "orgs.acme.token_env: expected an environment variable name, got number 5"},
      {"orgs: {'a/b': {token_env: T}}\n", "org id must be 1 to 64 characters"},
      {"llm: openai\n", "llm: expected a mapping, got string \"openai\""},
      {"llm: {provider: 3}\n", "llm.provider: expected openai or scripted, got number 3"},
      {"llm: {base_url: [x]}\n", "llm.base_url: expected an http(s) URL, got a list"},
      {"[1, 2]\n", "expected a mapping of settings (listen, db, bots, orgs, ...), got a list"},
      {"just words\n", "expected a mapping of settings (listen, db, bots, orgs, ...), got a single value"},
      {"listen: [unclosed\n", "serve.yaml"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.yaml);
    ServeConfig fresh;
    config_ = fresh;
    const auto message = error_of(c.yaml);
    EXPECT_THAT(message, HasSubstr(c.expected));
    EXPECT_THAT(message, HasSubstr(path_)) << "every problem names the file";
  }
}

TEST_F(ServeConfigFileTest, ListenProblemNamesTheKeyOnce) {
  const auto message = error_of("listen: 127.0.0.1:x\n");
  EXPECT_THAT(message, HasSubstr(":1:9: listen: expected host:port")) << message;
  EXPECT_THAT(message, Not(HasSubstr("listen: listen:"))) << message;
}

TEST_F(ServeConfigFileTest, MissingFileIsNamed) {
  const auto missing = (dir_.path() / "nope.yaml").string();
  auto loaded = load_serve_config_file(missing, config_);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, Errc::invalid);
  EXPECT_THAT(loaded.error().message, HasSubstr(missing));
}

TEST_F(ServeConfigFileTest, RelativeBotAndDbPathsAreResolvedAgainstTheConfigFolder) {
  const auto file = dir_.write("deploy/serve.yaml",
                               "db: data/agentrt.db\n"
                               "bots: {a: agents/a.yaml, b: /abs/b.yaml}\n");
  ASSERT_TRUE(load_serve_config_file(file, config_).ok());
  const auto folder = (dir_.path() / "deploy").string();
  EXPECT_EQ(config_.db_path, folder + "/data/agentrt.db");
  EXPECT_EQ(config_.bots.at("a"), folder + "/agents/a.yaml");
  EXPECT_EQ(config_.bots.at("b"), "/abs/b.yaml");
}

TEST_F(ServeConfigFileTest, AConfigInTheWorkingFolderKeepsRelativePaths) {
  // "serve.yaml" has no folder part: its paths are already relative to the working folder.
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir_.path());
  dir_.write("serve.yaml", "db: x.db\nbots: {a: a.yaml}\n");
  const auto loaded = load_serve_config_file("serve.yaml", config_);
  std::filesystem::current_path(cwd);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(config_.db_path, "x.db");
  EXPECT_EQ(config_.bots.at("a"), "a.yaml");
}

// -- environment ------------------------------------------------------------------------------

TEST_F(ServeConfigFileTest, ReadsTheTracingBatchSettings) {
  ASSERT_TRUE(load("tracing:\n"
                   "  endpoint: http://127.0.0.1:4318/v1/traces\n"
                   "  max_batch: 2048\n"
                   "  max_queue: 16384\n"
                   "  export_interval: 500ms\n")
                  .ok());
  EXPECT_EQ(config_.tracing.max_batch, 2048);
  EXPECT_EQ(config_.tracing.max_queue, 16384);
  EXPECT_EQ(config_.tracing.export_interval, std::chrono::milliseconds(500));
  EXPECT_NE(error_of("tracing: {endpoint: http://127.0.0.1:4318/v1/traces, max_batch: 0}\n").find("tracing.max_batch"),
            std::string::npos);
  config_ = ServeConfig{};
  ASSERT_TRUE(load("tracing: {endpoint: http://127.0.0.1:4318/v1/traces, max_batch: 9000}\n").ok());
  const auto checked = check_tracing(config_.tracing, "config serve.yaml");  // as check_serve_config does
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.error().message.find("tracing.max_batch (9000) must not exceed tracing.max_queue (8192)"),
            std::string::npos);
}

TEST(ServeConfigEnv, EveryVariableOverridesTheFile) {
  TempDir dir;
  ServeConfig config;
  const auto file = dir.write("serve.yaml",
                              "listen: 127.0.0.1:1000\n"
                              "db: file.db\n"
                              "worker_id: from-file\n"
                              "lease: {ttl: 30s, heartbeat: 5s}\n"
                              "dispatch: {max_active_sessions: 5, poll_interval: 1s}\n"
                              "shutdown: {grace: 9s}\n"
                              "http: {max_body_bytes: 2048}\n"
                              "llm: {base_url: 'http://file/v1', provider: openai, model: file-model}\n");
  ASSERT_TRUE(load_serve_config_file(file, config).ok());
  const auto applied = apply_serve_env(env_of({{"AGENTRT_LISTEN", "0.0.0.0:2000"},
                                                {"AGENTRT_DB", "/env/agentrt.db"},
                                                {"AGENTRT_WORKER_ID", "from-env"},
                                                {"AGENTRT_LEASE_TTL", "40s"},
                                                {"AGENTRT_LEASE_HEARTBEAT", "4s"},
                                                {"AGENTRT_MAX_ACTIVE_SESSIONS", "7"},
                                                {"AGENTRT_POLL_INTERVAL", "20ms"},
                                                {"AGENTRT_SHUTDOWN_GRACE", "2s"},
                                                {"AGENTRT_MAX_BODY_BYTES", "8192"},
                                                {"AGENTRT_LLM_BASE_URL", "http://env/v1"},
                                                {"AGENTRT_LLM_PROVIDER", "scripted"},
                                                {"AGENTRT_LLM_MODEL", "env-model"}}),
                                        config);
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_EQ(config.listen_host, "0.0.0.0");
  EXPECT_EQ(config.listen_port, 2000);
  EXPECT_EQ(config.db_path, "/env/agentrt.db");
  EXPECT_EQ(config.worker_id, "from-env");
  EXPECT_EQ(config.lease.ttl, milliseconds{40'000});
  EXPECT_EQ(config.lease.heartbeat, milliseconds{4'000});
  EXPECT_EQ(config.max_active_sessions, 7U);
  EXPECT_EQ(config.poll_interval, milliseconds{20});
  EXPECT_EQ(config.shutdown_grace, milliseconds{2'000});
  EXPECT_EQ(config.max_body_bytes, 8192U);
  EXPECT_EQ(config.llm.base_url, "http://env/v1");
  EXPECT_EQ(config.llm.provider, "scripted");
  EXPECT_EQ(config.llm.model, "env-model");
}

TEST(ServeConfigEnv, MapSettingsReplaceTheFilesMaps) {
  TempDir dir;
  ServeConfig config;
  const auto file = dir.write("serve.yaml",
                              "bots: {old: old.yaml}\n"
                              "orgs: {acme: {token_env: ACME_TOKEN}}\n"
                              "dispatch: {max_active_sessions: 10, org_quotas: {acme: 2}}\n");
  ASSERT_TRUE(load_serve_config_file(file, config).ok());
  const std::string hash(64, 'a');
  const auto applied = apply_serve_env(env_of({{"AGENTRT_BOTS", "helpdesk=/defs/helpdesk.yaml,billing=billing.yaml"},
                                                {"AGENTRT_ORGS", "globex=GLOBEX_TOKEN,initech=sha256:" + hash},
                                                {"AGENTRT_ORG_QUOTAS", "globex=3"},
                                                {"AGENTRT_LLM_API_KEY_ENV", "SHARED_KEY"}}),
                                        config);
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_EQ(config.bots, (std::map<std::string, std::string>{{"billing", "billing.yaml"},
                                                             {"helpdesk", "/defs/helpdesk.yaml"}}));
  ASSERT_EQ(config.orgs.size(), 2U);
  EXPECT_EQ(config.orgs[0].org, "globex");
  EXPECT_EQ(config.orgs[0].token_env, "GLOBEX_TOKEN");
  EXPECT_EQ(config.orgs[1].org, "initech");
  EXPECT_EQ(config.orgs[1].token_sha256, hash);
  EXPECT_EQ(config.org_quotas, (std::map<std::string, std::size_t>{{"globex", 3}}));
  EXPECT_EQ(config.llm.api_key_env, "SHARED_KEY");
}

TEST(ServeConfigEnv, BadMapSettingsNameTheVariableAndWhatIsWrong) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"AGENTRT_BOTS", "helpdesk"},
      {"AGENTRT_BOTS", "a=x.yaml,a=y.yaml"},
      {"AGENTRT_BOTS", "bad name=x.yaml"},
      {"AGENTRT_ORGS", "acme="},
      {"AGENTRT_ORGS", "acme=sha256:xyz"},
      {"AGENTRT_ORG_QUOTAS", "acme=0"},
      {"AGENTRT_ORG_QUOTAS", "acme=many"},
  };
  for (const auto& [variable, value] : cases) {
    ServeConfig config;
    config.bots = {{"kept", "kept.yaml"}};
    const auto applied = apply_serve_env(env_of({{variable, value}}), config);
    ASSERT_FALSE(applied.ok()) << variable << "=" << value;
    EXPECT_EQ(applied.error().code, Errc::invalid);
    EXPECT_NE(applied.error().message.find(variable), std::string::npos) << applied.error().message;
    EXPECT_EQ(config.bots.count("kept"), 1U) << "a refused value changes nothing";
  }
}

TEST(ServeConfigEnv, UnsetVariablesChangeNothing) {
  ServeConfig config;
  config.listen_port = 1234;
  config.db_path = "kept.db";
  ASSERT_TRUE(apply_serve_env(env_of({}), config).ok());
  EXPECT_EQ(config.listen_port, 1234);
  EXPECT_EQ(config.db_path, "kept.db");
}

TEST(ServeConfigEnv, ABadValueNamesTheVariableAndTheValue) {
  struct Case {
    std::string variable;
    std::string value;
    std::string expected;
  };
  const Case cases[] = {
      {"AGENTRT_LISTEN", "nowhere", "AGENTRT_LISTEN: expected host:port such as 127.0.0.1:8080, got \"nowhere\""},
      {"AGENTRT_LISTEN", "127.0.0.1:99999", "AGENTRT_LISTEN: expected host:port"},
      {"AGENTRT_LEASE_TTL", "forever", "AGENTRT_LEASE_TTL: expected a duration > 0"},
      {"AGENTRT_LEASE_HEARTBEAT", "0s", "AGENTRT_LEASE_HEARTBEAT: expected a duration > 0"},
      {"AGENTRT_POLL_INTERVAL", "-1s", "AGENTRT_POLL_INTERVAL: expected a duration > 0"},
      {"AGENTRT_SHUTDOWN_GRACE", "x", "AGENTRT_SHUTDOWN_GRACE: expected a duration > 0"},
      {"AGENTRT_MAX_ACTIVE_SESSIONS", "-1", "AGENTRT_MAX_ACTIVE_SESSIONS: expected an integer from 0 to 100000, got \"-1\""},
      {"AGENTRT_MAX_ACTIVE_SESSIONS", "12abc", "AGENTRT_MAX_ACTIVE_SESSIONS: expected an integer from 0 to 100000"},
      {"AGENTRT_MAX_ACTIVE_SESSIONS", "100001", "AGENTRT_MAX_ACTIVE_SESSIONS: expected an integer from 0 to 100000"},
      {"AGENTRT_MAX_BODY_BYTES", "lots", "AGENTRT_MAX_BODY_BYTES: expected an integer from"},
      {"AGENTRT_MAX_BODY_BYTES", "1023", "AGENTRT_MAX_BODY_BYTES: expected an integer from 1024 to 67108864"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.variable + "=" + c.value);
    ServeConfig config;
    const auto applied = apply_serve_env(env_of({{c.variable, c.value}}), config);
    ASSERT_FALSE(applied.ok());
    EXPECT_EQ(applied.error().code, Errc::invalid);
    EXPECT_THAT(applied.error().message, HasSubstr(c.expected));
  }
}

TEST(ServeConfigEnv, ProcessEnvTreatsAnEmptyVariableAsUnset) {
  const auto env = process_env();
  EXPECT_FALSE(env("AGENTRT_SERVE_CONFIG_TEST_SURELY_UNSET").has_value());
  ASSERT_TRUE(env("PATH").has_value());
}

// -- check_serve_config -----------------------------------------------------------------------

ServeConfig valid_config() {
  ServeConfig config;
  config.orgs.push_back(OrgAccess{"acme", "ACME_TOKEN", ""});
  return config;
}

std::string check_error(const ServeConfig& config) {
  const auto checked = check_serve_config(config);
  EXPECT_FALSE(checked.ok());
  if (checked.ok()) return {};
  EXPECT_EQ(checked.error().code, Errc::invalid);
  return checked.error().message;
}

TEST(CheckServeConfig, TheDefaultsWithOneOrgAreValid) {
  const auto checked = check_serve_config(valid_config());
  EXPECT_TRUE(checked.ok()) << checked.error().message;
}

TEST(CheckServeConfig, HeartbeatMustBeAtMostHalfTheTtl) {
  auto config = valid_config();
  config.lease = LeaseTiming{milliseconds{10'000}, milliseconds{5'000}};
  EXPECT_TRUE(check_serve_config(config).ok());
  config.lease.heartbeat = milliseconds{5'001};
  EXPECT_THAT(check_error(config), HasSubstr("lease.heartbeat (5001 ms) must be at most half of lease.ttl (10000 ms)"));
}

TEST(CheckServeConfig, WorkerIdMustBeAnId) {
  auto config = valid_config();
  config.worker_id = "worker one";
  EXPECT_THAT(check_error(config), HasSubstr("worker_id must be 1 to 64 characters of [A-Za-z0-9_.-]"));
  config.worker_id = "w-1";
  EXPECT_TRUE(check_serve_config(config).ok());
}

TEST(CheckServeConfig, AnOrgQuotaCannotExceedTheWorkerBound) {
  auto config = valid_config();
  config.max_active_sessions = 4;
  config.org_quotas["acme"] = 4;
  EXPECT_TRUE(check_serve_config(config).ok());
  config.org_quotas["acme"] = 5;
  EXPECT_THAT(check_error(config), HasSubstr("dispatch.org_quotas.acme (5) is above dispatch.max_active_sessions (4)"));
}

TEST(CheckServeConfig, AtLeastOneOrgIsNeeded) {
  ServeConfig config;
  EXPECT_THAT(check_error(config), HasSubstr("no orgs"));
}

TEST(CheckServeConfig, AnEmptyListenHostIsRefused) {
  auto config = valid_config();
  config.listen_host.clear();
  EXPECT_THAT(check_error(config), HasSubstr("listen host is empty"));
}

TEST(CheckServeConfig, MessagesNameTheConfigFile) {
  auto config = valid_config();
  config.orgs.clear();
  config.config_path = "/etc/agentrt/serve.yaml";
  EXPECT_THAT(check_error(config), HasSubstr("config /etc/agentrt/serve.yaml: "));
}

// -- parse_listen -----------------------------------------------------------------------------

TEST(ParseListen, AcceptsHostAndPortIncludingZero) {
  ServeConfig config;
  ASSERT_TRUE(parse_listen("10.0.0.1:0", "--listen", config).ok());
  EXPECT_EQ(config.listen_host, "10.0.0.1");
  EXPECT_EQ(config.listen_port, 0);
  ASSERT_TRUE(parse_listen("localhost:65535", "--listen", config).ok());
  EXPECT_EQ(config.listen_host, "localhost");
  EXPECT_EQ(config.listen_port, 65535);
}

TEST(ParseListen, RefusesWhatIsNotHostColonPortAndLeavesTheConfig) {
  for (const std::string bad : {"", ":", "host", "host:", ":80", "host:-1", "host:65536", "host:8o", "host: 80", "host:+80"}) {
    SCOPED_TRACE(bad);
    ServeConfig config;
    const auto parsed = parse_listen(bad, "--listen", config);
    ASSERT_FALSE(parsed.ok());
    EXPECT_THAT(parsed.error().message, HasSubstr("--listen: expected host:port"));
    EXPECT_EQ(config.listen_host, ServeConfig{}.listen_host);
    EXPECT_EQ(config.listen_port, ServeConfig{}.listen_port);
  }
}

// -- grpc.listen ------------------------------------------------------------------------------

TEST(ParseGrpcListen, GrpcIsOffByDefaultAndOffTurnsItOffAgain) {
  ServeConfig config;
  EXPECT_EQ(config.grpc_listen_host, "");
  ASSERT_TRUE(parse_grpc_listen("127.0.0.1:0", "--grpc-listen", config).ok());
  EXPECT_EQ(config.grpc_listen_host, "127.0.0.1");
  EXPECT_EQ(config.grpc_listen_port, 0);
  ASSERT_TRUE(parse_grpc_listen("off", "--grpc-listen", config).ok());
  EXPECT_EQ(config.grpc_listen_host, "");
}

TEST(ParseGrpcListen, RefusesWhatIsNotHostColonPortAndNamesWhere) {
  for (const std::string bad : {"", "on", "host:", ":50051", "host:65536"}) {
    SCOPED_TRACE(bad);
    ServeConfig config;
    const auto parsed = parse_grpc_listen(bad, "AGENTRT_GRPC_LISTEN", config);
    ASSERT_FALSE(parsed.ok());
    EXPECT_THAT(parsed.error().message, HasSubstr("AGENTRT_GRPC_LISTEN: expected host:port such as 127.0.0.1:50051, or off"));
    EXPECT_EQ(config.grpc_listen_host, "");
  }
}

TEST(ServeConfigGrpc, TheFileSetsItAndTheVariableOverridesIt) {
  TempDir dir;
  ServeConfig config;
  const auto file = dir.write("serve.yaml", "grpc: {listen: '127.0.0.1:50051'}\n");
  ASSERT_TRUE(load_serve_config_file(file, config).ok());
  EXPECT_EQ(config.grpc_listen_host, "127.0.0.1");
  EXPECT_EQ(config.grpc_listen_port, 50051);
  ASSERT_TRUE(apply_serve_env(env_of({{"AGENTRT_GRPC_LISTEN", "0.0.0.0:7000"}}), config).ok());
  EXPECT_EQ(config.grpc_listen_host, "0.0.0.0");
  EXPECT_EQ(config.grpc_listen_port, 7000);
  ASSERT_TRUE(apply_serve_env(env_of({{"AGENTRT_GRPC_LISTEN", "off"}}), config).ok());
  EXPECT_EQ(config.grpc_listen_host, "");
}

TEST(ServeConfigGrpc, ABadFileValueAndAnUnknownKeyAreNamed) {
  TempDir dir;
  ServeConfig config;
  const auto bad = load_serve_config_file(dir.write("a.yaml", "grpc: {listen: nowhere}\n"), config);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message, HasSubstr("grpc.listen"));
  EXPECT_THAT(bad.error().message, HasSubstr("127.0.0.1:50051"));
  const auto unknown = load_serve_config_file(dir.write("b.yaml", "grpc: {lisen: '127.0.0.1:1'}\n"), config);
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.error().message, HasSubstr("lisen"));
}

}  // namespace
}  // namespace agentrt::serve

namespace agentrt::serve {
namespace {

TEST_F(ServeConfigFileTest, ReadsTheObservabilityKeys) {
  ASSERT_TRUE(load("metrics: {org_labels: false}\nlog_level: debug\nadmin_token_env: OPS_TOKEN\n").ok());
  EXPECT_FALSE(config_.metrics_org_labels);
  EXPECT_EQ(config_.log_level, "debug");
  EXPECT_EQ(config_.admin_token_env, "OPS_TOKEN");
  ServeConfig defaults;
  EXPECT_TRUE(defaults.metrics_org_labels) << "org labels are on by default";
  EXPECT_TRUE(defaults.admin_token_env.empty()) << "no admin API by default";
}

TEST_F(ServeConfigFileTest, ABadLogLevelOrMetricsKeyIsNamed) {
  EXPECT_NE(error_of("log_level: loud\n").find("log_level: expected trace, debug, info, warn"), std::string::npos);
  EXPECT_NE(error_of("metrics: {org_label: false}\n").find("org_label"), std::string::npos);
}

TEST(ServeConfigEnv, LogLevelAndAdminTokenVariables) {
  ServeConfig config;
  const EnvLookup env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "AGENTRT_LOG_LEVEL") return "info";
    if (name == "AGENTRT_ADMIN_TOKEN_ENV") return "OPS";
    return std::nullopt;
  };
  ASSERT_TRUE(apply_serve_env(env, config).ok());
  EXPECT_EQ(config.log_level, "info");
  EXPECT_EQ(config.admin_token_env, "OPS");
  const EnvLookup bad = [](const std::string& name) -> std::optional<std::string> {
    if (name == "AGENTRT_LOG_LEVEL") return "chatty";
    return std::nullopt;
  };
  const auto refused = apply_serve_env(bad, config);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("AGENTRT_LOG_LEVEL"), std::string::npos);
}

TEST_F(ServeConfigFileTest, TheStoreIsSqliteByDefaultOrDynamoDbWithItsTable) {
  EXPECT_EQ(ServeConfig{}.store.kind, "sqlite");
  ASSERT_TRUE(load("store: {kind: dynamodb, table: prod-agentrt, region: eu-west-1, endpoint: 'http://127.0.0.1:8000'}\n")
                  .ok());
  EXPECT_EQ(config_.store.kind, "dynamodb");
  EXPECT_EQ(config_.store.table, "prod-agentrt");
  EXPECT_EQ(config_.store.region, "eu-west-1");
  EXPECT_EQ(config_.store.endpoint, "http://127.0.0.1:8000");
  auto bad = load("store: {kind: cassandra}\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message, HasSubstr("store.kind"));
  EXPECT_THAT(bad.error().message, HasSubstr("sqlite or dynamodb"));
}

TEST(ServeConfigEnv, StoreVariablesChooseDynamoDbAndItsTable) {
  ServeConfig config;
  ASSERT_TRUE(apply_serve_env(env_of({{"AGENTRT_STORE", "dynamodb"}, {"AGENTRT_DYNAMODB_TABLE", "t-1"}}), config).ok());
  EXPECT_EQ(config.store.kind, "dynamodb");
  EXPECT_EQ(config.store.table, "t-1");
  auto bad = apply_serve_env(env_of({{"AGENTRT_STORE", "mysql"}}), config);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message, HasSubstr("AGENTRT_STORE"));
}

TEST_F(ServeConfigFileTest, TheInboxIsTheStoreByDefaultOrAnSqsQueue) {
  EXPECT_EQ(ServeConfig{}.inbox.kind, "store");
  auto no_url = load("inbox: {kind: sqs}\n");
  ASSERT_FALSE(no_url.ok());
  EXPECT_THAT(no_url.error().message, HasSubstr("inbox.queue_url"));
  ASSERT_TRUE(load("inbox: {kind: sqs, queue_url: 'http://127.0.0.1:9324/000000000000/in.fifo', region: eu-west-1, "
                   "endpoint: 'http://127.0.0.1:9324', wait: 5s, visibility: 2m}\n")
                  .ok());
  EXPECT_EQ(config_.inbox.kind, "sqs");
  EXPECT_EQ(config_.inbox.queue_url, "http://127.0.0.1:9324/000000000000/in.fifo");
  EXPECT_EQ(config_.inbox.region, "eu-west-1");
  EXPECT_EQ(config_.inbox.endpoint, "http://127.0.0.1:9324");
  EXPECT_EQ(config_.inbox.consumer.wait, std::chrono::seconds{5});
  EXPECT_EQ(config_.inbox.consumer.visibility, std::chrono::seconds{120});
  auto long_wait = load("inbox: {kind: sqs, queue_url: q.fifo, wait: 30s}\n");
  ASSERT_FALSE(long_wait.ok());
  EXPECT_THAT(long_wait.error().message, HasSubstr("20s"));
  auto bad = load("inbox: {kind: kafka}\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message, HasSubstr("store or sqs"));
}

TEST(ServeConfigEnv, InboxVariablesChooseSqsAndItsQueue) {
  ServeConfig config;
  ASSERT_TRUE(apply_serve_env(env_of({{"AGENTRT_INBOX", "sqs"}, {"AGENTRT_SQS_QUEUE_URL", "u.fifo"}}), config).ok());
  EXPECT_EQ(config.inbox.kind, "sqs");
  EXPECT_EQ(config.inbox.queue_url, "u.fifo");
  config.inbox.queue_url.clear();
  const auto refused = check_serve_config(config);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().message, HasSubstr("queue_url"));
  EXPECT_FALSE(apply_serve_env(env_of({{"AGENTRT_INBOX", "redis"}}), config).ok());
}

TEST_F(ServeConfigFileTest, TheOutputHubIsInProcessByDefaultOrRedis) {
  EXPECT_EQ(ServeConfig{}.output_hub, "in_process");
  ASSERT_TRUE(load("output_hub: redis\nredis: {url: 'redis://cache:6380', password_env: REDIS_PASSWORD, pool_size: 8, "
                   "connect_timeout: 2s, command_timeout: 250ms}\n")
                  .ok());
  EXPECT_EQ(config_.output_hub, "redis");
  EXPECT_EQ(config_.redis.url, "redis://cache:6380");
  EXPECT_EQ(config_.redis.password_env, "REDIS_PASSWORD");
  EXPECT_EQ(config_.redis.pool_size, 8u);
  EXPECT_EQ(config_.redis.connect_timeout, milliseconds{2000});
  EXPECT_EQ(config_.redis.command_timeout, milliseconds{250});
  ASSERT_TRUE(load("redis: {host: 10.0.0.5, port: 6390}\n").ok());
  EXPECT_EQ(config_.redis.host, "10.0.0.5");
  EXPECT_EQ(config_.redis.port, 6390);
  EXPECT_THAT(error_of("output_hub: kafka\n"), HasSubstr("in_process or redis"));
  EXPECT_THAT(error_of("redis: {pool_size: 0}\n"), HasSubstr("redis.pool_size"));
  EXPECT_THAT(error_of("redis: {password: hunter2}\n"), HasSubstr("password"));
}

TEST_F(ServeConfigFileTest, TheRedisKvCacheIsOnByDefaultWithItsTtlBounded) {
  EXPECT_TRUE(ServeConfig{}.redis.kv_cache);
  ASSERT_TRUE(load("output_hub: redis\nredis: {kv_cache: false, kv_cache_ttl: 5m}\norgs: {acme: {token_env: ACME_TOKEN}}\n").ok());
  EXPECT_FALSE(config_.redis.kv_cache);
  EXPECT_EQ(config_.redis.kv_cache_ttl, milliseconds{300'000});
  EXPECT_TRUE(check_serve_config(config_).ok());
  for (const auto ttl : {milliseconds{500}, milliseconds{7'200'000}, milliseconds{1'500}}) {
    config_.redis.kv_cache_ttl = ttl;
    const auto refused = check_serve_config(config_);
    ASSERT_FALSE(refused.ok()) << ttl.count();
    EXPECT_THAT(refused.error().message, HasSubstr("redis.kv_cache_ttl"));
  }
}

TEST_F(ServeConfigFileTest, TheConfigVersionKeyIsOffByDefaultAndChecked) {
  EXPECT_FALSE(ServeConfig{}.config_version_key.enabled());
  ASSERT_TRUE(load("config_version_key: {org: ops, bot: helpdesk, key: 'fleet/version'}\n").ok());
  EXPECT_EQ(config_.config_version_key, (ConfigVersionKey{"ops", "helpdesk", "fleet/version"}));
  EXPECT_THAT(error_of("config_version_key: {org: ops, key: v}\n"), HasSubstr("bot"));
  EXPECT_THAT(error_of("config_version_key: {org: ops, bot: b, key: ''}\n"), HasSubstr("config_version_key: kv entry: empty key"));
  EXPECT_THAT(error_of("config_version_key: ops/b/v\n"), HasSubstr("a mapping with org, bot and key"));

  ServeConfig config;
  ASSERT_TRUE(apply_serve_env(env_of({{"AGENTRT_CONFIG_VERSION_KEY", "ops/helpdesk/fleet/version"}}), config).ok());
  EXPECT_EQ(config.config_version_key, (ConfigVersionKey{"ops", "helpdesk", "fleet/version"}));
  for (const auto* bad : {"ops", "ops/helpdesk", "ops//v", "ops/helpdesk/"}) {
    const auto refused = apply_serve_env(env_of({{"AGENTRT_CONFIG_VERSION_KEY", bad}}), config);
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_THAT(refused.error().message, HasSubstr("AGENTRT_CONFIG_VERSION_KEY")) << bad;
  }
}

TEST(ServeConfigEnv, RedisVariablesChooseTheHubAndTheServer) {
  ServeConfig config;
  config.orgs.push_back(OrgAccess{"acme", "ACME_TOKEN", ""});
  ASSERT_TRUE(apply_serve_env(env_of({{"AGENTRT_OUTPUT_HUB", "redis"}, {"AGENTRT_REDIS_URL", "redis://r:6379"},
                                      {"AGENTRT_REDIS_PASSWORD_ENV", "RP"}}),
                              config)
                  .ok());
  EXPECT_EQ(config.output_hub, "redis");
  EXPECT_EQ(config.redis.url, "redis://r:6379");
  EXPECT_EQ(config.redis.password_env, "RP");
  EXPECT_TRUE(check_serve_config(config).ok());
  config.redis.url = "http://r:6379";
  const auto refused = check_serve_config(config);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().message, HasSubstr("redis.url"));
  const auto bad = apply_serve_env(env_of({{"AGENTRT_OUTPUT_HUB", "memcached"}}), config);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message, HasSubstr("AGENTRT_OUTPUT_HUB"));
}

}  // namespace
}  // namespace agentrt::serve
