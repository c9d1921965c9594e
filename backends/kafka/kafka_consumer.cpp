#include "backends/kafka/kafka_consumer.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "backends/kafka/kafka_client.hpp"
#include "backends/kafka/kafka_log.hpp"

namespace agentrt::kafka {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

struct KafkaConsumer::State : std::enable_shared_from_this<KafkaConsumer::State> {
  asio::any_io_executor executor;
  KafkaConsumerOptions options;
  KafkaHandle rk;
  std::thread thread;
  std::atomic<bool> stopping{false};
  RateLimitedLog log{"kafka consumer"};

  std::mutex mutex;  // everything below
  std::condition_variable drained;  // the queue went down to half (or stopping)
  std::deque<BusRecord> queue;
  asio::steady_timer* waiter = nullptr;  // the awaiting next(); read on the executor only
  bool paused = false;
  std::uint64_t generation = 1;
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> pending;  // offsets to commit
  KafkaConsumerStats stats;

  void poll_loop();
  void take(KafkaMessage message);
  void pause_or_resume(bool pause);
  void maybe_resume();
  bool hold_while_full();
  void commit_pending(bool async);
  void update_lag();
  void rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);
};

namespace {

void rebalance_cb(rd_kafka_t* /*rk*/, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  static_cast<KafkaConsumer::State*>(opaque)->rebalance(err, partitions);
}

void commit_cb(rd_kafka_t* /*rk*/, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* /*offsets*/, void* opaque) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET) return;
  auto* state = static_cast<KafkaConsumer::State*>(opaque);
  {
    std::lock_guard lock(state->mutex);
    ++state->stats.commit_errors;
  }
  // Not fatal: the offsets are committed again later or the records come back as duplicates.
  state->log.warn(std::string("offset commit failed: ") + rd_kafka_err2str(err));
}

void error_cb(rd_kafka_t* /*rk*/, int err, const char* reason, void* opaque) {
  auto* state = static_cast<KafkaConsumer::State*>(opaque);
  {
    std::lock_guard lock(state->mutex);
    ++state->stats.broker_errors;
  }
  state->log.warn(std::string(rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))) + ": " + reason);
}

KafkaPartitions partitions_of(const std::map<std::pair<std::string, std::int32_t>, std::int64_t>& offsets) {
  KafkaPartitions list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& [where, offset] : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), where.first.c_str(), where.second)->offset = offset;
  }
  return list;
}

}  // namespace

Result<std::unique_ptr<KafkaConsumer>> KafkaConsumer::open(asio::any_io_executor executor, KafkaConsumerOptions options) {
  if (options.brokers.empty()) return Error{Errc::invalid, "kafka consumer: brokers: required"};
  if (options.group_id.empty()) return Error{Errc::invalid, "kafka consumer: group_id: required"};
  if (options.topics.empty()) return Error{Errc::invalid, "kafka consumer: no topic to subscribe to"};
  options.handoff_max = std::max<std::size_t>(options.handoff_max, 2);
  std::map<std::string, std::string> properties{{"bootstrap.servers", options.brokers},
                                                {"group.id", options.group_id},
                                                {"enable.auto.commit", "false"},
                                                {"enable.auto.offset.store", "false"},
                                                {"auto.offset.reset", "earliest"},
                                                {"partition.assignment.strategy", "range,roundrobin"}};
  for (const auto& [name, value] : options.properties) properties[name] = value;
  auto conf = make_conf(properties);
  if (!conf) return conf.error().with_context("kafka consumer");
  auto state = std::make_shared<State>();
  state->executor = std::move(executor);
  state->options = std::move(options);
  rd_kafka_conf_set_opaque(conf->get(), state.get());
  rd_kafka_conf_set_rebalance_cb(conf->get(), rebalance_cb);
  rd_kafka_conf_set_offset_commit_cb(conf->get(), commit_cb);
  rd_kafka_conf_set_error_cb(conf->get(), error_cb);
  rd_kafka_conf_set_log_cb(conf->get(), log_to_spdlog);
  auto rk = make_client(RD_KAFKA_CONSUMER, std::move(conf).value());
  if (!rk) return rk.error().with_context("kafka consumer");
  state->rk = std::move(rk).value();
  rd_kafka_poll_set_consumer(state->rk.get());
  KafkaPartitions topics(rd_kafka_topic_partition_list_new(static_cast<int>(state->options.topics.size())));
  for (const auto& topic : state->options.topics) {
    rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  }
  if (auto err = rd_kafka_subscribe(state->rk.get(), topics.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return kafka_error(err, "kafka consumer: subscribe");
  }
  state->thread = std::thread([raw = state.get()] { raw->poll_loop(); });
  return std::unique_ptr<KafkaConsumer>(new KafkaConsumer(std::move(state)));
}

KafkaConsumer::KafkaConsumer(std::shared_ptr<State> state) : state_(std::move(state)) {}

KafkaConsumer::~KafkaConsumer() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->drained.notify_all();
  if (state_->thread.joinable()) state_->thread.join();
}

