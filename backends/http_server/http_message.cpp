#include "backends/http_server/http_message.hpp"

#include <algorithm>
#include <cctype>

namespace agentrt {
namespace {

bool contains_token_ignoring_case(std::string_view value, std::string_view token) {
  std::string lower(value);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find(token) != std::string::npos;
}

}  // namespace

bool is_websocket_upgrade(const ServerRequest& request) {
  const auto upgrade = request.header("upgrade");
  const auto connection = request.header("connection");
  return request.method == "GET" && upgrade && connection && contains_token_ignoring_case(*upgrade, "websocket") &&
         contains_token_ignoring_case(*connection, "upgrade");
}

std::optional<std::string_view> ServerRequest::header(std::string_view lower_case_name) const {
  const auto found = headers.find(lower_case_name);
  if (found == headers.end()) return std::nullopt;
  return std::string_view(found->second);
}

ServerResponse json_response(int status, const nlohmann::json& value) {
  ServerResponse response;
  response.status = status;
  response.content_type = "application/json";
  // replace: a handler's invalid UTF-8 must not turn into an exception here.
  response.body = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

ServerResponse json_error(int status, std::string_view code, std::string_view message) {
  nlohmann::json error = nlohmann::json::object();
  error["code"] = std::string(code);
  error["message"] = std::string(message);
  nlohmann::json body = nlohmann::json::object();
  body["error"] = std::move(error);
  return json_response(status, body);
}

}  // namespace agentrt
