#include "backends/dynamodb/dynamodb_schema.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "backends/dynamodb/dynamodb_item.hpp"

namespace agentrt::dynamodb {
namespace {

using json = nlohmann::json;

json attribute(const char* name, const char* type) { return json{{"AttributeName", name}, {"AttributeType", type}}; }

json index(const char* name, const char* hash, const char* range) {
  return json{{"IndexName", name},
              {"KeySchema", json::array({{{"AttributeName", hash}, {"KeyType", "HASH"}},
                                         {{"AttributeName", range}, {"KeyType", "RANGE"}}})},
              {"Projection", {{"ProjectionType", "ALL"}}}};
}

json create_request(const std::string& table) {
  return json{{"TableName", table},
              {"BillingMode", "PAY_PER_REQUEST"},
              {"AttributeDefinitions", json::array({attribute("pk", "S"), attribute("sk", "S"), attribute("org", "S"),
                                                    attribute("created", "N"), attribute("lq", "S"),
                                                    attribute("rq", "S"), attribute("rdue", "N")})},
              {"KeySchema", json::array({{{"AttributeName", "pk"}, {"KeyType", "HASH"}},
                                         {{"AttributeName", "sk"}, {"KeyType", "RANGE"}}})},
              {"GlobalSecondaryIndexes", json::array({index("by_org", "org", "created"),
                                                      index("by_created", "lq", "created"),
                                                      index("runnable", "rq", "rdue")})}};
}

bool all_active(const json& table) {
  if (table.value("TableStatus", std::string{}) != "ACTIVE") return false;
  if (!table.contains("GlobalSecondaryIndexes")) return true;
  for (const auto& index : table["GlobalSecondaryIndexes"]) {
    if (index.value("IndexStatus", std::string{}) != "ACTIVE") return false;
  }
  return true;
}

}  // namespace

boost::asio::awaitable<Result<TableCreation>> create_table(DynamoDbConnection& db, std::chrono::milliseconds wait_max) {
  const std::string what = "create table " + db.table();
  auto created = co_await db.call("CreateTable", create_request(db.table()));
  TableCreation outcome = TableCreation::created;
  if (!created.ok()) {
    if (created.detail.type != "ResourceInUseException") co_return created.error().with_context(what);
    outcome = TableCreation::existed;
  }
  const auto deadline = std::chrono::steady_clock::now() + wait_max;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  for (;;) {
    json describe{{"TableName", db.table()}};
    auto described = co_await db.call("DescribeTable", std::move(describe));
    if (!described.ok()) co_return described.error().with_context(what);
    if (all_active(described.value()["Table"])) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      co_return Error{Errc::timeout, what + ": not ACTIVE after " + std::to_string(wait_max.count()) + " ms"};
    }
    timer.expires_after(std::chrono::milliseconds{500});
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
  Expr e;
  json put{{"TableName", db.table()}, {"Item", key(kSchemaPk, kSchemaSk)}};
  put["Item"]["version"] = attr_n(kSchemaVersion);
  put["ConditionExpression"] = "attribute_not_exists(" + e.name("pk") + ")";
  e.apply(put);
  auto versioned = co_await db.call("PutItem", std::move(put));
  if (!versioned.ok() && versioned.detail.type != "ConditionalCheckFailedException") {
    co_return versioned.error().with_context(what + ": schema version item");
  }
  auto checked = co_await check_schema(db);
  if (!checked) co_return checked.error();
  co_return outcome;
}

boost::asio::awaitable<Result<void>> check_schema(DynamoDbConnection& db) {
  const std::string what = "dynamodb table " + db.table();
  json request{{"TableName", db.table()}, {"Key", key(kSchemaPk, kSchemaSk)}, {"ConsistentRead", true}};
  auto got = co_await db.call("GetItem", std::move(request));
  if (!got.ok()) {
    if (got.error().code == Errc::not_found) {
      co_return Error{Errc::not_found, what + ": no such table (create it with `agentrt admin create-tables --table " +
                                           db.table() + "`)"};
    }
    co_return got.error().with_context(what + ": schema check");
  }
  if (!got.value().contains("Item")) {
    co_return Error{Errc::not_found, what + ": no schema version item (expected version " +
                                         std::to_string(kSchemaVersion) +
                                         "; the table was not made by `agentrt admin create-tables`)"};
  }
  const auto found = get_n(got.value()["Item"], "version");
  if (!found || *found != kSchemaVersion) {
    co_return Error{Errc::invalid, what + ": schema version " + (found ? std::to_string(*found) : "unreadable") +
                                       " found, version " + std::to_string(kSchemaVersion) + " expected"};
  }
  co_return ok_result();
}

}  // namespace agentrt::dynamodb
