#include "serve/worker.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "core/definition/definition_loader.hpp"
#include "core/runtime/log_context.hpp"
#include "core/runtime/observer_fanout.hpp"
#include "core/runtime/output_publisher.hpp"
#include "core/runtime/session_tracer.hpp"
#include "core/runtime/kv_tool_runner.hpp"
#include "core/runtime/session_runner.hpp"
#include "core/runtime/task_group.hpp"
#include "serve/metrics/metrics_observer.hpp"

namespace agentrt::serve {
namespace {

namespace asio = boost::asio;

constexpr std::size_t kMaxCachedDefinitions = 256;
// A running session looks at its inbox this often at most (messages sent to this process
// wake it at once through the dispatcher; this is for messages enqueued elsewhere).
constexpr std::chrono::milliseconds kMinInboxPoll{500};
// The dispatcher's leftovers (Worker::surplus_): how many a search asks for at least, and how
// long they are trusted. Older than this, a slot searches again: another worker may have taken
// them, or sessions that waited longer may have come.
constexpr std::size_t kSurplusBatch = 64;
constexpr std::chrono::milliseconds kSurplusMaxAge{50};
constexpr std::chrono::milliseconds kPublisherFlush{1000};

// The orchestrator child: runs the session to quiescence, keeps the outcome, then stops the
// heartbeat by cancelling the group (join() then reports that reason, not a failure).
// Before that, the output publisher gets a moment to send the last events live (whatever it
// cannot send, clients read from the store).
asio::awaitable<Result<void>> orchestrate(SessionRunner* runner, Result<RunOutcome>* outcome, TaskGroup* group,
                                          OutputPublisher* publisher) {
  *outcome = co_await runner->run();
  if (!*outcome) co_return outcome->error();
  if (publisher != nullptr) {
    publisher->finish();
    co_await publisher->flush(kPublisherFlush);
  }
  group->cancel(Error{Errc::cancelled, "quiescent"});
  co_return ok_result();
}

// The inbox poller child: another process (an API node) may enqueue while this worker runs the
// turn; the runner then records the message at its next step instead of after the turn.
// Store errors are not fatal here: the runner drains the inbox at the end of the turn anyway.
asio::awaitable<Result<void>> poll_inbox(SessionStore* store, SessionId id, SessionRunner* runner,
                                         std::chrono::milliseconds interval) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    timer.expires_after(interval);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec || (co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) {
      co_return Error{Errc::cancelled, "inbox poller of session " + id.str() + " stopped"};
    }
    auto pending = co_await store->pending_messages(id, 1);
    if (!pending) {
      spdlog::debug("session {}: inbox not polled: {}", id.str(), pending.error().to_string());
      continue;
    }
    if (!pending->empty()) runner->inbox_changed();
  }
}

// What an activation's span reports: nothing when the session reached quiescence.
std::string activation_error(const Result<RunOutcome>& outcome, const Result<void>& joined) {
  if (outcome) return "";
  if (!joined && joined.error().message != "quiescent") return joined.error().to_string();
  return outcome.error().to_string();
}

}  // namespace

struct Worker::LoadedDefinition {
  AgentDefinition definition;
  std::unique_ptr<SessionAdapters> adapters;
};

struct Worker::Activation {
  std::string org;
  TaskGroup* group = nullptr;       // set while its children run
  SessionRunner* runner = nullptr;  // likewise
  bool cancel_requested = false;
};

Worker::Worker(asio::any_io_executor executor, WorkerPorts ports, WorkerOptions options)
    : executor_(std::move(executor)), ports_(std::move(ports)), options_(std::move(options)), wakeup_(executor_) {}

Worker::~Worker() = default;

void Worker::wake() {
  surplus_.clear();  // new work may rank before what the last search found
  wakeup_.cancel();
}

void Worker::inbox_changed(const SessionId& session) {
  const auto it = active_.find(session);
  if (it != active_.end() && it->second->runner != nullptr) {
    it->second->runner->inbox_changed();
  } else {
    wake();
  }
}

void Worker::set_org_quotas(std::map<std::string, std::size_t> quotas) {
  options_.org_quotas = std::move(quotas);
  wake();  // a raised quota may let waiting work in now
}

