// EKS IRSA: exchange the projected service-account token for role credentials with STS
// AssumeRoleWithWebIdentity (unsigned, Query protocol, XML answer).

#include <utility>

#include "backends/aws/aws_credential_parsing.hpp"
#include "backends/aws/aws_credential_sources.hpp"
#include "backends/http/text_excerpt.hpp"
#include "backends/http/url.hpp"

namespace agentrt {
namespace {

constexpr std::size_t kStsAnswerBytesMax = 64 * 1024;

class WebIdentityCredentials final : public AwsCredentialsProvider {
 public:
  WebIdentityCredentials(CurlClient& http, WebIdentityConfig config) : http_(http), config_(std::move(config)) {}

  boost::asio::awaitable<Result<AwsCredentials>> credentials() override {
    const std::string what = "web identity (STS AssumeRoleWithWebIdentity, role " + config_.role_arn + ")";
    auto token = read_token_file(config_.token_file, "web identity token file");
    if (!token) co_return token.error().with_context(what);
    HttpRequest request;
    request.method = "POST";
    request.url = config_.sts_endpoint;
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}, {"Accept", "application/xml"}};
    request.body = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" + url_encode(config_.role_arn) +
                   "&RoleSessionName=" + url_encode(config_.session_name) + "&WebIdentityToken=" + url_encode(*token);
    request.timeout = config_.timeout;
    request.response_bytes_max = kStsAnswerBytesMax;
    auto response = co_await http_.request(std::move(request));
    if (!response) co_return response.error().with_context(what);
    co_return parse_answer(*response, what, *token);
  }

  [[nodiscard]] std::string name() const override { return "web identity"; }

 private:
  Result<AwsCredentials> parse_answer(const HttpResponse& response, const std::string& what, const std::string& token) const {
    if (response.status != 200) {
      std::string detail = text_excerpt(xml_element(response.body, "Code").value_or("no error code"), 100);
      if (auto message = xml_element(response.body, "Message")) {
        const bool quotes_token = message->find(token) != std::string::npos;
        detail += ": " + (quotes_token ? std::string("(message withheld: it quoted the token)") : text_excerpt(*message, 200));
      }
      return Error{credential_http_errc(response.status), what + ": HTTP " + std::to_string(response.status) + " " + detail};
    }
    AwsCredentials credentials;
    credentials.source = "web identity";
    const auto key = xml_element(response.body, "AccessKeyId");
    const auto secret = xml_element(response.body, "SecretAccessKey");
    const auto session = xml_element(response.body, "SessionToken");
    const auto expiration = xml_element(response.body, "Expiration");
    if (!key || !secret || !session || !expiration) {
      return Error{Errc::retryable, what + ": answer lacks AccessKeyId, SecretAccessKey, SessionToken or Expiration"};
    }
    credentials.access_key_id = *key;
    credentials.secret_access_key = *secret;
    credentials.session_token = *session;
    credentials.expiration = parse_iso8601_utc(*expiration);
    if (!credentials.expiration) return Error{Errc::retryable, what + ": answer has an unreadable Expiration"};
    return credentials;
  }

  CurlClient& http_;
  WebIdentityConfig config_;
};

}  // namespace

std::unique_ptr<AwsCredentialsProvider> make_web_identity_credentials(CurlClient& http, WebIdentityConfig config) {
  return std::make_unique<WebIdentityCredentials>(http, std::move(config));
}

}  // namespace agentrt
