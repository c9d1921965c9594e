#include "backends/llm/scripted_provider.hpp"

#include <cctype>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "backends/llm/scripted_script.hpp"

namespace agentrt {
namespace asio = boost::asio;

namespace {

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

long long estimate_tokens_in(const nlohmann::json& messages) {
  std::size_t chars = 0;
  if (!messages.is_array()) return 0;
  for (const auto& message : messages) {
    if (!message.is_object()) continue;
    const auto content = message.find("content");
    if (content == message.end() || content->is_null()) continue;
    chars += content->is_string() ? content->get_ref<const std::string&>().size() : content->dump().size();
  }
  return static_cast<long long>((chars + 3) / 4);
}

class ScriptedProvider final : public LlmProvider {
 public:
  ScriptedProvider(asio::any_io_executor ex, ReplyScript script) : ex_(std::move(ex)), script_(std::move(script)) {}

  asio::awaitable<Result<LlmReply>> complete(LlmRequest request, TokenSink on_token) override {
    auto position = select_reply(script_, request.messages);
    if (!position) co_return position.error();
    const ScriptedReply& reply = script_.turns[position->turn].replies[position->reply];

    const std::vector<std::string> tokens = split_scripted_tokens(reply.content);
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0 && script_.token_delay.count() > 0) {
        asio::steady_timer timer{ex_, script_.token_delay};
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return Error{Errc::cancelled, "script " + script_.path + ": reply cancelled while streaming"};
      }
      if (on_token) on_token(tokens[i]);
    }

    LlmReply out;
    out.content = reply.content;
    for (std::size_t i = 0; i < reply.tool_calls.size(); ++i) {
      const auto& call = reply.tool_calls[i];
      out.tool_calls.push_back(LlmToolCall{"call_" + std::to_string(position->turn + 1) + "_" +
                                               std::to_string(position->reply + 1) + "_" + std::to_string(i + 1),
                                           call.name, call.arguments});
    }
    out.tokens_in = estimate_tokens_in(request.messages);
    out.tokens_out = static_cast<long long>(tokens.size());
    out.finish_reason = out.tool_calls.empty() ? "stop" : "tool_calls";
    co_return out;
  }

 private:
  asio::any_io_executor ex_;
  ReplyScript script_;
};

}  // namespace

std::vector<std::string> split_scripted_tokens(std::string_view text) {
  std::vector<std::string> tokens;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = start;
    while (end < text.size() && is_space(text[end])) ++end;   // leading whitespace
    while (end < text.size() && !is_space(text[end])) ++end;  // the word
    tokens.emplace_back(text.substr(start, end - start));
    start = end;
  }
  return tokens;
}

Result<std::unique_ptr<LlmProvider>> make_scripted_provider(asio::any_io_executor ex, const ModelConfig& model) {
  if (model.script.empty()) {
    return Error{Errc::invalid, "model " + model.name + ": the scripted provider needs a script file (model.script)"};
  }
  auto script = load_reply_script(model.script);
  if (!script) return script.error();
  return std::unique_ptr<LlmProvider>{std::make_unique<ScriptedProvider>(std::move(ex), std::move(*script))};
}

}  // namespace agentrt
