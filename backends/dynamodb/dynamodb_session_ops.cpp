// DynamoDbOps: sessions (create, get, list, definitions, claim) and the shared helpers.
#include <algorithm>
#include <limits>
#include <map>
#include <tuple>
#include <utility>

#include "backends/dynamodb/dynamodb_errors.hpp"
#include "backends/dynamodb/dynamodb_ops.hpp"

namespace agentrt::dynamodb {
namespace {

using json = nlohmann::json;

std::string on(std::string_view what, const SessionId& id) { return std::string(what) + " session=" + id.str(); }

// Seqs must run first, first+1, ... without a gap.
std::optional<std::int64_t> first_gap(const std::vector<Event>& events, std::int64_t first) {
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto expected = first + static_cast<std::int64_t>(i);
    if (events[i].seq.value != expected) return expected;
  }
  return std::nullopt;
}

SessionRecord record_of(const Item& item) {
  const auto pk = get_s_or(item, "pk");
  auto meta = meta_from_item(item, SessionId{pk.size() > 2 ? pk.substr(2) : pk});
  return meta ? meta->record : SessionRecord{};
}

}  // namespace

Task<std::optional<Meta>> DynamoDbOps::read_meta(const SessionId& id, const std::string& what) {
  json request{{"TableName", db_.table()}, {"Key", key(session_pk(id), kMetaSk)}, {"ConsistentRead", true}};
  auto got = co_await db_.call("GetItem", std::move(request));
  if (!got.ok()) co_return got.error().with_context(what);
  if (!got.value().contains("Item")) co_return std::optional<Meta>{};
  auto meta = meta_from_item(got.value()["Item"], id);
  if (!meta) co_return meta.error().with_context(what);
  co_return std::optional<Meta>{std::move(meta.value())};
}

Task<Meta> DynamoDbOps::existing_meta(const SessionId& id, const std::string& what) {
  auto meta = co_await read_meta(id, what);
  if (!meta) co_return meta.error();
  if (!meta->has_value()) co_return no_such_session(what);
  co_return std::move(**meta);
}

Task<std::vector<Item>> DynamoDbOps::session_items(const SessionId& id, std::string from, std::string to,
                                                   const std::string& what, std::size_t owners_max) {
  auto items = co_await query_range(id, std::move(from), std::move(to), what, owners_max);
  if (!items || !items->empty()) co_return items;
  auto exists = co_await existing_meta(id, what);  // nothing found: no such session, or none yet
  if (!exists) co_return exists.error();
  co_return items;
}

Task<std::vector<Item>> DynamoDbOps::query_range(const SessionId& id, std::string from, std::string to,
                                                 const std::string& what, std::size_t owners_max) {
  std::vector<Item> items;
  std::size_t owners = 0;
  json start;
  do {
    Expr e;
    json request{{"TableName", db_.table()}, {"ConsistentRead", true}};
    request["KeyConditionExpression"] = e.name("pk") + " = " + e.value(attr_s(session_pk(id))) + " AND " + e.name("sk") +
                                        " BETWEEN " + e.value(attr_s(from)) + " AND " + e.value(attr_s(to));
    e.apply(request);
    if (owners_max < 1000) request["Limit"] = owners_max + 1;
    if (!start.is_null()) request["ExclusiveStartKey"] = start;
    auto page = co_await db_.call("Query", std::move(request));
    if (!page.ok()) co_return page.error().with_context(what);
    for (auto& item : page.value()["Items"]) {
      if (get_s_or(item, "sk").find("#P#") == std::string::npos) ++owners;
      items.push_back(std::move(item));
    }
    start = page.value().contains("LastEvaluatedKey") ? page.value()["LastEvaluatedKey"] : json{};
  } while (!start.is_null() && owners <= owners_max);
  co_return items;
}

boost::asio::awaitable<AwsCallResult> DynamoDbOps::transact(std::vector<json> actions, const std::string& what) {
  std::size_t bytes = 0;
  for (const auto& action : actions) {
    for (const auto& [kind, body] : action.items()) {
      if (body.contains("Item")) bytes += item_bytes(body["Item"]);
      bytes += 256;  // keys, expressions
    }
  }
  if (actions.size() > kTransactItemsMax || bytes > kTransactBytesMax) {
    AwsCallResult refused;
    refused.result = Error{Errc::invalid, what + ": one atomic write would need " + std::to_string(actions.size()) +
                                              " items and about " + std::to_string(bytes / 1024) +
                                              " KB; DynamoDB transactions take at most " +
                                              std::to_string(kTransactItemsMax) + " items and 4 MB (write fewer events at once)"};
    co_return refused;
  }
  json request{{"TransactItems", json::array()}, {"ClientRequestToken", db_.next_request_token()}};
  for (auto& action : actions) request["TransactItems"].push_back(std::move(action));
  co_return co_await db_.call("TransactWriteItems", std::move(request));
}

