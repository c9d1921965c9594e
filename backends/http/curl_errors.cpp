#include "backends/http/curl_errors.hpp"

#include <string>

namespace agentrt {
namespace {

// What the caller does next: timeouts and network trouble are retried, a request that can
// never work (bad URL, refused certificate) is not.
Errc classify(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return Errc::timeout;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_BAD_FUNCTION_ARGUMENT:
      return Errc::invalid;
    case CURLE_ABORTED_BY_CALLBACK:
      return Errc::cancelled;
    case CURLE_OUT_OF_MEMORY:
    case CURLE_FAILED_INIT:
      return Errc::fatal;
    default:  // connect refused, DNS, reset, empty reply, partial body, TLS handshake, ...
      return Errc::retryable;
  }
}

}  // namespace

Error curl_error(CURLcode code, std::string_view what, std::string_view detail) {
  std::string message = std::string(what) + ": " + curl_easy_strerror(code);
  if (!detail.empty()) message += " (" + std::string(detail) + ")";
  return Error{classify(code), std::move(message)};
}

}  // namespace agentrt
