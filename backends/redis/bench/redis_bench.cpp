// redis_bench: the latency Redis adds (issue 8's benchmark note).
//   output: worker A's RedisOutputHub publishes one output event at a time (1 ms apart, stamped
//           with the monotonic clock); worker B's hub, subscribed over its own pub/sub
//           connection, receives it. Both workers' Redis sides run in this process on one
//           thread (two pools, two subscriber connections, one redis-server on 127.0.0.1).
//   cache:  RedisDefinitionCache::get of a cached definition (one MGET round trip).
//   kv:     RedisKvCache::get_many of 10 cached keys of one bot (one MGET round trip), the
//           store beneath it in memory (never asked once the keys are cached).
// Prints p50/p99/max of each. Starts its own redis-server (--save '' --appendonly no).
//   redis_bench [--events N] [--cache-reads N]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "backends/redis/redis_client.hpp"
#include "backends/memory/memory_kv_store.hpp"
#include "backends/redis/redis_definition_cache.hpp"
#include "backends/redis/redis_kv_cache.hpp"
#include "backends/redis/redis_output_hub.hpp"
#include "backends/redis/redis_subscriber.hpp"
#include "backends/redis/testing/redis_test_server.hpp"

namespace {

namespace asio = boost::asio;
using agentrt::OutputEvent;
using Clock = std::chrono::steady_clock;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

void print(const char* what, std::vector<double> micros) {
  if (micros.empty()) {
    std::printf("%s: no samples\n", what);
    return;
  }
  std::sort(micros.begin(), micros.end());
  const auto at = [&micros](double q) { return micros[static_cast<std::size_t>(q * static_cast<double>(micros.size() - 1))]; };
  std::printf("%s: p50 %.0f us, p99 %.0f us, max %.0f us (%zu samples)\n", what, at(0.5), at(0.99), micros.back(),
              micros.size());
}

struct Side {  // one worker's Redis objects
  Side(asio::io_context& ioc, const agentrt::RedisOptions& options)
      : client(ioc.get_executor(), options), subscriber(ioc.get_executor(), options), hub(ioc.get_executor(), client, subscriber) {
    client.start();
    subscriber.start();
  }
  void stop() {
    subscriber.stop();
    client.stop();
  }
  agentrt::RedisClient client;
  agentrt::RedisSubscriber subscriber;
  agentrt::RedisOutputHub hub;
};

asio::awaitable<void> publish_events(Side& a, int events) {
  asio::steady_timer pause(co_await asio::this_coro::executor);
  for (int i = 0; i < events; ++i) {
    OutputEvent event;
    event.seq = i + 1;
    event.kind = "token";
    event.durable = false;
    event.data = {{"text", "tok"}, {"t_ns", now_ns()}};
    std::vector<OutputEvent> batch{event};
    (void)co_await a.hub.publish(agentrt::SessionId{"bench"}, std::move(batch));
    pause.expires_after(std::chrono::milliseconds(1));
    (void)co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<void> receive_events(agentrt::OutputSubscription& subscription, int events, std::vector<double>& micros) {
  int idle = 0;
  while (static_cast<int>(micros.size()) < events && idle < 5) {
    auto batch = co_await subscription.next(std::chrono::milliseconds(1000));
    if (!batch || batch->events.empty()) {
      ++idle;
      continue;
    }
    const auto arrived = now_ns();
    for (const auto& e : batch->events) micros.push_back(static_cast<double>(arrived - e.data["t_ns"].get<std::int64_t>()) / 1000.0);
  }
}

asio::awaitable<void> read_cache(agentrt::RedisDefinitionCache& cache, int reads, std::vector<double>& micros) {
  const agentrt::RedisDefinitionCache::Loader loader = [](const std::string&) -> asio::awaitable<agentrt::Result<nlohmann::json>> {
    co_return nlohmann::json{{"name", "bench"}, {"instructions", std::string(2000, 'x')}};
  };
  (void)co_await cache.get("bench-hash", loader);  // the miss that fills it
  for (int i = 0; i < reads; ++i) {
    const auto started = Clock::now();
    (void)co_await cache.get("bench-hash", loader);
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - started).count());
  }
}

asio::awaitable<void> read_kv(agentrt::RedisKvCache& cache, agentrt::KvStore& store, int reads, std::vector<double>& micros) {
  const agentrt::KvScope scope{agentrt::OrgId{"acme"}, agentrt::BotId{"support"}};
  agentrt::KvEntries entries;
  std::vector<std::string> keys;
  for (int i = 0; i < 10; ++i) {
    keys.push_back("key-" + std::to_string(i));
    entries[keys.back()] = nlohmann::json{{"plan", "gold"}, {"seats", i}};
  }
  (void)co_await store.put_many(scope, entries);
  (void)co_await cache.get_many(scope, keys);  // the misses that fill it
  for (int i = 0; i < reads; ++i) {
    const auto started = Clock::now();
    auto found = co_await cache.get_many(scope, keys);
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - started).count());
    if (!found || found->size() != keys.size()) std::fprintf(stderr, "redis_bench: kv read failed\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  int events = 2000;
  int cache_reads = 2000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--events") events = std::atoi(argv[i + 1]);
    else if (flag == "--cache-reads") cache_reads = std::atoi(argv[i + 1]);
  }
  spdlog::set_level(spdlog::level::err);
  agentrt::testing::RedisTestServer server;
  asio::io_context ioc;
  Side a(ioc, server.options());
  Side b(ioc, server.options());
  auto subscription = b.hub.subscribe(agentrt::SessionId{"bench"}, agentrt::SubscriberLimits{});
  if (!agentrt::testing::run_until(ioc, [&] { return a.hub.up() && b.subscriber.subscriptions_confirmed() >= 1; })) {
    std::fprintf(stderr, "redis_bench: Redis did not come up\n");
    return 1;
  }
  std::vector<double> output;
  std::vector<double> cache_hits;
  agentrt::RedisDefinitionCache cache(a.client);
  asio::co_spawn(ioc, receive_events(*subscription, events, output), asio::detached);
  asio::co_spawn(ioc, publish_events(a, events), asio::detached);
  agentrt::testing::run_until(ioc, [&] { return static_cast<int>(output.size()) >= events; }, std::chrono::seconds(120));
  bool cache_done = false;
  asio::co_spawn(ioc, read_cache(cache, cache_reads, cache_hits), [&cache_done](std::exception_ptr) { cache_done = true; });
  agentrt::testing::run_until(ioc, [&] { return cache_done; }, std::chrono::seconds(120));
  print("cross-worker output latency through Redis (publish on A to next() on B)", output);
  auto kv_store = agentrt::make_memory_kv_store();
  agentrt::RedisKvCache kv_cache(b.client, *kv_store, nullptr);
  std::vector<double> kv_hits;
  bool kv_done = false;
  asio::co_spawn(ioc, read_kv(kv_cache, *kv_store, cache_reads, kv_hits), [&kv_done](std::exception_ptr) { kv_done = true; });
  agentrt::testing::run_until(ioc, [&] { return kv_done; }, std::chrono::seconds(120));
  print("definition cache hit (MGET, 2 KB definition)", cache_hits);
  print("KV cache hit (MGET of 10 keys of one bot)", kv_hits);
  std::printf("events received %zu of %d; definition cache hits %llu; kv keys from Redis %llu, from the store %llu\n",
              output.size(), events, static_cast<unsigned long long>(cache.stats().hits),
              static_cast<unsigned long long>(kv_cache.stats().hits), static_cast<unsigned long long>(kv_cache.stats().misses));
  subscription.reset();
  a.stop();
  b.stop();
  ioc.run_for(std::chrono::seconds(1));
  return static_cast<int>(output.size()) == events ? 0 : 1;
}
