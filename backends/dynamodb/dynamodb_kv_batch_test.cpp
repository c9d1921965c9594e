// BatchGetItem/BatchWriteItem chunking and the resending of UnprocessedKeys/UnprocessedItems,
// against a fake DynamoDB answer (no server): DynamoDB Local never leaves work unprocessed,
// so this is where that path is forced.
#include "backends/dynamodb/dynamodb_kv_batch.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "core/ports/conformance/session_store_fixture.hpp"

namespace agentrt::dynamodb {
namespace {

using conformance::run_awaitable;
using json = nlohmann::json;
using ::testing::HasSubstr;

constexpr const char* kTable = "agentrt";

json item_key(int i) { return json{{"pk", {{"S", "k" + std::to_string(i)}}}, {"sk", {{"S", "V"}}}}; }

// A table in a map; each answer leaves the first `unprocessed` items of the request (while
// `stingy_answers` lasts) unprocessed, like a throttled DynamoDB.
class FakeDynamo {
 public:
  std::size_t unprocessed = 0;
  int stingy_answers = 0;
  std::optional<Error> fail_with;
  std::vector<std::size_t> request_sizes;  // items per request, in order
  std::map<std::string, json> items;       // pk -> item

  DynamoCall call() {
    return [this](std::string operation, json body) { return answer(std::move(operation), std::move(body)); };
  }

