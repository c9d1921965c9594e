#include "backends/aws/sqs_inbox_open.hpp"

#include <utility>

#include "backends/aws/aws_credential_sources.hpp"
#include "backends/aws/aws_json_client.hpp"
#include "backends/aws/aws_profile_files.hpp"
#include "backends/aws/aws_settings.hpp"
#include "backends/aws/sqs_inbox_client.hpp"

namespace agentrt {
namespace {

// Owns the client's plumbing; members are destroyed in reverse order (queue first).
class OwnedSqsInbox final : public InboxQueue {
 public:
  explicit OwnedSqsInbox(const boost::asio::any_io_executor& executor) : http_(executor) {}

  boost::asio::awaitable<Result<void>> send(SessionId session, InboxMessage message, std::string traceparent) override {
    return queue_->send(std::move(session), std::move(message), std::move(traceparent));
  }
  boost::asio::awaitable<Result<std::vector<QueuedInboxMessage>>> receive(std::chrono::seconds wait,
                                                                          std::chrono::seconds visibility) override {
    return queue_->receive(wait, visibility);
  }
  boost::asio::awaitable<Result<void>> ack(std::string receipt) override { return queue_->ack(std::move(receipt)); }
  boost::asio::awaitable<Result<void>> extend(std::string receipt, std::chrono::seconds visibility) override {
    return queue_->extend(std::move(receipt), visibility);
  }

  CurlClient http_;
  std::unique_ptr<AwsCredentialsProvider> credentials_;
  std::unique_ptr<AwsJsonClient> client_;
  std::unique_ptr<SqsInboxClient> queue_;
};

}  // namespace

Result<std::unique_ptr<InboxQueue>> open_sqs_inbox(const boost::asio::any_io_executor& executor, SqsInboxOptions options,
                                                   const AwsEnvLookup& env) {
  const std::string what = "sqs inbox";
  if (options.queue_url.empty()) return Error{Errc::invalid, what + ": no queue_url"};
  if (options.queue_url.size() < 6 || options.queue_url.compare(options.queue_url.size() - 5, 5, ".fifo") != 0) {
    return Error{Errc::invalid, what + ": the queue must be a FIFO queue (its URL ends in .fifo)"};
  }
  auto profile = load_aws_profile(env);
  if (!profile) return profile.error().with_context(what);
  auto settings = resolve_aws_settings(
      [&](const std::string& name) -> std::optional<std::string> {
        if (name == "AWS_REGION" && !options.region.empty()) return options.region;
        if (name == "AGENTRT_SQS_ENDPOINT" && !options.endpoint.empty()) return options.endpoint;
        return env ? env(name) : std::nullopt;
      },
      *profile);
  if (!settings) return settings.error().with_context(what);
  if (auto endpoint = settings->endpoint_for("sqs"); !endpoint) return endpoint.error().with_context(what);
  auto inbox = std::make_unique<OwnedSqsInbox>(executor);
  auto chain = make_default_credentials_chain(inbox->http_, env, *profile, settings->region);
  if (!chain) return chain.error().with_context(what);
  inbox->credentials_ = std::move(chain.value());
  // Long polls wait up to 20 s: each attempt must outlast the wait.
  AwsJsonClientOptions client_options;
  client_options.request_timeout = std::chrono::seconds{30};
  client_options.call_timeout = std::chrono::seconds{60};
  client_options.health = options.health;
  inbox->client_ = std::make_unique<AwsJsonClient>(inbox->http_, *inbox->credentials_, std::move(settings.value()),
                                                   client_options);
  inbox->queue_ = std::make_unique<SqsInboxClient>(*inbox->client_, std::move(options.queue_url));
  return std::unique_ptr<InboxQueue>(std::move(inbox));
}

}  // namespace agentrt
