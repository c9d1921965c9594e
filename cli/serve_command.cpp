#include "cli/serve_command.hpp"

#include <ostream>

#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include "backends/memory/caching_kv_store.hpp"
#include "backends/memory/in_process_output_hub.hpp"
#include "backends/redis/redis_kv_cache.hpp"
#include "cli/exit_codes.hpp"
#include "cli/system_ports.hpp"
#include "cli/wiring.hpp"
#include "core/definition/duration.hpp"
#include "core/model/kv_bounds.hpp"
#include "serve/grpc/grpc_surface.hpp"
#include "serve/serve_app.hpp"

namespace agentrt::cli {
namespace {

// Each streaming client holds a socket: a server streaming to thousands needs more than the
// usual soft limit of 1024 descriptors. The hard limit is the administrator's; we take up to it.
void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) spdlog::warn("serve: could not raise the open file limit");
}

// The adapters of one definition, from the same wiring as `agentrt run`.
class WiredSessionAdapters final : public serve::SessionAdapters {
 public:
  WiredSessionAdapters(Adapters adapters, std::string api_key)
      : adapters_(std::move(adapters)), api_key_(std::move(api_key)) {}
  LlmProvider& llm() override { return *adapters_.llm; }
  ToolRunner& http_tools() override { return *adapters_.http_tools; }
  ToolRunner& command_tools() override { return *adapters_.command_tools; }
  [[nodiscard]] const std::string& api_key() const override { return api_key_; }

 private:
  Adapters adapters_;
  std::string api_key_;
};

serve::SessionAdaptersFactory adapters_factory(boost::asio::io_context& ctx, const serve::ServeConfig& config,
                                               serve::EnvLookup env) {
  return [&ctx, &config, env](AgentDefinition& definition) -> Result<std::unique_ptr<serve::SessionAdapters>> {
    auto& model = definition.model;
    if (!config.llm.base_url.empty()) {
      model.base_url = config.llm.base_url;
      model.provider = "openai";
    }
    if (!config.llm.provider.empty()) model.provider = config.llm.provider;
    if (!config.llm.model.empty()) model.name = config.llm.model;
    std::string api_key;
    if (!config.llm.api_key_env.empty()) api_key = env(config.llm.api_key_env).value_or("");
    if (api_key.empty()) api_key = env("AGENTRT_LLM_API_KEY").value_or("");
    if (api_key.empty() && !model.api_key_env.empty()) api_key = env(model.api_key_env).value_or("");
    auto adapters = make_adapters(ctx.get_executor(), model);
    if (!adapters) return adapters.error();
    return std::unique_ptr<serve::SessionAdapters>(
        std::make_unique<WiredSessionAdapters>(std::move(adapters.value()), std::move(api_key)));
  };
}

