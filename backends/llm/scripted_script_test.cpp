#include "backends/llm/scripted_script.hpp"

#include <gtest/gtest.h>

namespace agentrt {
namespace {

std::string parse_error(std::string_view text) {
  auto r = parse_reply_script(text, "/defs/demo.yaml");
  if (r.ok()) return "parsed";
  EXPECT_EQ(r.error().code, Errc::invalid);
  return r.error().message;
}

TEST(ReplyScript, ParsesTurnsRepliesAndToolCalls) {
  auto r = parse_reply_script(R"(token_delay_ms: 5
turns:
  - match: "vpn"
    replies:
      - content: "Let me look that up."
        tool_calls:
          - {name: lookup, arguments: {q: "VPN", n: 3, exact: true, ratio: 0.5, none: ~, list: [1, "2"]}}
      - content: "Your VPN ticket is open."
  - replies:
      - content: "I can help with VPN questions."
)",
                              "/defs/demo.yaml");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->token_delay, std::chrono::milliseconds{5});
  ASSERT_EQ(r->turns.size(), 2U);
  EXPECT_EQ(r->turns[0].match, "vpn");
  EXPECT_FALSE(r->turns[1].match.has_value());
  ASSERT_EQ(r->turns[0].replies.size(), 2U);
  ASSERT_EQ(r->turns[0].replies[0].tool_calls.size(), 1U);
  EXPECT_EQ(r->turns[0].replies[0].tool_calls[0].name, "lookup");
  EXPECT_EQ(nlohmann::json::parse(r->turns[0].replies[0].tool_calls[0].arguments),
            nlohmann::json::parse(R"({"q":"VPN","n":3,"exact":true,"ratio":0.5,"none":null,"list":[1,"2"]})"));
}

TEST(ReplyScript, QuotedScalarsStayStrings) {
  auto r = parse_reply_script(R"(turns: [{replies: [{tool_calls: [{name: t, arguments: {id: "42", flag: "true"}}]}]}])", "f");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->turns[0].replies[0].tool_calls[0].arguments, R"({"flag":"true","id":"42"})");
}

TEST(ReplyScript, StringArgumentsAreKeptVerbatim) {
  auto r = parse_reply_script(R"(turns:
  - replies:
      - tool_calls:
          - name: lookup
            arguments: '{"q": "VPN",'
)",
                              "f");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->turns[0].replies[0].tool_calls[0].arguments, R"({"q": "VPN",)");
}

TEST(ReplyScript, MissingArgumentsAreAnEmptyObject) {
  auto r = parse_reply_script("turns: [{replies: [{tool_calls: [{name: now}]}]}]", "f");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->turns[0].replies[0].tool_calls[0].arguments, "{}");
}

TEST(ReplyScript, JsonScriptsAreAccepted) {
  auto r = parse_reply_script(R"({"turns": [{"match": "hi", "replies": [{"content": "hello"}]}]})", "f.json");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->turns[0].replies[0].content, "hello");
}

TEST(ReplyScript, UnknownKeyIsNamedWithItsLine) {
  EXPECT_EQ(parse_error("turns:\n  - match: x\n    replys:\n      - content: hi\n"),
            "script /defs/demo.yaml:3: unknown key \"replys\" in turn 1 (expected: match, replies)");
  EXPECT_EQ(parse_error("token_delay: 3\nturns: []\n"),
            "script /defs/demo.yaml:1: unknown key \"token_delay\" in the script (expected: token_delay_ms, turns)");
  EXPECT_EQ(parse_error("turns:\n  - replies:\n      - content: hi\n        tool_calls:\n          - {name: a, args: {}}\n"),
            "script /defs/demo.yaml:5: unknown key \"args\" in turn 1 reply 1 tool call 1 (expected: name, arguments)");
}

TEST(ReplyScript, MissingRepliesIsAnError) {
  EXPECT_EQ(parse_error("turns:\n  - match: vpn\n"), "script /defs/demo.yaml:2: turn 1 has no \"replies\"");
  EXPECT_EQ(parse_error("turns:\n  - match: vpn\n    replies: []\n"),
            "script /defs/demo.yaml:3: turn 1 replies must be a non-empty list");
}

