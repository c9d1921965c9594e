#include "backends/memory/memory_kv_store.hpp"

#include <map>
#include <mutex>
#include <tuple>

#include "core/model/kv_bounds.hpp"

namespace agentrt {
namespace {

using boost::asio::awaitable;

class MemoryKvStore final : public KvStore {
 public:
  awaitable<Result<KvEntries>> get_many(KvScope scope, std::vector<std::string> keys) override {
    const auto what = "kv get " + kv_scope_name(scope.org, scope.bot);
    if (auto valid = check(scope, keys, what); !valid) co_return valid.error();
    KvEntries found;
    std::lock_guard lock(mutex_);
    for (auto& key : keys) {
      auto it = entries_.find(Key{scope.org.str(), scope.bot.str(), key});
      if (it != entries_.end()) found[key] = it->second;
    }
    co_return found;
  }

  awaitable<Result<void>> put_many(KvScope scope, KvEntries entries) override {
    const auto what = "kv put " + kv_scope_name(scope.org, scope.bot);
    if (auto valid = check_kv_scope(scope.org, scope.bot, what); !valid) co_return valid;
    if (auto valid = check_kv_entries(entries, what); !valid) co_return valid;
    std::lock_guard lock(mutex_);
    for (auto& [key, value] : entries) entries_[Key{scope.org.str(), scope.bot.str(), key}] = std::move(value);
    co_return ok_result();
  }

  awaitable<Result<void>> erase_many(KvScope scope, std::vector<std::string> keys) override {
    const auto what = "kv erase " + kv_scope_name(scope.org, scope.bot);
    if (auto valid = check(scope, keys, what); !valid) co_return valid;
    std::lock_guard lock(mutex_);
    for (auto& key : keys) entries_.erase(Key{scope.org.str(), scope.bot.str(), key});
    co_return ok_result();
  }

 private:
  using Key = std::tuple<std::string, std::string, std::string>;  // org, bot, key: never ambiguous

  static Result<void> check(const KvScope& scope, const std::vector<std::string>& keys, const std::string& what) {
    if (auto valid = check_kv_scope(scope.org, scope.bot, what); !valid) return valid;
    return check_kv_keys(keys, what);
  }

  std::mutex mutex_;
  std::map<Key, nlohmann::json> entries_;  // guarded by mutex_
};

}  // namespace

std::unique_ptr<KvStore> make_memory_kv_store() { return std::make_unique<MemoryKvStore>(); }

}  // namespace agentrt
