#pragma once
// The three views of `agentrt inspect` over a validated request; each returns the exit status.
// Internal to cli/inspect_*.

#include <chrono>
#include <cstddef>
#include <iosfwd>
#include <optional>

#include <boost/asio/awaitable.hpp>

#include "cli/inspect_reader.hpp"
#include "core/inspect/stuck_diagnosis.hpp"
#include "core/ports/clock.hpp"

namespace agentrt::cli {

inline constexpr std::size_t kInspectLimitDefault = 50;

struct InspectRequest {
  enum class View { sessions, session, stuck };
  View view = View::sessions;
  SessionId session;                                  // View::session
  bool json = false;
  bool follow = false;
  SessionQuery query;                                 // org, bot, status and limit filled
  std::optional<std::chrono::milliseconds> waiting_longer_than;
  StuckThresholds thresholds;
  std::chrono::milliseconds poll_interval{200};       // --follow
};

struct InspectIo {
  InspectReader& reader;
  const Clock& clock;
  std::ostream& out;
  std::ostream& err;
};

boost::asio::awaitable<int> inspect_sessions(const InspectRequest& request, InspectIo io);
boost::asio::awaitable<int> inspect_stuck(const InspectRequest& request, InspectIo io);
boost::asio::awaitable<int> inspect_session(const InspectRequest& request, InspectIo io);

}  // namespace agentrt::cli
