#pragma once
// Conversions between Beast messages and ServerRequest/ServerResponse, and the headers the
// server owns (Content-Length, Connection, Date, Server).

#include <chrono>
#include <string>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "backends/http_server/http_message.hpp"
#include "core/model/error.hpp"

namespace agentrt {

using WireRequest = boost::beast::http::request<boost::beast::http::string_body>;
using WireResponse = boost::beast::http::response<boost::beast::http::string_body>;

// Moves the body out of `request`. Errc::invalid (answered 400 bad_request) for a target
// that is not an absolute path, or malformed percent-encoding in the path or query.
[[nodiscard]] Result<ServerRequest> to_server_request(WireRequest& request, std::string remote);

// The response to send. A handler's bug (status outside 200..599, a header with CR, LF or
// NUL) is logged and sent as 500 internal. No body for 204 and 304.
[[nodiscard]] WireResponse to_wire_response(ServerResponse response, unsigned version, bool keep_alive);

// RFC 9110 IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
[[nodiscard]] std::string http_date(std::chrono::system_clock::time_point time);

}  // namespace agentrt
