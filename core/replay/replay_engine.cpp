#include "core/replay/replay_engine.hpp"

#include <algorithm>

#include "core/decider/decider.hpp"
#include "core/definition/definition_loader.hpp"
#include "core/replay/json_diff.hpp"

namespace agentrt {
namespace {

using json = nlohmann::json;

json command_json(EventType type, const json& data) { return json{{"type", event_type_name(type)}, {"data", data}}; }

std::string type_of(const json& command) { return command.is_null() ? "nothing" : command["type"].get<std::string>(); }

std::string summary_of(const Divergence& d, std::int64_t last_seq) {
  const std::string recorded = type_of(d.recorded);
  const std::string expected = type_of(d.expected);
  switch (d.kind) {
    case Divergence::Kind::different_decision:
      if (recorded == expected) {
        return "event " + std::to_string(d.seq) + ": the history recorded " + recorded +
               " with other data than this build decided";
      }
      return "event " + std::to_string(d.seq) + ": the history recorded " + recorded + ", this build decided " + expected;
    case Divergence::Kind::unexpected_decision:
      return "event " + std::to_string(d.seq) + ": the history recorded " + recorded + ", this build decided nothing";
    case Divergence::Kind::missing_decision:
      if (d.recorded.is_null()) {
        return "after event " + std::to_string(last_seq) + " (the last): this build decided " + expected +
               ", the history does not have it";
      }
      return "event " + std::to_string(d.seq) + ": this build decided " + expected + " before this " + recorded +
             ", the history does not have it";
  }
  return "event " + std::to_string(d.seq) + ": diverged";
}

Divergence make_divergence(Divergence::Kind kind, std::int64_t seq, json recorded, json expected, std::int64_t last_seq) {
  Divergence d{kind, seq, std::move(recorded), std::move(expected), "", ""};
  d.summary = summary_of(d, last_seq);
  const std::string where = d.recorded.is_null() ? "the history ends here" : "event " + std::to_string(seq);
  d.diff = "--- history (" + where + ")\n+++ this build\n" +
           json_line_diff(d.recorded.is_null() ? nullptr : &d.recorded, d.expected.is_null() ? nullptr : &d.expected);
  return d;
}

// Folds the events; the first divergence ends the replay.
class Replayer {
 public:
  Replayer(const History& history, const AgentDefinition& definition) : h_(history), def_(definition) {}

  ReplayOutcome run() {
    ReplayOutcome out{h_.name, ReplayStatus::ok, static_cast<std::int64_t>(h_.events.size()), {}, {}, {}};
    try {
      fold(out);
    } catch (const json::exception& e) {
      // The decider reads fields of recorded decisions (call_id, duration_ms): a malformed one throws.
      out.status = ReplayStatus::error;
      out.error = h_.name + ": event " + std::to_string(state_.last_seq + 1) + ": malformed data: " + e.what();
    }
    return out;
  }

 private:
  void fold(ReplayOutcome& out) {
    bool after_decision = false;
    std::optional<EventType> previous;
    for (const Event& e : h_.events) {
      const bool decision = is_decision_event(e.type);
      if (auto d = check(e, previous)) return diverged(out, std::move(*d));
      const Decision decided = decide(state_, e, def_);
      if (decided.divergence) {  // check() covers what decide() compares; this is a safety net
        return diverged(out, make_divergence(Divergence::Kind::different_decision, e.seq.value,
                                             command_json(e.type, e.data), outbox_head(), last_seq()));
      }
      after_decision = decision;
      previous = e.type;
    }
    if (state_.outbox.empty()) return;
    if (after_decision || is_terminal(state_.status)) {
      return diverged(out, make_divergence(Divergence::Kind::missing_decision, last_seq() + 1, json(), outbox_head(),
                                           last_seq()));
    }
    out.notes.push_back("interrupted: the history ends after an input, before the decisions it caused were recorded; "
                        "a resumed session would record " + type_of(outbox_head()) + " next");
  }

  // The executor appends a batch of inbox messages, then every command they caused: only a
  // message right after another message may find a command not yet recorded.
  std::optional<Divergence> check(const Event& e, std::optional<EventType> previous) const {
    if (is_decision_event(e.type)) {
      if (state_.outbox.empty()) {
        return make_divergence(Divergence::Kind::unexpected_decision, e.seq.value, command_json(e.type, e.data), json(),
                               last_seq());
      }
      const Command& next = state_.outbox.front();
      if (next.type != e.type || next.data != e.data) {
        return make_divergence(Divergence::Kind::different_decision, e.seq.value, command_json(e.type, e.data),
                               outbox_head(), last_seq());
      }
    } else if (!state_.outbox.empty() &&
               !(e.type == EventType::MessageReceived && previous == EventType::MessageReceived)) {
      return make_divergence(Divergence::Kind::missing_decision, e.seq.value, command_json(e.type, e.data),
                             outbox_head(), last_seq());
    }
    return std::nullopt;
  }

