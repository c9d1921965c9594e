#pragma once
// config_version_key: a KV entry (org, bot, key) that every worker of a fleet polls; when its
// value changes, the worker reads its configuration at once (as on SIGHUP). An operator rolls
// new files out to every worker and then bumps the key once through the KV API, instead of
// signalling each process or waiting for config_reload_interval (which can then be off):
//
//   config_version_key: {org: ops, bot: support, key: config_version}
//   AGENTRT_CONFIG_VERSION_KEY=ops/support/config_version    (org and bot without "/")
//
//   curl -X PUT -H "Authorization: Bearer $OPS_TOKEN" -d '{"entries": {"config_version": 42}}'
//        http://worker/v1/bots/support/kv
//
// (The KV API writes only bots the server runs, so the key lives under one of those.)
//
// The value may be any JSON; only a change matters (the first read is the baseline). It is
// read from the store itself (never a cache) every config_reload_interval, or every 2 s
// while that is off. A read that fails is logged once and retried at the next poll.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <nlohmann/json.hpp>

#include "core/definition/object_reader.hpp"
#include "core/model/error.hpp"
#include "core/ports/kv_store.hpp"

namespace agentrt::serve {

struct ConfigVersionKey {
  std::string org;
  std::string bot;
  std::string key;  // empty: no version key (the default)
  [[nodiscard]] bool enabled() const { return !key.empty(); }
  bool operator==(const ConfigVersionKey&) const = default;
};

// `config_version_key:` of the config file (errors go to the reader's diagnostics).
void read_config_version_key(const ObjectReader& top, ConfigVersionKey& out);
// "org/bot/key" (AGENTRT_CONFIG_VERSION_KEY); the key may contain "/". `where` names the setting.
Result<ConfigVersionKey> parse_config_version_key(const std::string& text, const std::string& where);
// KV bounds (core/model/kv_bounds.hpp) on each part, or ok when all are empty; the error starts
// with `where`.
Result<void> check_config_version_key(const ConfigVersionKey& key, const std::string& where);

// Polls the key on `executor` until stop(); calls `changed` (on the executor) when the value
// differs from the one read before.
class ConfigVersionPoller {
 public:
  ConfigVersionPoller(boost::asio::any_io_executor executor, KvStore& store, ConfigVersionKey key,
                      std::chrono::milliseconds interval, std::function<void(const nlohmann::json& value)> changed);
  ~ConfigVersionPoller();
  ConfigVersionPoller(const ConfigVersionPoller&) = delete;
  ConfigVersionPoller& operator=(const ConfigVersionPoller&) = delete;

  void start();
  void stop();  // idempotent; the poll loop ends at its next wake-up (at once: its timer is cancelled)

  struct State;  // shared by the object and its poll loop

 private:
  std::shared_ptr<State> state_;
};

}  // namespace agentrt::serve
