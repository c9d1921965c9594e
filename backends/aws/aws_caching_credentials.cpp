// Caches temporary credentials and refreshes them ahead of expiry.

#include <optional>
#include <utility>

#include "backends/aws/aws_credential_sources.hpp"

namespace agentrt {
namespace {

class CachingCredentials final : public AwsCredentialsProvider {
 public:
  CachingCredentials(std::unique_ptr<AwsCredentialsProvider> inner, AwsWallClock clock, std::chrono::seconds refresh_before)
      : inner_(std::move(inner)), clock_(std::move(clock)), refresh_before_(refresh_before) {}

  boost::asio::awaitable<Result<AwsCredentials>> credentials() override {
    const auto now = clock_();
    if (cached_ && (!cached_->expiration || now + refresh_before_ < *cached_->expiration)) co_return *cached_;
    // One refresh at a time: while it runs, others keep using what is still valid.
    if (refreshing_ && cached_ && cached_->expiration && now < *cached_->expiration) co_return *cached_;
    refreshing_ = true;
    auto fresh = co_await inner_->credentials();
    refreshing_ = false;
    if (!fresh) {
      // A failed refresh is not an outage while what we hold still works.
      if (cached_ && cached_->expiration && now < *cached_->expiration) co_return *cached_;
      co_return fresh.error();
    }
    cached_ = std::move(fresh).value();
    co_return *cached_;
  }

  [[nodiscard]] std::string name() const override { return inner_->name(); }
  void invalidate() override { cached_.reset(); }

 private:
  std::unique_ptr<AwsCredentialsProvider> inner_;
  AwsWallClock clock_;
  std::chrono::seconds refresh_before_;
  std::optional<AwsCredentials> cached_;
  bool refreshing_ = false;
};

}  // namespace

std::unique_ptr<AwsCredentialsProvider> make_caching_credentials(std::unique_ptr<AwsCredentialsProvider> inner,
                                                                 AwsWallClock clock, std::chrono::seconds refresh_before) {
  return std::make_unique<CachingCredentials>(std::move(inner), std::move(clock), refresh_before);
}

}  // namespace agentrt
