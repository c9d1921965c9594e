#include "serve/config_version_key.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "core/model/kv_bounds.hpp"

namespace agentrt::serve {

namespace asio = boost::asio;

void read_config_version_key(const ObjectReader& top, ConfigVersionKey& out) {
  const auto* mapping = top.mapping("config_version_key", Need::optional, "a mapping with org, bot and key");
  if (mapping == nullptr) return;
  ObjectReader r(*mapping, top.path_of("config_version_key"), top.diag(), {"org", "bot", "key"});
  ConfigVersionKey key;
  key.org = r.string("org", Need::required, "the org of the KV entry").value_or("");
  key.bot = r.string("bot", Need::required, "the bot of the KV entry").value_or("");
  key.key = r.string("key", Need::required, "the key of the KV entry").value_or("");
  if (auto checked = check_config_version_key(key, "kv entry"); !checked) {
    top.diag().error(top.path_of("config_version_key"), checked.error().message);
    return;
  }
  out = std::move(key);
}

Result<ConfigVersionKey> parse_config_version_key(const std::string& text, const std::string& where) {
  const auto first = text.find('/');
  const auto second = first == std::string::npos ? std::string::npos : text.find('/', first + 1);
  if (second == std::string::npos) return Error{Errc::invalid, where + ": expected org/bot/key, got \"" + text + "\""};
  ConfigVersionKey key{text.substr(0, first), text.substr(first + 1, second - first - 1), text.substr(second + 1)};
  if (auto checked = check_config_version_key(key, where); !checked) return checked.error();
  return key;
}

Result<void> check_config_version_key(const ConfigVersionKey& key, const std::string& where) {
  if (key.org.empty() && key.bot.empty() && key.key.empty()) return ok_result();
  if (auto valid = check_kv_scope(OrgId{key.org}, BotId{key.bot}, where); !valid) return valid;
  return check_kv_key(key.key, where);
}

struct ConfigVersionPoller::State {
  State(asio::any_io_executor executor, KvStore& kv, ConfigVersionKey k, std::chrono::milliseconds every,
        std::function<void(const nlohmann::json&)> on_change)
      : timer(std::move(executor)), store(kv), key(std::move(k)), interval(every), changed(std::move(on_change)) {}

  asio::steady_timer timer;
  KvStore& store;
  ConfigVersionKey key;
  std::chrono::milliseconds interval;
  std::function<void(const nlohmann::json&)> changed;
  bool stopped = false;
  bool read_once = false;
  bool failing = false;  // the last read failed (logged once until a read works again)
  std::optional<nlohmann::json> last;
};

namespace {

std::string key_name(const ConfigVersionKey& key) { return key.org + "/" + key.bot + "/" + key.key; }

asio::awaitable<void> poll(std::shared_ptr<ConfigVersionPoller::State> s) {
  const KvScope scope{OrgId{s->key.org}, BotId{s->key.bot}};
  for (;;) {
    if (s->stopped) co_return;
    std::vector<std::string> keys{s->key.key};
    auto found = co_await s->store.get_many(scope, std::move(keys));
    if (s->stopped) co_return;
    if (!found) {
      if (!s->failing) spdlog::warn("serve: config_version_key {}: {}", key_name(s->key), found.error().message);
      s->failing = true;
    } else {
      if (s->failing) spdlog::info("serve: config_version_key {}: readable again", key_name(s->key));
      s->failing = false;
      std::optional<nlohmann::json> value;
      if (auto it = found->find(s->key.key); it != found->end()) value = it->second;
      if (s->read_once && value != s->last) {
        spdlog::info("serve: config_version_key {} changed: reading the configuration again", key_name(s->key));
        s->changed(value.value_or(nullptr));
      }
      s->last = std::move(value);
      s->read_once = true;
    }
    s->timer.expires_after(s->interval);
    boost::system::error_code ignored;
    co_await s->timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

}  // namespace

ConfigVersionPoller::ConfigVersionPoller(asio::any_io_executor executor, KvStore& store, ConfigVersionKey key,
                                         std::chrono::milliseconds interval,
                                         std::function<void(const nlohmann::json& value)> changed)
    : state_(std::make_shared<State>(std::move(executor), store, std::move(key), interval, std::move(changed))) {}

ConfigVersionPoller::~ConfigVersionPoller() { stop(); }

void ConfigVersionPoller::start() { asio::co_spawn(state_->timer.get_executor(), poll(state_), asio::detached); }

void ConfigVersionPoller::stop() {
  state_->stopped = true;
  state_->timer.cancel();
}

}  // namespace agentrt::serve
