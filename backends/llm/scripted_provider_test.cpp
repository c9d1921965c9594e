#include "backends/llm/scripted_provider.hpp"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace agentrt {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;

constexpr const char* kScript = R"(turns:
  - match: "vpn"
    replies:
      - content: "Let me look that up."
        tool_calls:
          - {name: lookup, arguments: {q: "VPN"}}
          - {name: broken, arguments: '{"q": '}
      - content: "Your VPN ticket is open."
  - replies:
      - content: "I can help with VPN questions."
)";

// co_spawn(..., use_future) needs a default-constructible result; Result<T> is not.
asio::awaitable<std::optional<Result<LlmReply>>> optional_result(asio::awaitable<Result<LlmReply>> call) {
  co_return co_await std::move(call);
}

class ScriptedProviderTest : public ::testing::Test {
 protected:
  ScriptedProviderTest() {
    std::string pattern = (std::filesystem::temp_directory_path() / "agentrt-scripted-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
  }
  ~ScriptedProviderTest() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  ModelConfig model_with_script(const std::string& text, const std::string& name = "script.yaml") {
    const std::string path = (dir_ / name).string();
    std::ofstream{path} << text;
    ModelConfig model;
    model.provider = "scripted";
    model.name = "demo";
    model.script = path;
    return model;
  }

  std::unique_ptr<LlmProvider> provider(const std::string& text) {
    auto p = make_scripted_provider(ctx_.get_executor(), model_with_script(text));
    EXPECT_TRUE(p.ok()) << p.error().to_string();
    return std::move(p).value();
  }

  Result<LlmReply> complete(LlmProvider& p, nlohmann::json messages, std::vector<std::string>* tokens = nullptr) {
    LlmRequest request;
    request.model = &model_;
    request.messages = std::move(messages);
    TokenSink sink = [tokens](std::string_view t) {
      if (tokens != nullptr) tokens->emplace_back(t);
    };
    auto future = asio::co_spawn(ctx_, optional_result(p.complete(std::move(request), sink)), asio::use_future);
    ctx_.run();
    ctx_.restart();
    return *future.get();
  }

  static nlohmann::json user(const std::string& text) {
    return nlohmann::json::array({{{"role", "system"}, {"content", "You help."}}, {{"role", "user"}, {"content", text}}});
  }

  asio::io_context ctx_;
  ModelConfig model_;
  std::filesystem::path dir_;
};

TEST_F(ScriptedProviderTest, FirstReplyOfMatchingTurnWithToolCalls) {
  auto p = provider(kScript);
  std::vector<std::string> tokens;
  auto r = complete(*p, user("Is the VPN down?"), &tokens);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->content, "Let me look that up.");
  EXPECT_EQ(tokens, (std::vector<std::string>{"Let", " me", " look", " that", " up."}));
  EXPECT_EQ(r->tokens_out, 5);
  EXPECT_EQ(r->tokens_in, (9 + 16 + 3) / 4);  // "You help." + "Is the VPN down?", rounded up
  EXPECT_EQ(r->finish_reason, "tool_calls");
  ASSERT_EQ(r->tool_calls.size(), 2U);
  EXPECT_EQ(r->tool_calls[0].id, "call_1_1_1");
  EXPECT_EQ(r->tool_calls[0].name, "lookup");
  EXPECT_EQ(r->tool_calls[0].arguments, R"({"q":"VPN"})");
  EXPECT_EQ(r->tool_calls[1].id, "call_1_1_2");
  EXPECT_EQ(r->tool_calls[1].arguments, R"({"q": )") << "a raw string is sent verbatim, even when it is bad JSON";
}

TEST_F(ScriptedProviderTest, SecondReplyAfterOneAssistantMessage) {
  auto p = provider(kScript);
  nlohmann::json messages = user("vpn please");
  messages.push_back({{"role", "assistant"}, {"content", "Let me look that up."}, {"tool_calls", nlohmann::json::array()}});
  messages.push_back({{"role", "tool"}, {"tool_call_id", "call_1_1_1"}, {"content", "{\"status\":\"open\"}"}});
  auto r = complete(*p, messages);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->content, "Your VPN ticket is open.");
  EXPECT_TRUE(r->tool_calls.empty());
  EXPECT_EQ(r->finish_reason, "stop");
}

TEST_F(ScriptedProviderTest, DefaultTurnAnswersAnythingElse) {
  auto p = provider(kScript);
  auto r = complete(*p, user("hello"));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->content, "I can help with VPN questions.");
}

TEST_F(ScriptedProviderTest, SameRequestSameReply) {
  auto p = provider(kScript);
  auto a = complete(*p, user("vpn"));
  auto b = complete(*p, user("vpn"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->content, b->content);
  EXPECT_EQ(a->tool_calls[0].id, b->tool_calls[0].id);
}

TEST_F(ScriptedProviderTest, ExhaustedTurnIsInvalid) {
  auto p = provider(kScript);
  nlohmann::json messages = user("vpn");
  messages.push_back({{"role", "assistant"}, {"content", "one"}});
  messages.push_back({{"role", "assistant"}, {"content", "two"}});
  auto r = complete(*p, messages);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::invalid);
  EXPECT_EQ(r.error().message,
            "script " + (dir_ / "script.yaml").string() + ": turn 1 (match \"vpn\") has 2 replies; reply 3 was asked for");
}

TEST_F(ScriptedProviderTest, TokensArePacedByTokenDelay) {
  auto p = provider("token_delay_ms: 40\nturns: [{replies: [{content: \"one two three four\"}]}]\n");
  std::vector<std::string> tokens;
  const auto start = std::chrono::steady_clock::now();
  auto r = complete(*p, user("x"), &tokens);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(tokens, (std::vector<std::string>{"one", " two", " three", " four"}));
  EXPECT_GE(elapsed, 120ms);  // three pauses between four tokens
}

TEST_F(ScriptedProviderTest, FactoryRejectsBadScriptsNamingTheFile) {
  auto bad = make_scripted_provider(ctx_.get_executor(), model_with_script("turns:\n  - replys: []\n", "bad.yaml"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::invalid);
  EXPECT_EQ(bad.error().message.rfind("script " + (dir_ / "bad.yaml").string() + ":2: unknown key \"replys\"", 0), 0U)
      << bad.error().message;

  auto syntax = make_scripted_provider(ctx_.get_executor(), model_with_script("turns: [\n  {replies: \n", "syntax.yaml"));
  ASSERT_FALSE(syntax.ok());
  EXPECT_NE(syntax.error().message.find("syntax.yaml:"), std::string::npos);
  EXPECT_NE(syntax.error().message.find("YAML syntax error"), std::string::npos);

  ModelConfig no_script;
  no_script.name = "demo";
  auto none = make_scripted_provider(ctx_.get_executor(), no_script);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, Errc::invalid);
}

TEST(SplitScriptedTokens, KeepsEveryCharacter) {
  EXPECT_EQ(split_scripted_tokens(""), std::vector<std::string>{});
  EXPECT_EQ(split_scripted_tokens("  hi\nthere  "), (std::vector<std::string>{"  hi", "\nthere", "  "}));
  EXPECT_EQ(split_scripted_tokens("one"), std::vector<std::string>{"one"});
}

}  // namespace
}  // namespace agentrt
