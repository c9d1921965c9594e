#pragma once
// The configuration of `agentrt serve` (docs/serve.md): a YAML file, then AGENTRT_* environment
// variables, then command-line flags, each overriding the one before. Every problem is an
// Errc::invalid naming the file:line:col, the variable or the flag, and the value expected.
// Tokens are never part of the config: an org names the environment variable holding its
// token (or the token's sha256), so the file can be committed and printed.

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/model/error.hpp"
#include "core/runtime/held_lease.hpp"
#include "serve/config_version_key.hpp"
#include "serve/kafka_config.hpp"
#include "serve/redis_config.hpp"
#include "serve/sqs_inbox_consumer.hpp"
#include "serve/tracing_config.hpp"

namespace agentrt::serve {

struct OrgAccess {
  std::string org;
  std::string token_env;     // the variable holding the org's API token, or
  std::string token_sha256;  // the hex sha256 of the token
};

struct LlmOverrides {  // as `agentrt run`'s flags: they win over every definition's model
  std::string base_url;
  std::string provider;
  std::string model;
  std::string api_key_env;  // variable with the API key for every definition (else each model's own)
};

// Where sessions and leases live (`store:` in the file; AGENTRT_STORE, AGENTRT_DYNAMODB_TABLE).
struct StoreConfig {
  std::string kind = "sqlite";    // sqlite (the `db` file) or dynamodb
  std::string table = "agentrt";  // dynamodb: the table made by `agentrt admin create-tables`
  std::string region;             // dynamodb: empty: AWS_REGION, AWS_DEFAULT_REGION, the profile's
  std::string endpoint;           // dynamodb: empty: AGENTRT_DYNAMODB_ENDPOINT, AGENTRT_AWS_ENDPOINT, AWS's
};

// Where API messages go first (`inbox:` in the file; AGENTRT_INBOX, AGENTRT_SQS_QUEUE_URL).
// kind store: straight into the store's inbox; sqs: an SQS FIFO queue, moved into the store
// by each worker's SqsInboxConsumer (backends/aws/README.md "SQS inbox").
struct InboxConfig {
  std::string kind = "store";  // store or sqs
  std::string queue_url;       // sqs: the FIFO queue (".fifo")
  std::string region;          // sqs: empty: AWS_REGION, AWS_DEFAULT_REGION, the profile's
  std::string endpoint;        // sqs: empty: AGENTRT_SQS_ENDPOINT, AGENTRT_AWS_ENDPOINT, AWS's
  SqsInboxConsumerOptions consumer{};  // wait (long polling), visibility
};

struct ServeConfig {
  std::string db_path = ".agentrt/agentrt.db";
  StoreConfig store;
  InboxConfig inbox;
  std::string listen_host = "127.0.0.1";
  unsigned short listen_port = 8080;  // 0: any free port (printed at start)
  std::string worker_id;              // default "serve:<host>:<pid>" (inspect checks its liveness)
  LeaseTiming lease{std::chrono::milliseconds{10'000}, std::chrono::milliseconds{3'000}};
  std::size_t max_active_sessions = 64;              // per worker
  std::map<std::string, std::size_t> org_quotas;     // active sessions of one org on this worker
  std::chrono::milliseconds poll_interval{200};      // how often the dispatcher looks for work
  std::chrono::milliseconds shutdown_grace{20'000};  // SIGTERM: time for running steps to finish
  std::size_t max_body_bytes = 1024 * 1024;  // also the largest gRPC request message
  std::string grpc_listen_host;              // grpc.listen: empty (the default) runs no gRPC server
  unsigned short grpc_listen_port = 0;       // 0: any free port (printed as "grpc_port" at start)
  std::map<std::string, std::string> bots;  // bot name -> definition file (sessions of that bot run it)
  std::vector<OrgAccess> orgs;
  LlmOverrides llm;
  // output_hub: in_process (the default: streams of sessions on other workers follow the store)
  // or redis (pub/sub through `redis:`, serve/redis_config.hpp).
  std::string output_hub = "in_process";
  RedisConfig redis;
  TracingConfig tracing;  // OTLP export of traces (serve/tracing_config.hpp); off by default
  KafkaConfig kafka;      // Kafka signals in and lifecycle events out (serve/kafka_config.hpp); off by default
  bool metrics_org_labels = true;  // metrics.org_labels: org and bot labels on GET /metrics
  // log_level (AGENTRT_LOG_LEVEL): trace, debug, info, warn (the default), error, critical or
  // off; empty: as set at process start. PUT /v1/admin/log-level changes it at runtime.
  std::string log_level;
  // admin_token_env: the variable holding the admin token (16+ characters) for /v1/admin;
  // empty (the default): the admin endpoints answer 404 not_enabled.
  std::string admin_token_env;
  // config_reload_interval (AGENTRT_CONFIG_RELOAD_INTERVAL): how often the running server
  // reads its configuration and definition files again and applies what changed
  // (serve/config_reload.hpp); "off" (0 here) turns that off. SIGHUP reloads at once either way.
  std::chrono::milliseconds config_reload_interval{2'000};
  // config_version_key (AGENTRT_CONFIG_VERSION_KEY): a KV entry whose change reloads at once
  // (serve/config_version_key.hpp); off by default.
  ConfigVersionKey config_version_key;
  std::string config_path;  // where it was read from (for messages); empty without --config
};

// Reads a variable of the environment (injected so tests need not touch the process's).
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup process_env();

// Reads and checks the YAML file into `config` (keys documented in docs/serve.md).
Result<void> load_serve_config_file(const std::string& path, ServeConfig& config);
// Applies AGENTRT_* variables: AGENTRT_LISTEN, AGENTRT_DB, AGENTRT_WORKER_ID, AGENTRT_LEASE_TTL,
// AGENTRT_LEASE_HEARTBEAT, AGENTRT_MAX_ACTIVE_SESSIONS, AGENTRT_POLL_INTERVAL,
// AGENTRT_SHUTDOWN_GRACE, AGENTRT_MAX_BODY_BYTES, AGENTRT_LLM_BASE_URL, AGENTRT_LLM_PROVIDER,
// AGENTRT_LLM_MODEL, AGENTRT_LLM_API_KEY_ENV, AGENTRT_BOTS, AGENTRT_ORGS, AGENTRT_ORG_QUOTAS,
// AGENTRT_GRPC_LISTEN, AGENTRT_LOG_LEVEL, AGENTRT_ADMIN_TOKEN_ENV, AGENTRT_STORE, AGENTRT_DYNAMODB_TABLE,
// AGENTRT_CONFIG_RELOAD_INTERVAL,
// the tracing variables (serve/tracing_config.hpp), the Kafka ones (serve/kafka_config.hpp) and
// the Redis ones (serve/redis_config.hpp).
Result<void> apply_serve_env(const EnvLookup& env, ServeConfig& config);
// Checks the whole: heartbeat well under the TTL, quotas within the worker's bound, listen
// address, at least one org (an API nobody can call is a mistake).
Result<void> check_serve_config(const ServeConfig& config);

// The map-valued settings as text, for AGENTRT_BOTS / AGENTRT_ORGS / AGENTRT_ORG_QUOTAS and
// the --bots / --orgs / --org-quotas flags: "NAME=VALUE[,NAME=VALUE...]". A value given this
// way replaces the file's whole map. Orgs: ORG=TOKEN_ENV or ORG=sha256:HEX.
Result<void> set_bots_from_text(const std::string& text, const std::string& where, ServeConfig& config);
Result<void> set_orgs_from_text(const std::string& text, const std::string& where, ServeConfig& config);
Result<void> set_org_quotas_from_text(const std::string& text, const std::string& where, ServeConfig& config);

// True for a level name log_level accepts.
bool valid_log_level(const std::string& level);

// "host:port" (port 0..65535, decimal digits only); the host may be a name or an IPv4 address.
// Problems read "<where>: expected host:port ..." (no prefix when `where` is empty).
Result<void> parse_listen(const std::string& text, const std::string& where, ServeConfig& config);
// The same for grpc.listen (AGENTRT_GRPC_LISTEN, --grpc-listen); "off" turns gRPC off.
Result<void> parse_grpc_listen(const std::string& text, const std::string& where, ServeConfig& config);

}  // namespace agentrt::serve
