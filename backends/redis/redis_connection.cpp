#include "backends/redis/redis_connection.hpp"

#include <sys/ioctl.h>

#include <optional>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "backends/redis/redis_errors.hpp"
#include "backends/redis/redis_reply_copy.hpp"

namespace agentrt {

namespace asio = boost::asio;

struct RedisConnection::Core : std::enable_shared_from_this<RedisConnection::Core> {
  Core(asio::any_io_executor ex, const RedisOptions& options, RedisPushHandler on_push)
      : executor(ex), socket(ex), closed(ex), connected(ex), server(options.server_name()),
        command_timeout(options.command_timeout), max_reply_bytes(options.max_reply_bytes),
        max_pipeline(options.max_pipeline), push(std::move(on_push)) {
    closed.expires_at(asio::steady_timer::time_point::max());
  }
  // Frees the context first: its cleanup hook still uses the members below.
  ~Core() {
    if (ac != nullptr) redisAsyncFree(ac);
  }
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  void close(const std::string& reason) {
    if (ac == nullptr) return;
    if (close_reason.empty()) close_reason = reason;
    redisAsyncFree(ac);  // inside a hiredis callback it is deferred until the callback returns
  }

  asio::any_io_executor executor;
  asio::posix::stream_descriptor socket;  // hiredis's socket: released, never closed, by us
  redisAsyncContext* ac = nullptr;        // null once hiredis has freed it
  bool want_read = false;
  bool want_write = false;
  bool read_waiting = false;
  bool write_waiting = false;
  bool write_posted = false;
  bool writing = false;  // inside redisAsyncHandleWrite: its addWrite is decided after it returns
  std::optional<bool> connect_ok;
  asio::steady_timer closed;     // a signal: cancelled when the context is gone
  asio::steady_timer connected;  // a signal: cancelled by the connect callback
  std::string server;
  std::chrono::milliseconds command_timeout;
  std::size_t max_reply_bytes;
  std::size_t max_pipeline;
  RedisPushHandler push;
  std::string close_reason;
};

namespace {

using Core = RedisConnection::Core;

Core& core_of(void* data) { return *static_cast<Core*>(data); }
Core& core_of(const redisAsyncContext* ac) { return *static_cast<Core*>(ac->data); }

void handle_readable(Core& core);
void handle_writable(Core& core);

void wait_readable(Core& core) {
  if (core.read_waiting || core.ac == nullptr) return;
  core.read_waiting = true;
  core.socket.async_wait(asio::posix::descriptor_base::wait_read,
                         [weak = core.weak_from_this()](const boost::system::error_code& ec) {
                           auto self = weak.lock();
                           if (!self) return;
                           self->read_waiting = false;
                           if (ec || self->ac == nullptr || !self->want_read) return;
                           handle_readable(*self);
                         });
}

void wait_writable(Core& core) {
  if (core.write_waiting || core.ac == nullptr) return;
  core.write_waiting = true;
  core.socket.async_wait(asio::posix::descriptor_base::wait_write,
                         [weak = core.weak_from_this()](const boost::system::error_code& ec) {
                           auto self = weak.lock();
                           if (!self) return;
                           self->write_waiting = false;
                           if (ec || self->ac == nullptr || !self->want_write) return;
                           handle_writable(*self);
                         });
}

// Reads until the kernel holds nothing more for us (see the header: edges are not repeated).
void handle_readable(Core& core) {
  const auto self = core.shared_from_this();  // a callback may drop the last owner
  while (core.ac != nullptr && core.want_read) {
    redisAsyncHandleRead(core.ac);
    if (core.ac == nullptr) return;
    const redisReader* reader = core.ac->c.reader;
    if (reader != nullptr && reader->len - reader->pos > core.max_reply_bytes) {
      core.close("a reply larger than max_reply_bytes (" + std::to_string(core.max_reply_bytes) + ")");
      return;
    }
    int available = 0;
    if (::ioctl(core.ac->c.fd, FIONREAD, &available) != 0 || available <= 0) break;
  }
  if (core.ac != nullptr && core.want_read) wait_readable(core);
}

void handle_writable(Core& core) {
  const auto self = core.shared_from_this();
  core.writing = true;
  redisAsyncHandleWrite(core.ac);
  core.writing = false;
  // Still wanted after a write: a short write (the socket is full, an edge will come) or a
  // connect in progress (its completion is the first writability).
  if (core.ac != nullptr && core.want_write) wait_writable(core);
}

void add_read(void* data) {
  Core& core = core_of(data);
  core.want_read = true;
  wait_readable(core);
}

void del_read(void* data) { core_of(data).want_read = false; }

void add_write(void* data) {
  Core& core = core_of(data);
  core.want_write = true;
  if (core.writing || core.write_posted || core.write_waiting) return;
  if ((core.ac->c.flags & REDIS_CONNECTED) == 0) {
    wait_writable(core);  // the connect finishes when the socket turns writable
    return;
  }
  // Not re-entrantly from inside redisAsyncCommand: posted, which also gathers a pipeline into one write.
  core.write_posted = true;
  asio::post(core.executor, [weak = core.weak_from_this()] {
    auto self = weak.lock();
    if (!self) return;
    self->write_posted = false;
    if (self->ac != nullptr && self->want_write) handle_writable(*self);
  });
}

void del_write(void* data) { core_of(data).want_write = false; }

void cleanup(void* data) {
  Core& core = core_of(data);
  if (core.close_reason.empty()) {
    core.close_reason = core.ac != nullptr && core.ac->err != 0 ? std::string(core.ac->errstr) : "connection closed";
  }
  core.ac = nullptr;
  core.want_read = core.want_write = false;
  if (core.socket.is_open()) (void)core.socket.release();  // hiredis closes the fd itself
  core.closed.cancel();
  core.connected.cancel();
}

void on_connect(const redisAsyncContext* ac, int status) {
  Core& core = core_of(ac);
  core.connect_ok = status == REDIS_OK;
  if (status != REDIS_OK) core.close_reason = ac->errstr;
  core.connected.cancel();
}

// One command of a batch sent by run(): hiredis owns it until its callback.
struct Batch {
  Batch(asio::any_io_executor ex, std::size_t n) : signal(ex), replies(n), remaining(n) {}
  asio::steady_timer signal;  // cancelled when the last reply is in
  std::vector<RedisReply> replies;
  std::size_t remaining;
  std::optional<Error> error;
};
struct BatchSlot {
  std::shared_ptr<Batch> batch;
  std::size_t index = 0;
};

void on_reply(redisAsyncContext* ac, void* raw_reply, void* privdata) {
  std::unique_ptr<BatchSlot> slot(static_cast<BatchSlot*>(privdata));
  Batch& batch = *slot->batch;
  Core& core = core_of(ac);
  if (raw_reply == nullptr) {
    const std::string reason = !core.close_reason.empty() ? core.close_reason
                               : ac->err != 0              ? std::string(ac->errstr)
                                                           : "connection closed";
    if (!batch.error) batch.error = redis_transport_error(core.server, "connection lost before the reply", reason);
  } else {
    auto copied = copy_reply(*static_cast<redisReply*>(raw_reply), core.max_reply_bytes);
    if (copied) {
      batch.replies[slot->index] = std::move(copied.value());
    } else {
      if (!batch.error) batch.error = copied.error().with_context(core.server);
      core.close(copied.error().message);
    }
  }
  if (--batch.remaining == 0) batch.signal.cancel();
}

void on_push(redisAsyncContext* ac, void* raw_reply, void*) {
  Core& core = core_of(ac);
  if (raw_reply == nullptr || !core.push) return;
  auto copied = copy_reply(*static_cast<redisReply*>(raw_reply), core.max_reply_bytes);
  if (!copied) {
    core.close(copied.error().message);
    return;
  }
  core.push(copied.value());
}

int append(redisAsyncContext* ac, redisCallbackFn* fn, void* privdata, const RedisCommand& command) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  argv.reserve(command.size());
  lengths.reserve(command.size());
  for (const auto& arg : command) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  return redisAsyncCommandArgv(ac, fn, privdata, static_cast<int>(argv.size()), argv.data(), lengths.data());
}

// The address to connect to, resolved without blocking the loop (IPv4 first).
asio::awaitable<Result<std::string>> resolve(asio::any_io_executor ex, const RedisOptions& options) {
  asio::ip::tcp::resolver resolver(ex);
  asio::steady_timer deadline(ex);
  deadline.expires_after(options.connect_timeout);
  deadline.async_wait([&resolver](const boost::system::error_code& ec) {
    if (!ec) resolver.cancel();
  });
  auto [ec, results] = co_await resolver.async_resolve(options.host, std::to_string(options.port),
                                                        asio::as_tuple(asio::use_awaitable));
  deadline.cancel();
  if (ec) co_return redis_transport_error(options.server_name(), "resolve", ec.message());
  std::string chosen;
  for (const auto& entry : results) {
    const auto address = entry.endpoint().address();
    if (chosen.empty() || address.is_v4()) chosen = address.to_string();
    if (address.is_v4()) break;
  }
  if (chosen.empty()) co_return redis_transport_error(options.server_name(), "resolve", "no address");
  co_return chosen;
}

void attach(Core& core) {
  redisAsyncContext* ac = core.ac;
  ac->data = &core;
  ac->ev.data = &core;
  ac->ev.addRead = add_read;
  ac->ev.delRead = del_read;
  ac->ev.addWrite = add_write;
  ac->ev.delWrite = del_write;
  ac->ev.cleanup = cleanup;
}

}  // namespace

