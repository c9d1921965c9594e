#pragma once
// An agent definition: what a bot is (model, prompt, tools, policies). Loaded and validated by
// core/definition/definition_loader; documented for users in docs/definitions.md.
// A session is pinned to the definition's content hash when it starts.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace agentrt {

using std::chrono::milliseconds;

struct RetryPolicy {
  int attempts = 3;                          // total tries, including the first (1 = no retry)
  milliseconds initial_backoff{200};         // delay before the 2nd try
  milliseconds max_backoff{10'000};          // cap on any one delay
  double multiplier = 2.0;                   // growth per try; jitter is applied by the executor
};

struct ModelConfig {
  std::string provider;                      // "openai" | "scripted"
  std::string name;                          // model name sent to the provider
  std::string base_url;                      // e.g. http://127.0.0.1:8000/v1 (openai)
  std::string api_key_env;                   // environment variable holding the key; never the key
  std::string script;                        // scripted: path of the reply script (absolute after load)
  std::optional<double> temperature;
  std::optional<int> max_tokens;
  milliseconds timeout{120'000};             // per LLM request, all streaming included
  RetryPolicy retry{4, milliseconds{500}, milliseconds{20'000}, 2.0};
};

// kv_get/kv_put: the session's (org, bot) KV (core/ports/kv_store.hpp), run by the runtime.
enum class ToolKind { http, command, ask_human, sleep, kv_get, kv_put };

struct HttpToolSpec {
  std::string method = "POST";
  std::string url;                           // may contain {param} placeholders, URL-encoded on use
  std::map<std::string, std::string> headers;  // values may contain ${env:NAME}, resolved on use
};

struct CommandToolSpec {
  std::vector<std::string> argv;             // argv[0] is looked up in PATH; arguments JSON on stdin
  std::string working_dir;                   // empty: the definition file's directory
};

struct ToolDefinition {
  std::string name;
  std::string description;
  nlohmann::json parameters = nlohmann::json::object();  // JSON schema of the arguments
  ToolKind kind = ToolKind::http;
  HttpToolSpec http;                         // when kind == http
  CommandToolSpec command;                   // when kind == command
  bool requires_approval = false;            // a human must approve each call
  milliseconds timeout{30'000};              // per attempt
  RetryPolicy retry;                         // attempts for transient failures (same idempotency key)
};

struct Policies {
  int max_steps_per_turn = 20;               // LLM calls + tool calls in one turn
  milliseconds turn_timeout{300'000};        // wall time from the turn's message to its answer
  milliseconds tool_timeout{30'000};         // default per-tool timeout
  RetryPolicy retry;                         // default per-tool retry policy
  int max_invalid_replies = 3;               // bad tool calls fed back to the model before failing
  std::optional<long long> max_tokens_per_turn;  // LLM tokens in + out, per turn
  int checkpoint_every = 50;                 // events between checkpoints
};

// A versioning patch (docs/versioning.md): overrides that apply only to sessions whose history
// has a Marker{patch: id}, so a recorded history keeps the behaviour it was recorded with.
// Values are resolved against the base definition at load; nullopt means "not overridden".
struct ToolOverrides {
  std::optional<bool> requires_approval;
  std::optional<std::string> description;
  std::optional<nlohmann::json> parameters;
  std::optional<milliseconds> timeout;
  std::optional<RetryPolicy> retry;
};

struct PolicyOverrides {
  std::optional<int> max_steps_per_turn;
  std::optional<milliseconds> turn_timeout;
  std::optional<milliseconds> tool_timeout;
  std::optional<RetryPolicy> retry;
  std::optional<int> max_invalid_replies;
  std::optional<long long> max_tokens_per_turn;
  std::optional<int> checkpoint_every;
};

struct DefinitionPatch {
  std::string id;                               // [a-z0-9-]+, unique within the definition
  std::map<std::string, ToolOverrides> tools;   // by tool name
  PolicyOverrides policies;
  std::optional<std::string> system;
};

struct AgentDefinition {
  std::string name;
  int version = 1;
  ModelConfig model;
  std::string system;
  std::vector<ToolDefinition> tools;
  Policies policies;
  std::vector<DefinitionPatch> patches;      // in file order; a later patch wins on the same field

  std::string source_path;                   // file it was loaded from (for errors)
  std::string content_hash;                  // sha256 hex of the canonical JSON below
  nlohmann::json canonical;                  // normalised document, stored with the session

  [[nodiscard]] const ToolDefinition* find_tool(std::string_view tool_name) const {
    for (const auto& t : tools) {
      if (t.name == tool_name) return &t;
    }
    return nullptr;
  }
};

}  // namespace agentrt
