// ECS task roles and EKS Pod Identity: GET the container credentials endpoint.

#include <utility>

#include "backends/aws/aws_credential_parsing.hpp"
#include "backends/aws/aws_credential_sources.hpp"
#include "backends/http/url.hpp"

namespace agentrt {
namespace {

constexpr std::size_t kAnswerBytesMax = 64 * 1024;

class ContainerCredentials final : public AwsCredentialsProvider {
 public:
  ContainerCredentials(CurlClient& http, ContainerCredentialsConfig config) : http_(http), config_(std::move(config)) {}

  boost::asio::awaitable<Result<AwsCredentials>> credentials() override {
    const std::string what = "container credentials " + redact_url(config_.url);
    HttpRequest request;
    request.method = "GET";
    request.url = config_.url;
    request.timeout = config_.timeout;
    request.response_bytes_max = kAnswerBytesMax;
    if (!config_.authorization_token_file.empty()) {
      auto token = read_token_file(config_.authorization_token_file, "container authorization token file");
      if (!token) co_return token.error().with_context(what);
      request.headers.emplace_back("Authorization", *token);
    } else if (!config_.authorization_token.empty()) {
      request.headers.emplace_back("Authorization", config_.authorization_token);
    }
    auto response = co_await http_.request(std::move(request));
    if (!response) co_return response.error().with_context(what);
    if (response->status != 200) {
      co_return Error{credential_http_errc(response->status), what + ": HTTP " + std::to_string(response->status)};
    }
    co_return parse_json_credentials(response->body, "container credentials");
  }

  [[nodiscard]] std::string name() const override { return "container credentials"; }

 private:
  CurlClient& http_;
  ContainerCredentialsConfig config_;
};

}  // namespace

std::unique_ptr<AwsCredentialsProvider> make_container_credentials(CurlClient& http, ContainerCredentialsConfig config) {
  return std::make_unique<ContainerCredentials>(http, std::move(config));
}

}  // namespace agentrt
