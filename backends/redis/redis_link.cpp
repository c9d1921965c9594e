#include "backends/redis/redis_link.hpp"

#include <algorithm>
#include <exception>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace agentrt {

namespace asio = boost::asio;

struct RedisLink::State {
  State(asio::any_io_executor ex, RedisOptions o, RedisPushHandler p, OnConnected c)
      : executor(ex), options(std::move(o)), push(std::move(p)), on_connected(std::move(c)), backoff(ex) {}

  asio::any_io_executor executor;
  RedisOptions options;
  RedisPushHandler push;
  OnConnected on_connected;
  asio::steady_timer backoff;
  std::shared_ptr<RedisConnection> connection;
  std::string last_error = "not connected yet";
  std::uint64_t connects = 0;
  bool started = false;
  bool stopping = false;
};

namespace {

// Connects, serves until the connection closes, and again, until stop(). Failures are logged
// once per outage (a warning), not once per attempt.
asio::awaitable<void> keep_connected(std::shared_ptr<RedisLink::State> s) {
  const std::string server = s->options.server_name();
  auto delay = s->options.reconnect_delay_min;
  bool outage_logged = false;
  while (!s->stopping) {
    auto opened = co_await RedisConnection::open(s->executor, s->options, s->push);
    if (s->stopping) break;
    if (opened) {
      std::shared_ptr<RedisConnection> connection = std::move(opened.value());
      if (s->on_connected) s->on_connected(*connection);
      s->connection = connection;
      ++s->connects;
      s->last_error.clear();
      if (outage_logged) spdlog::info("{}: connected again", server);
      outage_logged = false;
      delay = s->options.reconnect_delay_min;
      co_await connection->wait_closed();
      s->connection.reset();
      s->last_error = server + ": connection lost: " + connection->close_reason();
      if (s->stopping) break;
    } else {
      s->last_error = opened.error().message;
    }
    if (!outage_logged) spdlog::warn("{} (retrying with backoff up to {} ms)", s->last_error, s->options.reconnect_delay_max.count());
    outage_logged = true;
    s->backoff.expires_after(delay);
    (void)co_await s->backoff.async_wait(asio::as_tuple(asio::use_awaitable));
    delay = std::min(delay * 2, s->options.reconnect_delay_max);
  }
}

}  // namespace

RedisLink::RedisLink(asio::any_io_executor executor, RedisOptions options, RedisPushHandler push, OnConnected on_connected)
    : state_(std::make_shared<State>(std::move(executor), std::move(options), std::move(push), std::move(on_connected))) {}

RedisLink::~RedisLink() { stop(); }

void RedisLink::start() {
  if (state_->started) return;
  state_->started = true;
  const std::string server = state_->options.server_name();
  asio::co_spawn(state_->executor, keep_connected(state_), [server](std::exception_ptr error) {
    if (error) spdlog::error("{}: connection loop stopped by an exception", server);
  });
}

void RedisLink::stop() {
  state_->stopping = true;
  state_->backoff.cancel();
  if (state_->connection) state_->connection->close("stopping");
}

std::shared_ptr<RedisConnection> RedisLink::connection() const {
  if (state_->connection && state_->connection->is_open()) return state_->connection;
  return nullptr;
}

bool RedisLink::up() const { return connection() != nullptr; }

std::string RedisLink::last_error() const { return up() ? std::string() : state_->last_error; }

std::uint64_t RedisLink::connects() const { return state_->connects; }

}  // namespace agentrt
