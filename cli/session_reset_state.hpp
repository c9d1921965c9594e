#pragma once
// What a session looks like after a reset to event N: its history 1..N folded through the
// decider on its pinned definition. The status and wake-up time go on the session row with
// the reset, so `inspect` and a later `run --session` see the rewound session as it was.

#include <cstdint>
#include <optional>

#include <boost/asio/awaitable.hpp>

#include "core/decider/session_state.hpp"
#include "core/model/error.hpp"
#include "core/ports/session_store.hpp"

namespace agentrt::cli {

boost::asio::awaitable<Result<SessionState>> state_after(SessionStore& store, const SessionRecord& record,
                                                         EventSeq to);

// The earliest due time of a sleeping call, if any (the session row's wake_at_ms).
std::optional<std::int64_t> wake_at(const SessionState& state);

}  // namespace agentrt::cli
