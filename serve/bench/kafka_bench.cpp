// kafka_bench: events/s consumed from Kafka into session signals (issue 8 "Benchmark"): the
// real KafkaConsumer and KafkaSignalConsumer on librdkafka's in-process mock cluster, into a
// memory store (the Kafka path alone), N records over S sessions produced beforehand.
//   kafka_bench [--records N] [--sessions S] [--partitions P]
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "backends/kafka/kafka_consumer.hpp"
#include "backends/kafka/kafka_producer.hpp"
#include "backends/kafka/testing/kafka_mock_cluster.hpp"
#include "backends/memory/memory_session_store.hpp"
#include "core/ports/conformance/session_store_fixture.hpp"
#include "serve/kafka_signal_consumer.hpp"

namespace {

using namespace agentrt;
namespace asio = boost::asio;

class WallClock final : public Clock {
 public:
  std::int64_t wall_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
  std::chrono::steady_clock::time_point monotonic() const override { return std::chrono::steady_clock::now(); }
};

struct Options {
  int records = 20'000;
  int sessions = 100;
  int partitions = 4;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const int value = std::atoi(argv[i + 1]);
    if (value <= 0) throw std::runtime_error(std::string(flag) + ": expected a positive integer");
    if (flag == "--records") {
      o.records = value;
    } else if (flag == "--sessions") {
      o.sessions = value;
    } else if (flag == "--partitions") {
      o.partitions = value;
    } else {
      throw std::runtime_error("unknown flag " + std::string(flag));
    }
  }
  return o;
}

void create_sessions(SessionStore& store, int sessions) {
  for (int i = 0; i < sessions; ++i) {
    SessionRecord r;
    r.id = SessionId{"s-" + std::to_string(i)};
    r.org = OrgId{"acme"};
    r.bot = BotId{"bot"};
    r.definition_hash = "h";
    std::vector<Event> first{Event{EventSeq{1}, EventType::SessionStarted, 1, nlohmann::json::object()}};
    auto created = conformance::run_awaitable(store.create_session(r, nlohmann::json{{"name", "bot"}}, first));
    if (!created) throw std::runtime_error(created.error().to_string());
  }
}

int run(const Options& o) {
  kafka::testing::KafkaMockCluster cluster;
  cluster.create_topic("events", o.partitions);
  cluster.create_topic("dlq", 1);
  std::vector<std::pair<std::string, std::string>> records;
  records.reserve(static_cast<std::size_t>(o.records));
  for (int i = 0; i < o.records; ++i) {
    records.emplace_back("s-" + std::to_string(i % o.sessions), R"({"n":)" + std::to_string(i) + "}");
  }
  if (auto produced = cluster.produce_many("events", records); !produced) throw std::runtime_error(produced.error().to_string());

  auto store = make_memory_session_store();
  create_sessions(*store, o.sessions);
  asio::io_context io;
  kafka::KafkaConsumerOptions options;
  options.brokers = cluster.bootstraps();
  options.group_id = "bench";
  options.topics = {"events"};
  options.properties = {{"log_level", "0"}};
  auto bus = kafka::KafkaConsumer::open(io.get_executor(), options);
  if (!bus) throw std::runtime_error(bus.error().to_string());
  auto producer = kafka::KafkaProducer::open(kafka::KafkaProducerOptions{cluster.bootstraps()});
  if (!producer) throw std::runtime_error(producer.error().to_string());
  WallClock clock;
  serve::KafkaConfig config;
  config.dead_letter_topic = "dlq";
  config.routes = {serve::KafkaRoute{"events", "acme", "", "key", "event"}};
  serve::KafkaSignalConsumer consumer(serve::KafkaSignalPorts{bus->get(), producer->get(), store.get(), &clock, nullptr},
                                      config, {});
  // The clock starts at the first record: the group join is not the throughput.
  std::chrono::steady_clock::time_point first{};
  std::chrono::steady_clock::time_point last{};
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        while (consumer.stats().records < static_cast<std::uint64_t>(o.records)) {
          auto polled = co_await consumer.poll_once();
          if (!polled) throw std::runtime_error(polled.error().to_string());
          if (*polled && first == std::chrono::steady_clock::time_point{}) first = std::chrono::steady_clock::now();
        }
        last = std::chrono::steady_clock::now();
      },
      asio::detached);
  io.run();
  const double seconds = std::chrono::duration<double>(last - first).count();
  const auto& stats = consumer.stats();
  std::cout << "kafka_bench: " << o.records << " records over " << o.sessions << " sessions, " << o.partitions
            << " partitions (mock cluster, memory store)\n"
            << "  signals " << stats.signals << ", duplicates " << stats.duplicates << ", dead letters "
            << stats.dead_letters << ", holds " << (*bus)->stats().holds << ", pauses " << (*bus)->stats().pauses << "\n"
            << "  consumed into signals: " << static_cast<long long>(stats.records / seconds) << " events/s ("
            << seconds << " s)\n";
  return stats.signals == static_cast<std::uint64_t>(o.records) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::cerr << "kafka_bench: " << e.what() << '\n';
    return 2;
  }
}
