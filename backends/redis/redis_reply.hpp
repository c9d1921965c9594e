#pragma once
// One RESP2 reply, owned (copied out of hiredis, whose reply objects live only inside its
// callback). An error reply (-ERR ...) is a value of type `error`, not a failed Result: the
// transport worked; RedisClient::command turns it into an Error for callers that want one.

#include <cstdint>
#include <string>
#include <vector>

namespace agentrt {

struct RedisReply {
  enum class Type { nil, string, status, error, integer, array };
  Type type = Type::nil;
  std::string str;                  // string, status, error
  std::int64_t integer = 0;         // integer
  std::vector<RedisReply> elements;  // array

  [[nodiscard]] bool is_nil() const { return type == Type::nil; }
  [[nodiscard]] bool is_error() const { return type == Type::error; }
};

using RedisCommand = std::vector<std::string>;  // argv: binary-safe arguments

}  // namespace agentrt
