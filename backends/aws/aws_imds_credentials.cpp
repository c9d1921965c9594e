// EC2 instance profile through IMDSv2: PUT a session token, GET the role name, GET its
// credentials (every GET carries the token).

#include <utility>

#include "backends/aws/aws_credential_parsing.hpp"
#include "backends/aws/aws_credential_sources.hpp"

namespace agentrt {
namespace {

constexpr std::size_t kAnswerBytesMax = 64 * 1024;
constexpr std::string_view kRolePath = "/latest/meta-data/iam/security-credentials/";

class ImdsCredentials final : public AwsCredentialsProvider {
 public:
  ImdsCredentials(CurlClient& http, ImdsConfig config) : http_(http), config_(std::move(config)) {
    while (!config_.endpoint.empty() && config_.endpoint.back() == '/') config_.endpoint.pop_back();
  }

  boost::asio::awaitable<Result<AwsCredentials>> credentials() override {
    HttpRequest token_request = make_request("PUT", "/latest/api/token");
    token_request.headers.emplace_back("X-aws-ec2-metadata-token-ttl-seconds", "21600");
    auto token = co_await fetch(std::move(token_request), "session token");
    if (!token) co_return token.error();
    const std::string token_value = *token;

    HttpRequest role_request = make_request("GET", std::string(kRolePath));
    role_request.headers.emplace_back("X-aws-ec2-metadata-token", token_value);
    auto roles = co_await fetch(std::move(role_request), "role name");
    if (!roles) co_return roles.error();
    const std::string role = roles->substr(0, roles->find('\n'));
    if (role.empty() || role.find('/') != std::string::npos) {
      co_return Error{Errc::invalid, "IMDS " + config_.endpoint + ": no instance profile role"};
    }

    HttpRequest credentials_request = make_request("GET", std::string(kRolePath) + role);
    credentials_request.headers.emplace_back("X-aws-ec2-metadata-token", token_value);
    auto body = co_await fetch(std::move(credentials_request), "credentials of role " + role);
    if (!body) co_return body.error();
    co_return parse_json_credentials(*body, "IMDS role " + role);
  }

  [[nodiscard]] std::string name() const override { return "IMDS"; }

 private:
  HttpRequest make_request(std::string method, const std::string& path) const {
    HttpRequest request;
    request.method = std::move(method);
    request.url = config_.endpoint + path;
    request.timeout = config_.timeout;
    request.response_bytes_max = kAnswerBytesMax;
    return request;
  }

  boost::asio::awaitable<Result<std::string>> fetch(HttpRequest request, std::string what) {
    const std::string context = "IMDS " + config_.endpoint + " " + what;
    auto response = co_await http_.request(std::move(request));
    if (!response) co_return response.error().with_context(context);
    if (response->status != 200) {
      co_return Error{credential_http_errc(response->status), context + ": HTTP " + std::to_string(response->status)};
    }
    co_return std::move(response->body);
  }

  CurlClient& http_;
  ImdsConfig config_;
};

}  // namespace

std::unique_ptr<AwsCredentialsProvider> make_imds_credentials(CurlClient& http, ImdsConfig config) {
  return std::make_unique<ImdsCredentials>(http, std::move(config));
}

}  // namespace agentrt
