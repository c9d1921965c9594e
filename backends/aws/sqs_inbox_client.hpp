#pragma once
// SqsInboxClient: the InboxQueue port on an SQS FIFO queue (AWS JSON 1.0 protocol).
//
// send: SendMessage with MessageGroupId = session id (order per session),
// MessageDeduplicationId = the client message id (SQS drops a repeat within 5 minutes; the
// store's enqueue drops later ones), a `traceparent` string attribute when there is one, and
// the body of sqs_inbox_codec. receive: ReceiveMessage (long polling, at most 10 messages,
// ApproximateReceiveCount). ack: DeleteMessage. extend: ChangeMessageVisibility.
// Threads: use it on the executor of the CurlClient behind `client` (AwsJsonClient's rule).

#include <string>

#include "backends/aws/aws_json_client.hpp"
#include "core/ports/inbox_queue.hpp"

namespace agentrt {

class SqsInboxClient final : public InboxQueue {
 public:
  // `client` outlives this; `queue_url` is the FIFO queue's URL (".fifo").
  SqsInboxClient(AwsJsonClient& client, std::string queue_url);

  boost::asio::awaitable<Result<void>> send(SessionId session, InboxMessage message, std::string traceparent) override;
  boost::asio::awaitable<Result<std::vector<QueuedInboxMessage>>> receive(std::chrono::seconds wait,
                                                                          std::chrono::seconds visibility) override;
  boost::asio::awaitable<Result<void>> ack(std::string receipt) override;
  boost::asio::awaitable<Result<void>> extend(std::string receipt, std::chrono::seconds visibility) override;

  [[nodiscard]] const std::string& queue_url() const { return queue_url_; }

 private:
  boost::asio::awaitable<AwsCallResult> call(const char* operation, nlohmann::json body);

  AwsJsonClient& client_;
  std::string queue_url_;
};

}  // namespace agentrt
