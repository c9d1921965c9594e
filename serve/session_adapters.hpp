#pragma once
// The LLM and tool adapters one pinned definition runs with. serve names no concrete adapter:
// the composition root (cli/wiring) supplies a factory, and the worker keeps one instance per
// definition hash for as long as it runs.

#include <functional>
#include <memory>
#include <string>

#include "core/model/definition.hpp"
#include "core/model/error.hpp"
#include "core/ports/llm_provider.hpp"
#include "core/ports/tool_runner.hpp"

namespace agentrt::serve {

class SessionAdapters {
 public:
  virtual ~SessionAdapters() = default;
  virtual LlmProvider& llm() = 0;
  virtual ToolRunner& http_tools() = 0;
  virtual ToolRunner& command_tools() = 0;
  [[nodiscard]] virtual const std::string& api_key() const = 0;  // resolved once; never logged
};

// May change `definition.model` (operator overrides such as a base URL); never its tools or
// policies. Errc::invalid when the definition's model cannot be served (unknown provider).
using SessionAdaptersFactory = std::function<Result<std::unique_ptr<SessionAdapters>>(AgentDefinition& definition)>;

}  // namespace agentrt::serve
