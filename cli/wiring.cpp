#include "cli/wiring.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <spdlog/spdlog.h>

#include "backends/aws/sqs_inbox_open.hpp"
#include "backends/kafka/kafka_consumer.hpp"
#include "backends/kafka/kafka_producer.hpp"
#include "backends/dynamodb/dynamodb_schema.hpp"
#include "backends/dynamodb/dynamodb_session_store.hpp"
#include "backends/http/curl_client.hpp"
#include "backends/llm/openai_provider.hpp"
#include "backends/llm/scripted_provider.hpp"
#include "backends/redis/redis_client.hpp"
#include "backends/redis/redis_definition_cache.hpp"
#include "backends/redis/redis_invalidations.hpp"
#include "backends/redis/redis_kv_cache.hpp"
#include "backends/redis/redis_output_hub.hpp"
#include "backends/redis/redis_subscriber.hpp"
#include "backends/memory/caching_kv_store.hpp"
#include "backends/sqlite/sqlite_session_store.hpp"
#include "backends/tools/command_tool_runner.hpp"
#include "backends/tools/http_tool_runner.hpp"
#include "cli/system_ports.hpp"

namespace agentrt::cli {

Adapters::Adapters() = default;
Adapters::~Adapters() = default;
Adapters::Adapters(Adapters&&) noexcept = default;
Adapters& Adapters::operator=(Adapters&&) noexcept = default;

Result<Adapters> make_adapters(const boost::asio::any_io_executor& ex, const ModelConfig& model) {
  Adapters adapters;
  adapters.http = std::make_unique<CurlClient>(ex);
  if (model.provider == "scripted") {
    auto scripted = make_scripted_provider(ex, model);
    if (!scripted) return scripted.error();
    adapters.llm = std::move(scripted.value());
  } else if (model.provider == "openai") {
    adapters.llm = make_openai_provider(*adapters.http);
  } else {
    return Error{Errc::invalid, "unknown model provider \"" + model.provider + "\" (expected openai or scripted)"};
  }
  adapters.http_tools = make_http_tool_runner(*adapters.http);
  adapters.command_tools = make_command_tool_runner(ex);
  return adapters;
}

Result<std::unique_ptr<SessionStore>> open_embedded_store(const std::filesystem::path& path, bool read_only) {
  SqliteOptions options;
  options.path = path;
  options.read_only = read_only;
  auto store = open_sqlite_session_store(std::move(options));
  if (!store) return store.error();
  return std::unique_ptr<SessionStore>(std::move(store.value()));
}

Result<EmbeddedStores> open_embedded_stores(const std::filesystem::path& path, bool read_only) {
  SqliteOptions options;
  options.path = path;
  options.read_only = read_only;
  auto store = open_sqlite_session_store(std::move(options));
  if (!store) return store.error();
  auto leases = (*store)->lease_store();
  auto kv = (*store)->kv_store();
  return EmbeddedStores{std::move(store.value()), std::move(leases), std::move(kv)};
}

namespace {

DynamoDbOptions dynamodb_options(const DynamoDbTarget& target) {
  DynamoDbOptions options;
  options.table = target.table;
  options.region = target.region;
  options.endpoint = target.endpoint;
  options.client.health = target.health;
  return options;
}

}  // namespace

Result<EmbeddedStores> open_dynamodb_stores(const DynamoDbTarget& target, const EnvReader& env) {
  auto store = open_dynamodb_session_store(dynamodb_options(target), env);
  if (!store) return store.error();
  auto leases = (*store)->lease_store();
  auto kv = (*store)->kv_store();
  return EmbeddedStores{std::move(store.value()), std::move(leases), std::move(kv)};
}

std::unique_ptr<CachingKvStore> cached_kv(KvStore& store, const Clock& clock) {
  return make_caching_kv_store(store, clock);
}

Result<bool> create_dynamodb_tables(const DynamoDbTarget& target, const EnvReader& env, std::chrono::milliseconds wait_max) {
  auto options = dynamodb_options(target);
  options.check_schema = false;
  auto connection = DynamoDbConnection::open(std::move(options), env);
  if (!connection) return connection.error();
  auto& db = **connection;
  auto created = db.run_blocking<dynamodb::TableCreation>([&db, wait_max] { return dynamodb::create_table(db, wait_max); });
  if (!created) return created.error();
  return *created == dynamodb::TableCreation::created;
}

Result<std::unique_ptr<InboxQueue>> open_sqs_inbox_queue(const boost::asio::any_io_executor& executor,
                                                         const SqsInboxTarget& target, const EnvReader& env) {
  return open_sqs_inbox(executor, SqsInboxOptions{target.queue_url, target.region, target.endpoint, target.health},
                        env);
}

Result<KafkaBus> open_kafka_bus(const boost::asio::any_io_executor& executor, const KafkaTarget& target) {
  KafkaBus bus;
  auto producer = kafka::KafkaProducer::open(kafka::KafkaProducerOptions{target.brokers});
  if (!producer) return producer.error();
  bus.producer = std::move(producer).value();
  if (!target.topics.empty()) {
    kafka::KafkaConsumerOptions options;
    options.brokers = target.brokers;
    options.group_id = target.group_id;
    options.topics = target.topics;
    options.handoff_max = target.handoff_max;
    auto consumer = kafka::KafkaConsumer::open(executor, std::move(options));
    if (!consumer) return consumer.error();
    bus.consumer = std::move(consumer).value();
  }
  return bus;
}

namespace {

static_assert(std::string_view(RedisOutput::kKvInvalidation) == RedisKvCache::kInvalidationKind);

class WiredRedisOutput final : public RedisOutput {
 public:
  WiredRedisOutput(const boost::asio::any_io_executor& executor, const RedisOptions& options)
      : executor_(executor),
        client_(executor, options),
        subscriber_(executor, options),
        hub_(executor, client_, subscriber_),
        definitions_(client_),
        invalidations_(client_, subscriber_),
        origin_(RandomIdSource{}.next("process-")) {  // tells this process's invalidations from others'
    client_.start();
    subscriber_.start();
  }
  ~WiredRedisOutput() override { stop(); }
  WiredRedisOutput(const WiredRedisOutput&) = delete;
  WiredRedisOutput& operator=(const WiredRedisOutput&) = delete;

