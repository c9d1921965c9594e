#pragma once
// The payload of an output message on `agentrt:out:<session>` (backends/redis/README.md):
//   {"v":1,"events":[{"seq":N,"kind":"...","data":{...},"durable":true,"follows_seq":M}, ...]}
// decode_output_events validates what it reads (a message comes off the network): sizes,
// nesting, and every field's type; a bad message is refused whole.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/error.hpp"
#include "core/stream/output_event.hpp"

namespace agentrt {

struct OutputCodecLimits {
  std::size_t max_events = 4096;  // per message
  std::size_t max_depth = 64;     // JSON nesting
};

[[nodiscard]] std::string encode_output_events(const std::vector<OutputEvent>& events);
Result<std::vector<OutputEvent>> decode_output_events(std::string_view payload, OutputCodecLimits limits = {});

}  // namespace agentrt