RedisConnection::RedisConnection(std::shared_ptr<Core> core) : core_(std::move(core)) {}

RedisConnection::~RedisConnection() {
  if (core_) core_->close("closed by agentrt");
}

asio::awaitable<Result<std::unique_ptr<RedisConnection>>> RedisConnection::open(asio::any_io_executor executor,
                                                                                const RedisOptions& options,
                                                                                RedisPushHandler push) {
  const std::string server = options.server_name();
  auto address = co_await resolve(executor, options);
  if (!address) co_return address.error();
  auto core = std::make_shared<Core>(executor, options, std::move(push));
  redisAsyncContext* ac = redisAsyncConnect(address->c_str(), options.port);
  if (ac == nullptr) co_return redis_transport_error(server, "connect", "out of memory");
  if (ac->err != 0) {
    std::string detail = ac->errstr;
    redisAsyncFree(ac);
    co_return redis_transport_error(server, "connect", detail);
  }
  core->ac = ac;
  boost::system::error_code assigned;
  core->socket.assign(ac->c.fd, assigned);
  if (assigned) {
    core->close(assigned.message());
    co_return redis_transport_error(server, "connect", assigned.message());
  }
  attach(*core);
  core->connected.expires_after(options.connect_timeout);
  redisAsyncSetConnectCallback(ac, on_connect);  // this adds the first write wait
  (void)co_await core->connected.async_wait(asio::as_tuple(asio::use_awaitable));
  if (!core->connect_ok.has_value()) {
    core->close("connect timeout");
    co_return Error{Errc::timeout, server + ": connect: no connection within the connect timeout"};
  }
  if (!*core->connect_ok) co_return redis_transport_error(server, "connect", core->close_reason);
  auto connection = std::make_unique<RedisConnection>(core);
  // AUTH (with a password), then PING: a connection counts as up only once the server answers.
  // A hung server (stopped, swapping) accepts TCP connections in its kernel backlog but
  // answers nothing; without the PING every command would wait its timeout on a link that
  // looks up, instead of failing at once while the link retries.
  std::vector<RedisCommand> hello;
  if (!options.password.empty()) hello.push_back(RedisCommand{"AUTH", options.password});
  hello.push_back(RedisCommand{"PING"});
  auto replies = co_await connection->run(hello);
  if (!replies) co_return replies.error();
  if (!options.password.empty() && replies->front().is_error()) co_return redis_reply_error(server, "AUTH", replies->front());
  const auto& pong = replies->back();
  if (pong.is_error()) co_return redis_reply_error(server, "PING", pong);
  if (pong.type != RedisReply::Type::status || pong.str != "PONG") {
    co_return Error{Errc::fatal, server + ": PING: not answered PONG: is this a Redis server?"};
  }
  co_return connection;
}

