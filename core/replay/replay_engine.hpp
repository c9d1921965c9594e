#pragma once
// Replay: fold a recorded history through this build's decider (and the session's own
// definition or a new one) and report OK or the first divergence. No LLM or tool is called:
// their results are in the history. Pure and deterministic, like the decider.
//
// What must match (docs/replay.md):
// - every decision event of the history (LlmRequested, ToolRequested, ...) must be the next
//   command this build decided, with the same data;
// - the history must record every decision this build makes: the executor appends each input
//   followed by every command it caused, so an input must find no command left unrecorded.
//   The one exception: inbox messages are appended as a batch (all messages, then their
//   commands), so a MessageReceived right after another MessageReceived may;
// - at the end, a decision still undecided is a divergence if the history went on to record
//   decisions after its last input, or the session finished; after a last input it is
//   an interrupted session (crash between recording the input and its decisions): a note.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/model/definition.hpp"
#include "core/replay/history_document.hpp"

namespace agentrt {

enum class ReplayStatus { ok, diverged, error };
std::string_view replay_status_name(ReplayStatus s) noexcept;

struct Divergence {
  enum class Kind {
    different_decision,   // the history recorded one decision, this build decided another
    unexpected_decision,  // the history recorded a decision, this build decided nothing
    missing_decision,     // this build decided something the history does not have
  };
  Kind kind = Kind::different_decision;
  std::int64_t seq = 0;            // the event where they part (last seq + 1 when the history ended)
  nlohmann::json recorded;         // {"type","data"} of the history's event at seq; null: the history ended
  nlohmann::json expected;         // {"type","data"} this build decided; null: nothing
  std::string summary;             // one line, e.g. "event 7: the history recorded ToolRequested ..."
  std::string diff;                // json_line_diff(recorded, expected): "-" history, "+" this build
};
std::string_view divergence_kind_name(Divergence::Kind k) noexcept;

struct ReplayOutcome {
  std::string name;
  ReplayStatus status = ReplayStatus::ok;
  std::int64_t events = 0;                // events in the history
  std::optional<Divergence> divergence;   // when diverged
  std::string error;                      // when error: what is wrong with the history or definition
  std::vector<std::string> notes;         // facts worth knowing that are not failures
};

// Replays `history` on `definition` as given (no hash check).
ReplayOutcome replay_history(const History& history, const AgentDefinition& definition);

// Replays on `new_definition` when given, else on the definition recorded in the history
// (rebuilt from its canonical JSON, which must match session.definition_hash).
ReplayOutcome replay_history(const History& history, const AgentDefinition* new_definition);

// Replays many histories: on `new_definition` when given, else on each history's recorded
// definition, rebuilt once per distinct canonical document rather than once per history.
class HistoryReplayer {
 public:
  explicit HistoryReplayer(const AgentDefinition* new_definition) : new_definition_(new_definition) {}
  ReplayOutcome replay(const History& history);

 private:
  struct Recorded {
    nlohmann::json canonical;
    AgentDefinition definition;
  };
  const AgentDefinition* new_definition_;
  std::vector<Recorded> recorded_;  // a corpus has a handful of definitions: a list is enough
};

// An outcome for a history that could not be read.
ReplayOutcome replay_error(std::string name, std::string error);

// The stable JSON of one outcome: {"name","status","events","divergence"?,"error"?,"notes"?}.
nlohmann::json to_json(const ReplayOutcome& outcome);

}  // namespace agentrt
