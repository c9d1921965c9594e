#pragma once
// The real clock and id source (core/ only sees the ports).

#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include "core/ports/clock.hpp"
#include "core/ports/id_source.hpp"

namespace agentrt::cli {

class SystemClock final : public Clock {
 public:
  std::int64_t wall_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::chrono::steady_clock::time_point monotonic() const override { return std::chrono::steady_clock::now(); }
};

// 64 random bits per id, hex: collisions are not a practical concern for one store.
class RandomIdSource final : public IdSource {
 public:
  std::string next(std::string_view prefix) override {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng_()));
    return std::string(prefix) + buf;
  }

 private:
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace agentrt::cli
