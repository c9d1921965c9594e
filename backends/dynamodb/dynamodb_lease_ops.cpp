// DynamoDbOps: the LeaseStore port. Every lease change is one conditional UpdateItem on the
// session item (ReturnValuesOnConditionCheckFailure ALL_OLD explains a refusal without a
// second read); find_runnable queries the sparse `runnable` index.
#include <algorithm>
#include <utility>

#include "backends/dynamodb/dynamodb_errors.hpp"
#include "backends/dynamodb/dynamodb_ops.hpp"

namespace agentrt::dynamodb {
namespace {

using json = nlohmann::json;

// find_runnable reads at most this many due sessions before sorting them (see README).
constexpr std::size_t kRunnableReadMax = 2'000;

std::string lease_op(std::string_view operation, const SessionId& id, const std::string& owner) {
  return std::string(operation) + " lease session=" + id.str() + " owner=" + owner;
}

Result<void> check_owner(const std::string& what, const std::string& owner, std::optional<std::chrono::milliseconds> ttl) {
  if (owner.empty()) return Error{Errc::invalid, what + ": empty owner"};
  if (ttl && ttl->count() <= 0) {
    return Error{Errc::invalid, what + ": ttl must be positive, got " + std::to_string(ttl->count()) + " ms"};
  }
  return ok_result();
}

// Why a lease change was refused: "held by w-1 (epoch 3) until 12345 ms", "not held (epoch 3)".
std::string describe(const Lease& lease, std::int64_t now_ms) {
  const std::string epoch = "epoch " + std::to_string(lease.epoch.value);
  if (lease.owner.empty()) return "not held (" + epoch + ")";
  const bool expired = lease.expires_ms <= now_ms;
  return (expired ? "expired lease of " : "held by ") + lease.owner + " (" + epoch + ") " +
         (expired ? "since " : "until ") + std::to_string(lease.expires_ms) + " ms";
}

Lease lease_from(const json& attributes, const SessionId& id) {
  Lease lease{id, get_s_or(attributes, "owner"), LeaseEpoch{get_n_or(attributes, "epoch")}, 0};
  if (!lease.owner.empty()) lease.expires_ms = get_n_or(attributes, "expires");
  return lease;
}

bool condition_failed(const AwsCallResult& result) { return result.detail.type == "ConditionalCheckFailedException"; }

}  // namespace

Task<Lease> DynamoDbOps::acquire(SessionId id, std::string owner, std::chrono::milliseconds ttl, std::int64_t now_ms) {
  const std::string what = lease_op("acquire", id, owner);
  if (auto valid = check_owner(what, owner, ttl); !valid) co_return valid.error();
  const auto expires = now_ms + ttl.count();
  {  // A new owner: free, or expired and someone else's. Epoch + 1 fences the previous one.
    Expr e;
    json request{{"TableName", db_.table()}, {"Key", key(session_pk(id), kMetaSk)}, {"ReturnValues", "ALL_NEW"},
                 {"ReturnValuesOnConditionCheckFailure", "ALL_OLD"}};
    const auto me = e.value(attr_s(owner));
    request["UpdateExpression"] = "SET " + e.name("owner") + " = " + me + ", " + e.name("expires") + " = " +
                                  e.value(attr_n(expires)) + ", " + e.name("epoch") + " = " + e.name("epoch") + " + " +
                                  e.value(attr_n(1));
    request["ConditionExpression"] = "attribute_exists(" + e.name("pk") + ") AND (attribute_not_exists(" +
                                     e.name("owner") + ") OR (" + e.name("expires") + " <= " +
                                     e.value(attr_n(now_ms)) + " AND " + e.name("owner") + " <> " + me + "))";
    e.apply(request);
    auto updated = co_await db_.call("UpdateItem", std::move(request));
    if (updated.ok()) co_return lease_from(updated.value()["Attributes"], id);
    if (!condition_failed(updated)) co_return updated.error().with_context(what);
    if (!updated.detail.item) co_return Error{Errc::not_found, "acquire lease session=" + id.str() + ": no such session"};
    const auto old = lease_from(*updated.detail.item, id);
    if (old.owner != owner) co_return Error{Errc::conflict, what + ": " + describe(old, now_ms)};
  }
  // Ours already: extend, same epoch.
  Expr e;
  json request{{"TableName", db_.table()}, {"Key", key(session_pk(id), kMetaSk)}, {"ReturnValues", "ALL_NEW"},
               {"ReturnValuesOnConditionCheckFailure", "ALL_OLD"}};
  request["UpdateExpression"] = "SET " + e.name("expires") + " = " + e.value(attr_n(expires));
  request["ConditionExpression"] = e.name("owner") + " = " + e.value(attr_s(owner));
  e.apply(request);
  auto extended = co_await db_.call("UpdateItem", std::move(request));
  if (extended.ok()) co_return lease_from(extended.value()["Attributes"], id);
  if (!condition_failed(extended)) co_return extended.error().with_context(what);
  if (!extended.detail.item) co_return Error{Errc::not_found, "acquire lease session=" + id.str() + ": no such session"};
  co_return Error{Errc::conflict, what + ": " + describe(lease_from(*extended.detail.item, id), now_ms)};
}

Task<Lease> DynamoDbOps::renew(SessionId id, std::string owner, LeaseEpoch epoch, std::chrono::milliseconds ttl,
                               std::int64_t now_ms) {
  const std::string what = lease_op("renew", id, owner) + " epoch=" + std::to_string(epoch.value);
  if (auto valid = check_owner(what, owner, ttl); !valid) co_return valid.error();
  Expr e;
  json request{{"TableName", db_.table()}, {"Key", key(session_pk(id), kMetaSk)}, {"ReturnValues", "ALL_NEW"},
               {"ReturnValuesOnConditionCheckFailure", "ALL_OLD"}};
  request["UpdateExpression"] = "SET " + e.name("expires") + " = " + e.value(attr_n(now_ms + ttl.count()));
  request["ConditionExpression"] = e.name("owner") + " = " + e.value(attr_s(owner)) + " AND " + e.name("epoch") + " = " +
                                   e.value(attr_n(epoch.value)) + " AND " + e.name("expires") + " > " +
                                   e.value(attr_n(now_ms));
  e.apply(request);
  auto updated = co_await db_.call("UpdateItem", std::move(request));
  if (updated.ok()) co_return lease_from(updated.value()["Attributes"], id);
  if (!condition_failed(updated)) co_return updated.error().with_context(what);
  if (!updated.detail.item) co_return Error{Errc::not_found, "renew lease session=" + id.str() + ": no such session"};
  co_return Error{Errc::fenced, what + ": fenced, the lease is " + describe(lease_from(*updated.detail.item, id), now_ms)};
}

Task<void> DynamoDbOps::release(SessionId id, std::string owner, LeaseEpoch epoch) {
  const std::string what = lease_op("release", id, owner) + " epoch=" + std::to_string(epoch.value);
  if (auto valid = check_owner(what, owner, std::nullopt); !valid) co_return valid.error();
  Expr e;
  json request{{"TableName", db_.table()}, {"Key", key(session_pk(id), kMetaSk)},
               {"ReturnValuesOnConditionCheckFailure", "ALL_OLD"}};
  request["UpdateExpression"] = "REMOVE " + e.name("owner") + ", " + e.name("expires");
  request["ConditionExpression"] =
      e.name("owner") + " = " + e.value(attr_s(owner)) + " AND " + e.name("epoch") + " = " + e.value(attr_n(epoch.value));
  e.apply(request);
  auto updated = co_await db_.call("UpdateItem", std::move(request));
  if (updated.ok()) co_return ok_result();
  if (!condition_failed(updated)) co_return updated.error().with_context(what);
  if (!updated.detail.item) co_return Error{Errc::not_found, "release lease session=" + id.str() + ": no such session"};
  co_return Error{Errc::fenced, what + ": fenced, the lease is " + describe(lease_from(*updated.detail.item, id), 0)};
}

Task<Lease> DynamoDbOps::take_over(SessionId id, std::string owner, std::chrono::milliseconds ttl, std::int64_t now_ms) {
  const std::string what = lease_op("take over", id, owner);
  if (auto valid = check_owner(what, owner, ttl); !valid) co_return valid.error();
  Expr e;
  json request{{"TableName", db_.table()}, {"Key", key(session_pk(id), kMetaSk)}, {"ReturnValues", "ALL_NEW"}};
  request["UpdateExpression"] = "SET " + e.name("owner") + " = " + e.value(attr_s(owner)) + ", " + e.name("expires") +
                                " = " + e.value(attr_n(now_ms + ttl.count())) + ", " + e.name("epoch") + " = " +
                                e.name("epoch") + " + " + e.value(attr_n(1));
  request["ConditionExpression"] = "attribute_exists(" + e.name("pk") + ")";
  e.apply(request);
  auto updated = co_await db_.call("UpdateItem", std::move(request));
  if (updated.ok()) co_return lease_from(updated.value()["Attributes"], id);
  if (condition_failed(updated)) co_return Error{Errc::not_found, "take over lease session=" + id.str() + ": no such session"};
  co_return updated.error().with_context(what);
}

Task<Lease> DynamoDbOps::get_lease(SessionId id) {
  auto meta = co_await existing_meta(id, "get lease session=" + id.str());
  if (!meta) co_return meta.error();
  co_return lease_of(*meta);
}

Task<std::vector<RunnableSession>> DynamoDbOps::find_runnable(std::int64_t now_ms, std::size_t limit) {
  std::vector<RunnableSession> runnable;
  std::size_t read = 0;
  json start;
  do {
    Expr e;
    json request{{"TableName", db_.table()}, {"IndexName", "runnable"}};
    request["KeyConditionExpression"] =
        e.name("rq") + " = " + e.value(attr_s("R")) + " AND " + e.name("rdue") + " <= " + e.value(attr_n(now_ms));
    request["FilterExpression"] = "attribute_not_exists(" + e.name("owner") + ") OR " + e.name("expires") + " <= " +
                                  e.value(attr_n(now_ms));
    e.apply(request);
    if (!start.is_null()) request["ExclusiveStartKey"] = start;
    auto page = co_await db_.call("Query", std::move(request));
    if (!page.ok()) co_return page.error().with_context("find_runnable");
    for (const auto& item : page.value()["Items"]) {
      ++read;
      const auto pk = get_s_or(item, "pk");
      auto meta = meta_from_item(item, SessionId{pk.size() > 2 ? pk.substr(2) : pk});
      if (!meta) continue;
      // The index is eventually consistent: the item's own fields decide, not the key.
      if (auto reason = runnable_reason(*meta, now_ms)) {
        runnable.push_back(RunnableSession{meta->record.id, meta->record.org, meta->record.bot, *reason,
                                           meta->record.updated_ms});
      }
    }
    start = page.value().contains("LastEvaluatedKey") ? page.value()["LastEvaluatedKey"] : json{};
  } while (!start.is_null() && read < kRunnableReadMax);
  std::stable_sort(runnable.begin(), runnable.end(),
                   [](const RunnableSession& a, const RunnableSession& b) { return a.since_ms < b.since_ms; });
  if (runnable.size() > limit) runnable.resize(limit);
  co_return runnable;
}

}  // namespace agentrt::dynamodb
