#include "backends/kafka/kafka_producer.hpp"

#include <atomic>
#include <mutex>
#include <thread>
#include <utility>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "backends/kafka/kafka_client.hpp"
#include "backends/kafka/kafka_log.hpp"

namespace agentrt::kafka {

namespace asio = boost::asio;

namespace {

// What deliver() waits on; the delivery report (on the producer's thread) fills it in.
struct Delivery {
  std::mutex mutex;
  bool done = false;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
};

}  // namespace

struct KafkaProducer::State {
  KafkaProducerOptions options;
  KafkaHandle rk;
  std::thread thread;
  std::atomic<bool> stopping{false};
  RateLimitedLog log{"kafka producer"};
  std::atomic<std::uint64_t> queued{0};
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> dropped{0};

  rd_kafka_resp_err_t produce(BusMessage& message, std::shared_ptr<Delivery>* delivery);
};

namespace {

void delivery_cb(rd_kafka_t* /*rk*/, const rd_kafka_message_t* message, void* opaque) {
  auto* state = static_cast<KafkaProducer::State*>(opaque);
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++state->delivered;
  } else {
    ++state->failed;
    state->log.warn(std::string("delivery to ") + rd_kafka_topic_name(message->rkt) + " failed: " +
                    rd_kafka_err2str(message->err));
  }
  if (message->_private == nullptr) return;
  // deliver()'s waiter, handed to librdkafka as the message's opaque pointer (a C API).
  std::unique_ptr<std::shared_ptr<Delivery>> delivery(static_cast<std::shared_ptr<Delivery>*>(message->_private));
  std::lock_guard lock((*delivery)->mutex);
  (*delivery)->done = true;
  (*delivery)->err = message->err;
}

}  // namespace

Result<std::unique_ptr<KafkaProducer>> KafkaProducer::open(KafkaProducerOptions options) {
  if (options.brokers.empty()) return Error{Errc::invalid, "kafka producer: brokers: required"};
  std::map<std::string, std::string> properties{
      {"bootstrap.servers", options.brokers},
      {"enable.idempotence", "true"},
      {"message.timeout.ms", std::to_string(options.delivery_timeout.count())},
      {"queue.buffering.max.messages", std::to_string(options.queue_max)},
      {"linger.ms", "5"}};
  for (const auto& [name, value] : options.properties) properties[name] = value;
  auto conf = make_conf(properties);
  if (!conf) return conf.error().with_context("kafka producer");
  auto state = std::make_shared<State>();
  state->options = std::move(options);
  rd_kafka_conf_set_opaque(conf->get(), state.get());
  rd_kafka_conf_set_dr_msg_cb(conf->get(), delivery_cb);
  rd_kafka_conf_set_log_cb(conf->get(), log_to_spdlog);
  auto rk = make_client(RD_KAFKA_PRODUCER, std::move(conf).value());
  if (!rk) return rk.error().with_context("kafka producer");
  state->rk = std::move(rk).value();
  state->thread = std::thread([raw = state.get()] {
    while (!raw->stopping) rd_kafka_poll(raw->rk.get(), 100);
  });
  return std::unique_ptr<KafkaProducer>(new KafkaProducer(std::move(state)));
}

KafkaProducer::KafkaProducer(std::shared_ptr<State> state) : state_(std::move(state)) {}

KafkaProducer::~KafkaProducer() {
  state_->stopping = true;
  if (state_->thread.joinable()) state_->thread.join();
  auto* rk = state_->rk.get();
  if (rd_kafka_flush(rk, static_cast<int>(state_->options.flush_timeout.count())) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    spdlog::warn("kafka producer: {} messages not delivered within the flush timeout, dropped", rd_kafka_outq_len(rk));
    rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(rk, 0);  // their delivery reports (failed), which free deliver()'s waiters
  }
}

rd_kafka_resp_err_t KafkaProducer::State::produce(BusMessage& message, std::shared_ptr<Delivery>* delivery) {
  auto headers = make_headers(message.headers);
  const auto err = produce_copy(rk.get(), ProduceArgs{&message.topic, -1, &message.key, &message.value,
                                                       headers.get(), delivery});
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    (void)headers.release();  // librdkafka owns them once the message is accepted
    ++queued;
  }
  return err;
}

bool KafkaProducer::publish(BusMessage message) {
  const auto err = state_->produce(message, nullptr);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return true;
  ++state_->dropped;
  state_->log.warn("message for " + message.topic + " dropped: " + rd_kafka_err2str(err));
  return false;
}

asio::awaitable<Result<void>> KafkaProducer::deliver(BusMessage message) {
  auto delivery = std::make_shared<Delivery>();
  auto opaque = std::make_unique<std::shared_ptr<Delivery>>(delivery);
  const auto err = state_->produce(message, opaque.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) co_return kafka_error(err, "kafka producer: deliver to " + message.topic);
  (void)opaque.release();  // the delivery report frees it
  asio::steady_timer timer(co_await asio::this_coro::executor);
  constexpr std::chrono::milliseconds kPoll{2};
  for (;;) {
    bool done = false;
    auto result = RD_KAFKA_RESP_ERR_NO_ERROR;
    {
      std::lock_guard lock(delivery->mutex);
      done = delivery->done;
      result = delivery->err;
    }
    if (done && result == RD_KAFKA_RESP_ERR_NO_ERROR) co_return ok_result();
    if (done) co_return kafka_error(result, "kafka producer: deliver to " + message.topic);
    timer.expires_after(kPoll);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return Error{Errc::cancelled, "kafka producer: deliver to " + message.topic + ": cancelled"};
  }
}

KafkaProducerStats KafkaProducer::stats() const {
  return KafkaProducerStats{state_->queued, state_->delivered, state_->failed, state_->dropped};
}

}  // namespace agentrt::kafka
