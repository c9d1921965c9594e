#include "serve/config_reload.hpp"

#include <set>
#include <sstream>

#include "core/definition/definition_loader.hpp"

namespace agentrt::serve {
namespace {

bool same_orgs(const std::vector<OrgAccess>& a, const std::vector<OrgAccess>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].org != b[i].org || a[i].token_env != b[i].token_env || a[i].token_sha256 != b[i].token_sha256) return false;
  }
  return true;
}

std::string short_hash(const std::string& hash) { return hash.substr(0, 12); }

std::set<std::string> topics_of(const std::vector<KafkaRoute>& routes) {
  std::set<std::string> topics;
  for (const auto& route : routes) topics.insert(route.topic);
  return topics;
}

bool same_routes(const std::vector<KafkaRoute>& a, const std::vector<KafkaRoute>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].topic != b[i].topic || a[i].org != b[i].org || a[i].bot != b[i].bot ||
        a[i].session_from != b[i].session_from || a[i].signal != b[i].signal) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<BotDefinitions> load_bot_definitions(const ServeConfig& config) {
  BotDefinitions bots;
  for (const auto& [bot, path] : config.bots) {
    auto definition = load_definition(path);
    if (!definition) return definition.error().with_context("bot " + bot);
    bots.emplace(bot, std::move(definition.value()));
  }
  return bots;
}

std::vector<std::string> restart_only_changes(const ServeConfig& running, const ServeConfig& next) {
  std::vector<std::string> keys;
  const auto differs = [&keys](bool changed, const char* key) {
    if (changed) keys.emplace_back(key);
  };
  differs(running.db_path != next.db_path, "db");
  differs(running.store.kind != next.store.kind || running.store.table != next.store.table ||
              running.store.region != next.store.region || running.store.endpoint != next.store.endpoint,
          "store");
  differs(running.inbox.kind != next.inbox.kind || running.inbox.queue_url != next.inbox.queue_url ||
              running.inbox.region != next.inbox.region || running.inbox.endpoint != next.inbox.endpoint ||
              running.inbox.consumer.wait != next.inbox.consumer.wait ||
              running.inbox.consumer.visibility != next.inbox.consumer.visibility,
          "inbox");
  differs(running.listen_host != next.listen_host || running.listen_port != next.listen_port, "listen");
  differs(running.worker_id != next.worker_id, "worker_id");
  differs(running.lease.ttl != next.lease.ttl || running.lease.heartbeat != next.lease.heartbeat, "lease");
  differs(running.max_active_sessions != next.max_active_sessions, "dispatch.max_active_sessions");
  differs(running.poll_interval != next.poll_interval, "dispatch.poll_interval");
  differs(running.shutdown_grace != next.shutdown_grace, "shutdown");
  differs(running.max_body_bytes != next.max_body_bytes, "http");
  differs(running.grpc_listen_host != next.grpc_listen_host || running.grpc_listen_port != next.grpc_listen_port,
          "grpc");
  differs(!same_orgs(running.orgs, next.orgs), "orgs");
  differs(running.llm.base_url != next.llm.base_url || running.llm.provider != next.llm.provider ||
              running.llm.model != next.llm.model || running.llm.api_key_env != next.llm.api_key_env,
          "llm");
  differs(running.tracing.endpoint != next.tracing.endpoint ||
              running.tracing.sampling_ratio != next.tracing.sampling_ratio ||
              running.tracing.headers_env != next.tracing.headers_env ||
              running.tracing.service_name != next.tracing.service_name,
          "tracing");
  differs(running.metrics_org_labels != next.metrics_org_labels, "metrics");
  differs(running.admin_token_env != next.admin_token_env, "admin_token_env");
  differs(running.config_reload_interval != next.config_reload_interval, "config_reload_interval");
  differs(running.output_hub != next.output_hub, "output_hub");
  differs(running.config_version_key != next.config_version_key, "config_version_key");
  differs(running.redis.url != next.redis.url || running.redis.host != next.redis.host ||
              running.redis.port != next.redis.port || running.redis.password_env != next.redis.password_env ||
              running.redis.pool_size != next.redis.pool_size ||
              running.redis.connect_timeout != next.redis.connect_timeout ||
              running.redis.command_timeout != next.redis.command_timeout ||
              running.redis.kv_cache != next.redis.kv_cache || running.redis.kv_cache_ttl != next.redis.kv_cache_ttl,
          "redis");
  // Routes reload; what the consumer is subscribed to and connected with does not.
  differs(running.kafka.brokers != next.kafka.brokers || running.kafka.group_id != next.kafka.group_id ||
              running.kafka.dead_letter_topic != next.kafka.dead_letter_topic ||
              running.kafka.lifecycle_topic != next.kafka.lifecycle_topic ||
              running.kafka.handoff_max != next.kafka.handoff_max,
          "kafka");
  differs(topics_of(running.kafka.routes) != topics_of(next.kafka.routes), "kafka.routes (their topics)");
  return keys;
}

std::string describe_reload(const ServeConfig& running, const BotDefinitions& running_bots, const ServeConfig& next,
                            const BotDefinitions& next_bots) {
  std::ostringstream out;
  const auto part = [&out](const std::string& text) {
    if (out.tellp() > 0) out << "; ";
    out << text;
  };
  for (const auto& [bot, definition] : next_bots) {
    const auto old = running_bots.find(bot);
    if (old == running_bots.end()) {
      part("bot " + bot + " added: definition " + short_hash(definition.content_hash));
    } else if (old->second.content_hash != definition.content_hash) {
      part("bot " + bot + ": definition " + short_hash(old->second.content_hash) + " -> " +
           short_hash(definition.content_hash));
    }
  }
  for (const auto& [bot, definition] : running_bots) {
    if (!next_bots.contains(bot)) part("bot " + bot + " removed (its sessions keep running)");
  }
  if (running.org_quotas != next.org_quotas) part("org_quotas");
  if (!same_routes(running.kafka.routes, next.kafka.routes)) part("kafka.routes");
  if (running.log_level != next.log_level) part("log_level " + (next.log_level.empty() ? "unset" : next.log_level));
  return out.str();
}

}  // namespace agentrt::serve
