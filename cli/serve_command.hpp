#pragma once
// `agentrt serve --config FILE`: a worker and the HTTP API on the embedded store (several
// serve processes may share one database file). Settings: the YAML file, then AGENTRT_*
// variables, then these flags (serve/serve_config.hpp, docs/serve.md).

#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace agentrt::cli {

struct ServeCommandOptions {
  std::string config_path;  // --config (or AGENTRT_CONFIG)
  std::optional<std::string> listen;
  std::optional<std::string> grpc_listen;  // host:port or off
  std::optional<std::string> db_path;
  std::optional<std::string> store;           // sqlite or dynamodb
  std::optional<std::string> dynamodb_table;
  std::optional<std::string> worker_id;
  std::optional<std::string> lease_ttl;
  std::optional<std::string> lease_heartbeat;
  std::optional<std::string> poll_interval;
  std::optional<std::string> shutdown_grace;
  std::optional<std::size_t> max_active_sessions;
  std::optional<std::string> llm_base_url;
  std::optional<std::string> llm_provider;
  std::optional<std::string> llm_model;
  std::optional<std::string> llm_api_key_env;
  std::optional<std::size_t> max_body_bytes;
  std::optional<std::string> bots;        // NAME=FILE,...
  std::optional<std::string> orgs;        // ORG=TOKEN_ENV,... or ORG=sha256:HEX
  std::optional<std::string> org_quotas;  // ORG=N,...
  std::optional<std::string> tracing_endpoint;        // OTLP/HTTP traces URL
  std::optional<std::string> tracing_sampling_ratio;  // 0..1
  std::optional<std::string> kafka_brokers;           // kafka.brokers
  std::optional<std::string> output_hub;              // in_process or redis
  std::optional<std::string> redis_url;               // redis://host:port
};

void register_serve_command(CLI::App& app, ServeCommandOptions& options);
int serve_command(const ServeCommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace agentrt::cli
