#pragma once
// Reads the Prometheus text format back, for tests: sample("name", {{"label", "value"}})
// finds the one sample of that name whose labels include those (nullopt when none).

#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace agentrt::serve::testing {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Samples of the text format (label values here never hold '"', ',' or '\\').
inline std::vector<Sample> parse_exposition(const std::string& text) {
  std::vector<Sample> samples;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.front() == '#') continue;
    Sample sample;
    const auto space = line.rfind(' ');
    std::string series = line.substr(0, space);
    sample.value = std::stod(line.substr(space + 1));
    const auto brace = series.find('{');
    sample.name = series.substr(0, brace);
    if (brace != std::string::npos) {
      std::string body = series.substr(brace + 1, series.size() - brace - 2);
      std::istringstream pairs(body);
      std::string pair;
      while (std::getline(pairs, pair, ',')) {
        const auto equals = pair.find('=');
        sample.labels[pair.substr(0, equals)] = pair.substr(equals + 2, pair.size() - equals - 3);
      }
    }
    samples.push_back(std::move(sample));
  }
  return samples;
}

inline std::optional<double> sample(const std::string& text, const std::string& name,
                                    const std::map<std::string, std::string>& labels = {}) {
  for (const auto& s : parse_exposition(text)) {
    if (s.name != name) continue;
    bool matches = true;
    for (const auto& [key, value] : labels) {
      const auto it = s.labels.find(key);
      matches = matches && it != s.labels.end() && it->second == value;
    }
    if (matches) return s.value;
  }
  return std::nullopt;
}

}  // namespace agentrt::serve::testing