void Worker::stop_claiming() {
  claiming_ = false;
  wakeup_.cancel();
}

void Worker::cancel_all() {
  for (auto& [id, activation] : active_) {
    activation->cancel_requested = true;
    if (activation->group != nullptr) activation->group->cancel(Error{Errc::cancelled, "worker shutting down"});
  }
  wakeup_.cancel();
}

asio::awaitable<void> Worker::run() {
  while (claiming_) {
    co_await dispatch_once();
    if (!claiming_) break;
    wakeup_.expires_after(options_.poll_interval);
    boost::system::error_code ec;
    co_await wakeup_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  // Drain: the activations end on their own (or by cancel_all); each finishing one wakes us.
  while (!active_.empty()) {
    wakeup_.expires_after(options_.poll_interval);
    boost::system::error_code ec;
    co_await wakeup_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

bool Worker::has_room_for(const std::string& org) const {
  if (active_.size() >= options_.max_active) return false;
  const auto quota = options_.org_quotas.find(org);
  if (quota == options_.org_quotas.end()) return true;
  const auto running = active_per_org_.find(org);
  return running == active_per_org_.end() || running->second < quota->second;
}

asio::awaitable<void> Worker::dispatch_once() {
  const bool surplus_fresh = !surplus_.empty() && ports_.clock->monotonic() - surplus_found_ < kSurplusMaxAge;
  if (surplus_fresh) take_from_surplus();
  if (!claiming_ || active_.size() >= options_.max_active) co_return;
  // Slots still free: look in the store, further than the free slots. Some candidates are
  // over their org's quota or are won by another worker meanwhile, and what is left over
  // fills the next freed slots.
  const std::size_t limit = std::max((options_.max_active - active_.size()) * 2 + 8, kSurplusBatch);
  auto runnable = co_await ports_.leases->find_runnable(ports_.clock->wall_ms(), limit);
  store_reachable_ = runnable.ok();
  if (!runnable) {
    surplus_.clear();
    spdlog::warn("worker {}: cannot look for work: {}", options_.worker_id, runnable.error().to_string());
    co_return;
  }
  surplus_.assign(std::make_move_iterator(runnable->begin()), std::make_move_iterator(runnable->end()));
  surplus_found_ = ports_.clock->monotonic();
  take_from_surplus();
}

void Worker::take_from_surplus() {
  std::deque<RunnableSession> left;
  for (auto& candidate : surplus_) {
    if (active_.contains(candidate.session) || backing_off(candidate.session, ports_.clock->wall_ms())) continue;
    if (!claiming_ || active_.size() >= options_.max_active || !has_room_for(candidate.org.str())) {
      left.push_back(std::move(candidate));  // for a later slot (or one under its org's quota)
      continue;
    }
    auto activation = std::make_unique<Activation>();
    activation->org = candidate.org.str();
    ++active_per_org_[activation->org];
    active_.emplace(candidate.session, std::move(activation));
    asio::co_spawn(executor_, activate(std::move(candidate)), asio::detached);
  }
  surplus_ = std::move(left);
}

void Worker::back_off(const SessionId& id) {
  constexpr std::int64_t kFirstMs = 1'000;
  constexpr std::int64_t kMaxMs = 60'000;
  auto& entry = backoff_[id];
  entry.failures = std::min(entry.failures + 1, 16);
  const auto delay = std::min(kMaxMs, kFirstMs << (entry.failures - 1));
  entry.until_ms = ports_.clock->wall_ms() + delay;
}

bool Worker::backing_off(const SessionId& id, std::int64_t now_ms) {
  const auto it = backoff_.find(id);
  return it != backoff_.end() && it->second.until_ms > now_ms;
}

void Worker::finished(const SessionId& id, const std::string& org) {
  active_.erase(id);
  if (auto it = active_per_org_.find(org); it != active_per_org_.end() && --it->second == 0) active_per_org_.erase(it);
  wakeup_.cancel();  // a free slot: look for more work now (or let a drain finish)
}

asio::awaitable<Result<std::shared_ptr<Worker::LoadedDefinition>>> Worker::definition_for(const SessionRecord& record) {
  if (auto it = definitions_.find(record.definition_hash); it != definitions_.end()) co_return it->second;
  Result<nlohmann::json> canonical = Error{Errc::fatal, "not loaded"};
  if (ports_.load_definition) {
    canonical = co_await ports_.load_definition(record.definition_hash);
  } else {
    canonical = co_await ports_.store->get_definition(record.definition_hash);
  }
  if (!canonical) co_return canonical.error().with_context("load definition of session " + record.id.str());
  auto definition = definition_from_canonical(*canonical);
  if (!definition) co_return definition.error().with_context("pinned definition of session " + record.id.str());
  auto loaded = std::make_shared<LoadedDefinition>();
  loaded->definition = std::move(definition.value());
  auto adapters = ports_.adapters(loaded->definition);
  if (!adapters) co_return adapters.error().with_context("adapters for definition " + record.definition_hash.substr(0, 12));
  loaded->adapters = std::move(adapters.value());
  if (definitions_.size() >= kMaxCachedDefinitions) definitions_.clear();
  definitions_.emplace(record.definition_hash, loaded);
  co_return loaded;
}

void Worker::count(ServeMetricsCount what, std::string_view label, const std::string& org) {
  if (ports_.metrics == nullptr) return;
  auto& m = *ports_.metrics;
  switch (what) {
    case ServeMetricsCount::acquired:
    case ServeMetricsCount::conflict:
    case ServeMetricsCount::acquire_error: {
      const char* outcome = what == ServeMetricsCount::acquired ? "acquired"
                            : what == ServeMetricsCount::conflict ? "conflict"
                                                                  : "error";
      m.lease_acquisitions.Add({{"outcome", outcome}, {"reason", std::string(label)}}).Increment();
      break;
    }
    case ServeMetricsCount::activation_ended:
      m.activations.Add({{"outcome", std::string(label)}}).Increment();
      break;
    case ServeMetricsCount::lease_lost:
      m.lease_losses.Add({{"cause", std::string(label)}}).Increment();
      break;
    case ServeMetricsCount::running:
    case ServeMetricsCount::stopped: {
      prometheus::Labels labels;
      if (m.org_labels()) labels.emplace("org", org);
      auto& gauge = m.active_sessions.Add(labels);
      if (what == ServeMetricsCount::running) {
        gauge.Increment();
      } else {
        gauge.Decrement();
      }
      break;
    }
  }
}

asio::awaitable<void> Worker::activate(RunnableSession candidate) {
  const SessionId id = candidate.session;
  const std::string org = candidate.org.str();
  const std::string reason(runnable_reason_name(candidate.reason));
  LogContext log{options_.worker_id, org, candidate.bot.str(), id.str()};  // + trace ids once known
  Activation* self = active_.at(id).get();
  auto lease = co_await HeldLease::take(*ports_.leases, *ports_.clock, id, options_.worker_id, HeldLease::Mode::acquire,
                                        options_.lease);
  if (!lease) {
    // Another worker won the race (conflict): normal. Anything else is worth a line.
    if (lease.error().code != Errc::conflict) {
      log_in(log, spdlog::level::warn, "worker {}: session {}: lease not taken: {}", options_.worker_id, id.str(),
             lease.error().to_string());
    }
    count(lease.error().code == Errc::conflict ? ServeMetricsCount::conflict : ServeMetricsCount::acquire_error, reason, org);
    finished(id, org);
    co_return;
  }
  ++stats_.activations;
  count(ServeMetricsCount::acquired, reason, org);
  count(ServeMetricsCount::running, {}, org);
  auto record = co_await ports_.store->get_session(id);
  Result<std::shared_ptr<LoadedDefinition>> loaded = Error{Errc::fatal, "not loaded"};
  if (record) loaded = co_await definition_for(*record);
  Result<RunOutcome> outcome = Error{Errc::cancelled, "session " + id.str() + ": not run"};
  Result<void> joined = ok_result();
  if (!record) {
    joined = record.error();
  } else if (!loaded) {
    joined = loaded.error();
  } else if (!self->cancel_requested) {
    auto& adapters = *(*loaded)->adapters;
    RuntimePorts runtime{ports_.store, &adapters.llm(), &adapters.http_tools(), &adapters.command_tools(), ports_.clock};
    std::optional<KvToolRunner> kv_tools;
    if (ports_.kv != nullptr) runtime.kv_tools = &kv_tools.emplace(*ports_.kv, KvScope{record->org, record->bot});
    RunOptions run_options;
    run_options.wait_for_timers = false;  // asleep: release the session; the dispatcher wakes it when due
    run_options.api_key = adapters.api_key();
    run_options.log_context = log;
    std::unique_ptr<OutputPublisher> publisher;
    if (ports_.hub != nullptr) {
      publisher = std::make_unique<OutputPublisher>(executor_, *ports_.hub, id, record->last_seq.value);
    }
    std::unique_ptr<SessionTracer> tracer;
    if (ports_.spans != nullptr) {
      const auto& model = (*loaded)->definition.model;
      tracer = std::make_unique<SessionTracer>(
          *ports_.spans, *ports_.clock, id,
          TracedActivation{options_.worker_id, org, record->bot.str(), model.name, model.provider,
                           lease->epoch().value, std::string(runnable_reason_name(candidate.reason))});
    }
    std::unique_ptr<MetricsObserver> metered;
    if (ports_.metrics != nullptr) {
      metered = std::make_unique<MetricsObserver>(*ports_.metrics, org, candidate.bot.str(), (*loaded)->definition.model.name);
    }
    std::unique_ptr<RunObserver> lifecycle;
    if (ports_.lifecycle != nullptr) lifecycle = ports_.lifecycle->observer(id, org, record->bot.str());
    ObserverFanout observers;
    observers.add(publisher.get());
    observers.add(lifecycle.get());
    observers.add(metered.get());
    observers.add(tracer.get());
    SessionRunner runner(runtime, id, (*loaded)->definition, lease->epoch(), std::move(run_options),
                         observers.empty() ? nullptr : &observers);
    TaskGroup group(executor_);
    self->group = &group;
    self->runner = &runner;
    (void)group.spawn("heartbeat", lease->keep_alive());
    if (publisher) (void)group.spawn("publisher", publisher->run());
    (void)group.spawn("orchestrator", orchestrate(&runner, &outcome, &group, publisher.get()));
    (void)group.spawn("inbox", poll_inbox(ports_.store, id, &runner, std::max(options_.poll_interval * 5, kMinInboxPoll)));
    joined = co_await group.join();
    self->group = nullptr;
    self->runner = nullptr;
    if (tracer) {
      tracer->finish(activation_error(outcome, joined));
      log.trace_id = tracer->trace_id();
      log.span_id = tracer->activation_span_id();
    }
  }
  if (outcome) {
    ++stats_.quiescent;
    count(ServeMetricsCount::activation_ended, "quiescent", org);
    backoff_.erase(id);
  } else if (outcome.error().code == Errc::fenced || (!joined && joined.error().code == Errc::fenced)) {
    ++stats_.lost;
    count(ServeMetricsCount::activation_ended, "lost", org);
    // An append refused by its epoch, or the heartbeat that could not renew (fenced or expired).
    count(ServeMetricsCount::lease_lost, outcome.error().code == Errc::fenced ? "append_fenced" : "heartbeat", org);
    log_in(log, spdlog::level::warn, "worker {}: session {}: lease lost, stopped without writing more: {}",
           options_.worker_id, id.str(), (!joined ? joined.error() : outcome.error()).to_string());
  } else if (self->cancel_requested) {
    ++stats_.cancelled;
    count(ServeMetricsCount::activation_ended, "cancelled", org);
  } else {
    ++stats_.failed;
    count(ServeMetricsCount::activation_ended, "failed", org);
    back_off(id);
    log_in(log, spdlog::level::err, "worker {}: session {}: stopped: {}", options_.worker_id, id.str(),
           (!joined && joined.error().message != "quiescent" ? joined.error() : outcome.error()).to_string());
  }
  // A fenced release means another owner has it now: nothing of ours to give back.
  auto released = co_await lease->release();
  if (!released && released.error().code != Errc::fenced) {
    log_in(log, spdlog::level::warn, "worker {}: session {}: lease not released (it expires by itself): {}",
           options_.worker_id, id.str(), released.error().to_string());
  }
  count(ServeMetricsCount::stopped, {}, org);
  log_in(log, spdlog::level::debug, "worker {}: session {}: activation ended", options_.worker_id, id.str());
  finished(id, org);
}

}  // namespace agentrt::serve
