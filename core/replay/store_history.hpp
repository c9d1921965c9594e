#pragma once
// Reads one session's history from a SessionStore (read methods only) in the same shape as a
// history file, so `agentrt replay --session ID / --all` replays exactly what export would write.

#include <boost/asio/awaitable.hpp>

#include "core/model/error.hpp"
#include "core/model/ids.hpp"
#include "core/ports/session_store.hpp"
#include "core/replay/history_document.hpp"

namespace agentrt {

// Errc::not_found for an unknown session; the store's error (with the session id) otherwise.
// The events are checked like a file's (seqs without gaps).
boost::asio::awaitable<Result<History>> read_session_history(SessionStore& store, SessionId id);

// {"id","org","bot","definition_hash","status","last_seq","created_ms","updated_ms"}: the
// "session" member of a history document.
nlohmann::json session_record_json(const SessionRecord& record);

}  // namespace agentrt
