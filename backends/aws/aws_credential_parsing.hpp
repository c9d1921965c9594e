#pragma once
// Parsing shared by the remote credential sources. Errors never quote a document that may
// hold a secret; they name the source and the field.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "backends/aws/aws_credentials.hpp"
#include "core/model/error.hpp"

namespace agentrt {

// "2026-12-07T03:00:00Z" (fractional seconds and "+00:00" accepted) -> UTC time point.
[[nodiscard]] std::optional<std::chrono::system_clock::time_point> parse_iso8601_utc(std::string_view text);

// {"AccessKeyId","SecretAccessKey","Token","Expiration"}: the container and IMDS answer.
[[nodiscard]] Result<AwsCredentials> parse_json_credentials(std::string_view body, std::string_view source);

// The text of the first <name>...</name> element (no attributes, no nesting of the same name).
[[nodiscard]] std::optional<std::string> xml_element(std::string_view xml, std::string_view name);

// The class of a credential endpoint's non-200 answer: 5xx and 429 pass, the rest is refused.
[[nodiscard]] inline Errc credential_http_errc(long status) {
  return status >= 500 || status == 429 ? Errc::retryable : Errc::invalid;
}

// A small local file (token files live on tmpfs), trimmed; bounded at `bytes_max`.
[[nodiscard]] Result<std::string> read_token_file(const std::string& path, std::string_view what,
                                                  std::size_t bytes_max = 16 * 1024);

}  // namespace agentrt
