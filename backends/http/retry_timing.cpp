#include "backends/http/retry_timing.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/model/backoff.hpp"

namespace agentrt {
namespace asio = boost::asio;

RetryJitter::RetryJitter() : rng_(std::random_device{}()) {}

std::chrono::milliseconds retry_delay(const RetryPolicy& policy, int next_try, double jitter01,
                                      std::optional<std::chrono::milliseconds> retry_after) {
  auto delay = backoff_delay(policy, next_try, jitter01);
  if (retry_after) delay = std::max(delay, *retry_after);
  return std::min(delay, policy.max_backoff);
}

asio::awaitable<Result<void>> sleep_for(std::chrono::milliseconds delay) {
  const asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
  if (state.cancelled() != asio::cancellation_type::none) co_return Error{Errc::cancelled, "retry wait cancelled"};
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  const auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (ec) co_return Error{Errc::cancelled, "retry wait cancelled"};
  co_return ok_result();
}

}  // namespace agentrt