json DynamoDbOps::meta_update(const Meta& before, const Meta& after) {
  Expr e;
  const auto& r = after.record;
  std::vector<std::string> set = {
      e.name("status") + " = " + e.value(attr_s(session_status_name(r.status))),
      e.name("last_seq") + " = " + e.value(attr_n(r.last_seq.value)),
      e.name("updated") + " = " + e.value(attr_n(r.updated_ms)),
      e.name("ver") + " = " + e.value(attr_n(after.version)),
      e.name("pending") + " = " + e.value(attr_n(after.pending)),
      e.name("branches") + " = " + e.value(attr_n(after.branches)),
      e.name("ckpt_seq") + " = " + e.value(attr_n(after.checkpoint_seq)),
      e.name("ckpt_parts") + " = " + e.value(attr_n(after.checkpoint_parts)),
  };
  std::vector<std::string> remove;
  if (r.wake_at_ms) set.push_back(e.name("wake_at") + " = " + e.value(attr_n(*r.wake_at_ms)));
  else remove.push_back(e.name("wake_at"));
  if (auto due = runnable_due(after)) {
    set.push_back(e.name("rq") + " = " + e.value(attr_s("R")));
    set.push_back(e.name("rdue") + " = " + e.value(attr_n(*due)));
  } else {
    remove.push_back(e.name("rq"));
    remove.push_back(e.name("rdue"));
  }
  std::string update = "SET ";
  for (std::size_t i = 0; i < set.size(); ++i) update += (i ? ", " : "") + set[i];
  if (!remove.empty()) {
    update += " REMOVE ";
    for (std::size_t i = 0; i < remove.size(); ++i) update += (i ? ", " : "") + remove[i];
  }
  json body{{"TableName", db_.table()}, {"Key", key(session_pk(r.id), kMetaSk)}, {"UpdateExpression", update}};
  body["ConditionExpression"] = e.name("ver") + " = " + e.value(attr_n(before.version)) + " AND " + e.name("epoch") +
                                " = " + e.value(attr_n(before.record.epoch.value));
  e.apply(body);
  return json{{"Update", std::move(body)}};
}

Task<void> DynamoDbOps::create_session(SessionRecord record, json definition, std::vector<Event> first_events) {
  const std::string what = on("create_session", record.id);
  if (record.id.empty()) co_return Error{Errc::invalid, "create_session: empty session id"};
  if (auto gap = first_gap(first_events, 1)) {
    co_return Error{Errc::invalid, what + ": first events must be numbered from 1, expected seq " + std::to_string(*gap)};
  }
  const std::string body = definition.dump();
  if (body.size() > kPartBytesMax) {
    co_return Error{Errc::invalid, what + ": the definition is " + std::to_string(body.size() / 1024) +
                                       " KB; at most " + std::to_string(kPartBytesMax / 1024) + " KB are stored"};
  }
  Meta meta;
  meta.record = std::move(record);
  meta.record.last_seq = EventSeq{static_cast<std::int64_t>(first_events.size())};
  meta.record.epoch = LeaseEpoch{0};
  const std::string pk = session_pk(meta.record.id);

  std::vector<json> actions;
  Expr create;
  json put{{"TableName", db_.table()}, {"Item", meta_item(meta)}};
  put["ConditionExpression"] = "attribute_not_exists(" + create.name("pk") + ")";
  create.apply(put);
  actions.push_back(json{{"Put", std::move(put)}});
  for (const auto& event : first_events) {
    for (auto& item : event_items(pk, event_sk(event.seq.value), event)) {
      actions.push_back(json{{"Put", {{"TableName", db_.table()}, {"Item", std::move(item)}}}});
    }
  }
  // The definition is stored once per hash: if_not_exists keeps the first body.
  Expr def;
  json update{{"TableName", db_.table()}, {"Key", key(definition_pk(meta.record.definition_hash), kDefinitionSk)}};
  update["UpdateExpression"] = "SET " + def.name("body") + " = if_not_exists(" + def.name("body") + ", " +
                               def.value(attr_s(body)) + ")";
  def.apply(update);
  actions.push_back(json{{"Update", std::move(update)}});

  auto written = co_await transact(std::move(actions), what);
  if (written.ok()) co_return ok_result();
  if (cancelled_by_condition(written, 0)) co_return Error{Errc::conflict, what + ": already exists"};
  co_return written.error().with_context(what);
}

Task<SessionRecord> DynamoDbOps::get_session(SessionId id) {
  auto meta = co_await existing_meta(id, on("get_session", id));
  if (!meta) co_return meta.error();
  co_return meta->record;
}

