#pragma once
// The decider's state of a session as the store holds it now: its checkpoint plus the events
// after it, folded on the session's pinned definition, as recovery does. Read-only: queries
// and update validation use it without a lease and without writing.

#include <boost/asio/awaitable.hpp>

#include "core/decider/session_state.hpp"
#include "core/model/error.hpp"
#include "core/model/session.hpp"
#include "core/ports/session_store.hpp"

namespace agentrt::serve {

boost::asio::awaitable<Result<SessionState>> read_session_state(SessionStore& store, const SessionRecord& record);

}  // namespace agentrt::serve
