#include "core/model/error.hpp"

namespace agentrt {
namespace {

class AgentrtCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "agentrt"; }
  std::string message(int value) const override { return errc_name(static_cast<Errc>(value)); }
};

}  // namespace

const char* errc_name(Errc e) noexcept {
  switch (e) {
    case Errc::ok: return "ok";
    case Errc::retryable: return "retryable";
    case Errc::throttled: return "throttled";
    case Errc::not_found: return "not_found";
    case Errc::conflict: return "conflict";
    case Errc::fenced: return "fenced";
    case Errc::invalid: return "invalid";
    case Errc::fatal: return "fatal";
    case Errc::cancelled: return "cancelled";
    case Errc::timeout: return "timeout";
  }
  return "unknown";
}

const std::error_category& agentrt_category() noexcept {
  static const AgentrtCategory category;
  return category;
}

std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), agentrt_category()}; }

}  // namespace agentrt