void KafkaConsumer::State::poll_loop() {
  auto next_commit = SteadyClock::now();
  auto next_lag = SteadyClock::now();
  while (!stopping) {
    maybe_resume();
    if (hold_while_full()) continue;
    bool is_paused = false;
    {
      std::lock_guard lock(mutex);
      is_paused = paused;
    }
    // Short while paused, so the loop notices at once that the hand-off queue has drained.
    take(KafkaMessage(rd_kafka_consumer_poll(rk.get(), is_paused ? 10 : 100)));
    const auto now = SteadyClock::now();
    if (now >= next_commit) {
      commit_pending(true);
      next_commit = now + options.commit_interval;
    }
    if (now >= next_lag) {
      update_lag();
      next_lag = now + std::chrono::seconds(1);
    }
  }
  commit_pending(false);
  rd_kafka_consumer_close(rk.get());
}

void KafkaConsumer::State::take(KafkaMessage message) {
  if (!message) return;
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return;
    {
      std::lock_guard lock(mutex);
      ++stats.broker_errors;
    }
    log.warn(std::string("consume: ") + rd_kafka_message_errstr(message.get()));
    return;
  }
  BusRecord record;
  record.topic = rd_kafka_topic_name(message->rkt);
  record.partition = message->partition;
  record.offset = message->offset;
  if (message->key != nullptr) record.key.emplace(static_cast<const char*>(message->key), message->key_len);
  if (message->payload != nullptr) record.value.assign(static_cast<const char*>(message->payload), message->len);
  record.headers = headers_of(*message);
  bool wake = false;
  {
    std::lock_guard lock(mutex);
    record.assignment = generation;
    queue.push_back(std::move(record));
    wake = waiter != nullptr;
  }
  if (wake) {
    asio::post(executor, [self = shared_from_this()] {
      // On the executor: the awaiting next() (if still waiting) stops waiting.
      if (self->waiter != nullptr) self->waiter->cancel();
    });
  }
}

void KafkaConsumer::State::pause_or_resume(bool pause) {
  rd_kafka_topic_partition_list_t* raw = nullptr;
  if (rd_kafka_assignment(rk.get(), &raw) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
  KafkaPartitions assignment(raw);
  if (pause) {
    rd_kafka_pause_partitions(rk.get(), assignment.get());
  } else {
    rd_kafka_resume_partitions(rk.get(), assignment.get());
  }
}

// The queue is full: stop taking records from librdkafka (which keeps what it prefetched,
// within queued.max.messages.kbytes) until the loop has taken it down to half. Pausing the
// partitions instead would make librdkafka drop its prefetched records and wait out a fetch
// long-poll on resume: each pause cost about fetch.wait.max.ms (500 ms). Only a queue still
// full after hold_max pauses them, so the thread goes back to polling (rebalances are served,
// max.poll.interval.ms is never reached). True when it held (the caller loops again).
bool KafkaConsumer::State::hold_while_full() {
  std::unique_lock lock(mutex);
  if (paused || queue.size() < options.handoff_max) return false;
  ++stats.holds;
  const auto half = options.handoff_max / 2;
  const bool drained_in_time = drained.wait_for(lock, options.hold_max, [&] { return stopping || queue.size() <= half; });
  if (drained_in_time) return true;
  paused = true;
  ++stats.pauses;
  lock.unlock();
  pause_or_resume(true);
  return true;
}

void KafkaConsumer::State::maybe_resume() {
  {
    std::lock_guard lock(mutex);
    if (!paused || queue.size() > options.handoff_max / 2) return;
    paused = false;
  }
  pause_or_resume(false);
}

void KafkaConsumer::State::commit_pending(bool async) {
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> offsets;
  {
    std::lock_guard lock(mutex);
    offsets.swap(pending);
    if (!offsets.empty()) ++stats.commits;
  }
  if (offsets.empty()) return;
  const auto err = rd_kafka_commit(rk.get(), partitions_of(offsets).get(), async ? 1 : 0);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
    {
      std::lock_guard lock(mutex);
      ++stats.commit_errors;
    }
    log.warn(std::string("offset commit failed: ") + rd_kafka_err2str(err));
  }
}

