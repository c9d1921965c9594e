#pragma once
// KvToolRunner: the built-in tools kv_get and kv_put, run against one session's (org, bot)
// KV scope (core/ports/kv_store.hpp). The session runner uses it like any ToolRunner, so the
// call and its result are recorded as ToolRequested/ToolCompleted (or ToolFailed): replay
// reads the result from the history and never touches the KV. A kv_put repeated after a crash
// (same idempotency key) writes the same values again: harmless.
//
//   kv_get {keys: [k, ...]}      -> output {"entries": {k: value}, "missing": [k]}
//   kv_put {entries: {k: value}} -> output {"written": n}
//
// Bad arguments and out-of-bounds keys/values are the tool's failure (ToolResult{ok=false},
// the model reads why); a store that stays unavailable is one too. Only cancellation is an Error.

#include "core/ports/kv_store.hpp"
#include "core/ports/tool_runner.hpp"

namespace agentrt {

class KvToolRunner final : public ToolRunner {
 public:
  // `store` must outlive the runner.
  KvToolRunner(KvStore& store, KvScope scope) : store_(store), scope_(std::move(scope)) {}

  boost::asio::awaitable<Result<ToolResult>> run(ToolInvocation invocation) override;

 private:
  boost::asio::awaitable<Result<ToolResult>> get(const nlohmann::json& arguments);
  boost::asio::awaitable<Result<ToolResult>> put(const nlohmann::json& arguments);

  KvStore& store_;
  KvScope scope_;
};

}  // namespace agentrt
