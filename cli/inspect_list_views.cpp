// `agentrt inspect sessions` and `agentrt inspect --stuck`.

#include <algorithm>
#include <array>
#include <ostream>

#include "cli/exit_codes.hpp"
#include "cli/inspect_views.hpp"
#include "core/inspect/excerpt.hpp"
#include "core/inspect/history_fold.hpp"
#include "core/inspect/session_why.hpp"
#include "core/inspect/session_list.hpp"
#include "core/inspect/session_report.hpp"

namespace agentrt::cli {
namespace {

namespace asio = boost::asio;

// Sessions examined per status by --stuck; past this the scan says it stopped early.
constexpr std::size_t kStuckScanMax = 10'000;

int store_failure(std::ostream& err, const std::string& what, const Error& error) {
  err << "agentrt inspect: " << what << ": " << error.message << '\n';
  return kExitFailure;
}

asio::awaitable<Result<SessionListRow>> list_row(InspectReader& reader, SessionRecord record) {
  SessionListRow row;
  auto last = co_await reader.last_event(record);
  if (!last) co_return last.error();
  row.last_event = std::move(last.value());
  auto definition = co_await reader.definition(record.definition_hash);
  if (!definition) co_return definition.error();
  if ((*definition)->canonical.is_object()) {
    row.definition_name = (*definition)->canonical.value("name", std::string{});
    row.definition_version = (*definition)->canonical.value("version", 0);
  }
  row.record = std::move(record);
  co_return row;
}

// The tool calls a running session has in flight, as recovery would see them: its checkpoint
// plus the events after it (not the whole history: --stuck scans every running session). A
// ToolRequested older than the checkpoint is read by its seq for its start time.
asio::awaitable<Result<std::vector<ToolInFlight>>> tools_in_flight(InspectReader& reader, const SessionRecord& record,
                                                                   const AgentDefinition& definition) {
  SessionState from;
  auto checkpoint = co_await reader.checkpoint(record.id);
  if (!checkpoint) co_return checkpoint.error();
  if (checkpoint->has_value()) {
    try {
      from = session_state_from_json((*checkpoint)->state);
    } catch (const nlohmann::json::exception&) {
      from = SessionState{};  // unreadable: fold the whole history instead, as recovery does
    }
  }
  auto tail = co_await reader.events_after(record.id, from.last_seq);
  if (!tail) co_return tail.error();
  HistoryFolder folder(definition, std::move(from));
  for (const auto& e : *tail) folder.add(e);
  std::vector<ToolInFlight> tools;
  for (const auto& call : folder.state().calls) {
    if (call.stage != PendingCall::Stage::running) continue;
    std::int64_t since_ms = 0;
    if (const auto* requested = find_event(*tail, call.request_seq)) {
      since_ms = requested->time_ms;
    } else {
      auto older = co_await reader.event_at(record.id, call.request_seq);
      if (!older) co_return older.error();
      if (older->has_value()) since_ms = (*older)->time_ms;
    }
    tools.push_back(tool_in_flight(call, since_ms, folder.state(), &definition));
  }
  co_return tools;
}

// What diagnose_stuck needs beyond the record: lease, inbox, and (running) the calls in flight.
asio::awaitable<Result<StuckFacts>> stuck_facts(InspectReader& reader, const SessionRecord& record, std::int64_t now_ms) {
  StuckFacts facts;
  facts.record = record;
  auto lease = co_await reader.lease(record.id, now_ms);
  if (!lease) co_return lease.error();
  facts.lease = lease->lease;
  facts.owner = lease->owner;
  if (record.status == SessionStatus::idle || record.status == SessionStatus::waiting_for_input) {
    auto pending = co_await reader.pending(record.id);
    if (!pending) co_return pending.error();
    facts.pending_count = pending->size();
    if (!pending->empty()) facts.oldest_pending = pending->front();
  }
  if (record.status == SessionStatus::running) {
    auto pinned = co_await reader.definition(record.definition_hash);
    if (!pinned) co_return pinned.error();
    if ((*pinned)->definition) {  // without it no tool has a budget to be judged by
      auto tools = co_await tools_in_flight(reader, record, *(*pinned)->definition);
      if (!tools) co_return tools.error();
      facts.tools = std::move(tools.value());
    }
  }
  co_return facts;
}

int kind_rank(StuckKind k) { return static_cast<int>(k); }

}  // namespace

asio::awaitable<int> inspect_sessions(const InspectRequest& request, InspectIo io) {
  const auto now_ms = io.clock.wall_ms();
  SessionQuery query = request.query;
  if (request.waiting_longer_than) query.updated_before_ms = now_ms - request.waiting_longer_than->count();
  auto records = co_await io.reader.list(query);
  if (!records) co_return store_failure(io.err, "list sessions in " + io.reader.db_path(), records.error());
  std::vector<SessionListRow> rows;
  for (auto& record : *records) {
    const auto id = record.id.str();
    auto row = co_await list_row(io.reader, std::move(record));
    if (!row) co_return store_failure(io.err, "session " + id, row.error());
    rows.push_back(std::move(row.value()));
  }
  if (request.json) {
    io.out << safe_dump(session_list_to_json(rows), 2) << '\n';
  } else {
    io.out << render_session_table(rows, now_ms);
  }
  co_return kExitOk;
}

asio::awaitable<int> inspect_stuck(const InspectRequest& request, InspectIo io) {
  const auto now_ms = io.clock.wall_ms();
  std::vector<StuckRow> rows;
  std::size_t examined = 0;
  constexpr std::array kActive{SessionStatus::running, SessionStatus::sleeping, SessionStatus::idle,
                               SessionStatus::waiting_for_input};
  for (const auto status : kActive) {
    SessionQuery query = request.query;
    query.status = status;
    query.limit = kStuckScanMax;
    auto records = co_await io.reader.list(query);
    if (!records) co_return store_failure(io.err, "list sessions in " + io.reader.db_path(), records.error());
    if (records->size() == kStuckScanMax) {
      io.err << "agentrt inspect: note: examined only the newest " << kStuckScanMax << " " << session_status_name(status)
             << " sessions\n";
    }
    for (const auto& record : *records) {
      ++examined;
      auto facts = co_await stuck_facts(io.reader, record, now_ms);
      if (!facts) co_return store_failure(io.err, "session " + record.id.str(), facts.error());
      if (auto d = diagnose_stuck(*facts, now_ms, request.thresholds, io.reader.db_path())) {
        rows.push_back(StuckRow{record, std::move(*d)});
      }
    }
  }
  // The most urgent kind first; within a kind, the longest-stuck first.
  std::stable_sort(rows.begin(), rows.end(), [](const StuckRow& a, const StuckRow& b) {
    if (kind_rank(a.diagnosis.kind) != kind_rank(b.diagnosis.kind)) return kind_rank(a.diagnosis.kind) < kind_rank(b.diagnosis.kind);
    return a.record.updated_ms < b.record.updated_ms;
  });
  if (rows.size() > request.query.limit) rows.resize(request.query.limit);
  if (request.json) {
    io.out << safe_dump(stuck_list_to_json(rows), 2) << '\n';
  } else {
    io.out << render_stuck_list(rows, examined);
  }
  co_return kExitOk;
}

}  // namespace agentrt::cli
