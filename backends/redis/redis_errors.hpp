#pragma once
// The one place Redis failures become agentrt Errors (STYLE.md rule 6). Messages name the
// server ("redis 127.0.0.1:6379") and the command's name, never its arguments (they may hold
// cached values) nor the password.

#include <string>
#include <string_view>

#include "backends/redis/redis_reply.hpp"
#include "core/model/error.hpp"

namespace agentrt {

// A transport failure: connection refused or lost, hiredis error text. Retryable.
Error redis_transport_error(std::string_view server, std::string_view what, std::string_view detail);
// No reply within the command timeout; the connection is dropped (replies are ordered).
Error redis_timeout_error(std::string_view server, std::string_view what);
// An -ERR reply. Mapped by its prefix: LOADING/BUSY/TRYAGAIN/MASTERDOWN retryable,
// NOAUTH/WRONGPASS fatal (the configuration is wrong), anything else invalid.
Error redis_reply_error(std::string_view server, std::string_view command, const RedisReply& reply);
// The command's name for messages: its first argument, upper-cased, at most 32 characters.
std::string redis_command_name(const RedisCommand& command);

}  // namespace agentrt
