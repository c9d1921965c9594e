#pragma once
// Folds a session's history through the decider, as recovery does, to learn its state (what
// is in flight, what it waits for) and when its current status began. Incremental, so
// `inspect --follow` folds each new event once.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/decider/session_state.hpp"
#include "core/model/definition.hpp"
#include "core/model/event.hpp"

namespace agentrt {

class HistoryFolder {
 public:
  // `definition` (the session's pinned one) must outlive the folder.
  explicit HistoryFolder(const AgentDefinition& definition) : definition_(definition) {}
  // Continues from a checkpoint's state (the next event to add is state.last_seq + 1), as
  // recovery does: a running session is judged without reading its whole history.
  HistoryFolder(const AgentDefinition& definition, SessionState from_checkpoint)
      : definition_(definition), state_(std::move(from_checkpoint)) {}

  // Applies one event. After the first problem (a gap, a divergence from this build's decider,
  // an event the decider cannot read) folding stops and problem() says why.
  void add(const Event& event);

  [[nodiscard]] const SessionState& state() const { return state_; }
  [[nodiscard]] std::int64_t status_since_ms() const { return status_since_ms_; }
  [[nodiscard]] const std::optional<std::string>& problem() const { return problem_; }

 private:
  const AgentDefinition& definition_;
  SessionState state_;
  std::int64_t status_since_ms_ = 0;
  std::optional<std::string> problem_;
};

// The event with this seq in a history sorted by seq, or nullptr.
const Event* find_event(const std::vector<Event>& events, std::int64_t seq);

}  // namespace agentrt