void KafkaConsumer::State::update_lag() {
  rd_kafka_topic_partition_list_t* raw = nullptr;
  if (rd_kafka_assignment(rk.get(), &raw) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
  KafkaPartitions assignment(raw);
  if (rd_kafka_position(rk.get(), assignment.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
  std::int64_t lag = 0;
  for (int i = 0; i < assignment->cnt; ++i) {
    const auto& p = assignment->elems[i];
    std::int64_t low = 0;
    std::int64_t high = 0;
    // Cached watermarks from the fetch responses: no broker round trip.
    if (rd_kafka_get_watermark_offsets(rk.get(), p.topic, p.partition, &low, &high) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      continue;
    }
    const std::int64_t position = p.offset >= 0 ? p.offset : low;
    if (high > position) lag += high - position;
  }
  std::lock_guard lock(mutex);
  stats.lag = lag;
}

void KafkaConsumer::State::rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) {
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    bool is_paused = false;
    {
      std::lock_guard lock(mutex);
      ++generation;
      ++stats.rebalances;
      is_paused = paused;
    }
    rd_kafka_assign(rk.get(), partitions);
    if (is_paused) rd_kafka_pause_partitions(rk.get(), partitions);
    spdlog::info("kafka consumer: {} partitions assigned", partitions->cnt);
    return;
  }
  // Revoked (or an error: treated as a revoke). What the loop made durable is committed now;
  // what it still holds is abandoned: the partition's next owner reads it again.
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> offsets;
  std::size_t dropped = 0;
  {
    std::lock_guard lock(mutex);
    offsets.swap(pending);
    ++generation;
    ++stats.rebalances;
    const auto before = queue.size();
    std::erase_if(queue, [&](const BusRecord& r) {
      for (int i = 0; i < partitions->cnt; ++i) {
        if (partitions->elems[i].partition == r.partition && r.topic == partitions->elems[i].topic) return true;
      }
      return false;
    });
    dropped = before - queue.size();
    stats.dropped_on_revoke += dropped;
    if (!offsets.empty()) ++stats.commits;
  }
  if (!offsets.empty()) (void)rd_kafka_commit(rk.get(), partitions_of(offsets).get(), 0);
  rd_kafka_assign(rk.get(), nullptr);
  spdlog::info("kafka consumer: {} partitions revoked, {} queued records left for their next owner", partitions->cnt,
               dropped);
}

asio::awaitable<Result<std::optional<BusRecord>>> KafkaConsumer::next(std::chrono::milliseconds wait) {
  auto& s = *state_;
  std::optional<BusRecord> ready;
  {
    std::lock_guard lock(s.mutex);
    if (!s.queue.empty()) {
      ready.emplace(std::move(s.queue.front()));
      s.queue.pop_front();
      ++s.stats.received;
      if (s.queue.size() == s.options.handoff_max / 2) s.drained.notify_one();
    }
  }
  if (ready) co_return ready;
  asio::steady_timer timer(co_await asio::this_coro::executor, wait);
  {
    std::lock_guard lock(s.mutex);
    s.waiter = &timer;
  }
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  const bool cancelled =
      (co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none;
  std::optional<BusRecord> record;
  {
    std::lock_guard lock(s.mutex);
    s.waiter = nullptr;
    if (!cancelled && !s.queue.empty()) {
      record.emplace(std::move(s.queue.front()));
      s.queue.pop_front();
      ++s.stats.received;
      if (s.queue.size() == s.options.handoff_max / 2) s.drained.notify_one();
    }
  }
  if (cancelled) co_return Error{Errc::cancelled, "kafka consumer: next: cancelled"};
  co_return record;
}

void KafkaConsumer::commit(const BusRecord& record) {
  std::lock_guard lock(state_->mutex);
  if (record.assignment != state_->generation) return;  // revoked since: its next owner commits it
  auto& offset = state_->pending[{record.topic, record.partition}];
  offset = std::max(offset, record.offset + 1);
}

KafkaConsumerStats KafkaConsumer::stats() const {
  std::lock_guard lock(state_->mutex);
  return state_->stats;
}

Result<std::int64_t> KafkaConsumer::committed(const std::string& topic, std::int32_t partition,
                                              std::chrono::milliseconds timeout) {
  KafkaPartitions list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition);
  const auto err = rd_kafka_committed(state_->rk.get(), list.get(), static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafka_error(err, "kafka consumer: committed " + topic);
  return list->elems[0].offset;
}

}  // namespace agentrt::kafka