 private:
  boost::asio::awaitable<AwsCallResult> answer(std::string operation, json body) {
    AwsCallResult out;
    out.attempts = 1;
    if (fail_with) {
      out.result = *fail_with;
      co_return out;
    }
    const bool stingy = stingy_answers > 0;
    if (stingy) --stingy_answers;
    json& request = body["RequestItems"][kTable];
    if (operation == "BatchGetItem") {
      EXPECT_TRUE(request["ConsistentRead"].get<bool>());
      json& keys = request["Keys"];
      request_sizes.push_back(keys.size());
      json found = json::array();
      json left = json::array();
      for (std::size_t i = 0; i < keys.size(); ++i) {
        if (stingy && i < unprocessed) {
          left.push_back(keys[i]);
          continue;
        }
        auto it = items.find(keys[i]["pk"]["S"].get<std::string>());
        if (it != items.end()) found.push_back(it->second);
      }
      json answer{{"Responses", {{kTable, found}}}};
      if (!left.empty()) answer["UnprocessedKeys"] = {{kTable, {{"Keys", left}, {"ConsistentRead", true}}}};
      out.result = answer;
      co_return out;
    }
    request_sizes.push_back(request.size());
    json left = json::array();
    for (std::size_t i = 0; i < request.size(); ++i) {
      if (stingy && i < unprocessed) {
        left.push_back(request[i]);
        continue;
      }
      if (request[i].contains("PutRequest")) {
        const json& item = request[i]["PutRequest"]["Item"];
        items[item["pk"]["S"].get<std::string>()] = item;
      } else {
        items.erase(request[i]["DeleteRequest"]["Key"]["pk"]["S"].get<std::string>());
      }
    }
    json answer = json::object();
    if (!left.empty()) answer["UnprocessedItems"] = {{kTable, left}};
    out.result = answer;
    co_return out;
  }
};

KvBatchOptions fast() {
  KvBatchOptions options;
  options.retry_delay_base = std::chrono::milliseconds{1};
  options.retry_delay_max = std::chrono::milliseconds{5};
  options.unprocessed_deadline = std::chrono::milliseconds{2'000};
  return options;
}

std::vector<json> puts(int count) {
  std::vector<json> requests;
  for (int i = 0; i < count; ++i) {
    json item = item_key(i);
    item["v"] = {{"S", std::to_string(i)}};
    requests.push_back(json{{"PutRequest", {{"Item", item}}}});
  }
  return requests;
}

std::vector<json> keys(int count) {
  std::vector<json> out;
  for (int i = 0; i < count; ++i) out.push_back(item_key(i));
  return out;
}

TEST(DynamoDbKvBatchTest, WritesAreSentInChunksOf25AndUnprocessedItemsResent) {
  FakeDynamo dynamo;
  dynamo.unprocessed = 10;
  dynamo.stingy_answers = 3;
  auto done = run_awaitable(batch_write_items(dynamo.call(), kTable, puts(60), fast(), "kv put org=o bot=b"));
  ASSERT_TRUE(done.ok()) << done.error().to_string();
  EXPECT_EQ(dynamo.items.size(), 60U);
  for (auto size : dynamo.request_sizes) EXPECT_LE(size, kBatchWriteItemsMax);
  // 25 (10 left) -> 10 (all left) -> 10 (all left: the third stingy answer) -> 10, then 25, 10.
  EXPECT_THAT(dynamo.request_sizes, ::testing::ElementsAre(25, 10, 10, 10, 25, 10));
}

TEST(DynamoDbKvBatchTest, ReadsAreSentInChunksOf100AndUnprocessedKeysResent) {
  FakeDynamo dynamo;
  auto written = run_awaitable(batch_write_items(dynamo.call(), kTable, puts(150), fast(), "kv put"));
  ASSERT_TRUE(written.ok()) << written.error().to_string();
  dynamo.request_sizes.clear();
  dynamo.unprocessed = 30;
  dynamo.stingy_answers = 2;
  auto found = run_awaitable(batch_get_items(dynamo.call(), kTable, keys(160), fast(), "kv get org=o bot=b"));
  ASSERT_TRUE(found.ok()) << found.error().to_string();
  std::set<std::string> pks;
  for (const auto& item : *found) pks.insert(item["pk"]["S"].get<std::string>());
  EXPECT_EQ(pks.size(), 150U);  // the 10 keys never written are absent
  EXPECT_THAT(dynamo.request_sizes, ::testing::ElementsAre(100, 30, 30, 60));
}

TEST(DynamoDbKvBatchTest, WorkLeftUnprocessedPastTheDeadlineIsThrottled) {
  FakeDynamo dynamo;
  dynamo.unprocessed = 25;
  dynamo.stingy_answers = 1'000'000;
  auto options = fast();
  options.unprocessed_deadline = std::chrono::milliseconds{50};
  auto done = run_awaitable(batch_write_items(dynamo.call(), kTable, puts(5), options, "kv put org=o bot=b"));
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().code, Errc::throttled);
  EXPECT_THAT(done.error().message, HasSubstr("kv put org=o bot=b"));
  EXPECT_THAT(done.error().message, HasSubstr("5 items unprocessed"));
  EXPECT_GE(dynamo.request_sizes.size(), 2U);  // resent at least once before giving up
  auto read = run_awaitable(batch_get_items(dynamo.call(), kTable, keys(3), options, "kv get"));
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, Errc::throttled);
}

TEST(DynamoDbKvBatchTest, AFailedCallEndsTheBatchWithItsErrorInContext) {
  FakeDynamo dynamo;
  dynamo.fail_with = Error{Errc::retryable, "HTTP 500 (gave up after 5 attempts)"};
  auto done = run_awaitable(batch_write_items(dynamo.call(), kTable, puts(60), fast(), "kv put org=o bot=b"));
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().code, Errc::retryable);
  EXPECT_THAT(done.error().message, HasSubstr("kv put org=o bot=b: HTTP 500"));
  EXPECT_EQ(dynamo.request_sizes.size(), 0U);  // the fake fails before recording
}

TEST(DynamoDbKvBatchTest, AnEmptyBatchMakesNoCall) {
  FakeDynamo dynamo;
  auto read = run_awaitable(batch_get_items(dynamo.call(), kTable, {}, fast(), "kv get"));
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->empty());
  auto written = run_awaitable(batch_write_items(dynamo.call(), kTable, {}, fast(), "kv put"));
  ASSERT_TRUE(written.ok());
  EXPECT_TRUE(dynamo.request_sizes.empty());
}

}  // namespace
}  // namespace agentrt::dynamodb
