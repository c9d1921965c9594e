// Long-term (or externally managed) keys: from the environment or a profile.

#include <utility>

#include "backends/aws/aws_credential_sources.hpp"

namespace agentrt {
namespace {

class StaticCredentials final : public AwsCredentialsProvider {
 public:
  explicit StaticCredentials(AwsCredentials credentials) : credentials_(std::move(credentials)) {}
  boost::asio::awaitable<Result<AwsCredentials>> credentials() override { co_return credentials_; }
  [[nodiscard]] std::string name() const override { return credentials_.source; }

 private:
  AwsCredentials credentials_;
};

}  // namespace

std::unique_ptr<AwsCredentialsProvider> make_static_credentials(AwsCredentials credentials) {
  return std::make_unique<StaticCredentials>(std::move(credentials));
}

}  // namespace agentrt
