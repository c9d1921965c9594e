#include "core/runtime/log_context.hpp"

#include <array>
#include <string_view>

namespace agentrt {

std::string LogContext::logger_name() const {
  const std::array<std::pair<std::string_view, const std::string*>, 6> fields{{{"worker", &worker},
                                                                              {"org", &org},
                                                                              {"bot", &bot},
                                                                              {"session", &session},
                                                                              {"trace_id", &trace_id},
                                                                              {"span_id", &span_id}}};
  std::string name;
  for (const auto& [key, value] : fields) {
    if (value->empty()) continue;
    if (!name.empty()) name += ' ';
    name += key;
    name += '=';
    // A value never holds a space (ids); one that did would split the pair, so it is replaced.
    for (const char c : *value) name += (c == ' ' || c == '=') ? '_' : c;
  }
  return name;
}

}  // namespace agentrt
