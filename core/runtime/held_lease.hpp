#pragma once
// The lease a process holds on one session while it writes to it: a `serve` worker running
// it (acquire: never steals a live owner's session), `agentrt run` and the repair commands
// (take over: a person asked for this session, an older process still running it is fenced).
// A heartbeat keeps it alive; it is released at the end so the next owner can start at once.

#include <chrono>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "core/model/error.hpp"
#include "core/ports/clock.hpp"
#include "core/ports/lease_store.hpp"
#include "core/runtime/session_runner.hpp"

namespace agentrt {

// "<role>:<hostname>:<pid>", e.g. "run:build-7:4242" or "serve:build-7:4243": who holds a
// session, for `inspect` (which checks whether that process is alive on this host).
std::string process_lease_owner(const std::string& role);

struct LeaseTiming {
  std::chrono::milliseconds ttl{15'000};
  std::chrono::milliseconds heartbeat{5'000};  // renew this often; well under ttl
};

class HeldLease {
 public:
  // Which write takes the lease: acquire refuses a session held by a live owner, take_over fences it.
  enum class Mode { acquire, take_over };

  // Takes the lease of `session`. The stores and the clock must outlive the HeldLease.
  static boost::asio::awaitable<Result<HeldLease>> take(LeaseStore& leases, const Clock& clock, SessionId session,
                                                        std::string owner, Mode mode, LeaseTiming timing);

  [[nodiscard]] LeaseEpoch epoch() const { return lease_.epoch; }
  [[nodiscard]] const Lease& lease() const { return lease_; }

  // Renews every timing.heartbeat. Returns only when the lease is lost (Errc::fenced: another owner took
  // it; or it expired because renewals kept failing) or when cancelled (Errc::cancelled).
  boost::asio::awaitable<Result<void>> keep_alive();
  // Gives the lease up. Errc::fenced if another owner took it meanwhile.
  boost::asio::awaitable<Result<void>> release();

 private:
  HeldLease(LeaseStore& leases, const Clock& clock, Lease lease, LeaseTiming timing)
      : leases_(&leases), clock_(&clock), lease_(std::move(lease)), timing_(timing) {}

  LeaseStore* leases_;
  const Clock* clock_;
  Lease lease_;
  LeaseTiming timing_;
};

// Runs `runner` while `lease.keep_alive()` holds the lease: the first to finish cancels the
// other. A lost lease stops the run at once with Errc::fenced saying so.
boost::asio::awaitable<Result<RunOutcome>> run_holding_lease(SessionRunner& runner, HeldLease& lease);

}  // namespace agentrt
