#pragma once
// The lease a CLI process holds on one session while it writes to it (`agentrt run`, the
// repair commands). `run` takes the lease over (a person asked for this session: an older
// process still running it is fenced), keeps it alive with a heartbeat raced against the
// runner, and releases it at the end so the next process can start at once.

#include <chrono>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "core/model/error.hpp"
#include "core/ports/clock.hpp"
#include "core/ports/lease_store.hpp"
#include "core/runtime/session_runner.hpp"

namespace agentrt::cli {

inline constexpr std::chrono::milliseconds kCliLeaseTtl{15'000};

// "<role>:<hostname>:<pid>", e.g. "run:build-7:4242": who holds a session, for `inspect`.
std::string cli_lease_owner(const std::string& role);

class HeldLease {
 public:
  // Which write takes the lease: acquire refuses a session held by a live owner, take_over fences it.
  enum class Mode { acquire, take_over };

  // Takes the lease of `session`. The stores and the clock must outlive the HeldLease.
  static boost::asio::awaitable<Result<HeldLease>> take(LeaseStore& leases, const Clock& clock, SessionId session,
                                                        std::string owner, Mode mode,
                                                        std::chrono::milliseconds ttl = kCliLeaseTtl);

  [[nodiscard]] LeaseEpoch epoch() const { return lease_.epoch; }
  [[nodiscard]] const Lease& lease() const { return lease_; }

  // Renews every ttl/3. Returns only when the lease is lost (Errc::fenced: another owner took
  // it; or it expired because renewals kept failing) or when cancelled (Errc::cancelled).
  boost::asio::awaitable<Result<void>> keep_alive();
  // Gives the lease up. Errc::fenced if another owner took it meanwhile.
  boost::asio::awaitable<Result<void>> release();

 private:
  HeldLease(LeaseStore& leases, const Clock& clock, Lease lease, std::chrono::milliseconds ttl)
      : leases_(&leases), clock_(&clock), lease_(std::move(lease)), ttl_(ttl) {}

  LeaseStore* leases_;
  const Clock* clock_;
  Lease lease_;
  std::chrono::milliseconds ttl_;
};

// Runs `runner` while `lease.keep_alive()` holds the lease: the first to finish cancels the
// other. A lost lease stops the run at once with Errc::fenced saying so.
boost::asio::awaitable<Result<RunOutcome>> run_holding_lease(SessionRunner& runner, HeldLease& lease);

}  // namespace agentrt::cli
