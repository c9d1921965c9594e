#include "core/model/session.hpp"

#include <array>
#include <utility>

namespace agentrt {
namespace {

constexpr std::array<std::pair<SessionStatus, std::string_view>, 7> kNames{{
    {SessionStatus::idle, "idle"},
    {SessionStatus::running, "running"},
    {SessionStatus::waiting_for_input, "waiting_for_input"},
    {SessionStatus::sleeping, "sleeping"},
    {SessionStatus::completed, "completed"},
    {SessionStatus::failed, "failed"},
    {SessionStatus::cancelled, "cancelled"},
}};

}  // namespace

std::string_view session_status_name(SessionStatus s) noexcept {
  for (const auto& [status, name] : kNames) {
    if (status == s) return name;
  }
  return "unknown";
}

std::optional<SessionStatus> parse_session_status(std::string_view name) noexcept {
  for (const auto& [status, n] : kNames) {
    if (n == name) return status;
  }
  return std::nullopt;
}

}  // namespace agentrt
