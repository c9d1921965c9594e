#pragma once
// Exit statuses of every agentrt command (docs/cli.md documents them for scripts).

namespace agentrt::cli {

inline constexpr int kExitOk = 0;               // the turn completed (or the command succeeded)
inline constexpr int kExitFailure = 1;          // the session failed, or a runtime error
inline constexpr int kExitUsage = 2;            // bad flags or an invalid definition
inline constexpr int kExitWaitingForInput = 3;  // the session waits for an answer or an approval

}  // namespace agentrt::cli
