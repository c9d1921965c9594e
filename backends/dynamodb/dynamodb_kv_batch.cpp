#include "backends/dynamodb/dynamodb_kv_batch.hpp"

#include <algorithm>
#include <random>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace agentrt::dynamodb {
namespace {

namespace asio = boost::asio;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// The waits between resends of unprocessed work, within the deadline.
class Resends {
 public:
  explicit Resends(const KvBatchOptions& options)
      : options_(options), deadline_(Clock::now() + options.unprocessed_deadline), random_(std::random_device{}()) {}

  // Waits before the next resend: ok, or throttled when the deadline has passed, or cancelled.
  asio::awaitable<Result<void>> wait(std::size_t left, const std::string& what) {
    if (Clock::now() >= deadline_) {
      co_return Error{Errc::throttled, what + ": DynamoDB left " + std::to_string(left) + " items unprocessed after " +
                                           std::to_string(options_.unprocessed_deadline.count()) + " ms of resends"};
    }
    const std::chrono::milliseconds doubled = options_.retry_delay_base * (std::int64_t{1} << std::min(attempt_, 20));
    const auto cap = std::min(options_.retry_delay_max, doubled);
    ++attempt_;
    // Half fixed, half jitter: workers that were throttled together do not resend together.
    std::uniform_int_distribution<std::int64_t> jitter(cap.count() / 2, std::max<std::int64_t>(cap.count(), 1));
    auto delay = std::chrono::milliseconds(jitter(random_));
    delay = std::min(delay, std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()));
    asio::steady_timer timer(co_await asio::this_coro::executor, std::max(delay, std::chrono::milliseconds{0}));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return Error{Errc::cancelled, what + ": cancelled while waiting to resend unprocessed items"};
    co_return ok_result();
  }

 private:
  KvBatchOptions options_;
  Clock::time_point deadline_;
  std::minstd_rand random_;
  int attempt_ = 0;
};

// The array at answer[field][table], or an empty array.
json table_part(const json& answer, const char* field, const std::string& table) {
  const auto outer = answer.find(field);
  if (outer == answer.end() || !outer->is_object()) return json::array();
  const auto inner = outer->find(table);
  if (inner == outer->end()) return json::array();
  return *inner;
}

std::vector<json> slice(std::vector<json>& all, std::size_t start, std::size_t count) {
  const auto end = std::min(all.size(), start + count);
  return {std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(start)),
          std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(end))};
}

asio::awaitable<Result<void>> get_chunk(const DynamoCall& call, const std::string& table, json keys,
                                        const KvBatchOptions& options, const std::string& what,
                                        std::vector<json>& found) {
  Resends resends(options);
  while (!keys.empty()) {
    json body{{"RequestItems", {{table, {{"Keys", std::move(keys)}, {"ConsistentRead", true}}}}}};
    std::string operation = "BatchGetItem";
    auto answer = co_await call(std::move(operation), std::move(body));
    if (!answer.ok()) co_return answer.error().with_context(what);
    for (auto& item : table_part(answer.value(), "Responses", table)) found.push_back(std::move(item));
    const json unprocessed = table_part(answer.value(), "UnprocessedKeys", table);
    keys = unprocessed.is_object() && unprocessed.contains("Keys") ? unprocessed["Keys"] : json::array();
    if (keys.empty()) break;
    auto waited = co_await resends.wait(keys.size(), what);
    if (!waited) co_return waited.error();
  }
  co_return ok_result();
}

asio::awaitable<Result<void>> write_chunk(const DynamoCall& call, const std::string& table, json requests,
                                          const KvBatchOptions& options, const std::string& what) {
  Resends resends(options);
  while (!requests.empty()) {
    json body{{"RequestItems", {{table, std::move(requests)}}}};
    std::string operation = "BatchWriteItem";
    auto answer = co_await call(std::move(operation), std::move(body));
    if (!answer.ok()) co_return answer.error().with_context(what);
    requests = table_part(answer.value(), "UnprocessedItems", table);
    if (requests.empty()) break;
    auto waited = co_await resends.wait(requests.size(), what);
    if (!waited) co_return waited.error();
  }
  co_return ok_result();
}

}  // namespace

asio::awaitable<Result<std::vector<json>>> batch_get_items(const DynamoCall& call, std::string table,
                                                           std::vector<json> keys, KvBatchOptions options,
                                                           std::string what) {
  std::vector<json> found;
  for (std::size_t start = 0; start < keys.size(); start += kBatchGetKeysMax) {
    json chunk = slice(keys, start, kBatchGetKeysMax);
    auto done = co_await get_chunk(call, table, std::move(chunk), options, what, found);
    if (!done) co_return done.error();
  }
  co_return found;
}

asio::awaitable<Result<void>> batch_write_items(const DynamoCall& call, std::string table, std::vector<json> requests,
                                                KvBatchOptions options, std::string what) {
  for (std::size_t start = 0; start < requests.size(); start += kBatchWriteItemsMax) {
    json chunk = slice(requests, start, kBatchWriteItemsMax);
    auto done = co_await write_chunk(call, table, std::move(chunk), options, what);
    if (!done) co_return done.error();
  }
  co_return ok_result();
}

}  // namespace agentrt::dynamodb
