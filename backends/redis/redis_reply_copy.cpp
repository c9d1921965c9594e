#include "backends/redis/redis_reply_copy.hpp"

#include <string>

namespace agentrt {
namespace {

constexpr std::size_t kElementOverhead = 16;

// False when the budget ran out; `out` is then incomplete and dropped by the caller.
bool copy_into(const redisReply& in, RedisReply& out, std::size_t& budget) {
  if (budget < kElementOverhead) return false;
  budget -= kElementOverhead;
  switch (in.type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      if (in.len > budget) return false;
      budget -= in.len;
      out.type = in.type == REDIS_REPLY_STRING   ? RedisReply::Type::string
                 : in.type == REDIS_REPLY_STATUS ? RedisReply::Type::status
                                                 : RedisReply::Type::error;
      out.str.assign(in.str, in.len);
      return true;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::integer;
      out.integer = in.integer;
      return true;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::array;
      if (in.elements > budget / kElementOverhead) return false;
      out.elements.resize(in.elements);
      for (std::size_t i = 0; i < in.elements; ++i) {
        if (!copy_into(*in.element[i], out.elements[i], budget)) return false;
      }
      return true;
    default:
      out.type = RedisReply::Type::nil;
      return true;
  }
}

}  // namespace

Result<RedisReply> copy_reply(const redisReply& reply, std::size_t max_bytes) {
  RedisReply out;
  std::size_t budget = max_bytes;
  if (!copy_into(reply, out, budget)) {
    return Error{Errc::invalid, "reply larger than max_reply_bytes (" + std::to_string(max_bytes) + ")"};
  }
  return out;
}

}  // namespace agentrt