  void diverged(ReplayOutcome& out, Divergence d) const {
    out.status = ReplayStatus::diverged;
    out.divergence = std::move(d);
  }

  json outbox_head() const {
    return state_.outbox.empty() ? json() : command_json(state_.outbox.front().type, state_.outbox.front().data);
  }
  std::int64_t last_seq() const { return h_.events.empty() ? 0 : h_.events.back().seq.value; }

  const History& h_;
  const AgentDefinition& def_;
  SessionState state_;
};

std::vector<std::string> marker_ids(const History& history) {
  std::vector<std::string> ids;
  for (const auto& e : history.events) {
    if (e.type == EventType::Marker) ids.push_back(e.data.value("patch", std::string{}));
  }
  return ids;
}

std::string short_hash(const std::string& hash) { return hash.substr(0, 12); }

// What a reader of the report should know about replaying on another definition.
void note_new_definition(const History& history, const AgentDefinition& def, ReplayOutcome& out) {
  const std::string recorded = history.session.value("definition_hash", std::string{});
  if (recorded != def.content_hash) {
    out.notes.push_back("replayed on " + def.name + " v" + std::to_string(def.version) + " (" +
                        short_hash(def.content_hash) + "); the session ran on " +
                        (recorded.empty() ? std::string("an unrecorded hash") : short_hash(recorded)));
  }
  const auto markers = marker_ids(history);
  for (const auto& patch : def.patches) {
    if (std::find(markers.begin(), markers.end(), patch.id) == markers.end()) {
      out.notes.push_back("patch " + patch.id + ": no marker in this history, so it takes the old branch");
    }
  }
}

}  // namespace

std::string_view replay_status_name(ReplayStatus s) noexcept {
  switch (s) {
    case ReplayStatus::ok: return "ok";
    case ReplayStatus::diverged: return "diverged";
    case ReplayStatus::error: return "error";
  }
  return "error";
}

std::string_view divergence_kind_name(Divergence::Kind k) noexcept {
  switch (k) {
    case Divergence::Kind::different_decision: return "different_decision";
    case Divergence::Kind::unexpected_decision: return "unexpected_decision";
    case Divergence::Kind::missing_decision: return "missing_decision";
  }
  return "different_decision";
}

ReplayOutcome replay_history(const History& history, const AgentDefinition& definition) {
  return Replayer(history, definition).run();
}

ReplayOutcome replay_history(const History& history, const AgentDefinition* new_definition) {
  return HistoryReplayer(new_definition).replay(history);
}

ReplayOutcome HistoryReplayer::replay(const History& history) {
  if (new_definition_ != nullptr) {
    auto out = replay_history(history, *new_definition_);
    if (out.status != ReplayStatus::error) note_new_definition(history, *new_definition_, out);
    return out;
  }
  const auto known = std::find_if(recorded_.begin(), recorded_.end(),
                                  [&](const Recorded& r) { return r.canonical == history.definition; });
  const AgentDefinition* definition = known == recorded_.end() ? nullptr : &known->definition;
  if (definition == nullptr) {
    auto rebuilt = definition_from_canonical(history.definition);
    if (!rebuilt) return replay_error(history.name, history.name + ": recorded definition: " + rebuilt.error().message);
    recorded_.push_back({history.definition, std::move(rebuilt.value())});
    definition = &recorded_.back().definition;
  }
  const std::string pinned = history.session.value("definition_hash", std::string{});
  if (!pinned.empty() && pinned != definition->content_hash) {
    return replay_error(history.name, history.name + ": the recorded definition hashes to " +
                                          short_hash(definition->content_hash) + ", not the session's definition_hash " +
                                          short_hash(pinned) + " (the file was edited?)");
  }
  return replay_history(history, *definition);
}

ReplayOutcome replay_error(std::string name, std::string error) {
  ReplayOutcome out;
  out.name = std::move(name);
  out.status = ReplayStatus::error;
  out.error = std::move(error);
  return out;
}

json to_json(const ReplayOutcome& o) {
  json j{{"name", o.name}, {"status", replay_status_name(o.status)}, {"events", o.events}};
  if (o.divergence) {
    const Divergence& d = *o.divergence;
    j["divergence"] = {{"kind", divergence_kind_name(d.kind)}, {"seq", d.seq},          {"recorded", d.recorded},
                       {"expected", d.expected},              {"summary", d.summary}, {"diff", d.diff}};
  }
  if (!o.error.empty()) j["error"] = o.error;
  if (!o.notes.empty()) j["notes"] = o.notes;
  return j;
}

}  // namespace agentrt
