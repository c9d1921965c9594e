// The kv_get/kv_put built-in tools against a small in-test KvStore: outputs, the session's
// scope, bad arguments and store failures as the tool's failure, cancellation as an Error.
#include "core/runtime/kv_tool_runner.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <tuple>

#include "core/model/kv_bounds.hpp"
#include "core/ports/conformance/session_store_fixture.hpp"

namespace agentrt {
namespace {

using conformance::run_awaitable;
using json = nlohmann::json;
using ::testing::HasSubstr;

// Entries by (org, bot, key); checks bounds like an adapter; can fail the next call.
class MapKvStore final : public KvStore {
 public:
  std::map<std::tuple<std::string, std::string, std::string>, json> entries;
  std::optional<Error> fail_next;

  boost::asio::awaitable<Result<KvEntries>> get_many(KvScope scope, std::vector<std::string> keys) override {
    if (auto failure = take_failure()) co_return *failure;
    if (auto valid = check_kv_keys(keys, "kv get"); !valid) co_return valid.error();
    KvEntries found;
    for (const auto& key : keys) {
      auto it = entries.find({scope.org.str(), scope.bot.str(), key});
      if (it != entries.end()) found[key] = it->second;
    }
    co_return found;
  }
  boost::asio::awaitable<Result<void>> put_many(KvScope scope, KvEntries values) override {
    if (auto failure = take_failure()) co_return *failure;
    if (auto valid = check_kv_entries(values, "kv put"); !valid) co_return valid;
    for (auto& [key, value] : values) entries[{scope.org.str(), scope.bot.str(), key}] = value;
    co_return ok_result();
  }
  boost::asio::awaitable<Result<void>> erase_many(KvScope, std::vector<std::string>) override { co_return ok_result(); }

 private:
  std::optional<Error> take_failure() {
    auto failure = fail_next;
    fail_next.reset();
    return failure;
  }
};

ToolDefinition tool(ToolKind kind) {
  ToolDefinition t;
  t.name = kind == ToolKind::kv_get ? "kv_get" : "kv_put";
  t.kind = kind;
  return t;
}

class KvToolRunnerTest : public ::testing::Test {
 protected:
  Result<ToolResult> call(ToolKind kind, json arguments) {
    const auto definition = tool(kind);
    ToolInvocation invocation{&definition, std::move(arguments), "s-1:7"};
    return run_awaitable(runner_.run(std::move(invocation)));
  }

  MapKvStore store_;
  KvToolRunner runner_{store_, KvScope{OrgId{"acme"}, BotId{"helpdesk"}}};
};

TEST_F(KvToolRunnerTest, PutThenGetInTheSessionsScope) {
  auto put = call(ToolKind::kv_put, {{"entries", {{"region", "eu"}, {"seats", 12}}}});
  ASSERT_TRUE(put.ok()) << put.error().to_string();
  EXPECT_TRUE(put->ok) << put->output;
  EXPECT_EQ(json::parse(put->output), (json{{"written", 2}}));
  EXPECT_EQ(store_.entries.count({"acme", "helpdesk", "region"}), 1U);

  auto got = call(ToolKind::kv_get, {{"keys", {"region", "absent", "seats"}}});
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  EXPECT_TRUE(got->ok) << got->output;
  EXPECT_EQ(json::parse(got->output),
            (json{{"entries", {{"region", "eu"}, {"seats", 12}}}, {"missing", json::array({"absent"})}}));
}

TEST_F(KvToolRunnerTest, OtherScopesAreNotVisible) {
  store_.entries[{"globex", "helpdesk", "k"}] = "globex";
  store_.entries[{"acme", "sales", "k"}] = "sales";
  auto got = call(ToolKind::kv_get, {{"keys", {"k"}}});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(json::parse(got->output)["missing"], json::array({"k"}));
}

TEST_F(KvToolRunnerTest, BadArgumentsAndBoundsAreTheToolsFailure) {
  for (const json& arguments : {json{{"keys", json::array()}}, json{{"keys", {1, 2}}}, json{{"nothing", 1}},
                                json{{"keys", {std::string(600, 'k')}}}}) {
    auto got = call(ToolKind::kv_get, arguments);
    ASSERT_TRUE(got.ok()) << got.error().to_string();
    EXPECT_FALSE(got->ok) << arguments.dump();
  }
  auto big = call(ToolKind::kv_put, {{"entries", {{"k", std::string(70'000, 'v')}}}});
  ASSERT_TRUE(big.ok());
  EXPECT_FALSE(big->ok);
  EXPECT_THAT(big->output, HasSubstr("at most 65536"));
  auto empty = call(ToolKind::kv_put, {{"entries", json::object()}});
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->ok);
  EXPECT_TRUE(store_.entries.empty());
}

TEST_F(KvToolRunnerTest, AnUnavailableStoreIsAFailedCallButCancellationIsAnError) {
  store_.fail_next = Error{Errc::throttled, "kv get org=acme bot=helpdesk: throttled"};
  auto throttled = call(ToolKind::kv_get, {{"keys", {"k"}}});
  ASSERT_TRUE(throttled.ok());
  EXPECT_FALSE(throttled->ok);
  EXPECT_THAT(throttled->output, HasSubstr("unavailable"));
  store_.fail_next = Error{Errc::cancelled, "stopping"};
  auto cancelled = call(ToolKind::kv_put, {{"entries", {{"k", 1}}}});
  ASSERT_FALSE(cancelled.ok());
  EXPECT_EQ(cancelled.error().code, Errc::cancelled);
}

}  // namespace
}  // namespace agentrt
