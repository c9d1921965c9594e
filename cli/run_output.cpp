#include "cli/run_output.hpp"

#include <ostream>

namespace agentrt::cli {
namespace {

using json = nlohmann::json;

std::string excerpt(std::string text, std::size_t max_bytes = 200) {
  for (auto& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (text.size() > max_bytes) {
    text.resize(max_bytes);
    text += "...";
  }
  return text;
}

}  // namespace

json waiting_for(const SessionState& state) {
  for (const auto& call : state.calls) {
    if (call.stage == PendingCall::Stage::asked) {
      return {{"call_id", call.call_id}, {"tool", call.name}, {"kind", call.input_kind}, {"prompt", call.prompt}};
    }
  }
  return nullptr;
}

void JsonRunOutput::line(const json& j) {
  out_ << j.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
  out_.flush();
}

void JsonRunOutput::session_opened(const SessionId& session, const json& info) {
  json j{{"kind", "session"}, {"session", session.str()}};
  j.update(info);
  line(j);
}

void JsonRunOutput::on_event(const SessionId& session, const Event& event) {
  line({{"kind", "event"},
        {"session", session.str()},
        {"seq", event.seq.value},
        {"type", event_type_name(event.type)},
        {"time_ms", event.time_ms},
        {"data", event.data}});
}

void JsonRunOutput::on_token(const SessionId& session, std::string_view text) {
  line({{"kind", "token"}, {"session", session.str()}, {"text", text}});
}

void JsonRunOutput::finished(const SessionId& session, const SessionState& state, int exit_code,
                             const std::string& error) {
  json j{{"kind", "result"},
         {"session", session.str()},
         {"status", session_status_name(state.status)},
         {"exit_code", exit_code}};
  if (auto w = waiting_for(state); !w.is_null()) j["waiting_for"] = std::move(w);
  if (!error.empty()) {
    j["error"] = error;
  } else if (!state.failure_reason.empty()) {
    j["error"] = state.failure_reason;
  }
  line(j);
}

void HumanRunOutput::session_opened(const SessionId& session, const json& info) {
  err_ << "session " << session.str() << " (" << info.value("definition_name", std::string{}) << " v"
       << info.value("definition_version", 0) << ")\n";
}

void HumanRunOutput::end_stream() {
  if (streaming_) {
    out_ << '\n';
    out_.flush();
    streaming_ = false;
  }
}

void HumanRunOutput::on_token(const SessionId&, std::string_view text) {
  out_ << text;
  out_.flush();
  streaming_ = true;
  streamed_in_step_ = true;
}

void HumanRunOutput::on_event(const SessionId&, const Event& event) {
  const auto& d = event.data;
  switch (event.type) {
    case EventType::LlmRequested:
      streamed_in_step_ = false;
      break;
    case EventType::LlmCompleted:
      end_stream();
      break;
    case EventType::ToolRequested:
      err_ << "  -> " << d.value("name", std::string{}) << " " << excerpt(d.value("arguments", json::object()).dump()) << '\n';
      break;
    case EventType::ToolCompleted:
      err_ << "  <- " << excerpt(d.value("output", std::string{})) << '\n';
      break;
    case EventType::ToolFailed:
      err_ << "  !! " << excerpt(d.value("error", std::string{}), 400) << '\n';
      break;
    case EventType::TimerStarted:
      err_ << "  .. sleeping " << d.value("duration_ms", 0LL) / 1000.0 << " s\n";
      break;
    case EventType::OutputEmitted:
      if (!streamed_in_step_) out_ << d.value("text", std::string{}) << '\n';
      out_.flush();
      break;
    case EventType::InputRequested:
      end_stream();
      if (d.value("kind", std::string{}) == "approval") {
        err_ << "approval needed: " << d.value("prompt", std::string{}) << '\n';
      } else {
        err_ << "question: " << d.value("prompt", std::string{}) << '\n';
      }
      break;
    case EventType::SessionFailed:
      end_stream();
      err_ << "session failed: " << d.value("reason", std::string{}) << '\n';
      break;
    default:
      break;
  }
  err_.flush();
}

void HumanRunOutput::finished(const SessionId& session, const SessionState&, int, const std::string& error) {
  end_stream();
  if (!error.empty()) err_ << "error: " << error << '\n';
  out_ << "session: " << session.str() << '\n';
  out_.flush();
}

}  // namespace agentrt::cli
