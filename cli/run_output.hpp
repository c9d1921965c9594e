#pragma once
// What `agentrt run` prints while a session runs: a human view (tokens on stdout, tool
// activity on stderr) or JSON lines with stable field names (docs/cli.md).

#include <iosfwd>
#include <string>

#include <nlohmann/json.hpp>

#include "core/decider/session_state.hpp"
#include "core/runtime/run_observer.hpp"

namespace agentrt::cli {

class RunOutput : public RunObserver {
 public:
  virtual void session_opened(const SessionId& session, const nlohmann::json& info) = 0;
  // The final line: status, exit code, what the session waits for or why it failed.
  virtual void finished(const SessionId& session, const SessionState& state, int exit_code, const std::string& error) = 0;
};

class JsonRunOutput final : public RunOutput {
 public:
  explicit JsonRunOutput(std::ostream& out) : out_(out) {}
  void session_opened(const SessionId& session, const nlohmann::json& info) override;
  void on_event(const SessionId& session, const Event& event) override;
  void on_token(const SessionId& session, std::string_view text) override;
  void finished(const SessionId& session, const SessionState& state, int exit_code, const std::string& error) override;

 private:
  void line(const nlohmann::json& j);
  std::ostream& out_;
};

class HumanRunOutput final : public RunOutput {
 public:
  HumanRunOutput(std::ostream& out, std::ostream& err) : out_(out), err_(err) {}
  void session_opened(const SessionId& session, const nlohmann::json& info) override;
  void on_event(const SessionId& session, const Event& event) override;
  void on_token(const SessionId& session, std::string_view text) override;
  void finished(const SessionId& session, const SessionState& state, int exit_code, const std::string& error) override;

 private:
  void end_stream();
  std::ostream& out_;
  std::ostream& err_;
  bool streaming_ = false;       // tokens printed since the last newline
  bool streamed_in_step_ = false;  // this LLM step streamed its text already
};

// The open question or approval of a waiting session, as JSON (null when none).
nlohmann::json waiting_for(const SessionState& state);

}  // namespace agentrt::cli
