#pragma once
// Turns an http tool's spec and one call's arguments into an HttpRequest:
// - URL template: each {name} is replaced by the URL-encoded argument `name` (strings as
//   they are, other JSON values as JSON text); a placeholder without an argument fails.
// - GET, HEAD and DELETE: the arguments not used in the URL go to the query string
//   (key=value, URL-encoded; an array gives the key once per element).
// - Other methods: the whole arguments object is the JSON body (Content-Type:
//   application/json), placeholders included, so the tool sees what the model sent.
// - Header values may contain ${env:NAME}, read from the environment now; an unset
//   variable fails with a message naming the variable and the header, never a value.
// Failures are Errc::invalid: the call cannot be made as written (not retried).

#include "backends/http/http_types.hpp"
#include "core/model/definition.hpp"
#include "core/model/error.hpp"

namespace agentrt {

Result<HttpRequest> build_http_tool_request(const ToolDefinition& tool, const nlohmann::json& arguments);

// "Bearer ${env:TOKEN}" -> "Bearer <value of TOKEN>". Errc::invalid names the variable.
Result<std::string> expand_env_references(std::string_view value);

}  // namespace agentrt
