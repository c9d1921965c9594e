#include "backends/http_server/router.hpp"

#include <algorithm>
#include <exception>
#include <optional>
#include <set>
#include <stdexcept>
#include <utility>

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>
#include <spdlog/spdlog.h>

#include "backends/http_server/percent_decoding.hpp"

namespace agentrt {
namespace {

// "/a/b" -> {"a","b"}; "/" -> {""}; "/a/" -> {"a",""}. `path` starts with '/'.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  path.remove_prefix(1);
  for (;;) {
    const auto slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) return segments;
    path.remove_prefix(slash + 1);
  }
}

bool has_control_character(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
}

// True if `a` is more specific than `b`: a literal at the first position where they differ.
template <class Segments>
bool more_specific(const Segments& a, const Segments& b) {
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i].is_param != b[i].is_param) return !a[i].is_param;
  }
  return false;
}

std::string join_allowed(const std::set<std::string>& methods) {
  std::string allow;
  for (const auto& method : methods) {
    if (!allow.empty()) allow += ", ";
    allow += method;
  }
  return allow;
}

}  // namespace

struct Router::Match {
  const Route* route = nullptr;
  PathParams params;
  std::optional<ServerResponse> failure;  // set when no handler runs
};

void Router::add(std::string method, std::string_view pattern, RouteHandler handler) {
  if (method.empty() || pattern.empty() || pattern.front() != '/' || !handler) {
    throw std::invalid_argument("route " + method + " " + std::string(pattern) + ": needs a method, a '/' pattern, a handler");
  }
  Route route{std::move(method), std::string(pattern), {}, std::move(handler)};
  std::set<std::string_view> names;
  for (const std::string_view part : split_path(route.pattern)) {
    const bool is_param = part.size() >= 2 && part.front() == '{' && part.back() == '}';
    const std::string_view text = is_param ? part.substr(1, part.size() - 2) : part;
    const bool bad = text.find_first_of("{}") != std::string_view::npos || (is_param && !names.insert(text).second) ||
                     (is_param && text.empty());
    if (bad) throw std::invalid_argument("route " + route.method + " " + route.pattern + ": bad segment '" + std::string(part) + "'");
    route.segments.push_back(Segment{std::string(text), is_param});
  }
  for (const auto& existing : routes_) {
    bool same_shape = existing.method == route.method && existing.segments.size() == route.segments.size();
    for (std::size_t i = 0; same_shape && i < route.segments.size(); ++i) {
      const auto& a = existing.segments[i];
      const auto& b = route.segments[i];
      same_shape = a.is_param == b.is_param && (a.is_param || a.text == b.text);
    }
    if (same_shape) throw std::invalid_argument("route " + route.method + " " + route.pattern + " is already routed");
  }
  routes_.push_back(std::move(route));
}

Router::Match Router::match(const ServerRequest& request) const {
  Match result;
  const std::string_view raw_path = std::string_view(request.target).substr(0, request.target.find('?'));
  if (raw_path.empty() || raw_path.front() != '/') {
    result.failure = json_error(400, "bad_request", "the request target must be an absolute path");
    return result;
  }
  std::vector<std::string> segments;
  for (const std::string_view raw : split_path(raw_path)) {
    auto decoded = percent_decode(raw);
    if (!decoded) {
      result.failure = json_error(400, "bad_request", "malformed percent-encoding in the path");
      return result;
    }
    segments.push_back(std::move(*decoded));
  }

  std::set<std::string> allowed;
  const Route* best = nullptr;
  const Route* best_get = nullptr;  // serves HEAD when no HEAD route matches
  for (const auto& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    bool matches = true;
    for (std::size_t i = 0; matches && i < segments.size(); ++i) {
      const auto& segment = route.segments[i];
      matches = segment.is_param ? !segments[i].empty() : segment.text == segments[i];
    }
    if (!matches) continue;
    allowed.insert(route.method);
    const Route** slot = route.method == request.method ? &best : (route.method == "GET" ? &best_get : nullptr);
    if (slot != nullptr && (*slot == nullptr || more_specific(route.segments, (*slot)->segments))) *slot = &route;
  }
  if (best == nullptr && request.method == "HEAD") best = best_get;
  if (best == nullptr) {
    if (allowed.empty()) {
      result.failure = json_error(404, "not_found", "no resource at " + request.path);
    } else {
      if (allowed.contains("GET")) allowed.insert("HEAD");
      result.failure = json_error(405, "method_not_allowed", request.method + " is not allowed on " + request.path);
      result.failure->headers.emplace_back("Allow", join_allowed(allowed));
    }
    return result;
  }
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const auto& segment = best->segments[i];
    if (!segment.is_param) continue;
    if (has_control_character(segments[i])) {
      result.failure = json_error(400, "bad_request", "path parameter '" + segment.text + "' holds a control character");
      return result;
    }
    result.params.emplace(segment.text, std::move(segments[i]));
  }
  result.route = best;
  return result;
}

boost::asio::awaitable<ServerResponse> Router::handle(const ServerRequest& request, RequestObserver* observer) const {
  const auto started = std::chrono::steady_clock::now();
  std::string_view route = kInvalidRoute;
  ServerResponse response = co_await dispatch(request, route);
  if (observer != nullptr) observer->on_request(request.method, route, response.status, std::chrono::steady_clock::now() - started);
  co_return response;
}

boost::asio::awaitable<ServerResponse> Router::dispatch(const ServerRequest& request, std::string_view& route) const {
  Match found = match(request);
  if (found.failure) {
    if (found.failure->status != 400) route = kUnmatchedRoute;
    co_return std::move(*found.failure);
  }
  route = found.route->pattern;
  try {
    co_return co_await found.route->handler(request, found.params);
  } catch (const boost::system::system_error& e) {
    if (e.code() == boost::asio::error::operation_aborted) {
      spdlog::debug("http {} {}: handler cancelled", request.method, found.route->pattern);
    } else {
      spdlog::error("http {} {}: handler threw: {}", request.method, found.route->pattern, e.what());
    }
  } catch (const std::exception& e) {
    spdlog::error("http {} {}: handler threw: {}", request.method, found.route->pattern, e.what());
  } catch (...) {
    spdlog::error("http {} {}: handler threw a non-standard exception", request.method, found.route->pattern);
  }
  co_return json_error(500, "internal", "internal error");
}

}  // namespace agentrt
