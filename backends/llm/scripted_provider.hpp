#pragma once
// LlmProvider that plays replies from a script file (ModelConfig::script, YAML or JSON):
// offline and deterministic, for demos, tests and CI. Format: docs/scripted-provider.md.
//
// - The script is loaded and validated by the factory: a bad script is Errc::invalid
//   "script <file>:<line>: <problem>".
// - complete() picks the reply (see select_reply in scripted_script.hpp), streams its content
//   to on_token word by word (spaces kept, token_delay_ms apart), and returns it with tool call
//   ids "call_<turn>_<reply>_<i>" (1-based), tokens_in = characters of the messages' content / 4
//   (rounded up), tokens_out = tokens streamed, finish_reason "tool_calls" or "stop".
// - Errors: invalid when no turn fits or the turn has no reply left; cancelled.

#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "core/ports/llm_provider.hpp"

namespace agentrt {

Result<std::unique_ptr<LlmProvider>> make_scripted_provider(boost::asio::any_io_executor ex, const ModelConfig& model);

// Splits text into the tokens streamed: each word with the whitespace before it ("Hi there"
// -> "Hi", " there"); concatenated they give the text back exactly.
std::vector<std::string> split_scripted_tokens(std::string_view text);

}  // namespace agentrt
