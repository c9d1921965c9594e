#include "backends/aws/sqs_inbox_client.hpp"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "backends/aws/sqs_inbox_codec.hpp"

namespace agentrt {
namespace {

namespace asio = boost::asio;
using json = nlohmann::json;

constexpr std::size_t kTraceparentBytesMax = 256;
constexpr std::size_t kReceiptBytesMax = 4096;  // SQS receipt handles are about 1 KB

// One received SQS message as the port's record; a body we cannot read is `malformed`.
QueuedInboxMessage to_queued(const json& m) {
  QueuedInboxMessage out;
  out.receipt = m.value("ReceiptHandle", std::string{});
  const auto attributes = m.find("Attributes");
  if (attributes != m.end() && attributes->is_object()) {
    const std::string count = attributes->value("ApproximateReceiveCount", std::string{"0"});
    out.receive_count = std::atoi(count.c_str());
  }
  const auto attrs = m.find("MessageAttributes");
  if (attrs != m.end() && attrs->is_object() && attrs->contains("traceparent")) {
    const auto& tp = (*attrs)["traceparent"];
    if (tp.is_object() && tp.value("StringValue", std::string{}).size() <= kTraceparentBytesMax) {
      out.traceparent = tp.value("StringValue", std::string{});
    }
  }
  const auto body = m.find("Body");
  if (body == m.end() || !body->is_string()) {
    out.malformed = "no body";
    return out;
  }
  auto decoded = decode_sqs_inbox_body(body->get_ref<const std::string&>());
  if (!decoded) {
    out.malformed = decoded.error().message;
    return out;
  }
  out.session = std::move(decoded->session);
  out.message = std::move(decoded->message);
  return out;
}

}  // namespace

SqsInboxClient::SqsInboxClient(AwsJsonClient& client, std::string queue_url)
    : client_(client), queue_url_(std::move(queue_url)) {}

asio::awaitable<AwsCallResult> SqsInboxClient::call(const char* operation, json body) {
  body["QueueUrl"] = queue_url_;
  std::string service = "sqs";
  std::string target = std::string("AmazonSQS.") + operation;
  co_return co_await client_.call(std::move(service), std::move(target), std::move(body));
}

asio::awaitable<Result<void>> SqsInboxClient::send(SessionId session, InboxMessage message, std::string traceparent) {
  const std::string what = "sqs send session=" + session.str() + " message=" + message.id.str();
  auto body = encode_sqs_inbox_body(session, message);
  if (!body) co_return body.error().with_context(what);
  json request = {{"MessageBody", std::move(body.value())},
                  {"MessageGroupId", session.str()},
                  {"MessageDeduplicationId", message.id.str()}};
  if (!traceparent.empty() && traceparent.size() <= kTraceparentBytesMax) {
    request["MessageAttributes"] = {{"traceparent", {{"DataType", "String"}, {"StringValue", traceparent}}}};
  }
  const auto sent = co_await call("SendMessage", std::move(request));
  if (!sent.ok()) {
    const auto code = sent.error().code;
    // The message passed our checks: a refusal (QueueDoesNotExist, a group id on a standard
    // queue, access denied) is the queue's configuration, not the caller's input.
    if (code == Errc::invalid || code == Errc::not_found) {
      co_return Error{Errc::fatal, what + ": the queue " + queue_url_ + " refused a valid message (missing, not FIFO, "
                                          "or not ours?): " + sent.error().message};
    }
    co_return sent.error().with_context(what);
  }
  co_return ok_result();
}

asio::awaitable<Result<std::vector<QueuedInboxMessage>>> SqsInboxClient::receive(std::chrono::seconds wait,
                                                                                   std::chrono::seconds visibility) {
  json request = {{"MaxNumberOfMessages", 10},
                  {"WaitTimeSeconds", std::clamp<std::int64_t>(wait.count(), 0, 20)},
                  {"VisibilityTimeout", std::clamp<std::int64_t>(visibility.count(), 0, 43'200)},
                  {"AttributeNames", json::array({"ApproximateReceiveCount"})},
                  {"MessageSystemAttributeNames", json::array({"ApproximateReceiveCount"})},
                  {"MessageAttributeNames", json::array({"traceparent"})}};
  const auto received = co_await call("ReceiveMessage", std::move(request));
  if (!received.ok()) co_return received.error().with_context("sqs receive from " + queue_url_);
  std::vector<QueuedInboxMessage> out;
  const auto messages = received.value().find("Messages");
  if (messages == received.value().end() || !messages->is_array()) co_return out;
  for (const auto& m : *messages) {
    if (!m.is_object()) continue;
    auto queued = to_queued(m);
    // Without a usable receipt we could neither ack nor extend it: SQS will redeliver it.
    if (queued.receipt.empty() || queued.receipt.size() > kReceiptBytesMax) continue;
    out.push_back(std::move(queued));
  }
  co_return out;
}

asio::awaitable<Result<void>> SqsInboxClient::ack(std::string receipt) {
  json request = {{"ReceiptHandle", std::move(receipt)}};  // a named local: GCC 12 and braced temporaries in co_await
  const auto deleted = co_await call("DeleteMessage", std::move(request));
  if (!deleted.ok()) co_return deleted.error().with_context("sqs delete from " + queue_url_);
  co_return ok_result();
}

asio::awaitable<Result<void>> SqsInboxClient::extend(std::string receipt, std::chrono::seconds visibility) {
  json request = {{"ReceiptHandle", std::move(receipt)}, {"VisibilityTimeout", visibility.count()}};
  const auto changed = co_await call("ChangeMessageVisibility", std::move(request));
  if (!changed.ok()) co_return changed.error().with_context("sqs change visibility in " + queue_url_);
  co_return ok_result();
}

}  // namespace agentrt