TEST(ReplyScript, StructuralErrorsAreNamed) {
  EXPECT_EQ(parse_error(""), "script /defs/demo.yaml:1: the script is empty");
  EXPECT_EQ(parse_error("turns: []\n"), "script /defs/demo.yaml:1: \"turns\" must be a non-empty list");
  EXPECT_EQ(parse_error("- a\n"), "script /defs/demo.yaml:1: the script must be a mapping");
  EXPECT_EQ(parse_error("token_delay_ms: -2\nturns: [{replies: [{content: x}]}]\n"),
            "script /defs/demo.yaml:1: token_delay_ms must be a non-negative integer, not \"-2\"");
  EXPECT_EQ(parse_error("turns:\n  - replies:\n      - {}\n"),
            "script /defs/demo.yaml:3: turn 1 reply 1 has neither content nor tool_calls");
  EXPECT_EQ(parse_error("turns:\n  - replies:\n      - tool_calls: [{arguments: {}}]\n"),
            "script /defs/demo.yaml:3: turn 1 reply 1 tool call 1 has no \"name\"");
  EXPECT_EQ(parse_error("turns:\n  - replies:\n      - content: [a, b]\n"),
            "script /defs/demo.yaml:3: turn 1 reply 1 content must be a string");
}

TEST(ReplyScript, YamlSyntaxErrorHasItsLine) {
  EXPECT_EQ(parse_error("turns:\n  - replies:\n      - content: hi: there\n"),
            "script /defs/demo.yaml:3: YAML syntax error: illegal map value");
  const std::string flow = parse_error("turns:\n  - replies: [\n      {content: hi}\n");
  EXPECT_NE(flow.find("YAML syntax error"), std::string::npos) << flow;
}

TEST(ReplyScript, UnreadableFileIsInvalidNamingIt) {
  auto r = load_reply_script("/nonexistent/agentrt/script.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::invalid);
  EXPECT_EQ(r.error().message, "script /nonexistent/agentrt/script.yaml: cannot read: No such file or directory");
}

// Selection ------------------------------------------------------------------------------

ReplyScript vpn_script() {
  auto r = parse_reply_script(R"(turns:
  - match: "vpn"
    replies:
      - content: "a1"
      - content: "a2"
  - match: "Printer"
    replies:
      - content: "p1"
  - replies:
      - content: "d1"
)",
                              "s.yaml");
  EXPECT_TRUE(r.ok());
  return std::move(r).value();
}

nlohmann::json messages(std::initializer_list<std::pair<const char*, const char*>> list) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [role, content] : list) out.push_back({{"role", role}, {"content", content}});
  return out;
}

TEST(SelectReply, MatchIsCaseInsensitiveAndIndexCountsAssistantMessages) {
  const ReplyScript script = vpn_script();
  auto first = select_reply(script, messages({{"system", "be nice"}, {"user", "My VPN is down"}}));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->turn, 0U);
  EXPECT_EQ(first->reply, 0U);
  auto second = select_reply(script, messages({{"user", "My VPN is down"}, {"assistant", ""}, {"tool", "{}"}}));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->reply, 1U);
  auto printer = select_reply(script, messages({{"user", "vpn ok"}, {"assistant", "a1"}, {"user", "the printer jams"}}));
  ASSERT_TRUE(printer.ok());
  EXPECT_EQ(printer->turn, 1U);
  EXPECT_EQ(printer->reply, 0U);
}

TEST(SelectReply, DefaultTurnWhenNothingMatches) {
  auto r = select_reply(vpn_script(), messages({{"user", "hello"}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->turn, 2U);
}

TEST(SelectReply, ContentPartsAreMatched) {
  nlohmann::json msgs = nlohmann::json::array();
  msgs.push_back({{"role", "user"}, {"content", {{{"type", "text"}, {"text", "about the vpn"}}}}});
  auto r = select_reply(vpn_script(), msgs);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->turn, 0U);
}

TEST(SelectReply, ExhaustedTurnNamesTurnAndReply) {
  auto r = select_reply(vpn_script(), messages({{"user", "vpn"}, {"assistant", "a1"}, {"assistant", "a2"}}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::invalid);
  EXPECT_EQ(r.error().message, "script s.yaml: turn 1 (match \"vpn\") has 2 replies; reply 3 was asked for");
  auto d = select_reply(vpn_script(), messages({{"user", "hi"}, {"assistant", "d1"}}));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message, "script s.yaml: turn 3 (default) has 1 reply; reply 2 was asked for");
}

TEST(SelectReply, NoMatchAndNoDefaultIsAnError) {
  auto script = parse_reply_script("turns: [{match: vpn, replies: [{content: x}]}]", "s.yaml");
  ASSERT_TRUE(script.ok());
  auto r = select_reply(*script, messages({{"user", "printer"}}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "script s.yaml: no turn matches the user message \"printer\" and there is no default turn");
}

}  // namespace
}  // namespace agentrt
