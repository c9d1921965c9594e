#include "serve/metrics/metered_lease_store.hpp"

#include <utility>

namespace agentrt::serve {

namespace asio = boost::asio;

asio::awaitable<Result<Lease>> MeteredLeaseStore::acquire(SessionId session, std::string owner,
                                                          std::chrono::milliseconds ttl, std::int64_t now_ms) {
  co_return co_await inner_.acquire(std::move(session), std::move(owner), ttl, now_ms);
}

asio::awaitable<Result<Lease>> MeteredLeaseStore::renew(SessionId session, std::string owner, LeaseEpoch epoch,
                                                        std::chrono::milliseconds ttl, std::int64_t now_ms) {
  auto renewed = co_await inner_.renew(std::move(session), std::move(owner), epoch, ttl, now_ms);
  const char* outcome = "ok";
  if (!renewed) outcome = renewed.error().code == Errc::fenced ? "fenced" : "error";
  metrics_.lease_renewals.Add({{"outcome", outcome}}).Increment();
  co_return renewed;
}

asio::awaitable<Result<void>> MeteredLeaseStore::release(SessionId session, std::string owner, LeaseEpoch epoch) {
  co_return co_await inner_.release(std::move(session), std::move(owner), epoch);
}

asio::awaitable<Result<Lease>> MeteredLeaseStore::take_over(SessionId session, std::string owner,
                                                            std::chrono::milliseconds ttl, std::int64_t now_ms) {
  co_return co_await inner_.take_over(std::move(session), std::move(owner), ttl, now_ms);
}

asio::awaitable<Result<Lease>> MeteredLeaseStore::get(SessionId session) {
  co_return co_await inner_.get(std::move(session));
}

asio::awaitable<Result<std::vector<RunnableSession>>> MeteredLeaseStore::find_runnable(std::int64_t now_ms,
                                                                                       std::size_t limit) {
  co_return co_await inner_.find_runnable(now_ms, limit);
}

}  // namespace agentrt::serve
