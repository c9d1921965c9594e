#pragma once
// AWS credentials and the port every credential source implements.
//
// Contract of AwsCredentialsProvider::credentials():
// - Runs on the caller's executor and never blocks it: remote sources go through CurlClient.
// - Returns usable credentials or an Error whose message names the source and what failed
//   (a file path, an endpoint without query), never a key, a secret, a session or web token.
// - Temporary credentials carry their expiration; a caching provider refreshes them before.
// - Not thread-safe: call it on the executor of the CurlClient it uses (one per strand).
// - invalidate(): the service refused the credentials as expired; the next call fetches anew.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "core/model/error.hpp"

namespace agentrt {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;                                  // never logged
  std::string session_token;                                      // empty for long-term keys; never logged
  std::optional<std::chrono::system_clock::time_point> expiration;  // none: does not expire
  std::string source;                                             // "environment", "profile default", ...
};

class AwsCredentialsProvider {
 public:
  virtual ~AwsCredentialsProvider() = default;
  virtual boost::asio::awaitable<Result<AwsCredentials>> credentials() = 0;
  // Where credentials come from, for messages ("environment", "web identity", "IMDS").
  [[nodiscard]] virtual std::string name() const = 0;
  virtual void invalidate() {}  // nothing cached by default
};

}  // namespace agentrt
