#pragma once
// Router: maps (method, path pattern) to a coroutine handler. The API handlers (sessions,
// messages, tokens) register here; HttpServer knows only a RequestHandler.
//
//   Router router;
//   router.add("POST", "/v1/sessions/{id}/messages", [&](const ServerRequest& req, const PathParams& p) {
//     return api.post_message(req, p.at("id"));   // -> awaitable<ServerResponse>
//   });
//   HttpServer server(ex, options, [&router](const ServerRequest& req) { return router.handle(req); });
//
// Contract of handle():
// - Segments are matched after percent-decoding, one by one, so "%2F" inside an id is part of
//   the id, not a separator. A `{name}` segment matches one non-empty segment; a literal
//   segment beats a parameter at the same position ("/v1/sessions/search" before "/{id}").
// - No route for the path: 404 not_found. Routes for the path but not this method: 405
//   method_not_allowed with an Allow header. HEAD is served by the GET route when there is no
//   HEAD route (the server then sends no body).
// - Malformed escapes, or a parameter holding a control character: 400 bad_request.
// - A handler that throws: 500 internal with a generic message; the exception is logged
//   (method, path, what()), never the body or the query, which may hold secrets.
// - Thread safety: add() before the server starts; handle() is const and may run concurrently.
// - With an observer, each answered request is reported to it once (HTTP metrics), whatever
//   the outcome: a 404 or 405 as route "unmatched", a 400 before matching as "invalid".

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "backends/http_server/http_message.hpp"

namespace agentrt {

using PathParams = std::map<std::string, std::string, std::less<>>;

// Told of every request the Router answered (serve's HTTP metrics implement it; this library
// does not depend on a metrics library). Called on the handler's executor once the handler
// has returned (for a stream: once its headers are ready); must not block. `route` is the
// matched pattern ("/v1/sessions/{id}"), never the raw path, so its values are bounded;
// `method` is the client's, unchecked.
class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  virtual void on_request(std::string_view method, std::string_view route, int status,
                          std::chrono::nanoseconds duration) = 0;
};

// The route an unrouted request is reported under (404, 405), and a malformed one (400).
inline constexpr std::string_view kUnmatchedRoute = "unmatched";
inline constexpr std::string_view kInvalidRoute = "invalid";
using RouteHandler = std::function<boost::asio::awaitable<ServerResponse>(const ServerRequest&, const PathParams&)>;

class Router final {
 public:
  // `method` is upper-case ("GET"); `pattern` starts with '/', its `{name}` segments are whole
  // segments with distinct names. Throws std::invalid_argument for a malformed pattern or a
  // route added twice: that is a wiring bug, found at startup.
  void add(std::string method, std::string_view pattern, RouteHandler handler);

  // Never throws: every failure is a JSON error response.
  // `observer` (optional) must outlive the returned awaitable.
  [[nodiscard]] boost::asio::awaitable<ServerResponse> handle(const ServerRequest& request,
                                                              RequestObserver* observer = nullptr) const;

 private:
  struct Segment {
    std::string text;  // the literal, or the parameter name
    bool is_param = false;
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments;
    RouteHandler handler;
  };
  struct Match;

  [[nodiscard]] Match match(const ServerRequest& request) const;
  // handle() without the observer; `route` is set to what it reports.
  [[nodiscard]] boost::asio::awaitable<ServerResponse> dispatch(const ServerRequest& request, std::string_view& route) const;

  std::vector<Route> routes_;
};

}  // namespace agentrt
