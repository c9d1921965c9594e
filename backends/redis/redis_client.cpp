#include "backends/redis/redis_client.hpp"

#include "backends/redis/redis_errors.hpp"
#include "backends/redis/redis_link.hpp"

namespace agentrt {

namespace asio = boost::asio;

RedisClient::RedisClient(asio::any_io_executor executor, RedisOptions options)
    : executor_(std::move(executor)), options_(std::move(options)) {
  for (std::size_t i = 0; i < options_.pool_size; ++i) links_.push_back(std::make_unique<RedisLink>(executor_, options_));
}

RedisClient::~RedisClient() { stop(); }

void RedisClient::start() {
  for (auto& link : links_) link->start();
}

void RedisClient::stop() {
  for (auto& link : links_) link->stop();
}

asio::awaitable<Result<RedisReply>> RedisClient::command(RedisCommand command) {
  const std::string name = redis_command_name(command);
  std::vector<RedisCommand> one;
  one.push_back(std::move(command));
  auto replies = co_await pipeline(std::move(one));
  if (!replies) co_return replies.error();
  RedisReply reply = std::move(replies->front());
  if (reply.is_error()) co_return redis_reply_error(options_.server_name(), name, reply);
  co_return reply;
}

asio::awaitable<Result<std::vector<RedisReply>>> RedisClient::pipeline(std::vector<RedisCommand> commands) {
  std::shared_ptr<RedisConnection> connection;
  for (std::size_t tried = 0; tried < links_.size() && !connection; ++tried) {
    connection = links_[next_ % links_.size()]->connection();
    ++next_;
  }
  if (!connection) {
    const std::string what = commands.size() == 1 ? redis_command_name(commands.front()) : "pipeline";
    co_return redis_transport_error(options_.server_name(), what, "unavailable (" + last_error() + ")");
  }
  co_return co_await connection->run(commands);
}

bool RedisClient::up() const { return connections_up() > 0; }

std::size_t RedisClient::connections_up() const {
  std::size_t n = 0;
  for (const auto& link : links_) n += link->up() ? 1 : 0;
  return n;
}

std::string RedisClient::last_error() const {
  if (up()) return {};
  return links_.empty() ? std::string("no connections") : links_.front()->last_error();
}

}  // namespace agentrt
