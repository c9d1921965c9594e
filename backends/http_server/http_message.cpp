#include "backends/http_server/http_message.hpp"

namespace agentrt {

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
