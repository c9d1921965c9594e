#pragma once
// Nearest-rank percentile of a benchmark's samples, shared by serve_bench and stream_bench.

#include <algorithm>
#include <cstddef>
#include <vector>

namespace agentrt::serve::bench {

// `p` in 0..100; `values` is taken by value and sorted; 0 for no samples.
inline double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(rank, values.size() - 1)];
}

}  // namespace agentrt::serve::bench
