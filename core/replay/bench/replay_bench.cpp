// Replay throughput on one core: N synthetic sessions of about M events each, replayed
// (a) from memory: the decider fold and the comparison with the recorded decisions only;
// (b) parse only: history documents in memory parsed and checked, no fold — where (c) and
//     (d) spend their time beyond (a);
// (c) end to end from .json files as `agentrt export` writes them (indented): what
//     `agentrt replay DIR` does per file — read, parse, check, rebuild and hash-check the
//     definition, fold. The files are written first, so they are in the page cache;
// (d) the same from .jsonl files (a header line, then one event per line).
// The target (docs/versioning.md "Speed") applies to (c) and (d), on wall time; each line also
// gives the rate on CPU time, which other work on a shared machine does not lower as much.
// Usage: replay_bench [--sessions N] [--events M] [--target EVENTS_PER_S]

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "core/model/scratch_dir.hpp"
#include "core/replay/replay_engine.hpp"
#include "core/replay/testing/synthetic_history.hpp"

namespace {

namespace fs = std::filesystem;
using agentrt::History;
using agentrt::ScratchDir;
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

nlohmann::json header_json(const History& h) {
  return {{"format", "agentrt.history/1"}, {"session", h.session}, {"definition", h.definition}};
}

// As `agentrt export` writes it: indented, with an (empty) archived_branches list.
std::string document_text(const History& h, int indent) {
  nlohmann::json events = nlohmann::json::array();
  for (const auto& e : h.events) events.push_back(agentrt::to_json(e));
  nlohmann::json doc = header_json(h);
  doc["events"] = std::move(events);
  doc["archived_branches"] = nlohmann::json::array();
  return doc.dump(indent) + "\n";
}

std::string lines_text(const History& h) {
  std::string text = header_json(h).dump() + "\n";
  for (const auto& e : h.events) text += agentrt::to_json(e).dump() + "\n";
  return text;
}


void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

// A stopwatch of wall time and of this process's CPU time: on a machine busy with other work
// the wall time is the CPU time plus the waits for a core, and the CPU time shows what replay
// alone costs.
class Stopwatch {
 public:
  Stopwatch() : wall_(Clock::now()), cpu_(std::clock()) {}
  [[nodiscard]] double wall_s() const { return std::chrono::duration<double>(Clock::now() - wall_).count(); }
  [[nodiscard]] double cpu_s() const { return static_cast<double>(std::clock() - cpu_) / CLOCKS_PER_SEC; }

 private:
  Clock::time_point wall_;
  std::clock_t cpu_;
};

// The target is judged on wall time; the CPU time's rate follows in brackets.
void report(std::string_view what, long long events, const Stopwatch& watch, double target) {
  const double wall = watch.wall_s();
  const double cpu = watch.cpu_s();
  const auto rate = [&](double seconds) { return static_cast<long long>(static_cast<double>(events) / seconds); };
  std::cout << what << ": " << events << " events in " << wall << " s = " << rate(wall) << " events/s [cpu " << cpu
            << " s = " << rate(cpu) << " events/s]";
  if (target > 0) {
    std::cout << " (target >= " << static_cast<long long>(target) << ": "
              << (static_cast<double>(rate(wall)) >= target ? "met" : "NOT MET") << ")";
  }
  std::cout << "\n";
}

// What `agentrt replay DIR` does per file; returns how many did not replay OK.
int replay_files(const std::vector<fs::path>& files) {
  int failures = 0;
  agentrt::HistoryReplayer replayer(nullptr);
  for (const auto& file : files) {
    auto h = agentrt::read_history_file(file);
    if (!h) std::cerr << h.error().message << "\n";
    failures += !h || replayer.replay(*h).status != agentrt::ReplayStatus::ok;
  }
  return failures;
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
  const ScratchDir dir("replay_bench");  // the history files, removed on every way out
  std::vector<History> histories;
  std::vector<std::string> documents;
  std::vector<fs::path> json_files;
  std::vector<fs::path> jsonl_files;
  long long events = 0;
  for (int i = 0; i < o.sessions; ++i) {
    auto h = agentrt::testing::synthetic_history(definition, turns, "s-" + std::to_string(i));
    events += static_cast<long long>(h.events.size());
    documents.push_back(document_text(h, -1));
    json_files.push_back(dir.path() / (h.name + ".json"));
    write_file(json_files.back(), document_text(h, 2));
    jsonl_files.push_back(dir.path() / (h.name + ".jsonl"));
    write_file(jsonl_files.back(), lines_text(h));
    histories.push_back(std::move(h));
  }
  std::cout << o.sessions << " sessions, " << events / o.sessions << " events each, " << events << " events\n";

  int failures = 0;
  const Stopwatch in_memory;
  for (const auto& h : histories) failures += agentrt::replay_history(h, definition).status != agentrt::ReplayStatus::ok;
  report("replay from memory (decider fold + comparison)", events, in_memory, o.target);

  const Stopwatch parse_only;
  for (std::size_t i = 0; i < documents.size(); ++i) {
    failures += !agentrt::parse_history(documents[i], histories[i].name, agentrt::HistoryEncoding::json_document);
  }
  report("parse only (compact documents in memory: JSON parse + checks, no fold)", events, parse_only, 0);

  const Stopwatch from_json;
  failures += replay_files(json_files);
  report("end to end from .json files (read + parse + checks + definition check + fold)", events, from_json, o.target);

  const Stopwatch from_jsonl;
  failures += replay_files(jsonl_files);
  report("end to end from .jsonl files (read + parse + checks + definition check + fold)", events, from_jsonl,
         o.target);
  if (failures != 0) {
    std::cerr << "replay_bench: " << failures << " synthetic histories did not replay: a bug\n";
    return 1;
  }
  return 0;
}
