#include "backends/tools/http_tool_request.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>
#include <string>

#include "backends/http/url.hpp"

namespace agentrt {
namespace {

using nlohmann::json;

bool is_query_method(const std::string& method) { return method == "GET" || method == "HEAD" || method == "DELETE"; }

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

std::string value_text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return {};
  return value.dump();
}

// Replaces {name} placeholders; records the names it used.
Result<std::string> expand_url(const ToolDefinition& tool, const json& arguments, std::set<std::string>& used) {
  const std::string& tpl = tool.http.url;
  std::string url;
  for (std::size_t at = 0; at < tpl.size();) {
    const auto open = tpl.find('{', at);
    const auto close = open == std::string::npos ? std::string::npos : tpl.find('}', open);
    const std::string_view name = close == std::string::npos ? std::string_view() : std::string_view(tpl).substr(open + 1, close - open - 1);
    const bool placeholder = !name.empty() && std::all_of(name.begin(), name.end(), is_name_char);
    if (!placeholder) {  // not a placeholder: copy up to and including the '{' (or the rest)
      const auto end = open == std::string::npos ? tpl.size() : open + 1;
      url.append(tpl, at, end - at);
      at = end;
      continue;
    }
    url.append(tpl, at, open - at);
    const auto it = arguments.find(std::string(name));
    if (it == arguments.end()) {
      return Error{Errc::invalid, "tool " + tool.name + ": URL placeholder {" + std::string(name) + "} has no argument"};
    }
    url += url_encode(value_text(*it));
    used.emplace(name);
    at = close + 1;
  }
  return url;
}

std::string query_string(const json& arguments, const std::set<std::string>& used) {
  std::string query;
  const auto add = [&](const std::string& key, const json& value) {
    if (!query.empty()) query += '&';
    query += url_encode(key) + "=" + url_encode(value_text(value));
  };
  for (const auto& [key, value] : arguments.items()) {
    if (used.contains(key)) continue;
    if (value.is_array()) {
      for (const auto& element : value) add(key, element);
    } else {
      add(key, value);
    }
  }
  return query;
}

}  // namespace

Result<std::string> expand_env_references(std::string_view value) {
  static constexpr std::string_view kOpen = "${env:";
  std::string out;
  for (std::size_t at = 0;;) {
    const auto open = value.find(kOpen, at);
    if (open == std::string_view::npos) {
      out.append(value.substr(at));
      return out;
    }
    const auto close = value.find('}', open);
    if (close == std::string_view::npos) return Error{Errc::invalid, "unterminated ${env:...} reference"};
    const std::string name(value.substr(open + kOpen.size(), close - open - kOpen.size()));
    if (name.empty()) return Error{Errc::invalid, "empty ${env:} reference"};
    const char* resolved = std::getenv(name.c_str());
    if (resolved == nullptr) return Error{Errc::invalid, "environment variable " + name + " is not set"};
    out.append(value.substr(at, open - at));
    out.append(resolved);
    at = close + 1;
  }
}

Result<HttpRequest> build_http_tool_request(const ToolDefinition& tool, const json& arguments_in) {
  const json arguments = arguments_in.is_null() ? json::object() : arguments_in;
  if (!arguments.is_object()) return Error{Errc::invalid, "tool " + tool.name + ": arguments must be a JSON object"};
  HttpRequest request;
  request.method = tool.http.method.empty() ? std::string("POST") : tool.http.method;
  std::set<std::string> used;
  auto url = expand_url(tool, arguments, used);
  if (!url) return url.error();
  request.url = std::move(url).value();
  if (is_query_method(request.method)) {
    if (const std::string query = query_string(arguments, used); !query.empty()) {
      request.url += (request.url.find('?') == std::string::npos ? "?" : "&") + query;
    }
  } else {
    request.body = arguments.dump();
  }
  bool has_content_type = false;
  for (const auto& [name, value] : tool.http.headers) {
    auto expanded = expand_env_references(value);
    if (!expanded) return expanded.error().with_context("tool " + tool.name + ": header " + name);
    request.headers.emplace_back(name, std::move(expanded).value());
    has_content_type = has_content_type || header_name_equals(name, "Content-Type");
  }
  if (!request.body.empty() && !has_content_type) request.headers.emplace_back("Content-Type", "application/json");
  return request;
}

}  // namespace agentrt
