#pragma once
// InboxQueue: an external queue in front of the store's inbox (production: SQS FIFO).
//
// The API sends a session's message to the queue; a consumer in each worker receives it,
// moves it into the store with SessionStore::enqueue and only then acknowledges it, so a
// message leaves the queue only once it is durable in the store (durability rule 3).
// Contract:
// - Ordered per session (the queue groups by session id) and deduplicated by message id
//   within the queue's own window; the store's enqueue deduplicates forever after that.
// - receive() may wait up to `wait` for messages (long polling); each message received stays
//   invisible to other consumers for `visibility`, then comes back unless acknowledged.
// - A body the adapter cannot read comes back with `malformed` set (why, never the text): the
//   consumer leaves it to the queue's redrive policy (dead-letter queue), it never acks it.
// - Errors: retryable/throttled/timeout for an outage (after the adapter's own retries),
//   invalid for a message the queue cannot carry (checked before sending: the caller's
//   input), fatal when the queue itself refuses a well-formed request (it is missing, not
//   FIFO, not ours: the deployment's configuration), cancelled when the awaiting coroutine
//   is cancelled.
// - Threads: an adapter states on which executor it must be used.

#include <chrono>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/model/error.hpp"
#include "core/model/ids.hpp"
#include "core/model/session.hpp"

namespace agentrt {

struct QueuedInboxMessage {
  std::string receipt;      // opaque handle for ack/extend (SQS ReceiptHandle)
  SessionId session;
  InboxMessage message;
  std::string traceparent;  // W3C trace context of the request that sent it; may be empty
  std::string malformed;    // non-empty: the body could not be read, and why
  int receive_count = 0;    // how many times the queue delivered it (1 the first time)
};

class InboxQueue {
 public:
  virtual ~InboxQueue() = default;

  // Sends one message of `session`; a repeated message id within the queue's dedup window
  // is accepted and dropped by the queue.
  virtual boost::asio::awaitable<Result<void>> send(SessionId session, InboxMessage message,
                                                    std::string traceparent) = 0;
  virtual boost::asio::awaitable<Result<std::vector<QueuedInboxMessage>>> receive(std::chrono::seconds wait,
                                                                                  std::chrono::seconds visibility) = 0;
  // The message is durable elsewhere: remove it from the queue.
  virtual boost::asio::awaitable<Result<void>> ack(std::string receipt) = 0;
  // Keep the message invisible for `visibility` from now (still being handled).
  virtual boost::asio::awaitable<Result<void>> extend(std::string receipt, std::chrono::seconds visibility) = 0;
};

}  // namespace agentrt
