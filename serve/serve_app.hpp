#pragma once
// `agentrt serve`: one process = one worker + the HTTP API on one port (and the gRPC API on
// another when grpc.listen is set), sharing one store with every other serve process
// (docs/serve.md). It prints one JSON line when it listens
// ({"kind":"listening","host","port","worker"}, plus "grpc_port") and one when it stops.
//
// Shutdown (SIGTERM or SIGINT): readiness turns false, the worker claims nothing more, and
// running sessions get shutdown_grace to reach quiescence; then (or at a second signal) every
// activation is cancelled, which stops its runner and releases its lease. The HTTP API keeps
// answering while the worker drains (/readyz says 503 not_ready); once the worker has ended
// it stops accepting and lets in-flight requests finish (a second signal closes them at
// once). Nothing is lost either way: an interrupted call is redone by the next owner with the
// same idempotency key.

#include <cstdint>
#include <functional>
#include <iosfwd>

#include <boost/asio/io_context.hpp>

#include "core/ports/clock.hpp"
#include "core/ports/event_bus.hpp"
#include "core/ports/id_source.hpp"
#include "core/ports/inbox_queue.hpp"
#include "core/ports/kv_store.hpp"
#include "core/runtime/dependency_health.hpp"
#include "core/ports/lease_store.hpp"
#include "core/ports/output_hub.hpp"
#include "core/ports/session_store.hpp"
#include "serve/api_surface.hpp"
#include "serve/config_watcher.hpp"
#include "serve/serve_config.hpp"
#include "serve/session_adapters.hpp"

namespace agentrt::serve {

// What the KV caches counted since start (keys, not calls); the Redis ones stay 0 without Redis.
struct KvCacheCounts {
  bool redis_layer = false;  // reads go through Redis too (output_hub: redis, redis.kv_cache)
  std::uint64_t process_hits = 0;
  std::uint64_t process_misses = 0;
  std::uint64_t redis_hits = 0;
  std::uint64_t redis_misses = 0;
  std::uint64_t redis_errors = 0;
};

struct ServePorts {
  SessionStore* store = nullptr;
  LeaseStore* leases = nullptr;
  const Clock* clock = nullptr;
  IdSource* ids = nullptr;
  SessionAdaptersFactory adapters;
  OutputHub* hub = nullptr;  // where sessions publish output; GET .../events needs it
  ApiSurfaceFactory grpc;    // the gRPC API (config grpc.listen); unset: none
  // inbox: {kind: sqs}: the API sends messages here and a SqsInboxConsumer moves them into
  // the store; it must be usable on `ctx`'s executor. Null: messages go to the store directly.
  InboxQueue* inbox_queue = nullptr;
  // kafka: the routes' consumer (a KafkaSignalConsumer moves its records into the store) and
  // the producer of dead letters and lifecycle events; null: none. Usable on `ctx`'s executor.
  EventBusConsumer* kafka_consumer = nullptr;
  EventBusProducer* kafka_producer = nullptr;
  // output_hub: redis (cli/wiring.cpp): Redis's health for /readyz (listed under "degraded",
  // still 200) and /metrics (agentrt_redis_up), and its stop, run once the API servers have
  // stopped so ctx.run() can end. Unset without Redis.
  std::function<RedisHealth()> redis_health{};
  std::function<void()> stop_redis{};
  // Where the worker loads pinned definitions (serve/worker.hpp DefinitionLoader); unset: the store.
  std::function<boost::asio::awaitable<Result<nlohmann::json>>(const std::string& hash)> load_definition{};
  // The KV store of /v1/bots/{bot}/kv (docs/serve.md "KV"); null: those routes are absent.
  KvStore* kv = nullptr;
  // Its caches' cumulative counts, for agentrt_kv_cache_* at each scrape; unset: no cache.
  std::function<KvCacheCounts()> kv_cache_counts{};
  // The same KV without any cache: config_version_key is read here (serve/config_version_key.hpp).
  KvStore* kv_uncached = nullptr;
  // output_hub: redis: reloads announced between workers (agentrt:invalidate, kind "config").
  // listen_config_changes(f) calls f on ctx when another worker applied a new configuration;
  // announce_config_change() tells the others this one did. Unset without Redis.
  std::function<void(std::function<void()>)> listen_config_changes{};
  std::function<void()> announce_config_change{};
  // The remote backends (DynamoDB, SQS) as their calls find them: /readyz answers 503 naming
  // the first one unreachable. They outlive run_serve.
  std::vector<const DependencyHealth*> dependencies{};
  // Logs as JSON lines with the worker id (serve/json_log_formatter.hpp) from the start on;
  // false leaves the process's log format alone (tests).
  bool json_logs = false;
  // Builds the configuration again as at start (file, variables, flags) for reloads
  // (serve/config_watcher.hpp); unset: the configuration never changes while running.
  ConfigLoader reload_config{};
};

// Returns the process exit status: 0 after a clean shutdown, 2 for a bad config or
// definition, 1 when the server cannot start (port taken, store unusable).
int run_serve(const ServeConfig& config, const EnvLookup& env, ServePorts ports, boost::asio::io_context& ctx,
              std::ostream& out, std::ostream& err);

}  // namespace agentrt::serve
