// DynamoDbOps: the inbox. A message is a dedup marker "D#<id>" (kept forever) and a pending
// item "M#<id>" (deleted by the append that consumes it), written with the session item's
// pending count and runnable key in one transaction.
#include <algorithm>
#include <utility>

#include "backends/dynamodb/dynamodb_errors.hpp"
#include "backends/dynamodb/dynamodb_ops.hpp"

namespace agentrt::dynamodb {
namespace {

using json = nlohmann::json;

constexpr int kAttemptsMax = 8;
constexpr std::size_t kMessageBytesMax = 256 * 1024;

std::string on(std::string_view what, const SessionId& id) { return std::string(what) + " session=" + id.str(); }

}  // namespace

Task<bool> DynamoDbOps::enqueue(SessionId id, InboxMessage message) {
  const std::string base = on("enqueue", id);
  const std::string what = base + " message=" + message.id.str();
  if (message.id.empty()) co_return Error{Errc::invalid, base + ": empty message id"};
  if (message.text.size() + message.id.str().size() > kMessageBytesMax) {
    co_return Error{Errc::invalid, what + ": the message is larger than " + std::to_string(kMessageBytesMax / 1024) + " KB"};
  }
  const std::string pk = session_pk(id);
  for (int attempt = 1; attempt <= kAttemptsMax; ++attempt) {
    auto read = co_await existing_meta(id, base);
    if (!read) co_return read.error();
    const Meta& before = *read;
    Meta after = before;
    after.version = before.version + 1;
    after.pending = before.pending + 1;

    Expr dedup;
    json marker{{"TableName", db_.table()}, {"Item", key(pk, dedup_sk(message.id))}};
    marker["Item"]["enqueued"] = attr_n(message.enqueued_ms);
    marker["ConditionExpression"] = "attribute_not_exists(" + dedup.name("pk") + ")";
    dedup.apply(marker);
    std::vector<json> actions;
    actions.push_back(json{{"Put", std::move(marker)}});
    actions.push_back(json{{"Put", {{"TableName", db_.table()}, {"Item", message_item(pk, message, after.version)}}}});
    actions.push_back(meta_update(before, after));

    auto written = co_await transact(std::move(actions), what);
    if (written.ok()) co_return true;
    if (cancelled_by_condition(written, 0)) co_return false;  // seen before: dedup is forever
    if (cancelled_by_condition(written, 2) || cancelled_by_contention(written)) continue;
    co_return written.error().with_context(what);
  }
  co_return Error{Errc::retryable, what + ": the session item kept changing; try again"};
}

Task<std::vector<InboxMessage>> DynamoDbOps::pending_messages(SessionId id, std::size_t limit) {
  const std::string what = on("pending_messages", id);
  auto items = co_await session_items(id, "M#", "M$", what);
  if (!items) co_return items.error();
  std::vector<InboxMessage> pending;
  // Oldest first; the session version at enqueue breaks ties in enqueue order.
  std::sort(items->begin(), items->end(), [](const Item& a, const Item& b) {
    const auto ka = std::make_pair(get_n_or(a, "enqueued"), get_n_or(a, "order"));
    const auto kb = std::make_pair(get_n_or(b, "enqueued"), get_n_or(b, "order"));
    return ka < kb;
  });
  for (const auto& item : *items) {
    if (pending.size() >= limit) break;
    pending.push_back(message_from_item(item));
  }
  co_return pending;
}

}  // namespace agentrt::dynamodb
