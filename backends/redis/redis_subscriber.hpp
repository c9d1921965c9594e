#pragma once
// RedisSubscriber: one pub/sub connection per process, multiplexing every channel anyone here
// listens to. subscribe() returns a token; the channel is SUBSCRIBEd while at least one token
// for it lives and UNSUBSCRIBEd when the last one goes. After a reconnect every live channel is
// subscribed again; messages published while the connection was down are lost (pub/sub keeps
// nothing), which is why its users treat it as a fast path (the OutputHub reads the store).
//
// SUBSCRIBE is asynchronous: a message published right after subscribe() returns may be
// missed. Handlers run on the executor, in the order Redis delivered, and must not block.
// Messages larger than options.max_reply_bytes close the connection (it reconnects).
//
// Threading: one executor, one thread. Tokens may outlive the subscriber (they then do nothing).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>

#include "backends/redis/redis_options.hpp"

namespace agentrt {

class RedisSubscriber {
 public:
  using Handler = std::function<void(std::string_view payload)>;
  struct State;

  class Token {
   public:
    Token() = default;
    Token(std::weak_ptr<State> state, std::string channel, std::uint64_t id);
    ~Token();
    Token(Token&& other) noexcept;
    Token& operator=(Token&& other) noexcept;
    Token(const Token&) = delete;
    Token& operator=(const Token&) = delete;

   private:
    void reset();
    std::weak_ptr<State> state_;
    std::string channel_;
    std::uint64_t id_ = 0;
  };

  RedisSubscriber(boost::asio::any_io_executor executor, RedisOptions options);
  ~RedisSubscriber();
  RedisSubscriber(const RedisSubscriber&) = delete;
  RedisSubscriber& operator=(const RedisSubscriber&) = delete;

  void start();
  void stop();

  [[nodiscard]] Token subscribe(const std::string& channel, Handler handler);

  [[nodiscard]] bool up() const;
  [[nodiscard]] std::string last_error() const;
  [[nodiscard]] std::size_t channel_count() const;
  [[nodiscard]] std::uint64_t messages_received() const;
  // Subscriptions confirmed by the server (counts every (re)subscribe): tests wait on it.
  [[nodiscard]] std::uint64_t subscriptions_confirmed() const;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace agentrt
