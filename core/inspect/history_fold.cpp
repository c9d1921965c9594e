#include "core/inspect/history_fold.hpp"

#include <algorithm>
#include <exception>

#include "core/decider/decider.hpp"

namespace agentrt {

void HistoryFolder::add(const Event& event) {
  if (problem_) return;
  if (event.seq.value != state_.last_seq + 1) {
    problem_ = "history has a gap: expected seq " + std::to_string(state_.last_seq + 1) + ", found " +
               std::to_string(event.seq.value);
    return;
  }
  const auto before = state_.status;
  const bool first = state_.last_seq == 0;
  // In place (copying the transcript per event would be quadratic): after a divergence the
  // state is what the decider made of the events before it.
  try {
    auto decision = decide(state_, event, definition_);
    if (decision.divergence) {
      problem_ = "seq " + std::to_string(event.seq.value) + " diverges from this build's decider: " + *decision.divergence;
      return;
    }
  } catch (const std::exception& e) {
    problem_ = "seq " + std::to_string(event.seq.value) + " (" + std::string(event_type_name(event.type)) +
               ") cannot be folded: " + e.what();
    return;
  }
  if (first || state_.status != before) status_since_ms_ = event.time_ms;
}

const Event* find_event(const std::vector<Event>& events, std::int64_t seq) {
  // Histories are contiguous from 1, so the index is a good first guess.
  if (seq >= 1 && static_cast<std::size_t>(seq) <= events.size() && events[static_cast<std::size_t>(seq - 1)].seq.value == seq) {
    return &events[static_cast<std::size_t>(seq - 1)];
  }
  const auto it = std::lower_bound(events.begin(), events.end(), seq,
                                   [](const Event& e, std::int64_t s) { return e.seq.value < s; });
  return it != events.end() && it->seq.value == seq ? &*it : nullptr;
}

}  // namespace agentrt