asio::awaitable<Result<std::vector<RedisReply>>> RedisConnection::run(const std::vector<RedisCommand>& commands) {
  Core& core = *core_;
  const auto self = core_;
  const std::string what = commands.size() == 1 ? redis_command_name(commands.front())
                                                : "pipeline of " + std::to_string(commands.size()) + " commands";
  if (commands.empty()) co_return std::vector<RedisReply>{};
  if (commands.size() > core.max_pipeline) {
    co_return Error{Errc::invalid, core.server + ": " + what + ": more than max_pipeline (" +
                                       std::to_string(core.max_pipeline) + ") commands"};
  }
  if (!is_open()) co_return redis_transport_error(core.server, what, "not connected: " + core.close_reason);
  auto batch = std::make_shared<Batch>(core.executor, commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    auto slot = std::make_unique<BatchSlot>(BatchSlot{batch, i});
    if (append(core.ac, on_reply, slot.get(), commands[i]) != REDIS_OK) {
      batch->remaining -= commands.size() - i;
      batch->error = redis_transport_error(core.server, what, "hiredis refused the command");
      core.close("hiredis refused a command");  // the ones appended fail now
      break;
    }
    (void)slot.release();  // on_reply owns it now
  }
  if (batch->remaining > 0) {
    batch->signal.expires_after(core.command_timeout);
    (void)co_await batch->signal.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  if (batch->remaining > 0) {
    const auto state = co_await asio::this_coro::cancellation_state;
    const bool cancelled = state.cancelled() != asio::cancellation_type::none;
    // Replies are matched to commands by order: one we stop waiting for makes the rest unusable.
    core.close(cancelled ? "a command was cancelled" : "no reply within the command timeout");
    if (cancelled) co_return Error{Errc::cancelled, core.server + ": " + what + ": cancelled"};
    co_return redis_timeout_error(core.server, what);
  }
  if (batch->error) co_return *batch->error;
  co_return std::move(batch->replies);
}

Result<void> RedisConnection::send(const RedisCommand& command) {
  if (!is_open()) return redis_transport_error(core_->server, redis_command_name(command), "not connected");
  if (append(core_->ac, on_push, nullptr, command) != REDIS_OK) {
    return redis_transport_error(core_->server, redis_command_name(command), "hiredis refused the command");
  }
  return ok_result();
}

bool RedisConnection::is_open() const {
  return core_->ac != nullptr && (core_->ac->c.flags & (REDIS_FREEING | REDIS_DISCONNECTING)) == 0;
}

std::string RedisConnection::close_reason() const { return core_->ac == nullptr ? core_->close_reason : std::string(); }

asio::awaitable<void> RedisConnection::wait_closed() {
  const auto self = core_;
  if (self->ac == nullptr) co_return;
  (void)co_await self->closed.async_wait(asio::as_tuple(asio::use_awaitable));
}

void RedisConnection::close(const std::string& reason) { core_->close(reason); }

}  // namespace agentrt
