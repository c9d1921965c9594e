#include "backends/redis/redis_subscriber.hpp"

#include <map>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "backends/redis/redis_link.hpp"

namespace agentrt {

namespace asio = boost::asio;

namespace {
constexpr std::size_t kChannelsPerSubscribe = 512;  // bounds one command on a resubscribe
}

struct RedisSubscriber::State {
  std::map<std::string, std::map<std::uint64_t, Handler>> channels;
  std::uint64_t next_id = 1;
  std::uint64_t received = 0;
  std::uint64_t confirmed = 0;
  std::unique_ptr<RedisLink> link;

  void send(const RedisCommand& command) const {
    if (auto connection = link->connection()) {
      if (auto sent = connection->send(command); !sent) spdlog::debug("{}", sent.error().message);
    }
  }

  void on_push(const RedisReply& reply) {
    if (reply.type != RedisReply::Type::array || reply.elements.size() != 3) return;
    const std::string& kind = reply.elements[0].str;
    if (kind == "subscribe") {
      ++confirmed;
      return;
    }
    if (kind != "message") return;
    ++received;
    const auto found = channels.find(reply.elements[1].str);
    if (found == channels.end()) return;  // unsubscribed meanwhile
    // A handler may drop tokens of this channel: call a copy.
    std::vector<Handler> handlers;
    handlers.reserve(found->second.size());
    for (const auto& [id, handler] : found->second) handlers.push_back(handler);
    for (const auto& handler : handlers) handler(reply.elements[2].str);
  }

  void resubscribe(RedisConnection& connection) const {
    RedisCommand command{"SUBSCRIBE"};
    for (const auto& [channel, handlers] : channels) {
      command.push_back(channel);
      if (command.size() > kChannelsPerSubscribe) {
        (void)connection.send(command);
        command.resize(1);
      }
    }
    if (command.size() > 1) (void)connection.send(command);
  }
};

RedisSubscriber::Token::Token(std::weak_ptr<State> state, std::string channel, std::uint64_t id)
    : state_(std::move(state)), channel_(std::move(channel)), id_(id) {}

RedisSubscriber::Token::~Token() { reset(); }

RedisSubscriber::Token::Token(Token&& other) noexcept
    : state_(std::move(other.state_)), channel_(std::move(other.channel_)), id_(std::exchange(other.id_, 0)) {}

RedisSubscriber::Token& RedisSubscriber::Token::operator=(Token&& other) noexcept {
  if (this != &other) {
    reset();
    state_ = std::move(other.state_);
    channel_ = std::move(other.channel_);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

void RedisSubscriber::Token::reset() {
  if (id_ == 0) return;
  if (auto state = state_.lock()) {
    auto found = state->channels.find(channel_);
    if (found != state->channels.end()) {
      found->second.erase(id_);
      if (found->second.empty()) {
        state->channels.erase(found);
        state->send(RedisCommand{"UNSUBSCRIBE", channel_});
      }
    }
  }
  id_ = 0;
  state_.reset();
}

RedisSubscriber::RedisSubscriber(asio::any_io_executor executor, RedisOptions options) : state_(std::make_shared<State>()) {
  std::weak_ptr<State> weak = state_;
  state_->link = std::make_unique<RedisLink>(
      std::move(executor), std::move(options),
      [weak](const RedisReply& reply) {
        if (auto state = weak.lock()) state->on_push(reply);
      },
      [weak](RedisConnection& connection) {
        if (auto state = weak.lock()) state->resubscribe(connection);
      });
}

RedisSubscriber::~RedisSubscriber() { stop(); }

void RedisSubscriber::start() { state_->link->start(); }

void RedisSubscriber::stop() { state_->link->stop(); }

RedisSubscriber::Token RedisSubscriber::subscribe(const std::string& channel, Handler handler) {
  auto& handlers = state_->channels[channel];
  const bool first = handlers.empty();
  const std::uint64_t id = state_->next_id++;
  handlers.emplace(id, std::move(handler));
  if (first) state_->send(RedisCommand{"SUBSCRIBE", channel});
  return Token(state_, channel, id);
}

bool RedisSubscriber::up() const { return state_->link->up(); }

std::string RedisSubscriber::last_error() const { return state_->link->last_error(); }

std::size_t RedisSubscriber::channel_count() const { return state_->channels.size(); }

std::uint64_t RedisSubscriber::messages_received() const { return state_->received; }

std::uint64_t RedisSubscriber::subscriptions_confirmed() const { return state_->confirmed; }

}  // namespace agentrt
