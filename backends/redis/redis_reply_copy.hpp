#pragma once
// Copies a hiredis reply into a RedisReply within a byte budget. Internal: includes hiredis.

#include <cstddef>

#include <hiredis/hiredis.h>

#include "backends/redis/redis_reply.hpp"
#include "core/model/error.hpp"

namespace agentrt {

// Errc::invalid when the reply (strings plus 16 bytes per element) is larger than max_bytes.
Result<RedisReply> copy_reply(const redisReply& reply, std::size_t max_bytes);

}  // namespace agentrt
