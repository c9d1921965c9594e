#include "backends/http_server/http_wire.hpp"

#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <string_view>
#include <utility>

#include <boost/beast/core/string.hpp>
#include <spdlog/spdlog.h>

#include "backends/http_server/percent_decoding.hpp"

namespace agentrt {
namespace {

namespace http = boost::beast::http;

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string to_upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool is_server_owned(std::string_view name) {
  for (const std::string_view owned : {"content-length", "transfer-encoding", "connection", "keep-alive", "date", "server"}) {
    if (boost::beast::iequals(name, owned)) return true;
  }
  return false;
}

bool is_valid_header(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f || c == ':') return false;
  }
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// Why the response cannot be sent as the handler wrote it, or empty if it can.
std::string response_defect(const ServerResponse& response) {
  if (response.status < 200 || response.status > 599) return "status " + std::to_string(response.status);
  if (!is_valid_header("Content-Type", response.content_type)) return "Content-Type with CR, LF or NUL";
  for (const auto& [name, value] : response.headers) {
    if (!is_valid_header(name, value)) return "header '" + to_lower(name.substr(0, 40)) + "' is malformed";
  }
  return {};
}

}  // namespace

Result<ServerRequest> to_server_request(WireRequest& request, std::string remote) {
  ServerRequest out;
  out.method = to_upper(request.method_string());
  out.target = std::string(request.target());
  out.remote = std::move(remote);
  if (out.target.empty() || out.target.front() != '/') {
    return Error{Errc::invalid, "the request target must be an absolute path"};
  }
  const auto question = out.target.find('?');
  auto path = percent_decode(std::string_view(out.target).substr(0, question));
  if (!path) return Error{Errc::invalid, "malformed percent-encoding in the path"};
  out.path = std::move(*path);
  if (question != std::string::npos) {
    auto query = parse_query(std::string_view(out.target).substr(question + 1));
    if (!query) return Error{Errc::invalid, "malformed percent-encoding in the query"};
    out.query = std::move(*query);
  }
  for (const auto& field : request) {
    auto [it, inserted] = out.headers.try_emplace(to_lower(field.name_string()), std::string(field.value()));
    if (!inserted) it->second.append(", ").append(field.value());
  }
  out.body = std::move(request.body());
  return out;
}

WireResponse to_wire_response(ServerResponse response, unsigned version, bool keep_alive) {
  if (const std::string defect = response_defect(response); !defect.empty()) {
    spdlog::error("http: a handler returned an invalid response ({}); sending 500", defect);
    response = json_error(500, "internal", "internal error");
  }
  WireResponse out{static_cast<http::status>(response.status), version};
  for (auto& [name, value] : response.headers) {
    if (!is_server_owned(name)) out.insert(name, value);
  }
  if (!response.content_type.empty()) out.set(http::field::content_type, response.content_type);
  out.set(http::field::server, "agentrt");
  out.set(http::field::date, http_date(std::chrono::system_clock::now()));
  out.keep_alive(keep_alive);
  if (response.status != 204 && response.status != 304) out.body() = std::move(response.body);
  out.prepare_payload();
  return out;
}

std::string http_date(std::chrono::system_clock::time_point time) {
  static constexpr std::array<const char*, 7> kDays{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::array<char, 40> text{};
  std::snprintf(text.data(), text.size(), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays.at(static_cast<std::size_t>(utc.tm_wday)),
                utc.tm_mday, kMonths.at(static_cast<std::size_t>(utc.tm_mon)), utc.tm_year + 1900, utc.tm_hour, utc.tm_min,
                utc.tm_sec);
  return text.data();
}

}  // namespace agentrt
