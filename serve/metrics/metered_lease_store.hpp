#pragma once
// MeteredLeaseStore: a LeaseStore that counts the renewals (heartbeats) going through it into
// agentrt_lease_renewals_total{outcome=ok|fenced|error}, and forwards everything else
// unchanged. The worker's leases go through one, so core's HeldLease needs no metrics hook.
// Same contract and threading as the LeaseStore it wraps, which must outlive it.

#include "core/ports/lease_store.hpp"
#include "serve/metrics/serve_metrics.hpp"

namespace agentrt::serve {

class MeteredLeaseStore final : public LeaseStore {
 public:
  MeteredLeaseStore(LeaseStore& inner, ServeMetrics& metrics) : inner_(inner), metrics_(metrics) {}

  boost::asio::awaitable<Result<Lease>> acquire(SessionId session, std::string owner, std::chrono::milliseconds ttl,
                                                std::int64_t now_ms) override;
  boost::asio::awaitable<Result<Lease>> renew(SessionId session, std::string owner, LeaseEpoch epoch,
                                              std::chrono::milliseconds ttl, std::int64_t now_ms) override;
  boost::asio::awaitable<Result<void>> release(SessionId session, std::string owner, LeaseEpoch epoch) override;
  boost::asio::awaitable<Result<Lease>> take_over(SessionId session, std::string owner, std::chrono::milliseconds ttl,
                                                  std::int64_t now_ms) override;
  boost::asio::awaitable<Result<Lease>> get(SessionId session) override;
  boost::asio::awaitable<Result<std::vector<RunnableSession>>> find_runnable(std::int64_t now_ms,
                                                                             std::size_t limit) override;

 private:
  LeaseStore& inner_;
  ServeMetrics& metrics_;
};

}  // namespace agentrt::serve
