#pragma once
// IdSource: the only source of new ids (sessions, messages) for core/.

#include <string>

namespace agentrt {

class IdSource {
 public:
  virtual ~IdSource() = default;
  // A new unique id with the given prefix, e.g. "s-" -> "s-01JD3...".
  virtual std::string next(std::string_view prefix) = 0;
};

}  // namespace agentrt
