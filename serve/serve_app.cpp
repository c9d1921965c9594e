#include "serve/serve_app.hpp"

#include <csignal>
#include <ostream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "backends/http/url.hpp"
#include "backends/http_server/health_routes.hpp"
#include "backends/http_server/http_server.hpp"
#include "backends/http_server/router.hpp"
#include "backends/otel/otlp_export_thread.hpp"
#include "serve/config_reload.hpp"
#include "serve/config_watcher.hpp"
#include "core/definition/definition_loader.hpp"
#include "serve/admin_api.hpp"
#include "serve/json_log_formatter.hpp"
#include "serve/metrics/api_metrics.hpp"
#include "serve/metrics/metered_lease_store.hpp"
#include "serve/metrics/metrics_endpoint.hpp"
#include "serve/org_tokens.hpp"
#include "serve/event_stream_api.hpp"
#include "serve/kafka_signal_consumer.hpp"
#include "serve/lifecycle_events.hpp"
#include "serve/kv_api.hpp"
#include "serve/session_api.hpp"
#include "serve/socketio_api.hpp"
#include "serve/worker.hpp"

namespace agentrt::serve {
namespace {

namespace asio = boost::asio;

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr const char* kAgentrtVersion = "0.1.0";
// The HTTP server's own grace: in-flight API requests are short (an update waits at most 10 s).
constexpr std::chrono::milliseconds kHttpGrace{10'000};
// config_version_key is polled this often while config_reload_interval is off.
constexpr std::chrono::milliseconds kVersionKeyPollWhenOff{2'000};

// Waits for SIGTERM/SIGINT and runs the shutdown described in serve_app.hpp.
class Shutdown {
 public:
  Shutdown(asio::io_context& ctx, Worker& worker, HttpServer& server, std::chrono::milliseconds grace)
      : signals_(ctx, SIGTERM, SIGINT), grace_timer_(ctx), worker_(worker), server_(server), grace_(grace) {}

  asio::awaitable<void> watch() {
    boost::system::error_code ec;
    int signal = co_await signals_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;  // the worker ended on its own: nothing to do
    draining_ = true;
    spdlog::info("serve: signal {}: draining (grace {} ms); a second signal stops at once", signal, grace_.count());
    // The HTTP API keeps answering while the worker drains (its requests only write to the
    // store), so /readyz can say "not ready" and a load balancer move traffic away; it stops
    // once the worker has ended (run_serve).
    worker_.stop_claiming();
    grace_timer_.expires_after(grace_);
    grace_timer_.async_wait([this](boost::system::error_code timer_ec) {
      if (timer_ec) return;
      spdlog::warn("serve: grace period over: cancelling {} running session(s)", worker_.active());
      worker_.cancel_all();
    });
    signal = co_await signals_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    spdlog::warn("serve: second signal {}: cancelling {} running session(s) now", signal, worker_.active());
    worker_.cancel_all();
    if (grpc_ != nullptr) grpc_->begin_stop(std::chrono::milliseconds{0});
    asio::co_spawn(signals_.get_executor(), server_.stop(std::chrono::milliseconds{0}), asio::detached);
  }

  void set_grpc(ApiSurface* grpc) { grpc_ = grpc; }

  // The worker has ended: no grace period left to wait for.
  void worker_done() { grace_timer_.cancel(); }

  // The HTTP server has stopped too: stop listening for signals, so the io_context can end.
  void done() {
    boost::system::error_code ignored;
    signals_.cancel(ignored);
    grace_timer_.cancel();
  }

  [[nodiscard]] bool draining() const { return draining_; }

 private:
  asio::signal_set signals_;
  asio::steady_timer grace_timer_;
  Worker& worker_;
  HttpServer& server_;
  ApiSurface* grpc_ = nullptr;
  std::chrono::milliseconds grace_;
  bool draining_ = false;
};

// The API servers stop together: the gRPC one ends its streams and calls while HTTP does.
asio::awaitable<void> stop_api_servers(HttpServer& http, ApiSurface* grpc) {
  if (grpc != nullptr) grpc->begin_stop(kHttpGrace);
  co_await http.stop(kHttpGrace);
  if (grpc != nullptr) co_await grpc->stopped();
}

// The OTLP exporter, on its own thread, when tracing.endpoint is set; null when tracing is off.
Result<std::unique_ptr<OtlpExportThread>> make_span_exporter(const TracingConfig& tracing, const EnvLookup& env,
                                                             const std::string& worker_id) {
  if (tracing.endpoint.empty()) return std::unique_ptr<OtlpExportThread>{};
  auto headers = tracing_headers(tracing, env);
  if (!headers) return headers.error();
  OtlpExporterOptions options;
  options.endpoint = tracing.endpoint;
  options.headers = std::move(headers.value());
  options.resource = OtlpResource{tracing.service_name, kAgentrtVersion, worker_id};
  options.max_batch = static_cast<std::size_t>(tracing.max_batch);
  options.max_queue = static_cast<std::size_t>(tracing.max_queue);
  options.interval = tracing.export_interval;
  spdlog::info("serve: tracing to {} (sampling ratio {})", redact_url(tracing.endpoint), tracing.sampling_ratio);
  return std::make_unique<OtlpExportThread>(std::move(options));
}

// SIGHUP: read the configuration now (the watcher's thread does the work).
asio::awaitable<void> reload_on_sighup(asio::signal_set& signals, ConfigWatcher& watcher) {
  for (;;) {
    boost::system::error_code ec;
    co_await signals.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    spdlog::info("serve: SIGHUP: reading the configuration again");
    watcher.check_now();
  }
}

// /readyz lists Redis under "degraded" while it is down (the store serves; still 200).
std::function<std::vector<DegradedDependency>()> degraded_probe(const std::function<RedisHealth()>& redis) {
  if (!redis) return {};
  return [redis] {
    std::vector<DegradedDependency> down;
    if (auto health = redis(); !health.up) down.push_back(DegradedDependency{"redis", health.detail});
    return down;
  };
}

// A counter that mirrors a count kept elsewhere (cumulative since start).
void advance_to(prometheus::Counter& counter, std::uint64_t total) {
  const auto counted = static_cast<std::uint64_t>(counter.Value());
  if (total > counted) counter.Increment(static_cast<double>(total - counted));
}

// agentrt_redis_up and agentrt_redis_publish_failures_total, read from the hub at each scrape.
void watch_redis_metrics(MetricsEndpoint& endpoint, ServeMetrics& metrics, const std::function<RedisHealth()>& redis) {
  if (!redis) return;
  auto& up = metrics.redis_up.Add({});
  auto& failures = metrics.redis_publish_failures.Add({});
  endpoint.on_scrape([redis, &up, &failures] {
    const auto health = redis();
    up.Set(health.up ? 1.0 : 0.0);
    advance_to(failures, health.publish_failures);
  });
}

// agentrt_kv_cache_*, read from the caches at each scrape (Redis series only with Redis).
void watch_kv_cache_metrics(MetricsEndpoint& endpoint, ServeMetrics& metrics, const std::function<KvCacheCounts()>& counts) {
  if (!counts) return;
  const bool with_redis = counts().redis_layer;
  auto& process_hits = metrics.kv_cache_lookups.Add({{"layer", "process"}, {"outcome", "hit"}});
  auto& process_misses = metrics.kv_cache_lookups.Add({{"layer", "process"}, {"outcome", "miss"}});
  prometheus::Counter* redis_hits = nullptr;
  prometheus::Counter* redis_misses = nullptr;
  prometheus::Counter* redis_errors = nullptr;
  if (with_redis) {
    redis_hits = &metrics.kv_cache_lookups.Add({{"layer", "redis"}, {"outcome", "hit"}});
    redis_misses = &metrics.kv_cache_lookups.Add({{"layer", "redis"}, {"outcome", "miss"}});
    redis_errors = &metrics.kv_cache_redis_errors.Add({});
  }
  endpoint.on_scrape([counts, &process_hits, &process_misses, redis_hits, redis_misses, redis_errors] {
    const auto now = counts();
    advance_to(process_hits, now.process_hits);
    advance_to(process_misses, now.process_misses);
    if (redis_hits == nullptr) return;
    advance_to(*redis_hits, now.redis_hits);
    advance_to(*redis_misses, now.redis_misses);
    advance_to(*redis_errors, now.redis_errors);
  });
}

}  // namespace

int run_serve(const ServeConfig& config, const EnvLookup& env, ServePorts ports, asio::io_context& ctx, std::ostream& out,
              std::ostream& err) {
  if (auto checked = check_serve_config(config); !checked) {
    err << "agentrt serve: " << checked.error().message << '\n';
    return kExitUsage;
  }
  auto bots = load_bot_definitions(config);
  if (!bots) {
    err << "agentrt serve: " << bots.error().message << '\n';
    return kExitUsage;
  }
  auto tokens = OrgTokens::from_config(config.orgs, env);
  if (!tokens) {
    err << "agentrt serve: " << tokens.error().message << '\n';
    return kExitUsage;
  }
  auto admin_token = admin_tokens(config.admin_token_env, env);
  if (!admin_token) {
    err << "agentrt serve: " << admin_token.error().message << '\n';
    return kExitUsage;
  }
  const std::string worker_id = config.worker_id.empty() ? process_lease_owner("serve") : config.worker_id;
  if (ports.json_logs) spdlog::default_logger()->set_formatter(std::make_unique<JsonLogFormatter>(worker_id));
  if (!config.log_level.empty()) spdlog::set_level(spdlog::level::from_str(config.log_level));
  auto exporter = make_span_exporter(config.tracing, env, worker_id);
  if (!exporter) {
    err << "agentrt serve: " << exporter.error().message << '\n';
    return kExitUsage;
  }
  SpanSink* spans = *exporter ? &(*exporter)->sink() : nullptr;

  // One registry for the process, owned here and passed down (no global registry).
  ServeMetrics metrics(MetricsOptions{config.metrics_org_labels});
  MeteredLeaseStore worker_leases(*ports.leases, metrics);  // counts the worker's renewals
  WorkerOptions worker_options{worker_id, config.lease, config.max_active_sessions, config.org_quotas,
                               config.poll_interval};
  std::optional<LifecycleEvents> lifecycle;
  if (ports.kafka_producer != nullptr && !config.kafka.lifecycle_topic.empty()) {
    lifecycle.emplace(*ports.kafka_producer, config.kafka.lifecycle_topic, &metrics);
  }
  LifecycleEvents* lifecycle_events = lifecycle ? &*lifecycle : nullptr;
  Worker worker(ctx.get_executor(),
                WorkerPorts{ports.store, &worker_leases, ports.clock, ports.adapters, ports.hub, spans, &metrics,
                            lifecycle_events, ports.load_definition, ports.kv},
                std::move(worker_options));

  BotCatalog catalog(bots.value());  // a reload replaces it; bots.value() stays the start's set
  Router router;
  ApiContext api_context;
  api_context.store = ports.store;
  api_context.leases = ports.leases;
  api_context.clock = ports.clock;
  api_context.ids = ports.ids;
  api_context.tokens = &tokens.value();
  api_context.bots = &catalog;
  api_context.work_arrived = [&worker](const SessionId& session) { worker.inbox_changed(session); };
  api_context.cancel_owner = "api:" + worker_id;
  api_context.lease = config.lease;
  api_context.spans = spans;
  api_context.trace_sampling_ratio = config.tracing.sampling_ratio;
  api_context.inbox_queue = ports.inbox_queue;
  api_context.lifecycle = lifecycle_events;
  SessionApi api(std::move(api_context));
  api.add_routes(router);
  KvApi kv_api(KvApiContext{ports.kv, &tokens.value(), &catalog});
  if (ports.kv != nullptr) kv_api.add_routes(router);
  StreamContext stream_context;
  stream_context.store = ports.store;
  stream_context.hub = ports.hub;
  stream_context.tokens = &tokens.value();
  EventStreamApi streams(stream_context);
  if (ports.hub != nullptr) streams.add_routes(router);
  SocketIoContext socketio_context;
  socketio_context.store = ports.store;
  socketio_context.hub = ports.hub;
  socketio_context.tokens = &tokens.value();
  socketio_context.ids = ports.ids;
  socketio_context.clock = ports.clock;
  socketio_context.work_arrived = [&worker](const SessionId& session) { worker.inbox_changed(session); };
  socketio_context.inbox_queue = ports.inbox_queue;
  SocketIoApi socketio(ctx.get_executor(), std::move(socketio_context));
  if (ports.hub != nullptr) socketio.add_routes(router);
  MetricsEndpoint metrics_endpoint(metrics, *ports.store, *ports.clock);
  metrics_endpoint.add_routes(router);
  AdminApi admin(std::move(admin_token).value());
  admin.add_routes(router);
  HttpMetrics http_metrics(metrics);
  GrpcMetrics grpc_metrics(metrics);

  HttpServerOptions http_options;
  http_options.host = config.listen_host;
  http_options.port = config.listen_port;
  http_options.max_body_bytes = config.max_body_bytes;
  // Streaming clients hold their connection: room for all of them and the API calls besides.
  http_options.max_connections = stream_context.options.max_streams + 1024;
  HttpServer server(ctx.get_executor(), http_options,
                    [&router, &http_metrics](const ServerRequest& request) { return router.handle(request, &http_metrics); });
  Shutdown shutdown(ctx, worker, server, config.shutdown_grace);
  add_health_routes(
      router,
      [&worker, &shutdown, &ports]() -> std::optional<std::string> {
        if (shutdown.draining()) return "draining: the worker is shutting down";
        for (const auto* dependency : ports.dependencies) {
          if (auto problem = dependency->problem()) return problem;
        }
        if (!worker.store_reachable()) return "store unreachable: the last look for work failed";
        return std::nullopt;
      },
      degraded_probe(ports.redis_health));
  watch_redis_metrics(metrics_endpoint, metrics, ports.redis_health);
  watch_kv_cache_metrics(metrics_endpoint, metrics, ports.kv_cache_counts);
  if (auto listening = server.listen(); !listening) {
    err << "agentrt serve: " << listening.error().message << '\n';
    return kExitFailure;
  }
  std::unique_ptr<ApiSurface> grpc;
  nlohmann::json listening_line{{"kind", "listening"}, {"host", config.listen_host}, {"port", server.port()}};
  if (ports.grpc && !config.grpc_listen_host.empty()) {
    grpc = ports.grpc(ApiSurfaceDeps{ctx.get_executor(), &router, stream_context, &config, &grpc_metrics});
    auto grpc_port = grpc->start();
    if (!grpc_port) {
      err << "agentrt serve: " << grpc_port.error().message << '\n';
      return kExitFailure;
    }
    listening_line["grpc_port"] = *grpc_port;
    shutdown.set_grpc(grpc.get());
  }
  listening_line["worker"] = worker_id;
  server.start();
  out << listening_line.dump() << std::endl;
  spdlog::info("serve: worker {} listening on {}:{}, db {}", worker_id, config.listen_host, server.port(), config.db_path);

  asio::co_spawn(ctx, shutdown.watch(), asio::detached);
  std::optional<SqsInboxConsumer> inbox_consumer;
  if (ports.inbox_queue != nullptr) {
    inbox_consumer.emplace(*ports.inbox_queue, *ports.store,
                           [&worker](const SessionId& session) { worker.inbox_changed(session); },
                           config.inbox.consumer, &metrics);
    inbox_consumer->start(ctx.get_executor());
  }
  std::optional<KafkaSignalConsumer> kafka_consumer;
  if (ports.kafka_consumer != nullptr && ports.kafka_producer != nullptr) {
    kafka_consumer.emplace(KafkaSignalPorts{ports.kafka_consumer, ports.kafka_producer, ports.store, ports.clock, &metrics},
                           config.kafka, [&worker](const SessionId& session) { worker.inbox_changed(session); });
    kafka_consumer->start(ctx.get_executor());
  }
  // Reloads (serve/config_watcher.hpp): every config_reload_interval, and at once on SIGHUP.
  std::unique_ptr<ConfigWatcher> watcher;
  asio::signal_set reload_signal(ctx);
  std::optional<ConfigVersionPoller> version_poller;
  if (ports.reload_config) {
    std::string log_level = config.log_level;
    watcher = std::make_unique<ConfigWatcher>(
        ctx.get_executor(), ports.reload_config, config, bots.value(),
        [&catalog, &worker, &kafka_consumer, &ports, log_level](const ServeConfig& next, BotDefinitions next_bots,
                                                                const std::string&) mutable {
          catalog.replace(std::move(next_bots));
          worker.set_org_quotas(next.org_quotas);
          if (kafka_consumer) kafka_consumer->set_routes(next.kafka.routes);
          // Only a log_level the files changed is applied: a level set through the admin API
          // since then stays until the files say otherwise.
          if (next.log_level != log_level && !next.log_level.empty()) {
            spdlog::set_level(spdlog::level::from_str(next.log_level));
          }
          log_level = next.log_level;
          // The other workers check their files now rather than at their next interval.
          if (ports.announce_config_change) ports.announce_config_change();
        },
        [&metrics](bool applied) { metrics.config_reloads.Add({{"outcome", applied ? "applied" : "refused"}}).Increment(); });
    watcher->start(config.config_reload_interval);
    reload_signal.add(SIGHUP);
    asio::co_spawn(ctx, reload_on_sighup(reload_signal, *watcher), asio::detached);
    if (ports.listen_config_changes) ports.listen_config_changes([&watcher] { watcher->check_now(); });
    if (config.config_version_key.enabled() && ports.kv_uncached != nullptr) {
      const auto every = config.config_reload_interval.count() > 0 ? config.config_reload_interval : kVersionKeyPollWhenOff;
      version_poller.emplace(ctx.get_executor(), *ports.kv_uncached, config.config_version_key, every,
                             [&watcher](const nlohmann::json&) { watcher->check_now(); });
      version_poller->start();
    }
  }
  asio::co_spawn(ctx, worker.run(), [&](std::exception_ptr error) {
    if (error) spdlog::error("serve: worker stopped by an exception");
    // The consumer drains with the worker: a message it had not acked comes back to another.
    if (inbox_consumer) inbox_consumer->stop();
    if (kafka_consumer) kafka_consumer->stop();  // what it had not committed goes to another member
    shutdown.worker_done();
    socketio.stop();  // Socket.IO clients end with the HTTP streams: they reconnect elsewhere
    // In-flight API requests get kHttpGrace (a second signal cuts it short); then the
    // signal wait ends too and ctx.run() returns.
    asio::co_spawn(ctx, stop_api_servers(server, grpc.get()), [&](std::exception_ptr) {
      shutdown.done();
      boost::system::error_code ignored;
      reload_signal.cancel(ignored);  // its wait would keep ctx.run() going
      if (version_poller) version_poller->stop();  // so would its timer
      if (ports.stop_redis) ports.stop_redis();  // its reconnect loops would keep ctx.run() going
      if (*exporter) (*exporter)->stop();  // sends what is queued; its destructor waits for that
    });
  });
  ctx.run();
  const auto& stats = worker.stats();
  out << nlohmann::json{{"kind", "stopped"},
                        {"worker", worker_id},
                        {"activations", stats.activations},
                        {"quiescent", stats.quiescent},
                        {"lost", stats.lost},
                        {"failed", stats.failed},
                        {"cancelled", stats.cancelled}}
             .dump()
      << std::endl;
  if (*exporter) {
    (*exporter)->join();
    const auto traced = (*exporter)->stats();
    spdlog::info("serve: tracing: {} spans exported, {} dropped (queue full), {} failed", traced.exported, traced.dropped,
                 traced.failed);
  }
  return kExitOk;
}

}  // namespace agentrt::serve
