// DynamoDbOps: reset (the tail of the history moves to "A#<branch>#E#<seq>" items, in one
// transaction with the SessionReset event and the session item) and read_archived_branches.
#include <map>
#include <set>
#include <utility>

#include "backends/dynamodb/dynamodb_errors.hpp"
#include "backends/dynamodb/dynamodb_ops.hpp"

namespace agentrt::dynamodb {
namespace {

using json = nlohmann::json;

constexpr int kAttemptsMax = 8;

Result<void> check_reset(const ResetRequest& request, const Meta& meta, const std::string& what) {
  const auto to = request.to_seq.value;
  if (request.epoch != meta.record.epoch) {
    return fenced_epoch(what + " seq=" + std::to_string(to + 1), request.epoch, meta.record.epoch);
  }
  if (to < 1 || to >= meta.record.last_seq.value) {
    return Error{Errc::invalid, what + ": cannot reset to event " + std::to_string(to) + ": it must be between 1 and " +
                                    std::to_string(meta.record.last_seq.value - 1) + " (the last event is " +
                                    std::to_string(meta.record.last_seq.value) + ")"};
  }
  if (request.reset_event.type != EventType::SessionReset || request.reset_event.seq.value != to + 1) {
    return Error{Errc::invalid, what + ": the reset must append a SessionReset event at seq " + std::to_string(to + 1)};
  }
  return ok_result();
}

}  // namespace

Task<std::int64_t> DynamoDbOps::reset(ResetRequest request) {
  const std::string what = "reset session=" + request.session.str();
  const std::string pk = session_pk(request.session);
  const auto to = request.to_seq.value;
  for (int attempt = 1; attempt <= kAttemptsMax; ++attempt) {
    auto read = co_await existing_meta(request.session, what);
    if (!read) co_return read.error();
    const Meta& before = *read;
    if (auto valid = check_reset(request, before, what); !valid) co_return valid.error();
    auto tail = co_await query_range(request.session, event_sk(to + 1), "E$", what);
    if (!tail) co_return tail.error();

    Meta after = before;
    const auto branch = before.branches + 1;
    after.version = before.version + 1;
    after.branches = branch;
    Event event = request.reset_event;
    if (!event.data.is_object()) event.data = json::object();
    event.data["archived_branch"] = branch;
    after.record.last_seq = event.seq;
    after.record.updated_ms = std::max(before.record.updated_ms, event.time_ms);
    after.record.status = request.status;
    after.record.wake_at_ms = request.wake_at_ms;

    std::vector<json> actions{json{}};  // the session update goes first, once `after` is complete
    std::set<std::string> overwritten;
    for (auto& item : event_items(pk, event_sk(event.seq.value), event)) {
      overwritten.insert(get_s_or(item, "sk"));
      actions.push_back(json{{"Put", {{"TableName", db_.table()}, {"Item", std::move(item)}}}});
    }
    for (const auto& item : *tail) {
      const std::string sk = get_s_or(item, "sk");
      Item copy = item;
      copy["sk"] = attr_s("A#" + padded(branch, 10) + "#" + sk);
      copy["branch"] = attr_n(branch);
      actions.push_back(json{{"Put", {{"TableName", db_.table()}, {"Item", std::move(copy)}}}});
      if (!overwritten.contains(sk)) {
        actions.push_back(json{{"Delete", {{"TableName", db_.table()}, {"Key", key(pk, sk)}}}});
      }
    }
    if (before.checkpoint_seq > to) {  // the checkpoint describes a state that no longer exists
      after.checkpoint_seq = -1;
      after.checkpoint_parts = 0;
      actions.push_back(json{{"Delete", {{"TableName", db_.table()}, {"Key", key(pk, kCheckpointSk)}}}});
      for (std::int64_t part = 1; part < before.checkpoint_parts; ++part) {
        actions.push_back(json{{"Delete", {{"TableName", db_.table()}, {"Key", key(pk, part_sk(kCheckpointSk, part))}}}});
      }
    }
    actions[0] = meta_update(before, after);

    auto written = co_await transact(std::move(actions), what);
    if (written.ok()) co_return branch;
    if (cancelled_by_condition(written, 0) || cancelled_by_contention(written)) continue;
    co_return written.error().with_context(what);
  }
  co_return Error{Errc::retryable, what + ": the session item kept changing; try again"};
}

Task<std::vector<ArchivedBranch>> DynamoDbOps::read_archived_branches(SessionId id) {
  const std::string what = "read_archived_branches session=" + id.str();
  auto items = co_await session_items(id, "A#", "A$", what);
  if (!items) co_return items.error();
  std::vector<ArchivedBranch> branches;
  std::map<std::int64_t, std::vector<Item>> by_branch;  // sk "A#<branch 10>#E#..." sorts by branch
  for (auto& item : *items) {
    const auto sk = get_s_or(item, "sk");
    const auto branch = sk.size() > 12 ? std::stoll(sk.substr(2, 10)) : 0;
    by_branch[branch].push_back(std::move(item));
  }
  for (auto& [branch, branch_items] : by_branch) {
    auto events = events_from_items(branch_items, branch_items.size(), what);
    if (!events) co_return events.error();
    branches.push_back(ArchivedBranch{branch, std::move(events.value())});
  }
  co_return branches;
}

}  // namespace agentrt::dynamodb