  OutputHub& hub() override { return hub_; }
  [[nodiscard]] serve::RedisHealth health() const override {
    serve::RedisHealth health;
    health.up = hub_.up();
    if (!client_.up()) health.detail = client_.last_error();
    else if (!subscriber_.up()) health.detail = "pub/sub: " + subscriber_.last_error();
    health.publish_failures = hub_.stats().publish_failures;
    return health;
  }
  DefinitionLoader definition_loader(SessionStore& store) override {
    RedisDefinitionCache::Loader from_store = [&store](const std::string& hash) { return store.get_definition(hash); };
    return [this, from_store](const std::string& hash) { return definitions_.get(hash, from_store); };
  }
  std::unique_ptr<RedisKvCache> kv_cache(KvStore& store, std::chrono::seconds ttl) override {
    return std::make_unique<RedisKvCache>(client_, store, &invalidations_, RedisKvCacheOptions{"agentrt:kv:", ttl, origin_});
  }
  // One subscription for every handler: each message is decoded once.
  void listen(InvalidationHandler handler) override {
    handlers_.push_back(std::move(handler));
    if (handlers_.size() > 1) return;
    listening_ = invalidations_.listen([this](const Invalidation& heard) {
      if (heard.origin == origin_) return;
      for (const auto& handle : handlers_) handle(heard.kind, heard.key);
    });
  }
  void announce(const std::string& kind, const std::string& key) override {
    boost::asio::co_spawn(executor_, publish(Invalidation{kind, key, origin_}), boost::asio::detached);
  }
  void stop() override {
    listening_ = {};  // the handlers reference serve's objects, which go before this one
    handlers_.clear();
    subscriber_.stop();
    client_.stop();
  }

 private:
  boost::asio::awaitable<void> publish(Invalidation invalidation) {
    auto published = co_await invalidations_.publish(invalidation);
    if (!published) spdlog::warn("redis: {}", published.error().message);
  }
  boost::asio::any_io_executor executor_;
  RedisClient client_;
  RedisSubscriber subscriber_;
  RedisOutputHub hub_;
  RedisDefinitionCache definitions_;
  RedisInvalidations invalidations_;
  std::string origin_;
  std::vector<InvalidationHandler> handlers_;
  RedisSubscriber::Token listening_;
};

}  // namespace

Result<std::unique_ptr<RedisOutput>> open_redis_output(const boost::asio::any_io_executor& executor,
                                                       const serve::RedisConfig& config, const EnvReader& env) {
  RedisOptions options;
  options.host = config.host;
  options.port = config.port;
  if (!config.url.empty()) {
    if (auto parsed = parse_redis_url(config.url, options); !parsed) return parsed.error();
  }
  if (!config.password_env.empty()) {
    options.password = env(config.password_env).value_or("");
    if (options.password.empty()) {
      return Error{Errc::invalid, "redis.password_env: the variable " + config.password_env + " is not set or empty"};
    }
  }
  options.pool_size = config.pool_size;
  options.connect_timeout = config.connect_timeout;
  options.command_timeout = config.command_timeout;
  if (auto checked = check_redis_options(options); !checked) return checked.error();
  return std::unique_ptr<RedisOutput>(std::make_unique<WiredRedisOutput>(executor, options));
}

}  // namespace agentrt::cli