// Flags win over the file and the environment.
Result<void> apply_flags(const ServeCommandOptions& o, serve::ServeConfig& config) {
  if (o.listen) {
    if (auto parsed = serve::parse_listen(*o.listen, "--listen", config); !parsed) return parsed;
  }
  if (o.grpc_listen) {
    if (auto parsed = serve::parse_grpc_listen(*o.grpc_listen, "--grpc-listen", config); !parsed) return parsed;
  }
  if (o.db_path) config.db_path = *o.db_path;
  if (o.store) {
    if (*o.store != "sqlite" && *o.store != "dynamodb") {
      return Error{Errc::invalid, "--store: expected sqlite or dynamodb, got \"" + *o.store + "\""};
    }
    config.store.kind = *o.store;
  }
  if (o.dynamodb_table) config.store.table = *o.dynamodb_table;
  if (o.worker_id) config.worker_id = *o.worker_id;
  const std::pair<const std::optional<std::string>*, std::pair<const char*, std::chrono::milliseconds*>> durations[] = {
      {&o.lease_ttl, {"--lease-ttl", &config.lease.ttl}},
      {&o.lease_heartbeat, {"--lease-heartbeat", &config.lease.heartbeat}},
      {&o.poll_interval, {"--poll-interval", &config.poll_interval}},
      {&o.shutdown_grace, {"--shutdown-grace", &config.shutdown_grace}}};
  for (const auto& [flag, target] : durations) {
    if (!*flag) continue;
    auto d = parse_duration(**flag);
    if (!d) {
      return Error{Errc::invalid, std::string(target.first) + ": expected " + std::string(kDurationExpectation) +
                                      ", got \"" + **flag + "\""};
    }
    *target.second = *d;
  }
  if (o.max_active_sessions) {
    if (*o.max_active_sessions > 100'000) return Error{Errc::invalid, "--max-active-sessions: at most 100000"};
    config.max_active_sessions = *o.max_active_sessions;
  }
  if (o.llm_base_url) config.llm.base_url = *o.llm_base_url;
  if (o.llm_provider) config.llm.provider = *o.llm_provider;
  if (o.llm_model) config.llm.model = *o.llm_model;
  if (o.llm_api_key_env) config.llm.api_key_env = *o.llm_api_key_env;
  if (o.max_body_bytes) {
    if (*o.max_body_bytes < 1024 || *o.max_body_bytes > 64U * 1024 * 1024) {
      return Error{Errc::invalid, "--max-body-bytes: expected an integer from 1024 to 67108864"};
    }
    config.max_body_bytes = *o.max_body_bytes;
  }
  if (o.bots) {
    if (auto set = serve::set_bots_from_text(*o.bots, "--bots", config); !set) return set;
  }
  if (o.orgs) {
    if (auto set = serve::set_orgs_from_text(*o.orgs, "--orgs", config); !set) return set;
  }
  if (o.org_quotas) {
    if (auto set = serve::set_org_quotas_from_text(*o.org_quotas, "--org-quotas", config); !set) return set;
  }
  if (o.tracing_endpoint) config.tracing.endpoint = *o.tracing_endpoint;
  if (o.tracing_sampling_ratio) {
    auto ratio = serve::parse_sampling_ratio(*o.tracing_sampling_ratio, "--tracing-sampling-ratio");
    if (!ratio) return ratio.error();
    config.tracing.sampling_ratio = *ratio;
  }
  if (o.kafka_brokers) config.kafka.brokers = *o.kafka_brokers;
  if (o.output_hub) {
    if (auto set = serve::set_output_hub(*o.output_hub, "--output-hub", config.output_hub); !set) return set;
  }
  if (o.redis_url) config.redis.url = *o.redis_url;
  return ok_result();
}

}  // namespace

