#pragma once
// Internal to backends/http (includes libcurl): maps a CURLcode to an agentrt Error.

#include <string_view>

#include <curl/curl.h>

#include "core/model/error.hpp"

namespace agentrt {

// `what` names the exchange without secrets ("POST http://host/v1/x"); `detail` is curl's
// error buffer (may be empty).
[[nodiscard]] Error curl_error(CURLcode code, std::string_view what, std::string_view detail);

}  // namespace agentrt
