// Replay throughput on one core: N synthetic sessions of about M events each, replayed
// (a) from memory: the decider fold and the comparison with the recorded decisions only;
// (b) from history documents: JSON parsing, definition rebuild and hash check, then (a) —
//     what `agentrt replay DIR` does per file, minus reading the disk.
// Usage: replay_bench [--sessions N] [--events M] [--target EVENTS_PER_S]

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/replay/replay_engine.hpp"
#include "core/replay/testing/synthetic_history.hpp"

namespace {

using agentrt::History;
using Clock = std::chrono::steady_clock;

struct Options {
  int sessions = 1000;
  int events = 200;
  double target = 200'000;
};

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--sessions") o.sessions = std::atoi(value);
    else if (flag == "--events") o.events = std::atoi(value);
    else if (flag == "--target") o.target = std::atof(value);
    else throw std::invalid_argument("unknown flag " + std::string(flag));
  }
  if (o.sessions < 1 || o.events < 20) throw std::invalid_argument("--sessions >= 1 and --events >= 20");
  return o;
}

std::string document_text(const History& h) {
  nlohmann::json events = nlohmann::json::array();
  for (const auto& e : h.events) events.push_back(agentrt::to_json(e));
  return nlohmann::json{{"format", "agentrt.history/1"}, {"session", h.session}, {"definition", h.definition},
                        {"events", std::move(events)}}
      .dump();
}

void report(std::string_view what, long long events, Clock::duration elapsed, double target) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  const double rate = static_cast<double>(events) / seconds;
  std::cout << what << ": " << events << " events in " << seconds << " s = " << static_cast<long long>(rate)
            << " events/s (target >= " << static_cast<long long>(target) << ": " << (rate >= target ? "met" : "NOT MET")
            << ")\n";
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    o = parse_options(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "replay_bench: " << e.what() << "\nusage: replay_bench [--sessions N] [--events M] [--target EVENTS_PER_S]\n";
    return 2;
  }
  const auto definition = agentrt::testing::synthetic_definition();
  const int turns = std::max(1, (o.events - 1) / 13);  // a synthetic turn is 13 to 14 events
  std::vector<History> histories;
  std::vector<std::string> documents;
  long long events = 0;
  for (int i = 0; i < o.sessions; ++i) {
    auto h = agentrt::testing::synthetic_history(definition, turns, "s-" + std::to_string(i));
    events += static_cast<long long>(h.events.size());
    documents.push_back(document_text(h));
    histories.push_back(std::move(h));
  }
  std::cout << o.sessions << " sessions, " << events / o.sessions << " events each, " << events << " events\n";

  int failures = 0;
  auto start = Clock::now();
  for (const auto& h : histories) failures += agentrt::replay_history(h, definition).status != agentrt::ReplayStatus::ok;
  report("replay from memory (decider fold + comparison)", events, Clock::now() - start, o.target);

  start = Clock::now();
  agentrt::HistoryReplayer replayer(nullptr);
  for (std::size_t i = 0; i < documents.size(); ++i) {
    auto h = agentrt::parse_history(documents[i], histories[i].name, agentrt::HistoryEncoding::json_document);
    failures += !h || replayer.replay(*h).status != agentrt::ReplayStatus::ok;
  }
  report("replay from history documents (JSON parse + definition check + fold)", events, Clock::now() - start, o.target);
  if (failures != 0) {
    std::cerr << "replay_bench: " << failures << " synthetic histories did not replay: a bug\n";
    return 1;
  }
  return 0;
}
