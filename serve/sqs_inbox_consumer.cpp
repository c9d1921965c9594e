#include "serve/sqs_inbox_consumer.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace agentrt::serve {

namespace asio = boost::asio;
using namespace boost::asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;

SqsInboxConsumer::SqsInboxConsumer(InboxQueue& queue, SessionStore& store, InboxChanged inbox_changed,
                                   SqsInboxConsumerOptions options, ServeMetrics* metrics)
    : queue_(queue), store_(store), inbox_changed_(std::move(inbox_changed)), options_(options), metrics_(metrics) {}

void SqsInboxConsumer::count(Outcome outcome, std::uint64_t n) {
  const char* label = "received";
  switch (outcome) {
    case Outcome::received:
      stats_.received += n;
      break;
    case Outcome::moved:
      stats_.moved += n;
      label = "moved";
      break;
    case Outcome::duplicate:
      stats_.duplicates += n;
      label = "duplicate";
      break;
    case Outcome::malformed:
      stats_.malformed += n;
      label = "malformed";
      break;
    case Outcome::store_error:
      stats_.store_errors += n;
      label = "store_error";
      break;
  }
  if (metrics_ != nullptr && n > 0) {
    metrics_->sqs_inbox_messages.Add({{"outcome", label}}).Increment(static_cast<double>(n));
  }
}

void SqsInboxConsumer::count_queue_error(std::string_view operation) {
  ++stats_.queue_errors;
  if (metrics_ != nullptr) metrics_->sqs_inbox_queue_errors.Add({{"operation", std::string(operation)}}).Increment();
}

void SqsInboxConsumer::start(asio::any_io_executor executor, std::function<void()> on_stopped) {
  asio::co_spawn(executor, run(),
                 asio::bind_cancellation_slot(stop_.slot(), [done = std::move(on_stopped)](std::exception_ptr e) {
                   if (e) spdlog::error("sqs inbox consumer ended by an exception");
                   if (done) done();
                 }));
}

void SqsInboxConsumer::stop() { stop_.emit(asio::cancellation_type::terminal); }

void SqsInboxConsumer::warn_limited(const std::string& message) {
  const auto now = Clock::now();
  if (last_warning_ != Clock::time_point{} && now - last_warning_ < options_.log_interval) {
    ++suppressed_warnings_;
    return;
  }
  if (suppressed_warnings_ > 0) {
    spdlog::warn("sqs inbox: {} ({} similar warnings suppressed)", message, suppressed_warnings_);
  } else {
    spdlog::warn("sqs inbox: {}", message);
  }
  last_warning_ = now;
  suppressed_warnings_ = 0;
}

asio::awaitable<void> SqsInboxConsumer::run() {
  auto backoff = options_.backoff_min;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) co_return;
    auto polled = co_await poll_once();
    if (polled.ok()) {
      backoff = options_.backoff_min;
      continue;
    }
    if (polled.error().code == Errc::cancelled) co_return;
    // The client already retried throttling and 5xx; this is an outage: wait, then try again.
    warn_limited("receive failed, retrying in " + std::to_string(backoff.count()) + " ms: " + polled.error().to_string());
    timer.expires_after(backoff);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;  // stopped
    backoff = std::min(backoff * 2, options_.backoff_max);
  }
}

struct SqsInboxConsumer::Batch {
  struct Entry {
    std::string receipt;
    bool settled = false;  // acked, or left for redelivery / the dead-letter queue
  };
  std::vector<Entry> entries;
};

asio::awaitable<Result<std::size_t>> SqsInboxConsumer::poll_once() {
  auto received = co_await queue_.receive(options_.wait, options_.visibility);
  if (!received) {
    count_queue_error("receive");
    co_return received.error();
  }
  const std::size_t n = received->size();
  count(Outcome::received, n);
  if (n == 0) co_return n;
  auto batch = std::make_shared<Batch>();
  for (const auto& message : *received) batch->entries.push_back(Batch::Entry{message.receipt, false});
  // The timer ends with the handling (the || cancels the loser), never the other way round.
  auto handling = handle_all(std::move(received.value()), batch);
  auto extending = keep_visible(batch);
  co_await (std::move(handling) || std::move(extending));
  co_return n;
}

asio::awaitable<void> SqsInboxConsumer::handle_all(std::vector<QueuedInboxMessage> messages, std::shared_ptr<Batch> batch) {
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) co_return;
    co_await handle(std::move(messages[i]), batch->entries[i].settled);
    batch->entries[i].settled = true;
  }
}

asio::awaitable<void> SqsInboxConsumer::keep_visible(std::shared_ptr<Batch> batch) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    timer.expires_after(options_.visibility / 2);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;  // the batch is handled (or the consumer stopped)
    for (std::size_t i = 0; i < batch->entries.size(); ++i) {
      if (batch->entries[i].settled) continue;
      auto extended = co_await queue_.extend(batch->entries[i].receipt, options_.visibility);
      if (extended) {
        ++stats_.extended;
        if (metrics_ != nullptr) metrics_->sqs_inbox_visibility_extensions.Add({}).Increment();
      } else if (!batch->entries[i].settled) {  // else the ack raced it: the message is gone, fine
        count_queue_error("extend");
        warn_limited("visibility not extended: " + extended.error().to_string());
      }
    }
  }
}

asio::awaitable<void> SqsInboxConsumer::handle(QueuedInboxMessage message, bool& settled) {
  if (!message.malformed.empty()) {
    count(Outcome::malformed);
    warn_limited("malformed message (receive " + std::to_string(message.receive_count) +
                 ", left for the dead-letter queue): " + message.malformed);
    co_return;
  }
  const SessionId session = message.session;
  const std::string id = message.message.id.str();
  auto queued = co_await store_.enqueue(session, std::move(message.message));
  if (!queued) {
    const auto code = queued.error().code;
    if (code == Errc::not_found || code == Errc::invalid) {
      count(Outcome::malformed);
      warn_limited("message " + id + " for session " + session.str() +
                   " refused by the store, left for the dead-letter queue: " + queued.error().to_string());
    } else {
      count(Outcome::store_error);
      warn_limited("message " + id + " for session " + session.str() +
                   " not stored, SQS redelivers it: " + queued.error().to_string());
    }
    co_return;
  }
  if (*queued) {
    count(Outcome::moved);
    if (inbox_changed_) inbox_changed_(session);
  } else {
    count(Outcome::duplicate);
  }
  // Durable in the store now: the queue may forget it. A failed ack only means a redelivery,
  // which the store's enqueue drops as a duplicate. Settled from here: an extension racing
  // the ack may fail, harmlessly.
  settled = true;
  auto acked = co_await queue_.ack(std::move(message.receipt));
  if (!acked) {
    count_queue_error("ack");
    warn_limited("message " + id + " stored but not deleted (it will come back as a duplicate): " +
                 acked.error().to_string());
  }
}

}  // namespace agentrt::serve
