// A librdkafka mock cluster as a process, for the e2e tests and kafkajs (BACKENDS.md "mock_broker"):
//   kafka_mock_broker BROKERS SECONDS [TOPIC PARTITIONS]...
// prints "BOOTSTRAP host:port,..." once the topics exist, then serves until SECONDS passed or
// it gets SIGTERM/SIGINT.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>

#include "backends/kafka/testing/kafka_mock_cluster.hpp"

int main(int argc, char** argv) {
  if (argc < 3 || argc % 2 == 0) {
    std::cerr << "usage: kafka_mock_broker BROKERS SECONDS [TOPIC PARTITIONS]...\n";
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before librdkafka starts its threads
  agentrt::kafka::testing::KafkaMockCluster cluster(std::atoi(argv[1]));
  for (int i = 3; i + 1 < argc; i += 2) cluster.create_topic(argv[i], std::atoi(argv[i + 1]));
  std::cout << "BOOTSTRAP " << cluster.bootstraps() << std::endl;
  timespec timeout{std::atoi(argv[2]), 0};
  (void)sigtimedwait(&signals, nullptr, &timeout);
  return 0;
}