void register_serve_command(CLI::App& app, ServeCommandOptions& o) {
  auto* serve = app.add_subcommand("serve", "Run a worker and the HTTP API (several processes may share one store)");
  serve->footer(
      "Settings: the --config YAML file, then AGENTRT_* variables, then these flags (docs/serve.md).\n"
      "Example:\n"
      "  ACME_TOKEN=... agentrt serve --config deploy/serve.yaml --listen 127.0.0.1:8080\n"
      "SIGTERM drains: no new sessions, running ones get shutdown.grace, leases are released.");
  serve->add_option("--config", o.config_path, "YAML config file")->envname("AGENTRT_CONFIG");
  serve->add_option("--listen", o.listen, "host:port of the HTTP API (AGENTRT_LISTEN)");
  serve->add_option("--grpc-listen", o.grpc_listen, "host:port of the gRPC API, or off (AGENTRT_GRPC_LISTEN)");
  serve->add_option("--db", o.db_path, "SQLite database file (AGENTRT_DB)");
  serve->add_option("--store", o.store, "sqlite (default) or dynamodb (AGENTRT_STORE)");
  serve->add_option("--dynamodb-table", o.dynamodb_table, "DynamoDB table with --store dynamodb (AGENTRT_DYNAMODB_TABLE)");
  serve->add_option("--worker-id", o.worker_id, "Lease owner name (AGENTRT_WORKER_ID; default serve:HOST:PID)");
  serve->add_option("--lease-ttl", o.lease_ttl, "Lease time to live, e.g. 10s (AGENTRT_LEASE_TTL)");
  serve->add_option("--lease-heartbeat", o.lease_heartbeat, "Lease renewal interval, e.g. 3s (AGENTRT_LEASE_HEARTBEAT)");
  serve->add_option("--poll-interval", o.poll_interval, "How often to look for work (AGENTRT_POLL_INTERVAL)");
  serve->add_option("--shutdown-grace", o.shutdown_grace, "Drain time on SIGTERM (AGENTRT_SHUTDOWN_GRACE)");
  serve->add_option("--max-active-sessions", o.max_active_sessions, "Sessions run at once by this worker");
  serve->add_option("--llm-base-url", o.llm_base_url, "Override every model's base URL (AGENTRT_LLM_BASE_URL)");
  serve->add_option("--llm-provider", o.llm_provider, "Override every model's provider");
  serve->add_option("--llm-model", o.llm_model, "Override every model's name");
  serve->add_option("--llm-api-key-env", o.llm_api_key_env, "Variable holding the API key for every model");
  serve->add_option("--max-body-bytes", o.max_body_bytes, "Largest request body (AGENTRT_MAX_BODY_BYTES)");
  serve->add_option("--bots", o.bots, "Bots and their definitions: NAME=FILE,... (AGENTRT_BOTS; replaces the file's)");
  serve->add_option("--orgs", o.orgs, "Orgs and their token variables: ORG=TOKEN_ENV or ORG=sha256:HEX,... (AGENTRT_ORGS)");
  serve->add_option("--org-quotas", o.org_quotas, "Active sessions per org on this worker: ORG=N,... (AGENTRT_ORG_QUOTAS)");
  serve->add_option("--tracing-endpoint", o.tracing_endpoint,
                    "OTLP/HTTP traces URL, e.g. http://127.0.0.1:4318/v1/traces (AGENTRT_TRACING_ENDPOINT)");
  serve->add_option("--tracing-sampling-ratio", o.tracing_sampling_ratio,
                    "Share of new sessions traced, 0 to 1 (AGENTRT_TRACING_SAMPLING_RATIO; default 1)");
  serve->add_option("--kafka-brokers", o.kafka_brokers,
                    "Kafka bootstrap servers host:port,... for kafka.routes and kafka.lifecycle_topic (AGENTRT_KAFKA_BROKERS)");
  serve->add_option("--output-hub", o.output_hub,
                    "in_process (default) or redis: stream sessions running on other workers live (AGENTRT_OUTPUT_HUB)");
  serve->add_option("--redis-url", o.redis_url, "Redis for --output-hub redis, e.g. redis://127.0.0.1:6379 (AGENTRT_REDIS_URL)");
}

namespace {

// The configuration from the file, then the variables, then the flags: at start, and again
// for every reload (so a flag or a variable keeps winning over the file).
Result<serve::ServeConfig> build_config(const ServeCommandOptions& o, const serve::EnvLookup& env) {
  serve::ServeConfig config;
  if (!o.config_path.empty()) {
    if (auto loaded = serve::load_serve_config_file(o.config_path, config); !loaded) return loaded.error();
  }
  if (auto applied = serve::apply_serve_env(env, config); !applied) return applied.error();
  if (auto applied = apply_flags(o, config); !applied) return applied.error();
  return config;
}

}  // namespace

