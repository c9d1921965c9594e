#include "serve/config_watcher.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "serve/config_reload.hpp"

namespace agentrt::serve {

ConfigWatcher::ConfigWatcher(boost::asio::any_io_executor executor, ConfigLoader load, ServeConfig running,
                             const BotDefinitions& running_bots, ConfigApply apply, ConfigOutcome outcome)
    : executor_(std::move(executor)),
      load_(std::move(load)),
      running_(std::move(running)),
      running_bots_(running_bots),
      apply_(std::move(apply)),
      outcome_(std::move(outcome)) {}

ConfigWatcher::~ConfigWatcher() { stop(); }

void ConfigWatcher::start(std::chrono::milliseconds interval) {
  thread_ = std::thread([this, interval] { run(interval); });
}

void ConfigWatcher::check_now() {
  {
    const std::lock_guard lock(mutex_);
    check_asked_ = true;
  }
  wake_.notify_one();
}

void ConfigWatcher::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void ConfigWatcher::run(std::chrono::milliseconds interval) {
  std::unique_lock lock(mutex_);
  for (;;) {
    const auto asked = [this] { return stopping_ || check_asked_; };
    if (interval.count() > 0) {
      wake_.wait_for(lock, interval, asked);
    } else {
      wake_.wait(lock, asked);
    }
    if (stopping_) return;
    check_asked_ = false;
    lock.unlock();
    check();
    lock.lock();
  }
}

void ConfigWatcher::check() {
  auto next = load_();
  if (!next) return refuse(next.error().message);
  if (auto checked = check_serve_config(*next); !checked) return refuse(checked.error().message);
  if (const auto keys = restart_only_changes(running_, *next); !keys.empty()) {
    std::string list;
    for (const auto& key : keys) list += (list.empty() ? "" : ", ") + key;
    return refuse("changed settings that only a restart applies: " + list);
  }
  auto bots = load_bot_definitions(*next);
  if (!bots) return refuse(bots.error().message);
  const auto what = describe_reload(running_, running_bots_, *next, *bots);
  if (what.empty()) {
    if (!last_problem_.empty()) spdlog::info("serve: the configuration is valid again and the same as the running one");
    last_problem_.clear();
    return;
  }
  last_problem_.clear();
  running_ = *next;
  running_bots_ = *bots;
  spdlog::info("serve: configuration reloaded: {}", what);
  // Counted once applied on the event loop, not when posted: whoever sees the count go up (a
  // test, an operator reading agentrt_config_reloads_total) may rely on the new configuration
  // at once. Counted here first, a request right after could still meet the old definitions.
  boost::asio::post(executor_, [this, apply = apply_, config = std::move(next.value()),
                                loaded = std::move(bots.value()), what]() mutable {
    apply(config, std::move(loaded), what);
    applied_.fetch_add(1);
    if (outcome_) outcome_(true);
  });
}

void ConfigWatcher::refuse(const std::string& problem) {
  if (problem == last_problem_) return;  // said already; the files have not changed since
  last_problem_ = problem;
  refused_.fetch_add(1);
  if (outcome_) outcome_(false);
  spdlog::error("serve: configuration reload refused, the running configuration stays in force: {}", problem);
}

}  // namespace agentrt::serve