Task<std::vector<SessionRecord>> DynamoDbOps::list_sessions(SessionQuery query) {
  // by_org (org, created) when an org is given, else by_created ("L", created); newest first.
  // The other filters are FilterExpressions, applied by DynamoDB after each page's Limit,
  // so pages are read until `limit` records match or the index ends.
  std::vector<SessionRecord> out;
  if (query.limit == 0) co_return out;
  json start;
  do {
    Expr e;
    json request{{"TableName", db_.table()}, {"ScanIndexForward", false}};
    if (query.org) {
      request["IndexName"] = "by_org";
      request["KeyConditionExpression"] = e.name("org") + " = " + e.value(attr_s(query.org->str()));
    } else {
      request["IndexName"] = "by_created";
      request["KeyConditionExpression"] = e.name("lq") + " = " + e.value(attr_s("L"));
    }
    std::vector<std::string> filters;
    if (query.bot) filters.push_back(e.name("bot") + " = " + e.value(attr_s(query.bot->str())));
    if (query.status) filters.push_back(e.name("status") + " = " + e.value(attr_s(session_status_name(*query.status))));
    if (query.updated_before_ms) filters.push_back(e.name("updated") + " < " + e.value(attr_n(*query.updated_before_ms)));
    if (!filters.empty()) {
      std::string filter;
      for (std::size_t i = 0; i < filters.size(); ++i) filter += (i ? " AND " : "") + filters[i];
      request["FilterExpression"] = filter;
    }
    request["Limit"] = std::clamp<std::size_t>(query.limit, 10, 500);
    e.apply(request);
    if (!start.is_null()) request["ExclusiveStartKey"] = start;
    auto page = co_await db_.call("Query", std::move(request));
    if (!page.ok()) co_return page.error().with_context("list_sessions");
    for (const auto& item : page.value()["Items"]) {
      if (out.size() < query.limit) out.push_back(record_of(item));
    }
    start = page.value().contains("LastEvaluatedKey") ? page.value()["LastEvaluatedKey"] : json{};
  } while (!start.is_null() && out.size() < query.limit);
  co_return out;
}

Task<std::vector<SessionCount>> DynamoDbOps::count_sessions() {
  // Every session item once, through by_created ("L"), reading only org, bot and status. A
  // read of the whole index (1 read unit per 4 KB of those attributes): metrics call it at
  // most once per refresh interval, never per request. Eventually consistent, as a gauge may be.
  std::map<std::tuple<std::string, std::string, std::string>, std::int64_t> counts;
  json start;
  do {
    Expr e;
    json request{{"TableName", db_.table()}, {"IndexName", "by_created"}};
    request["KeyConditionExpression"] = e.name("lq") + " = " + e.value(attr_s("L"));
    request["ProjectionExpression"] = e.name("org") + ", " + e.name("bot") + ", " + e.name("status");
    e.apply(request);
    if (!start.is_null()) request["ExclusiveStartKey"] = start;
    auto page = co_await db_.call("Query", std::move(request));
    if (!page.ok()) co_return page.error().with_context("count_sessions");
    for (const auto& item : page.value()["Items"]) {
      ++counts[{get_s_or(item, "org"), get_s_or(item, "bot"), get_s_or(item, "status")}];
    }
    start = page.value().contains("LastEvaluatedKey") ? page.value()["LastEvaluatedKey"] : json{};
  } while (!start.is_null());
  std::vector<SessionCount> out;
  for (const auto& [key, count] : counts) {
    const auto status = parse_session_status(std::get<2>(key));
    if (!status) co_return Error{Errc::fatal, "count_sessions: a session item has the unknown status \"" + std::get<2>(key) + "\""};
    out.push_back(SessionCount{OrgId{std::get<0>(key)}, BotId{std::get<1>(key)}, *status, count});
  }
  co_return out;
}

Task<json> DynamoDbOps::get_definition(std::string hash) {
  const std::string what = "get_definition hash=" + hash;
  json request{{"TableName", db_.table()}, {"Key", key(definition_pk(hash), kDefinitionSk)}, {"ConsistentRead", true}};
  auto got = co_await db_.call("GetItem", std::move(request));
  if (!got.ok()) co_return got.error().with_context(what);
  if (!got.value().contains("Item")) co_return Error{Errc::not_found, what + ": no such definition"};
  auto body = json::parse(get_s_or(got.value()["Item"], "body"), nullptr, false);
  if (body.is_discarded()) co_return Error{Errc::fatal, what + ": the stored definition is not JSON"};
  co_return body;
}

Task<LeaseEpoch> DynamoDbOps::claim(SessionId id) {
  // An anonymous take-over: epoch + 1 and no owner, in one conditional UpdateItem.
  const std::string what = on("claim", id);
  Expr e;
  json request{{"TableName", db_.table()}, {"Key", key(session_pk(id), kMetaSk)}, {"ReturnValues", "UPDATED_NEW"}};
  request["UpdateExpression"] = "SET " + e.name("epoch") + " = " + e.name("epoch") + " + " + e.value(attr_n(1)) +
                                " REMOVE " + e.name("owner") + ", " + e.name("expires");
  request["ConditionExpression"] = "attribute_exists(" + e.name("pk") + ")";
  e.apply(request);
  auto updated = co_await db_.call("UpdateItem", std::move(request));
  if (!updated.ok()) {
    if (updated.detail.type == "ConditionalCheckFailedException") co_return no_such_session(what);
    co_return updated.error().with_context(what);
  }
  co_return LeaseEpoch{get_n_or(updated.value()["Attributes"], "epoch")};
}

}  // namespace agentrt::dynamodb
