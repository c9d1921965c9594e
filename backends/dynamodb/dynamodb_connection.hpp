#pragma once
// DynamoDbConnection: one table of DynamoDB, reached through the AWS JSON 1.0 client on an
// I/O thread of its own.
//
// Why a thread: CurlClient must be used on the executor it was made with, while the ports'
// contract lets callers come from any executor (each serve strand, each test's io_context).
// run() moves a whole port operation onto the connection's io_context and completes it on
// the caller's executor (posted to the awaiting handler's executor), so the operation's several
// calls run on one thread with no locking; cancelling the caller cancels the operation there.
// Lifetime: the connection outlives every operation; destroying it stops and joins the
// thread (operations still queued are dropped with their awaiters' work, so stop callers first).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <nlohmann/json.hpp>

#include "backends/aws/aws_credentials.hpp"
#include "backends/aws/aws_env.hpp"
#include "backends/aws/aws_json_client.hpp"
#include "core/model/error.hpp"

namespace agentrt {

struct DynamoDbOptions {
  std::string table = "agentrt";  // the one table (see backends/aws/README.md "DynamoDB table design")
  std::string region;             // empty: AWS_REGION / AWS_DEFAULT_REGION / the profile's region
  std::string endpoint;           // empty: AGENTRT_DYNAMODB_ENDPOINT / AGENTRT_AWS_ENDPOINT / AWS's
  // Set: use these (tests, local servers); unset: the default credentials chain.
  std::optional<AwsCredentials> static_credentials;
  AwsJsonClientOptions client{};
  bool check_schema = true;       // open: refuse a table without the expected schema version
};

class DynamoDbConnection {
 public:
  ~DynamoDbConnection();
  DynamoDbConnection(const DynamoDbConnection&) = delete;
  DynamoDbConnection& operator=(const DynamoDbConnection&) = delete;

  // Resolves region, endpoint and credentials (reads the profile files: call at startup).
  static Result<std::unique_ptr<DynamoDbConnection>> open(DynamoDbOptions options, const AwsEnvLookup& env);

  [[nodiscard]] const std::string& table() const { return options_.table; }
  [[nodiscard]] const AwsSettings& settings() const { return client_->settings(); }

  // One DynamoDB operation ("PutItem"); must run on the connection's thread (inside run()).
  boost::asio::awaitable<AwsCallResult> call(std::string operation, nlohmann::json body);

  // A fresh ClientRequestToken for one TransactWriteItems: the JSON client retries a request
  // whose answer was lost (timeout, 5xx) with the same body, and the token makes DynamoDB
  // apply it once. Connection thread only.
  std::string next_request_token();

  // Runs `op` on the connection's thread and completes on the caller's executor.
  template <class T>
  boost::asio::awaitable<Result<T>> run(std::function<boost::asio::awaitable<Result<T>>()> op);

  // Blocking form for startup and the CLI (never call it on an event loop thread).
  template <class T>
  Result<T> run_blocking(std::function<boost::asio::awaitable<Result<T>>()> op);

 private:
  explicit DynamoDbConnection(DynamoDbOptions options);

  template <class T, class Handler>
  void start_on_thread(Handler handler, std::function<boost::asio::awaitable<Result<T>>()> op);

  template <class T>
  struct Boxed {  // co_spawn needs a default-constructible value; Result<T> is not
    std::optional<Result<T>> value;
  };
  template <class T>
  static boost::asio::awaitable<Boxed<T>> boxed(std::function<boost::asio::awaitable<Result<T>>()> op) {
    Boxed<T> out;
    out.value.emplace(co_await op());
    co_return out;
  }

  DynamoDbOptions options_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::unique_ptr<CurlClient> http_;
  std::unique_ptr<AwsCredentialsProvider> credentials_;
  std::unique_ptr<AwsJsonClient> client_;
  std::thread thread_;
  std::string token_prefix_;        // random per connection
  std::uint64_t tokens_issued_ = 0;  // touched on the connection's thread only
};

template <class T>
boost::asio::awaitable<Result<T>> DynamoDbConnection::run(std::function<boost::asio::awaitable<Result<T>>()> op) {
  co_return co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void(Result<T>)>(
      [this](auto handler, std::function<boost::asio::awaitable<Result<T>>()> body) {
        start_on_thread<T>(std::move(handler), std::move(body));
      },
      boost::asio::use_awaitable, std::move(op));
}

// Why not co_await co_spawn(io_, ..., use_awaitable): Boost 1.81's co_spawn forwards the
// caller's cancellation to the other thread with a raw pointer into the caller's slot, which
// the caller frees when it moves on: a cancel racing the operation's end crashed serve. Here
// the operation's own signal lives in shared state and is emitted on the connection's thread
// only, after checking the operation has not ended; the result is posted to the caller.
template <class T, class Handler>
void DynamoDbConnection::start_on_thread(Handler handler, std::function<boost::asio::awaitable<Result<T>>()> op) {
  struct Shared {
    boost::asio::cancellation_signal cancel;
    bool done = false;  // connection thread only
  };
  auto shared = std::make_shared<Shared>();
  auto caller_slot = boost::asio::get_associated_cancellation_slot(handler);
  auto work = boost::asio::make_work_guard(boost::asio::get_associated_executor(handler));
  boost::asio::co_spawn(
      io_.get_executor(), boxed<T>(std::move(op)),
      boost::asio::bind_cancellation_slot(
          shared->cancel.slot(), [shared, caller_slot, handler = std::move(handler), work = std::move(work)](
                                     std::exception_ptr error, Boxed<T> out) mutable {
            shared->done = true;
            Result<T> result = error || !out.value
                                   ? Result<T>{Error{Errc::fatal, "dynamodb: the operation ended by an exception"}}
                                   : std::move(*out.value);
            auto caller = work.get_executor();
            boost::asio::post(caller, [caller_slot, handler = std::move(handler), result = std::move(result)]() mutable {
              auto slot = caller_slot;
              if (slot.is_connected()) slot.clear();
              std::move(handler)(std::move(result));
            });
            work.reset();
          }));
  if (caller_slot.is_connected()) {
    caller_slot.assign([shared, io = io_.get_executor()](boost::asio::cancellation_type type) {
      boost::asio::post(io, [shared, type] {
        if (!shared->done) shared->cancel.emit(type);
      });
    });
  }
}

template <class T>
Result<T> DynamoDbConnection::run_blocking(std::function<boost::asio::awaitable<Result<T>>()> op) {
  auto spawned = boxed<T>(std::move(op));
  auto future = boost::asio::co_spawn(io_.get_executor(), std::move(spawned), boost::asio::use_future);
  return std::move(*future.get().value);
}

}  // namespace agentrt
