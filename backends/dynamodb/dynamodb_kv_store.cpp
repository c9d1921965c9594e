#include "backends/dynamodb/dynamodb_kv_store.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "backends/dynamodb/dynamodb_item.hpp"
#include "core/model/kv_bounds.hpp"

namespace agentrt {

namespace asio = boost::asio;
using json = nlohmann::json;

namespace dynamodb {

std::string kv_pk(const KvScope& scope, const std::string& key) {
  const auto& org = scope.org.str();
  const auto& bot = scope.bot.str();
  return "V#" + std::to_string(org.size()) + "#" + org + "#" + std::to_string(bot.size()) + "#" + bot + "#" + key;
}

}  // namespace dynamodb

namespace {

template <class T>
asio::awaitable<Result<T>> failed_now(Error error) {
  co_return error;
}

Result<void> check(const KvScope& scope, const std::vector<std::string>& keys, const std::string& what) {
  if (auto valid = check_kv_scope(scope.org, scope.bot, what); !valid) return valid;
  return check_kv_keys(keys, what);
}

// DynamoDB refuses a batch that names one key twice.
std::vector<std::string> unique(std::vector<std::string> keys) {
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

}  // namespace

// Each method checks the bounds here, then moves the work to the connection's thread.
asio::awaitable<Result<KvEntries>> DynamoDbKvStore::get_many(KvScope scope, std::vector<std::string> keys) {
  auto what = "kv get " + kv_scope_name(scope.org, scope.bot);
  if (auto valid = check(scope, keys, what); !valid) return failed_now<KvEntries>(valid.error());
  return db_.run<KvEntries>([this, scope, keys = unique(std::move(keys)), what] { return read(scope, keys, what); });
}

asio::awaitable<Result<void>> DynamoDbKvStore::put_many(KvScope scope, KvEntries entries) {
  auto what = "kv put " + kv_scope_name(scope.org, scope.bot);
  if (auto valid = check_kv_scope(scope.org, scope.bot, what); !valid) return failed_now<void>(valid.error());
  if (auto valid = check_kv_entries(entries, what); !valid) return failed_now<void>(valid.error());
  std::vector<json> requests;
  for (const auto& [key, value] : entries) {
    json item = dynamodb::key(dynamodb::kv_pk(scope, key), dynamodb::kKvSk);
    item["v"] = dynamodb::attr_s(value.dump());  // checked encodable above
    requests.push_back(json{{"PutRequest", {{"Item", std::move(item)}}}});
  }
  return db_.run<void>([this, requests = std::move(requests), what] { return write(requests, what); });
}

asio::awaitable<Result<void>> DynamoDbKvStore::erase_many(KvScope scope, std::vector<std::string> keys) {
  auto what = "kv erase " + kv_scope_name(scope.org, scope.bot);
  if (auto valid = check(scope, keys, what); !valid) return failed_now<void>(valid.error());
  std::vector<json> requests;
  for (const auto& key : unique(std::move(keys))) {
    requests.push_back(json{{"DeleteRequest", {{"Key", dynamodb::key(dynamodb::kv_pk(scope, key), dynamodb::kKvSk)}}}});
  }
  return db_.run<void>([this, requests = std::move(requests), what] { return write(requests, what); });
}

asio::awaitable<Result<KvEntries>> DynamoDbKvStore::read(KvScope scope, std::vector<std::string> keys, std::string what) {
  std::map<std::string, std::string> key_of;  // pk -> key
  std::vector<json> item_keys;
  for (auto& key : keys) {
    auto pk = dynamodb::kv_pk(scope, key);
    item_keys.push_back(dynamodb::key(pk, dynamodb::kKvSk));
    key_of.emplace(std::move(pk), std::move(key));
  }
  dynamodb::DynamoCall call = [this](std::string operation, json body) {
    return db_.call(std::move(operation), std::move(body));
  };
  auto items = co_await dynamodb::batch_get_items(call, db_.table(), std::move(item_keys), options_, what);
  if (!items) co_return items.error();
  KvEntries found;
  for (const auto& item : *items) {
    const auto pk = dynamodb::get_s(item, "pk");
    const auto text = dynamodb::get_s(item, "v");
    const auto key = pk ? key_of.find(*pk) : key_of.end();
    if (key == key_of.end() || !text) co_return Error{Errc::fatal, what + ": DynamoDB answered an item that was not asked for"};
    auto value = decode_kv_value(*text, what + " key=" + key->second);
    if (!value) co_return value.error();
    found[key->second] = std::move(value.value());
  }
  co_return found;
}

asio::awaitable<Result<void>> DynamoDbKvStore::write(std::vector<json> requests, std::string what) {
  dynamodb::DynamoCall call = [this](std::string operation, json body) {
    return db_.call(std::move(operation), std::move(body));
  };
  co_return co_await dynamodb::batch_write_items(call, db_.table(), std::move(requests), options_, what);
}

}  // namespace agentrt
