#include "core/runtime/held_lease.hpp"

#include <unistd.h>

#include <array>
#include <variant>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace agentrt {
namespace {

namespace asio = boost::asio;

std::string host_name() {
  std::array<char, 256> buffer{};
  if (::gethostname(buffer.data(), buffer.size() - 1) != 0 || buffer[0] == '\0') return "localhost";
  return std::string(buffer.data());
}

}  // namespace

std::string process_lease_owner(const std::string& role) {
  return role + ":" + host_name() + ":" + std::to_string(::getpid());
}

asio::awaitable<Result<HeldLease>> HeldLease::take(LeaseStore& leases, const Clock& clock, SessionId session,
                                                   std::string owner, Mode mode, LeaseTiming timing) {
  const auto now_ms = clock.wall_ms();
  // Two plain statements, not `cond ? co_await a : co_await b`: GCC 12 frees the result of
  // that conditional twice (found by the e2e tests under valgrind).
  Result<Lease> lease = Error{Errc::fatal, "lease not taken"};
  if (mode == Mode::take_over) {
    lease = co_await leases.take_over(session, std::move(owner), timing.ttl, now_ms);
  } else {
    lease = co_await leases.acquire(session, std::move(owner), timing.ttl, now_ms);
  }
  if (!lease) co_return lease.error();
  HeldLease held(leases, clock, std::move(lease).value(), timing);
  co_return Result<HeldLease>(std::move(held));
}

asio::awaitable<Result<void>> HeldLease::keep_alive() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    timer.expires_after(timing_.heartbeat);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    const auto cancelled = (co_await asio::this_coro::cancellation_state).cancelled();
    if (ec || cancelled != asio::cancellation_type::none) {
      co_return Error{Errc::cancelled, "lease heartbeat of session " + lease_.session.str() + " stopped"};
    }
    const auto now_ms = clock_->wall_ms();
    auto renewed = co_await leases_->renew(lease_.session, lease_.owner, lease_.epoch, timing_.ttl, now_ms);
    if (renewed) {
      lease_.expires_ms = renewed->expires_ms;
      continue;
    }
    if (renewed.error().code == Errc::fenced || renewed.error().code == Errc::not_found) co_return renewed.error();
    // A busy database: try again at the next beat, as long as the lease has not run out.
    if (clock_->wall_ms() >= lease_.expires_ms) {
      co_return Error{Errc::fenced, "lease of session " + lease_.session.str() +
                                        " expired: it could not be renewed: " + renewed.error().to_string()};
    }
  }
}

asio::awaitable<Result<void>> HeldLease::release() {
  co_return co_await leases_->release(lease_.session, lease_.owner, lease_.epoch);
}

asio::awaitable<Result<RunOutcome>> run_holding_lease(SessionRunner& runner, HeldLease& lease) {
  using namespace asio::experimental::awaitable_operators;  // NOLINT(google-build-using-namespace)
  auto first = co_await (runner.run() || lease.keep_alive());
  if (first.index() == 0) co_return std::move(std::get<0>(first));
  auto lost = std::move(std::get<1>(first));
  if (lost) co_return Error{Errc::fatal, "lease heartbeat ended unexpectedly"};  // keep_alive never returns ok
  co_return Error{Errc::fenced, "stopped: this process no longer owns session " + lease.lease().session.str() +
                                    " (another process or an operator took it over): " + lost.error().message};
}

}  // namespace agentrt
