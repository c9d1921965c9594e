#pragma once
// The composition root: the only place that names concrete adapters (STYLE.md rule 2).

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "core/model/definition.hpp"
#include "core/model/error.hpp"
#include "core/ports/inbox_queue.hpp"
#include "core/runtime/dependency_health.hpp"
#include "core/ports/lease_store.hpp"
#include "core/ports/llm_provider.hpp"
#include "core/ports/session_store.hpp"
#include "core/ports/tool_runner.hpp"

namespace agentrt {
class CurlClient;
}

namespace agentrt::cli {

// Everything a SessionRunner needs besides the store, built for one model configuration.
struct Adapters {
  Adapters();
  ~Adapters();
  Adapters(Adapters&&) noexcept;
  Adapters& operator=(Adapters&&) noexcept;

  std::unique_ptr<CurlClient> http;
  std::unique_ptr<LlmProvider> llm;
  std::unique_ptr<ToolRunner> http_tools;
  std::unique_ptr<ToolRunner> command_tools;
};

Result<Adapters> make_adapters(const boost::asio::any_io_executor& ex, const ModelConfig& model);

// The embedded store: SQLite at `path` (parent folders created).
Result<std::unique_ptr<SessionStore>> open_embedded_store(const std::filesystem::path& path, bool read_only);

// The embedded store and its LeaseStore (same database; `leases` is destroyed first).
struct EmbeddedStores {
  std::unique_ptr<SessionStore> sessions;
  std::unique_ptr<LeaseStore> leases;
};
Result<EmbeddedStores> open_embedded_stores(const std::filesystem::path& path, bool read_only);

// Where a DynamoDB store lives; empty region/endpoint: from the environment (AWS_REGION, ...).
struct DynamoDbTarget {
  std::string table = "agentrt";
  std::string region;
  std::string endpoint;
  DependencyHealth* health = nullptr;  // optional (serve's readiness): every call's outcome
};
using EnvReader = std::function<std::optional<std::string>(const std::string& name)>;

// The DynamoDB SessionStore and LeaseStore (`leases` destroyed first); checks the table's
// schema version. Blocks for one request: startup only.
Result<EmbeddedStores> open_dynamodb_stores(const DynamoDbTarget& target, const EnvReader& env);

// `agentrt admin create-tables`: creates the table and its indexes unless they exist, waits
// until ACTIVE. Returns true when it created the table, false when it existed already.
Result<bool> create_dynamodb_tables(const DynamoDbTarget& target, const EnvReader& env, std::chrono::milliseconds wait_max);

// inbox: {kind: sqs}: the SQS FIFO inbox queue, used on `executor` (serve's io_context).
struct SqsInboxTarget {
  std::string queue_url;
  std::string region;
  std::string endpoint;
  DependencyHealth* health = nullptr;  // optional (serve's readiness): every call's outcome
};
Result<std::unique_ptr<InboxQueue>> open_sqs_inbox_queue(const boost::asio::any_io_executor& executor,
                                                         const SqsInboxTarget& target, const EnvReader& env);

}  // namespace agentrt::cli
