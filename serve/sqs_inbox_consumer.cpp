#include "serve/sqs_inbox_consumer.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace agentrt::serve {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

SqsInboxConsumer::SqsInboxConsumer(InboxQueue& queue, SessionStore& store, InboxChanged inbox_changed,
                                   SqsInboxConsumerOptions options)
    : queue_(queue), store_(store), inbox_changed_(std::move(inbox_changed)), options_(options) {}

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

asio::awaitable<Result<std::size_t>> SqsInboxConsumer::poll_once() {
  auto received = co_await queue_.receive(options_.wait, options_.visibility);
  const auto received_at = Clock::now();
  if (!received) {
    ++stats_.queue_errors;
    co_return received.error();
  }
  stats_.received += received->size();
  for (auto& message : *received) {
    if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) break;
    co_await handle(std::move(message), received_at);
  }
  co_return received->size();
}

asio::awaitable<void> SqsInboxConsumer::handle(QueuedInboxMessage message, Clock::time_point received_at) {
  if (!message.malformed.empty()) {
    ++stats_.malformed;
    warn_limited("malformed message (receive " + std::to_string(message.receive_count) +
                 ", left for the dead-letter queue): " + message.malformed);
    co_return;
  }
  if (Clock::now() - received_at > options_.visibility / 2) {
    auto extended = co_await queue_.extend(message.receipt, options_.visibility);
    if (!extended) {
      ++stats_.queue_errors;
      warn_limited("visibility not extended: " + extended.error().to_string());
    }
  }
  const SessionId session = message.session;
  const std::string id = message.message.id.str();
  auto queued = co_await store_.enqueue(session, std::move(message.message));
  if (!queued) {
    const auto code = queued.error().code;
    if (code == Errc::not_found || code == Errc::invalid) {
      ++stats_.malformed;
      warn_limited("message " + id + " for session " + session.str() +
                   " refused by the store, left for the dead-letter queue: " + queued.error().to_string());
    } else {
      ++stats_.store_errors;
      warn_limited("message " + id + " for session " + session.str() +
                   " not stored, SQS redelivers it: " + queued.error().to_string());
    }
    co_return;
  }
  if (*queued) {
    ++stats_.moved;
    if (inbox_changed_) inbox_changed_(session);
  } else {
    ++stats_.duplicates;
  }
  // Durable in the store now: the queue may forget it. A failed ack only means a redelivery,
  // which the store's enqueue drops as a duplicate.
  auto acked = co_await queue_.ack(std::move(message.receipt));
  if (!acked) {
    ++stats_.queue_errors;
    warn_limited("message " + id + " stored but not deleted (it will come back as a duplicate): " +
                 acked.error().to_string());
  }
}

}  // namespace agentrt::serve