int serve_command(const ServeCommandOptions& o, std::ostream& out, std::ostream& err) {
  const auto env = serve::process_env();
  auto built = build_config(o, env);
  if (!built) {
    err << "agentrt serve: " << built.error().message << '\n';
    return kExitUsage;
  }
  const serve::ServeConfig config = std::move(built.value());
  boost::asio::io_context ctx;
  // Readiness from the outcomes of the calls serve makes anyway (no probe of its own).
  DependencyHealth store_health("store (dynamodb table " + config.store.table + ")");
  DependencyHealth queue_health("inbox queue (sqs " + config.inbox.queue_url + ")");
  auto stores = config.store.kind == "dynamodb"
                    ? open_dynamodb_stores(
                          DynamoDbTarget{config.store.table, config.store.region, config.store.endpoint, &store_health}, env)
                    : open_embedded_stores(config.db_path, false);
  if (!stores) {
    err << "agentrt serve: " << stores.error().message << '\n';
    return kExitFailure;
  }
  std::unique_ptr<InboxQueue> inbox_queue;
  if (config.inbox.kind == "sqs") {
    auto opened = open_sqs_inbox_queue(
        ctx.get_executor(),
        SqsInboxTarget{config.inbox.queue_url, config.inbox.region, config.inbox.endpoint, &queue_health}, env);
    if (!opened) {
      err << "agentrt serve: " << opened.error().message << '\n';
      return kExitFailure;
    }
    inbox_queue = std::move(opened.value());
  }
  KafkaBus kafka;  // after ctx: destroyed before it
  // Checked before anything connects (run_serve checks the whole config again).
  const std::string where = config.config_path.empty() ? "serve" : "config " + config.config_path;
  if (auto checked = serve::check_kafka(config.kafka, where); !checked) {
    err << "agentrt serve: " << checked.error().message << '\n';
    return kExitUsage;
  }
  if (config.kafka.enabled()) {
    KafkaTarget target{config.kafka.brokers, config.kafka.group_id, {}, config.kafka.handoff_max};
    for (const auto& route : config.kafka.routes) target.topics.push_back(route.topic);
    auto opened = open_kafka_bus(ctx.get_executor(), target);
    if (!opened) {
      err << "agentrt serve: " << opened.error().message << '\n';
      return kExitUsage;
    }
    kafka = std::move(opened).value();
  }
  SystemClock clock;
  RandomIdSource ids;
  InProcessOutputHub in_process_hub(ctx.get_executor());
  OutputHub* hub = &in_process_hub;
  std::unique_ptr<RedisOutput> redis;
  if (config.output_hub == "redis") {
    auto opened = open_redis_output(ctx.get_executor(), config.redis, env);
    if (!opened) {
      err << "agentrt serve: " << opened.error().message << '\n';
      return kExitUsage;
    }
    redis = std::move(opened.value());
    hub = &redis->hub();
  }
  // KV reads go LRU, then Redis (with output_hub: redis), then the store; declared after the
  // stores, the clock and Redis: destroyed first.
  std::unique_ptr<RedisKvCache> redis_kv;
  if (redis && config.redis.kv_cache) {
    redis_kv = redis->kv_cache(*stores->kv, std::chrono::duration_cast<std::chrono::seconds>(config.redis.kv_cache_ttl));
  }
  auto kv = cached_kv(redis_kv ? *redis_kv : *stores->kv, clock);
  if (redis_kv) {
    // Another worker wrote these keys: this worker's LRU drops them at once.
    redis->listen([&kv](const std::string& kind, const std::string& key) {
      if (kind != RedisOutput::kKvInvalidation) return;
      if (auto entry = parse_kv_entry_name(key)) kv->invalidate(KvScope{entry->org, entry->bot}, {entry->key});
    });
  }
  raise_open_file_limit();
  serve::ServePorts ports{stores->sessions.get(), stores->leases.get(), &clock, &ids,
                          adapters_factory(ctx, config, env), hub, serve::grpc_api::grpc_surface_factory()};
  if (redis) {
    ports.redis_health = [&redis] { return redis->health(); };
    ports.stop_redis = [&redis] { redis->stop(); };
    ports.load_definition = redis->definition_loader(*stores->sessions);
    ports.listen_config_changes = [&redis](std::function<void()> changed) {
      redis->listen([changed = std::move(changed)](const std::string& kind, const std::string&) {
        if (kind == RedisOutput::kConfigInvalidation) changed();
      });
    };
    ports.announce_config_change = [&redis] { redis->announce(RedisOutput::kConfigInvalidation, ""); };
  }
  ports.inbox_queue = inbox_queue.get();
  ports.kafka_consumer = kafka.consumer.get();
  ports.kafka_producer = kafka.producer.get();
  ports.kv = kv.get();
  ports.kv_cache_counts = [&kv, &redis_kv] {
    serve::KvCacheCounts counts;
    const auto lru = kv->stats();
    counts.process_hits = lru.hits;
    counts.process_misses = lru.misses;
    if (redis_kv) {
      const auto redis_stats = redis_kv->stats();
      counts.redis_layer = true;
      counts.redis_hits = redis_stats.hits;
      counts.redis_misses = redis_stats.misses;
      counts.redis_errors = redis_stats.redis_errors;
    }
    return counts;
  };
  ports.kv_uncached = stores->kv.get();
  if (config.store.kind == "dynamodb") ports.dependencies.push_back(&store_health);
  if (inbox_queue) ports.dependencies.push_back(&queue_health);
  ports.json_logs = true;  // `serve` logs JSON lines; `run` keeps the human format
  ports.reload_config = [&o, &env] { return build_config(o, env); };
  return serve::run_serve(config, env, std::move(ports), ctx, out, err);
}

}  // namespace agentrt::cli
