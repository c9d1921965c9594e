#include "serve/kafka_signal_consumer.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "core/model/session.hpp"

namespace agentrt::serve {

namespace asio = boost::asio;

KafkaSignalConsumer::KafkaSignalConsumer(KafkaSignalPorts ports, KafkaConfig config, InboxChanged inbox_changed,
                                         KafkaSignalConsumerOptions options)
    : ports_(ports), config_(std::move(config)), inbox_changed_(std::move(inbox_changed)), options_(options) {}

void KafkaSignalConsumer::start(asio::any_io_executor executor, std::function<void()> on_stopped) {
  asio::co_spawn(executor, run(),
                 asio::bind_cancellation_slot(stop_.slot(), [done = std::move(on_stopped)](std::exception_ptr e) {
                   if (e) spdlog::error("kafka signal consumer ended by an exception");
                   if (done) done();
                 }));
}

void KafkaSignalConsumer::stop() { stop_.emit(asio::cancellation_type::terminal); }

void KafkaSignalConsumer::count(const char* outcome) {
  if (ports_.metrics != nullptr) ports_.metrics->kafka_records.Add({{"outcome", outcome}}).Increment();
}

asio::awaitable<void> KafkaSignalConsumer::run() {
  for (;;) {
    auto polled = co_await poll_once();
    if (!polled && polled.error().code == Errc::cancelled) co_return;
    if (ports_.metrics != nullptr) {
      const auto lag = ports_.bus->lag();
      if (lag >= 0) ports_.metrics->kafka_consumer_lag.Add({}).Set(static_cast<double>(lag));
    }
  }
}

asio::awaitable<Result<bool>> KafkaSignalConsumer::poll_once() {
  auto next = co_await ports_.bus->next(options_.wait);
  if (!next) co_return next.error();
  if (!*next) co_return false;
  const BusRecord record = std::move(**next);
  auto backoff = options_.backoff_min;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    auto done = co_await attempt(record);
    if (done) break;
    if (done.error().code == Errc::cancelled) co_return done.error();
    ++stats_.retries;
    spdlog::warn("kafka: record {} not handled, retrying in {} ms: {}", kafka_message_id(record), backoff.count(),
                 done.error().to_string());
    timer.expires_after(backoff);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return Error{Errc::cancelled, "kafka: stopped while record " + kafka_message_id(record) + " waited"};
    backoff = std::min(backoff * 2, options_.backoff_max);
  }
  // Durable in the store, or in the dead-letter topic: the bus may forget it.
  ports_.bus->commit(record);
  ++stats_.records;
  co_return true;
}

asio::awaitable<Result<void>> KafkaSignalConsumer::attempt(const BusRecord& record) {
  auto routed = route_record(config_.routes, record, ports_.clock->wall_ms());
  if (const auto* why = std::get_if<DeadLetter>(&routed)) co_return co_await dead_letter(record, *why);
  co_return co_await signal(std::get<RoutedSignal>(routed), record);
}

asio::awaitable<Result<void>> KafkaSignalConsumer::signal(const RoutedSignal& routed, const BusRecord& record) {
  auto session = co_await ports_.store->get_session(routed.session);
  if (!session && session.error().code == Errc::not_found) {
    const DeadLetter why{"unknown_session", "no session " + routed.session.str()};
    co_return co_await dead_letter(record, why);
  }
  if (!session) co_return session.error().with_context("get session " + routed.session.str());
  // Never another org's session (or another bot's, when the route names one): as unknown.
  if (session->org.str() != routed.route->org || (!routed.route->bot.empty() && session->bot.str() != routed.route->bot)) {
    const DeadLetter why{"unknown_session", "no session " + routed.session.str() + " in org " + routed.route->org};
    co_return co_await dead_letter(record, why);
  }
  if (is_terminal(session->status)) {
    const DeadLetter why{"session_finished", "session " + routed.session.str() + " is " +
                                                 std::string(session_status_name(session->status))};
    co_return co_await dead_letter(record, why);
  }
  InboxMessage message = routed.message;
  auto queued = co_await ports_.store->enqueue(routed.session, std::move(message));
  if (!queued && (queued.error().code == Errc::not_found || queued.error().code == Errc::invalid)) {
    const DeadLetter why{queued.error().code == Errc::not_found ? "unknown_session" : "bad_payload",
                         "refused by the store: " + queued.error().to_string()};
    co_return co_await dead_letter(record, why);
  }
  if (!queued) co_return queued.error().with_context("enqueue " + routed.message.id.str());
  if (*queued) {
    ++stats_.signals;
    count("signal");
    if (inbox_changed_) inbox_changed_(routed.session);
  } else {
    ++stats_.duplicates;
    count("duplicate");
  }
  co_return ok_result();
}

asio::awaitable<Result<void>> KafkaSignalConsumer::dead_letter(const BusRecord& record, const DeadLetter& why) {
  auto message = dead_letter_message(record, why, config_.dead_letter_topic);
  auto delivered = co_await ports_.dead_letters->deliver(std::move(message));
  if (!delivered) co_return delivered.error().with_context("dead letter " + kafka_message_id(record));
  ++stats_.dead_letters;
  count("dead_letter");
  if (ports_.metrics != nullptr) ports_.metrics->kafka_dead_letters.Add({{"reason", why.reason}}).Increment();
  spdlog::warn("kafka: record {} sent to {}: {} ({})", kafka_message_id(record), config_.dead_letter_topic, why.reason,
               why.detail);
  co_return ok_result();
}

}  // namespace agentrt::serve
