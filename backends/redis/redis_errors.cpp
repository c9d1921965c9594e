#include "backends/redis/redis_errors.hpp"

#include <algorithm>
#include <cctype>

namespace agentrt {

Error redis_transport_error(std::string_view server, std::string_view what, std::string_view detail) {
  std::string message = std::string(server) + ": " + std::string(what);
  if (!detail.empty()) message += ": " + std::string(detail);
  return Error{Errc::retryable, std::move(message)};
}

Error redis_timeout_error(std::string_view server, std::string_view what) {
  return Error{Errc::timeout, std::string(server) + ": " + std::string(what) + ": no reply within the command timeout"};
}

Error redis_reply_error(std::string_view server, std::string_view command, const RedisReply& reply) {
  const std::string_view text = reply.str;
  const auto starts = [text](std::string_view prefix) { return text.rfind(prefix, 0) == 0; };
  Errc code = Errc::invalid;
  if (starts("LOADING") || starts("BUSY") || starts("TRYAGAIN") || starts("MASTERDOWN")) code = Errc::retryable;
  if (starts("NOAUTH") || starts("WRONGPASS")) code = Errc::fatal;
  // Redis error texts quote no argument values, so they are safe to carry (bounded anyway).
  return Error{code, std::string(server) + ": " + std::string(command) + ": " + std::string(text.substr(0, 200))};
}

std::string redis_command_name(const RedisCommand& command) {
  if (command.empty()) return "(empty command)";
  std::string name = command.front().substr(0, 32);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return name;
}

}  // namespace agentrt
