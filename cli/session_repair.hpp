#pragma once
// The write of each repair command: checks the session (exists, right state, right event
// number) before anything is written, takes the lease (cancel: only a session nobody runs;
// terminate, retry, reset: taken over, fencing a live owner), checks again under the lease,
// records the event (or the reset), and releases the lease.

#include <iosfwd>

#include "cli/session_command.hpp"

namespace agentrt::cli {

// Exit status: kExitOk when recorded, kExitUsage for bad input or a session in the wrong state
// (nothing written), kExitFailure for a store error.
int repair_session(const SessionCommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace agentrt::cli
