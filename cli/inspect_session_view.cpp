// `agentrt inspect SESSION [--follow]`.

#include <csignal>
#include <ostream>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "cli/exit_codes.hpp"
#include "cli/inspect_views.hpp"
#include "core/inspect/excerpt.hpp"
#include "core/inspect/session_report.hpp"

namespace agentrt::cli {
namespace {

namespace asio = boost::asio;
using json = nlohmann::json;
using namespace boost::asio::experimental::awaitable_operators;

constexpr int kQuietPolls = 3;

// A failed read: an unknown session is the caller's mistake (2), anything else the store's (1).
struct ReadFailure {
  Error error;
  int exit_code;
};

class SessionView {
 public:
  SessionView(const InspectRequest& request, InspectIo io) : request_(request), io_(io) {}

  asio::awaitable<int> run() {
    auto record = co_await io_.reader.session(request_.session);
    if (!record) {
      const bool unknown = record.error().code == Errc::not_found;
      co_return fail({record.error().with_context(unknown ? "no session " + request_.session.str() + " in " +
                                                                io_.reader.db_path()
                                                          : "session " + request_.session.str()),
                      unknown ? kExitUsage : kExitFailure});
    }
    auto pinned = co_await io_.reader.definition(record->definition_hash);
    if (!pinned) co_return fail({pinned.error().with_context("definition of session " + request_.session.str()), kExitFailure});
    inspector_ = std::make_unique<SessionInspector>((*pinned)->definition, (*pinned)->error);
    if (auto read = co_await refresh(); read) co_return fail(*read);
    const auto report = current_report();
    if (!request_.follow) {
      io_.out << (request_.json ? safe_dump(report_to_json(report), 2) + "\n" : render_report(report));
      co_return kExitOk;
    }
    if (request_.json) {
      auto doc = report_to_json(report);
      doc["kind"] = "report";
      io_.out << safe_dump(doc) << '\n';
    } else {
      io_.out << render_report(report);
    }
    io_.out.flush();
    co_return co_await follow_until_quiet_or_interrupted();
  }

 private:
  // Reads what changed since the last refresh; returns the failure, if any.
  asio::awaitable<std::optional<ReadFailure>> refresh() {
    const auto& id = request_.session;
    auto record = co_await io_.reader.session(id);
    if (!record) co_return ReadFailure{record.error().with_context("session " + id.str()), kExitFailure};
    auto events = co_await io_.reader.events_after(id, inspector_->last_seq());
    if (!events) co_return ReadFailure{events.error().with_context("history of session " + id.str()), kExitFailure};
    auto pending = co_await io_.reader.pending(id);
    if (!pending) co_return ReadFailure{pending.error().with_context("inbox of session " + id.str()), kExitFailure};
    now_ms_ = io_.clock.wall_ms();
    auto lease = co_await io_.reader.lease(id, now_ms_);
    if (!lease) co_return ReadFailure{lease.error().with_context("lease of session " + id.str()), kExitFailure};
    new_entries_ = inspector_->add_events(*events);
    live_ = SessionInspector::Live{std::move(record.value()), std::move(pending.value()), lease->lease, lease->owner};
    co_return std::nullopt;
  }

  [[nodiscard]] SessionReport current_report() const {
    return inspector_->report(live_, now_ms_, request_.thresholds, io_.reader.db_path());
  }

  // Quiescent as the runner means it (finished; or not running with an empty inbox) and no
  // live process holds the lease. Required on kQuietPolls polls in a row, so the moment
  // between a run creating its session and taking the lease does not end the follow.
  // A running session nobody owns is stuck, not quiescent: follow keeps waiting for the fix.
  [[nodiscard]] bool quiet_now() const {
    const auto status = live_.record.status;
    if (is_terminal(status)) return true;
    return status != SessionStatus::running && live_.pending.empty() && !live_.owner.alive();
  }

  asio::awaitable<int> follow_until_quiet_or_interrupted() {
    asio::signal_set signals(co_await asio::this_coro::executor, SIGINT, SIGTERM);
    auto outcome = co_await (poll_loop() || wait_for_signal(signals));
    if (outcome.index() == 1) {
      finish("interrupted");
      co_return kExitOk;
    }
    co_return std::get<0>(outcome);
  }

  asio::awaitable<void> wait_for_signal(asio::signal_set& signals) {
    boost::system::error_code ec;
    co_await signals.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }

  asio::awaitable<int> poll_loop() {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    int quiet_polls = quiet_now() ? 1 : 0;
    std::int64_t previous_ms = last_time_shown();
    while (quiet_polls < kQuietPolls) {
      timer.expires_after(request_.poll_interval);
      co_await timer.async_wait(asio::use_awaitable);
      if (auto read = co_await refresh(); read) co_return fail(*read);
      for (const auto& entry : new_entries_) {
        if (request_.json) {
          auto line = to_json(entry);
          line["kind"] = "event";
          io_.out << safe_dump(line) << '\n';
        } else {
          io_.out << render_timeline_row(entry, previous_ms);
        }
        previous_ms = entry.time_ms;
      }
      io_.out.flush();
      quiet_polls = quiet_now() ? quiet_polls + 1 : 0;
    }
    finish("quiescent");
    co_return kExitOk;
  }

  [[nodiscard]] std::int64_t last_time_shown() const {
    const auto report = current_report();
    return report.timeline.empty() ? 0 : report.timeline.back().time_ms;
  }

  void finish(const char* reason) {
    const auto report = current_report();
    if (request_.json) {
      json end{{"kind", "end"},
               {"reason", reason},
               {"status", session_status_name(report.record.status)},
               {"last_seq", report.record.last_seq.value},
               {"why", report.why.summary},
               {"stuck", report.stuck ? stuck_to_json(*report.stuck) : json(nullptr)}};
      io_.out << safe_dump(end) << '\n';
    } else {
      io_.out << "-- " << reason << ": " << report.why.summary << '\n';
      if (report.stuck) io_.out << "-- STUCK: " << report.stuck->diagnosis << "\n-- fix: " << report.stuck->fix << '\n';
    }
    io_.out.flush();
  }

  int fail(const ReadFailure& failure) {
    io_.err << "agentrt inspect: " << failure.error.message << '\n';
    return failure.exit_code;
  }

  const InspectRequest& request_;
  InspectIo io_;
  std::unique_ptr<SessionInspector> inspector_;
  SessionInspector::Live live_;
  std::vector<TimelineEntry> new_entries_;
  std::int64_t now_ms_ = 0;
};

}  // namespace

asio::awaitable<int> inspect_session(const InspectRequest& request, InspectIo io) {
  SessionView view(request, io);
  co_return co_await view.run();
}

}  // namespace agentrt::cli
