#pragma once
// Appends a JSON string literal to a buffer, for encoders that write JSON text directly
// instead of building a nlohmann tree (the OTLP span encoder, where the tree cost more than
// everything else tracing does). For well-formed UTF-8 the output equals nlohmann's dump;
// like its error_handler_t::replace, each byte that does not start a well-formed UTF-8
// sequence becomes U+FFFD (a span may carry a tool's error text, which may hold any bytes).
// Control characters are escaped, everything else is copied as is.

#include <string>
#include <string_view>

namespace agentrt {

void append_json_string(std::string& out, std::string_view text);

}  // namespace agentrt
