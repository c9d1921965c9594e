#pragma once
// The composition root: the only place that names concrete adapters (STYLE.md rule 2).

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <memory>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "core/model/definition.hpp"
#include "core/model/error.hpp"
#include "core/ports/event_bus.hpp"
#include "core/ports/clock.hpp"
#include "core/ports/inbox_queue.hpp"
#include "core/ports/kv_store.hpp"
#include "core/runtime/dependency_health.hpp"
#include "core/ports/lease_store.hpp"
#include "core/ports/llm_provider.hpp"
#include "core/ports/output_hub.hpp"
#include "core/ports/session_store.hpp"
#include "core/ports/tool_runner.hpp"
#include "serve/redis_config.hpp"

namespace agentrt {
class CachingKvStore;
class CurlClient;
class RedisKvCache;
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

// The embedded store, its LeaseStore and KvStore (same database; destroyed before `sessions`).
struct EmbeddedStores {
  std::unique_ptr<SessionStore> sessions;
  std::unique_ptr<LeaseStore> leases;
  std::unique_ptr<KvStore> kv;  // uncached: put cached_kv() in front of it for serving
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

// The DynamoDB SessionStore, LeaseStore and KvStore (destroyed before the store); checks the table's
// schema version. Blocks for one request: startup only.
Result<EmbeddedStores> open_dynamodb_stores(const DynamoDbTarget& target, const EnvReader& env);

// `store` behind the in-process LRU read cache (5 s TTL for other processes' writes unless
// invalidated; see backends/memory/caching_kv_store.hpp). `store` and `clock` must outlive it.
std::unique_ptr<CachingKvStore> cached_kv(KvStore& store, const Clock& clock);

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

// kafka: {brokers, ...}: a consumer group member on the routes' topics (null without routes)
// and an idempotent producer (dead letters and lifecycle events). Destroy both before the
// io_context of `executor`.
struct KafkaTarget {
  std::string brokers;
  std::string group_id;
  std::vector<std::string> topics;  // the routes' topics; empty: no consumer
  std::size_t handoff_max = 1000;
};
struct KafkaBus {
  std::unique_ptr<EventBusConsumer> consumer;
  std::unique_ptr<EventBusProducer> producer;
};
Result<KafkaBus> open_kafka_bus(const boost::asio::any_io_executor& executor, const KafkaTarget& target);
// output_hub: redis: the command pool, the one pub/sub connection and the RedisOutputHub over
// them, started on `executor` (serve's io_context); they connect (and reconnect) in the
// background, so serve starts even while Redis is down and runs degraded until it is up.
class RedisOutput {
 public:
  virtual ~RedisOutput() = default;
  [[nodiscard]] virtual OutputHub& hub() = 0;
  [[nodiscard]] virtual serve::RedisHealth health() const = 0;
  // Pinned definitions through the Redis read-through cache (agentrt:def:<hash>), `store` on a
  // miss or while Redis is down. `store` must outlive the loader.
  using DefinitionLoader = std::function<boost::asio::awaitable<Result<nlohmann::json>>(const std::string& hash)>;
  [[nodiscard]] virtual DefinitionLoader definition_loader(SessionStore& store) = 0;
  // Per-org/per-bot KV read through Redis (agentrt:kv:...), each write announced to the other
  // workers as a "kv" invalidation (backends/redis/redis_kv_cache.hpp). `store` must outlive it.
  [[nodiscard]] virtual std::unique_ptr<RedisKvCache> kv_cache(KvStore& store, std::chrono::seconds ttl) = 0;
  // Calls `handler(kind, key)` on the executor for each invalidation another process publishes
  // on agentrt:invalidate, until stop(); this process's own are skipped.
  using InvalidationHandler = std::function<void(const std::string& kind, const std::string& key)>;
  static constexpr const char* kKvInvalidation = "kv";          // key: kv_entry_name (core/model/kv_bounds.hpp)
  static constexpr const char* kConfigInvalidation = "config";  // a worker applied a new configuration
  virtual void listen(InvalidationHandler handler) = 0;
  // Publishes one (fire and forget: a lost one delays a reload by a poll, it loses no data).
  virtual void announce(const std::string& kind, const std::string& key) = 0;
  virtual void stop() = 0;  // idempotent; lets the io_context end
};
// Errors: a bad url, or password_env naming an unset variable (named, never its value).
Result<std::unique_ptr<RedisOutput>> open_redis_output(const boost::asio::any_io_executor& executor,
                                                       const serve::RedisConfig& config, const EnvReader& env);

}  // namespace agentrt::cli
