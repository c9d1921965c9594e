#pragma once
// RedisConnection: one hiredis async context (redisAsyncContext) driven by Asio. Internal to
// backends/redis: RedisClient pools these and RedisSubscriber keeps one for pub/sub.
//
// The event hooks (addRead/delRead/addWrite/delWrite/cleanup) wait on an asio
// stream_descriptor over hiredis's socket; hiredis owns the socket and closes it. Asio's epoll
// reactor is edge-triggered and its async_wait is never speculative, so a readiness edge that
// comes while no wait is queued is lost. Hence: reads drain what the kernel holds (FIONREAD)
// before waiting again, and writes are tried at once and only wait after a short write (when
// the socket is full, so a new edge will come).
//
// Threading: one executor, one thread (serve's io_context); never blocks it (the host name is
// resolved with async_resolve before hiredis connects to the address). Replies come in order,
// so a command that times out closes the connection: every command still waiting on it fails.
// A reply whose unparsed bytes pass max_reply_bytes closes it too (the error says so).

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "backends/redis/redis_options.hpp"
#include "backends/redis/redis_reply.hpp"
#include "core/model/error.hpp"

namespace agentrt {

// Called on the connection's executor for each reply to a command sent with send() (pub/sub
// messages and (un)subscribe confirmations).
using RedisPushHandler = std::function<void(const RedisReply&)>;

class RedisConnection {
 public:
  struct Core;  // the state hiredis's hooks and callbacks see

  // Resolves, connects, AUTHs (with a password) and PINGs: up only once the server answers.
  static boost::asio::awaitable<Result<std::unique_ptr<RedisConnection>>> open(boost::asio::any_io_executor executor,
                                                                              const RedisOptions& options,
                                                                              RedisPushHandler push = {});
  explicit RedisConnection(std::shared_ptr<Core> core);
  ~RedisConnection();  // closes: commands still waiting fail
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Sends the commands at once (one write) and waits for every reply, up to command_timeout.
  // Transport failures are Errors; -ERR replies are RedisReply values.
  boost::asio::awaitable<Result<std::vector<RedisReply>>> run(const std::vector<RedisCommand>& commands);
  // Queues a command whose replies go to the push handler ((P)SUBSCRIBE, UNSUBSCRIBE).
  Result<void> send(const RedisCommand& command);

  [[nodiscard]] bool is_open() const;
  [[nodiscard]] std::string close_reason() const;  // why it closed ("" while open)
  // Returns once the connection has closed (at once if it has).
  boost::asio::awaitable<void> wait_closed();
  void close(const std::string& reason);

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace agentrt
