// DynamoDbOps: append (one TransactWriteItems, fenced by the session item's condition),
// checkpoints and read_events.
#include <algorithm>
#include <set>
#include <utility>

#include "backends/dynamodb/dynamodb_errors.hpp"
#include "backends/dynamodb/dynamodb_ops.hpp"

namespace agentrt::dynamodb {
namespace {

using json = nlohmann::json;

// Reads of the session item and writes conditioned on its version race only with other
// writers of the same session (an enqueue, a lease change): try again a few times.
constexpr int kAttemptsMax = 8;

std::string on(std::string_view what, const SessionId& id) { return std::string(what) + " session=" + id.str(); }

Result<void> check_batch(const AppendRequest& request, const std::string& what) {
  const auto first = request.events.front().seq.value;
  for (std::size_t i = 0; i < request.events.size(); ++i) {
    const auto expected = first + static_cast<std::int64_t>(i);
    if (request.events[i].seq.value != expected) {
      return Error{Errc::conflict, what + ": expected seq " + std::to_string(expected) + ", got " +
                                       std::to_string(request.events[i].seq.value)};
    }
  }
  std::set<MessageId> named;
  for (const auto& id : request.consumed_messages) {
    if (!named.insert(id).second) {
      return Error{Errc::conflict, what + ": message " + id.str() + " is consumed twice in one append"};
    }
  }
  if (request.checkpoint && (request.checkpoint->seq > request.events.back().seq || request.checkpoint->seq.value < 0)) {
    return Error{Errc::invalid, what + ": checkpoint at seq " + std::to_string(request.checkpoint->seq.value) +
                                    " is past the appended events"};
  }
  return ok_result();
}

}  // namespace

std::vector<json> DynamoDbOps::checkpoint_actions(const std::string& pk, const Checkpoint& checkpoint,
                                                  std::int64_t old_parts, std::int64_t& new_parts) {
  std::vector<json> actions;
  auto items = checkpoint_items(pk, checkpoint);
  new_parts = static_cast<std::int64_t>(items.size());
  for (auto& item : items) actions.push_back(json{{"Put", {{"TableName", db_.table()}, {"Item", std::move(item)}}}});
  for (auto part = new_parts; part < old_parts; ++part) {
    actions.push_back(json{{"Delete", {{"TableName", db_.table()}, {"Key", key(pk, part_sk(kCheckpointSk, part))}}}});
  }
  return actions;
}

Task<void> DynamoDbOps::append(AppendRequest request) {
  const std::string base = on("append", request.session);
  if (request.events.empty()) co_return Error{Errc::invalid, base + ": no events to append"};
  const std::string what = base + " seq=" + std::to_string(request.events.front().seq.value);
  if (auto valid = check_batch(request, base); !valid) co_return valid.error();
  const std::string pk = session_pk(request.session);

  for (int attempt = 1; attempt <= kAttemptsMax; ++attempt) {
    auto read = co_await existing_meta(request.session, base);
    if (!read) co_return read.error();
    const Meta& before = *read;
    if (before.record.epoch != request.epoch) co_return fenced_epoch(what, request.epoch, before.record.epoch);
    if (before.record.last_seq.value + 1 != request.events.front().seq.value) {
      co_return Error{Errc::conflict, base + ": expected seq " + std::to_string(before.record.last_seq.value + 1) +
                                          ", got " + std::to_string(request.events.front().seq.value)};
    }
    Meta after = before;
    after.version = before.version + 1;
    after.record.last_seq = request.events.back().seq;
    after.record.updated_ms = request.events.back().time_ms;
    if (request.status) after.record.status = *request.status;
    after.record.wake_at_ms = request.wake_at_ms;
    after.pending = std::max<std::int64_t>(0, before.pending - static_cast<std::int64_t>(request.consumed_messages.size()));

    std::vector<json> actions{meta_update(before, after)};
    const std::size_t events_from = actions.size();
    for (const auto& event : request.events) {
      for (auto& item : event_items(pk, event_sk(event.seq.value), event)) {
        Expr e;
        json put{{"TableName", db_.table()}, {"Item", std::move(item)}};
        put["ConditionExpression"] = "attribute_not_exists(" + e.name("pk") + ")";
        e.apply(put);
        actions.push_back(json{{"Put", std::move(put)}});
      }
    }
    const std::size_t messages_from = actions.size();
    for (const auto& id : request.consumed_messages) {
      Expr e;
      json del{{"TableName", db_.table()}, {"Key", key(pk, message_sk(id))}};
      del["ConditionExpression"] = "attribute_exists(" + e.name("pk") + ")";
      e.apply(del);
      actions.push_back(json{{"Delete", std::move(del)}});
    }
    if (request.checkpoint) {
      after.checkpoint_seq = request.checkpoint->seq.value;
      auto more = checkpoint_actions(pk, *request.checkpoint, before.checkpoint_parts, after.checkpoint_parts);
      actions[0] = meta_update(before, after);
      for (auto& action : more) actions.push_back(std::move(action));
    }

    auto written = co_await transact(std::move(actions), what);
    if (written.ok()) co_return ok_result();
    const auto failed = failed_condition(written);
    if (failed && *failed >= messages_from && *failed < messages_from + request.consumed_messages.size()) {
      co_return Error{Errc::conflict, base + ": message " + request.consumed_messages[*failed - messages_from].str() +
                                          " is not pending in the inbox (unknown or already consumed)"};
    }
    if (failed && *failed >= events_from && *failed < messages_from) {
      co_return Error{Errc::conflict, what + ": an event with this seq already exists"};
    }
    if ((failed && *failed == 0) || cancelled_by_contention(written)) continue;  // re-read: who changed it?
    co_return written.error().with_context(what);
  }
  co_return Error{Errc::retryable, what + ": the session item kept changing (" + std::to_string(kAttemptsMax) +
                                       " attempts); try again"};
}

Task<std::vector<Event>> DynamoDbOps::read_events(SessionId id, EventSeq after, std::size_t limit) {
  const std::string what = on("read_events", id);
  if (limit == 0) {
    auto exists = co_await existing_meta(id, what);
    if (!exists) co_return exists.error();
    co_return std::vector<Event>{};
  }
  const auto from = std::max<std::int64_t>(after.value, 0) + 1;
  auto items = co_await session_items(id, event_sk(from), "E$", what, limit);
  if (!items) co_return items.error();
  co_return events_from_items(*items, limit, what);
}

Task<void> DynamoDbOps::save_checkpoint(SessionId id, LeaseEpoch epoch, Checkpoint checkpoint) {
  const std::string base = on("save_checkpoint", id);
  const std::string what = base + " seq=" + std::to_string(checkpoint.seq.value);
  const std::string pk = session_pk(id);
  for (int attempt = 1; attempt <= kAttemptsMax; ++attempt) {
    auto read = co_await existing_meta(id, base);
    if (!read) co_return read.error();
    const Meta& before = *read;
    if (before.record.epoch != epoch) co_return fenced_epoch(what, epoch, before.record.epoch);
    if (checkpoint.seq.value < 0 || checkpoint.seq > before.record.last_seq) {
      co_return Error{Errc::invalid, base + ": checkpoint at seq " + std::to_string(checkpoint.seq.value) +
                                         " is beyond the last event " + std::to_string(before.record.last_seq.value)};
    }
    Meta after = before;
    after.version = before.version + 1;
    after.checkpoint_seq = checkpoint.seq.value;
    auto more = checkpoint_actions(pk, checkpoint, before.checkpoint_parts, after.checkpoint_parts);
    std::vector<json> actions{meta_update(before, after)};
    for (auto& action : more) actions.push_back(std::move(action));
    auto written = co_await transact(std::move(actions), what);
    if (written.ok()) co_return ok_result();
    if (cancelled_by_condition(written, 0) || cancelled_by_contention(written)) continue;
    co_return written.error().with_context(what);
  }
  co_return Error{Errc::retryable, what + ": the session item kept changing; try again"};
}

Task<std::optional<Checkpoint>> DynamoDbOps::load_checkpoint(SessionId id) {
  const std::string what = on("load_checkpoint", id);
  auto items = co_await session_items(id, kCheckpointSk, "C$", what);
  if (!items) co_return items.error();
  co_return checkpoint_from_items(*items, what);
}

}  // namespace agentrt::dynamodb
