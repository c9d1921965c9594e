#pragma once
// ConfigWatcher: reads the configuration of a running `agentrt serve` again every interval,
// and at once after check_now() (SIGHUP), and hands what may be reloaded to the event loop
// (serve/config_reload.hpp says what that is). Reading files and parsing definitions is
// blocking work, so it runs on a thread of its own; only apply() runs on the event loop.
//
// - A change that passes every check: apply(next config, its bots, a description) is posted
//   to the executor once, and the watcher takes `next` as the running configuration.
// - A bad file, a bad definition, or a change only a restart can make: refused. The error is
//   logged once per distinct problem (not every interval), counted, and the running
//   configuration stays in force; the next good change is applied as usual.
// - Nothing changed: nothing happens (a file saved again with the same content included).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include <boost/asio/any_io_executor.hpp>

#include "serve/bot_catalog.hpp"
#include "serve/serve_config.hpp"

namespace agentrt::serve {

// Builds the configuration as `agentrt serve` did at start: file, then variables, then flags.
using ConfigLoader = std::function<Result<ServeConfig>()>;
// Runs on the executor with a configuration that passed every check.
using ConfigApply = std::function<void(const ServeConfig& next, BotDefinitions bots, const std::string& what)>;
// Told of every outcome, for metrics: a refusal on the watcher's thread, an applied reload on
// the executor right after ConfigApply ran (so the count never runs ahead of the change).
using ConfigOutcome = std::function<void(bool applied)>;

class ConfigWatcher {
 public:
  ConfigWatcher(boost::asio::any_io_executor executor, ConfigLoader load, ServeConfig running,
                const BotDefinitions& running_bots, ConfigApply apply, ConfigOutcome outcome = {});
  ~ConfigWatcher();  // stops and joins
  ConfigWatcher(const ConfigWatcher&) = delete;
  ConfigWatcher& operator=(const ConfigWatcher&) = delete;

  // Starts the thread; every `interval` (0: only on check_now()).
  void start(std::chrono::milliseconds interval);
  void check_now();
  void stop();

  // One check, on the calling thread (the thread runs this; tests call it directly).
  void check();

  [[nodiscard]] std::uint64_t applied() const { return applied_.load(); }
  [[nodiscard]] std::uint64_t refused() const { return refused_.load(); }

 private:
  void refuse(const std::string& problem);
  void run(std::chrono::milliseconds interval);

  boost::asio::any_io_executor executor_;
  ConfigLoader load_;
  ServeConfig running_;          // touched by check() only
  BotDefinitions running_bots_;  // the definitions of running_ (for what changed)
  ConfigApply apply_;
  ConfigOutcome outcome_;
  std::string last_problem_;  // logged already; cleared once the files are good again

  std::mutex mutex_;
  std::condition_variable wake_;
  bool check_asked_ = false;
  bool stopping_ = false;
  std::thread thread_;

  std::atomic<std::uint64_t> applied_{0};
  std::atomic<std::uint64_t> refused_{0};
};

}  // namespace agentrt::serve
