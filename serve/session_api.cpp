#include "serve/session_api.hpp"

#include <utility>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "core/runtime/log_context.hpp"
#include "core/runtime/new_session.hpp"
#include "core/runtime/session_tracer.hpp"
#include "core/trace/session_trace.hpp"
#include "serve/api_support.hpp"
#include "serve/session_state_reader.hpp"

namespace agentrt::serve {
namespace {

namespace asio = boost::asio;
using json = nlohmann::json;

constexpr std::size_t kMaxList = 500;
constexpr std::size_t kMaxSignalPayload = 32 * 1024;  // bytes of the payload's JSON
constexpr std::size_t kMaxReason = 1024;
constexpr std::size_t kMaxTranscript = 200;           // last entries returned by query/transcript

template <class T>
bool is_answer(const std::variant<T, ServerResponse>& v) {
  return std::holds_alternative<ServerResponse>(v);
}

// The id a client gave in `field` (checked), or a new one with `prefix`.
std::variant<std::string, ServerResponse> client_or_new_id(const json& body, const char* field, IdSource& ids,
                                                           std::string_view prefix) {
  auto given = string_field(body, field, kMaxClientId);
  if (is_answer(given)) return std::get<ServerResponse>(std::move(given));
  auto& value = std::get<std::optional<std::string>>(given);
  if (!value) return ids.next(prefix);
  if (auto problem = client_id_problem(*value)) return json_error(400, "invalid_request", std::string(field) + " " + *problem);
  return *value;
}

json call_json(const PendingCall& call) {
  json j{{"call_id", call.call_id}, {"name", call.name}, {"stage", stage_name(call.stage)}};
  if (call.stage == PendingCall::Stage::asked) {
    j["kind"] = call.input_kind;
    j["prompt"] = call.prompt;
  }
  if (call.stage == PendingCall::Stage::sleeping) j["due_ms"] = call.due_ms;
  return j;
}

json waiting_json(const SessionState& state) {
  const auto* asked = state.awaiting_human();
  return asked == nullptr ? json(nullptr) : call_json(*asked);
}

// The newest assistant text of the transcript: the answer a client shows.
json last_output(const SessionState& state) {
  for (auto it = state.messages.rbegin(); it != state.messages.rend(); ++it) {
    if (it->value("role", "") == "assistant" && it->contains("content") && (*it)["content"].is_string() &&
        !(*it)["content"].get<std::string>().empty()) {
      return (*it)["content"];
    }
  }
  return nullptr;
}

// Waits on a timer of the current executor; false when cancelled (the server is stopping).
asio::awaitable<bool> pause(std::chrono::milliseconds delay) {
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec;
}

}  // namespace

void SessionApi::add_routes(Router& router) {
  router.add("POST", "/v1/sessions", [this](const ServerRequest& r, const PathParams&) { return create(r); });
  router.add("GET", "/v1/sessions", [this](const ServerRequest& r, const PathParams&) { return list(r); });
  router.add("GET", "/v1/sessions/{id}", [this](const ServerRequest& r, const PathParams& p) { return get(r, p.at("id")); });
  router.add("POST", "/v1/sessions/{id}/messages",
             [this](const ServerRequest& r, const PathParams& p) { return message(r, p.at("id")); });
  router.add("POST", "/v1/sessions/{id}/signals",
             [this](const ServerRequest& r, const PathParams& p) { return signal(r, p.at("id")); });
  router.add("GET", "/v1/sessions/{id}/query/{name}",
             [this](const ServerRequest& r, const PathParams& p) { return query(r, p.at("id"), p.at("name")); });
  router.add("POST", "/v1/sessions/{id}/updates",
             [this](const ServerRequest& r, const PathParams& p) { return update(r, p.at("id")); });
  router.add("POST", "/v1/sessions/{id}/cancel",
             [this](const ServerRequest& r, const PathParams& p) { return cancel(r, p.at("id")); });
}

asio::awaitable<ServerResponse> SessionApi::enqueue(const SessionRecord& record, InboxMessage message,
                                                    std::string_view kind, std::string client_id, int status,
                                                    std::string traceparent) {
  if (is_terminal(record.status)) {
    co_return json_error(409, "session_finished", "session " + record.id.str() + " is " +
                                                      std::string(session_status_name(record.status)) +
                                                      "; it takes no more input");
  }
  const std::string id = std::move(client_id);
  auto delivered = co_await deliver_message(*c_.store, c_.inbox_queue, record.id, std::move(message),
                                            std::move(traceparent));
  if (is_answer(delivered)) co_return std::get<ServerResponse>(std::move(delivered));
  const auto& d = std::get<Delivered>(delivered);
  if (!d.fresh) {
    co_return json_error(409, "duplicate_" + std::string(kind),
                         std::string(kind) + " id " + id + " was already received by this session; nothing changed");
  }
  if (!d.queued && c_.work_arrived) c_.work_arrived(record.id);
  co_return json_response(status, {{"session", record.id.str()}, {std::string(kind) + "_id", id}, {"accepted", true}});
}

asio::awaitable<ServerResponse> SessionApi::create(const ServerRequest& request) {
  auto org = authorise(request, *c_.tokens);
  if (is_answer(org)) co_return std::get<ServerResponse>(std::move(org));
  auto body = json_object_body(request);
  if (is_answer(body)) co_return std::get<ServerResponse>(std::move(body));
  auto& b = std::get<json>(body);
  for (const auto& [key, value] : b.items()) {
    if (key != "bot" && key != "message") co_return json_error(400, "invalid_request", "unknown field \"" + key + "\"");
  }
  auto bot = string_field(b, "bot", 64);
  if (is_answer(bot)) co_return std::get<ServerResponse>(std::move(bot));
  const auto& bot_name = std::get<std::optional<std::string>>(bot);
  if (!bot_name) co_return json_error(400, "invalid_request", "bot: required");
  const auto bots = c_.bots->current();  // this request's set, whatever a reload does meanwhile
  const auto definition = bots->find(*bot_name);
  if (definition == bots->end()) {
    co_return json_error(400, "unknown_bot", "no bot \"" + *bot_name + "\" is configured on this server");
  }
  std::optional<InboxMessage> first_message;
  if (b.contains("message")) {
    const auto& m = b["message"];
    if (!m.is_object()) co_return json_error(400, "invalid_request", "message: expected {text, message_id?}");
    auto text = string_field(m, "text", kMaxMessageText);
    if (is_answer(text)) co_return std::get<ServerResponse>(std::move(text));
    if (!std::get<std::optional<std::string>>(text)) co_return json_error(400, "invalid_request", "message.text: required");
    auto message_id = client_or_new_id(m, "message_id", *c_.ids, "m-");
    if (is_answer(message_id)) co_return std::get<ServerResponse>(std::move(message_id));
    first_message = InboxMessage{MessageId{std::get<std::string>(message_id)},
                                 *std::get<std::optional<std::string>>(text), c_.clock->wall_ms()};
  }
  SessionId session_id{c_.ids->next("s-")};
  const auto trace = trace_start_.for_new_session(session_id.str(), request.header("traceparent"),
                                                  request.header("tracestate"));
  const auto now_ms = c_.clock->wall_ms();
  auto created = new_session(std::move(session_id), OrgId{std::get<std::string>(org)}, BotId{*bot_name},
                             definition->second, now_ms, trace);
  SessionRecord record = created.record;
  record.last_seq = EventSeq{static_cast<std::int64_t>(created.first_events.size())};
  auto stored = co_await c_.store->create_session(created.record, definition->second.canonical,
                                                  std::move(created.first_events));
  if (!stored) co_return store_error(stored.error(), "create session");
  if (first_message) {
    // Through the inbox queue too when there is one. If it cannot take the message, the
    // session exists without it: the answer says so, and the client sends the message to
    // .../messages with the same message_id (never a second session).
    const std::string first_id = first_message->id.str();
    std::string traceparent(request.header("traceparent").value_or(""));
    auto delivered = co_await deliver_message(*c_.store, c_.inbox_queue, record.id, std::move(*first_message),
                                              std::move(traceparent));
    if (is_answer(delivered)) {
      auto answer = std::get<ServerResponse>(std::move(delivered));
      auto doc = json::parse(answer.body, nullptr, false);
      if (doc.is_object() && doc.contains("error")) {
        doc["error"]["message"] = "session " + record.id.str() + " was created but its first message was not taken: " +
                                  "send it to /v1/sessions/" + record.id.str() + "/messages with message_id " +
                                  first_id + " (" + doc["error"].value("message", "") + ")";
        doc["session"] = session_json(record);
        answer = json_response(answer.status, doc);
      }
      co_return answer;
    }
    if (!std::get<Delivered>(delivered).queued && c_.work_arrived) c_.work_arrived(record.id);
  }
  if (c_.lifecycle != nullptr) c_.lifecycle->session_created(record, trace.trace_id.empty() ? "" : trace.traceparent());
  if (c_.spans != nullptr) {
    constexpr std::int64_t kNsPerMs = 1'000'000;
    SessionTracer::export_session_root(*c_.spans, SessionTrace{trace, record.id.str()}, record.org.str(),
                                       record.bot.str(), now_ms * kNsPerMs);
  }
  log_in(LogContext{{}, record.org.str(), record.bot.str(), record.id.str(), trace.trace_id},
         spdlog::level::info, "api: org {} created session {} (bot {})", record.org.str(), record.id.str(),
         record.bot.str());
  auto doc = session_json(record);
  doc["trace_id"] = trace.trace_id;
  co_return json_response(201, {{"session", std::move(doc)}});
}

asio::awaitable<ServerResponse> SessionApi::list(const ServerRequest& request) {
  auto org = authorise(request, *c_.tokens);
  if (is_answer(org)) co_return std::get<ServerResponse>(std::move(org));
  SessionQuery query;
  query.org = OrgId{std::get<std::string>(org)};
  if (const auto it = request.query.find("status"); it != request.query.end()) {
    auto status = parse_session_status(it->second);
    if (!status) co_return json_error(400, "invalid_request", "status: unknown status \"" + it->second + "\"");
    query.status = status;
  }
  if (const auto it = request.query.find("bot"); it != request.query.end()) query.bot = BotId{it->second};
  if (const auto it = request.query.find("limit"); it != request.query.end()) {
    std::size_t used = 0;
    long long limit = 0;
    try {
      limit = std::stoll(it->second, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != it->second.size() || limit < 1 || limit > static_cast<long long>(kMaxList)) {
      co_return json_error(400, "invalid_request", "limit: expected an integer from 1 to 500");
    }
    query.limit = static_cast<std::size_t>(limit);
  }
  auto records = co_await c_.store->list_sessions(query);
  if (!records) co_return store_error(records.error(), "list sessions");
  json sessions = json::array();
  for (const auto& r : *records) sessions.push_back(session_json(r));
  co_return json_response(200, {{"sessions", std::move(sessions)}});
}

asio::awaitable<ServerResponse> SessionApi::get(const ServerRequest& request, std::string id) {
  auto org = authorise(request, *c_.tokens);
  if (is_answer(org)) co_return std::get<ServerResponse>(std::move(org));
  auto record = co_await find_owned_session(*c_.store, std::get<std::string>(org), id);
  if (is_answer(record)) co_return std::get<ServerResponse>(std::move(record));
  const auto& r = std::get<SessionRecord>(record);
  auto pending = co_await c_.store->pending_messages(r.id, 1000);
  if (!pending) co_return store_error(pending.error(), "pending messages of " + id);
  auto doc = session_json(r);
  doc["pending_messages"] = pending->size();
  co_return json_response(200, {{"session", std::move(doc)}});
}

asio::awaitable<ServerResponse> SessionApi::message(const ServerRequest& request, std::string id) {
  auto org = authorise(request, *c_.tokens);
  if (is_answer(org)) co_return std::get<ServerResponse>(std::move(org));
  auto body = json_object_body(request);
  if (is_answer(body)) co_return std::get<ServerResponse>(std::move(body));
  const auto& b = std::get<json>(body);
  auto text = string_field(b, "text", kMaxMessageText);
  if (is_answer(text)) co_return std::get<ServerResponse>(std::move(text));
  if (!std::get<std::optional<std::string>>(text)) co_return json_error(400, "invalid_request", "text: required");
  auto message_id = client_or_new_id(b, "message_id", *c_.ids, "m-");
  if (is_answer(message_id)) co_return std::get<ServerResponse>(std::move(message_id));
  auto record = co_await find_owned_session(*c_.store, std::get<std::string>(org), id);
  if (is_answer(record)) co_return std::get<ServerResponse>(std::move(record));
  InboxMessage m{MessageId{std::get<std::string>(message_id)}, *std::get<std::optional<std::string>>(text),
                 c_.clock->wall_ms()};
  std::string traceparent(request.header("traceparent").value_or(""));
  co_return co_await enqueue(std::get<SessionRecord>(record), std::move(m), "message",
                             std::get<std::string>(message_id), 202, std::move(traceparent));
}

// A signal is an external event delivered into the conversation in order with messages:
// the model sees "[signal NAME] PAYLOAD"; it wakes an idle or waiting session like a message.
asio::awaitable<ServerResponse> SessionApi::signal(const ServerRequest& request, std::string id) {
  auto org = authorise(request, *c_.tokens);
  if (is_answer(org)) co_return std::get<ServerResponse>(std::move(org));
  auto body = json_object_body(request);
  if (is_answer(body)) co_return std::get<ServerResponse>(std::move(body));
  const auto& b = std::get<json>(body);
  auto name = string_field(b, "name", 64);
  if (is_answer(name)) co_return std::get<ServerResponse>(std::move(name));
  const auto& signal_name = std::get<std::optional<std::string>>(name);
  if (!signal_name) co_return json_error(400, "invalid_request", "name: required");
  if (auto problem = client_id_problem(*signal_name)) co_return json_error(400, "invalid_request", "name " + *problem);
  std::string text = "[signal " + *signal_name + "]";
  if (b.contains("payload") && !b["payload"].is_null()) {
    auto payload = b["payload"].dump();
    if (payload.size() > kMaxSignalPayload) {
      co_return json_error(400, "invalid_request", "payload: larger than " + std::to_string(kMaxSignalPayload) + " bytes");
    }
    text += " " + payload;
  }
  auto signal_id = client_or_new_id(b, "signal_id", *c_.ids, "g-");
  if (is_answer(signal_id)) co_return std::get<ServerResponse>(std::move(signal_id));
  auto record = co_await find_owned_session(*c_.store, std::get<std::string>(org), id);
  if (is_answer(record)) co_return std::get<ServerResponse>(std::move(record));
  // Its own id space in the inbox, so a signal id never collides with a message id.
  InboxMessage m{MessageId{"signal:" + std::get<std::string>(signal_id)}, std::move(text), c_.clock->wall_ms()};
  co_return co_await enqueue(std::get<SessionRecord>(record), std::move(m), "signal",
                             std::get<std::string>(signal_id), 202);
}

asio::awaitable<ServerResponse> SessionApi::query(const ServerRequest& request, std::string id, std::string name) {
  auto org = authorise(request, *c_.tokens);
  if (is_answer(org)) co_return std::get<ServerResponse>(std::move(org));
  if (name != "status" && name != "output" && name != "transcript" && name != "calls") {
    co_return json_error(404, "unknown_query", "no query \"" + name + "\" (status, output, transcript, calls)");
  }
  auto record = co_await find_owned_session(*c_.store, std::get<std::string>(org), id);
  if (is_answer(record)) co_return std::get<ServerResponse>(std::move(record));
  const auto& r = std::get<SessionRecord>(record);
  auto state = co_await read_session_state(*c_.store, r);
  if (!state) co_return store_error(state.error(), "query " + name + " of " + id);
  json result;
  if (name == "status") {
    result = {{"status", session_status_name(state->status)},
              {"turn", state->turn},
              {"waiting", waiting_json(*state)},
              {"tokens_in", state->tokens_in_total},
              {"tokens_out", state->tokens_out_total}};
    if (!state->failure_reason.empty()) result["failure_reason"] = state->failure_reason;
  } else if (name == "output") {
    result = {{"text", last_output(*state)}};
  } else if (name == "transcript") {
    const auto& all = state->messages;
    const auto skip = all.size() > kMaxTranscript ? all.size() - kMaxTranscript : 0;
    json messages = json::array();
    for (std::size_t i = skip; i < all.size(); ++i) messages.push_back(all[i]);
    result = {{"messages", std::move(messages)}, {"omitted", skip}};
  } else {
    json calls = json::array();
    for (const auto& call : state->calls) {
      if (call.stage != PendingCall::Stage::done) calls.push_back(call_json(call));
    }
    result = {{"calls", std::move(calls)}};
  }
  co_return json_response(200, {{"session", id}, {"query", name}, {"seq", state->last_seq}, {"result", std::move(result)}});
}

// An update answers what the session waits for (a question or an approval), checked against
// its state first, recorded durably through the inbox, and answered with the seq of the
// MessageReceived that recorded it once a worker has (202 if that takes longer than the wait).
asio::awaitable<ServerResponse> SessionApi::update(const ServerRequest& request, std::string id) {
  auto org = authorise(request, *c_.tokens);
  if (is_answer(org)) co_return std::get<ServerResponse>(std::move(org));
  auto body = json_object_body(request);
  if (is_answer(body)) co_return std::get<ServerResponse>(std::move(body));
  const auto& b = std::get<json>(body);
  auto name = string_field(b, "name", 32);
  if (is_answer(name)) co_return std::get<ServerResponse>(std::move(name));
  const auto update_name = std::get<std::optional<std::string>>(name).value_or("");
  if (update_name != "answer" && update_name != "approve") {
    co_return json_error(400, "invalid_request", "name: expected \"answer\" or \"approve\"");
  }
  auto call_id = string_field(b, "call_id", kMaxClientId);
  if (is_answer(call_id)) co_return std::get<ServerResponse>(std::move(call_id));
  const auto call = std::get<std::optional<std::string>>(call_id).value_or("");
  if (call.empty()) co_return json_error(400, "invalid_request", "call_id: required");
  std::string answer;
  if (update_name == "answer") {
    auto text = string_field(b, "text", kMaxMessageText);
    if (is_answer(text)) co_return std::get<ServerResponse>(std::move(text));
    answer = std::get<std::optional<std::string>>(text).value_or("");
    if (answer.empty()) co_return json_error(400, "invalid_request", "text: required for an answer");
  } else {
    if (!b.contains("approved") || !b["approved"].is_boolean()) {
      co_return json_error(400, "invalid_request", "approved: required, true or false");
    }
    answer = b["approved"].get<bool>() ? "yes" : "no";
  }
  auto update_id = client_or_new_id(b, "update_id", *c_.ids, "u-");
  if (is_answer(update_id)) co_return std::get<ServerResponse>(std::move(update_id));
  const MessageId message_id{"update:" + std::get<std::string>(update_id)};

  auto record = co_await find_owned_session(*c_.store, std::get<std::string>(org), id);
  if (is_answer(record)) co_return std::get<ServerResponse>(std::move(record));
  const auto& r = std::get<SessionRecord>(record);
  auto state = co_await read_session_state(*c_.store, r);
  if (!state) co_return store_error(state.error(), "update of " + id);
  const auto* asked = state->awaiting_human();
  const std::string want_kind = update_name == "answer" ? "question" : "approval";
  if (asked == nullptr || asked->call_id != call || asked->input_kind != want_kind) {
    co_return json_error(409, "not_waiting",
                         "session " + id + " is not waiting for " + (want_kind == "question" ? "an answer" : "an approval") +
                             " to call " + call + (asked != nullptr ? " (it waits for " + asked->call_id + ")" : ""));
  }
  auto pending = co_await c_.store->pending_messages(r.id, 1);
  if (!pending) co_return store_error(pending.error(), "pending messages of " + id);
  if (!pending->empty() && pending->front().id != message_id) {
    co_return json_error(409, "already_answered", "a message is already queued for session " + id +
                                                      "; it will answer call " + call + " first");
  }
  // A named local, not a braced temporary inside co_await: GCC 12 destroys that twice (a
  // double free, found by the e2e test of a successful update).
  InboxMessage update_message{message_id, answer, c_.clock->wall_ms()};
  std::string traceparent(request.header("traceparent").value_or(""));
  auto delivered = co_await deliver_message(*c_.store, c_.inbox_queue, r.id, std::move(update_message),
                                            std::move(traceparent));
  if (is_answer(delivered)) co_return std::get<ServerResponse>(std::move(delivered));
  if (!std::get<Delivered>(delivered).queued && c_.work_arrived) c_.work_arrived(r.id);
  // Wait until a worker has recorded it: the result is the MessageReceived's seq.
  const auto deadline = std::chrono::steady_clock::now() + c_.update_wait;
  std::int64_t after = state->last_seq;
  while (std::chrono::steady_clock::now() < deadline) {
    auto events = co_await c_.store->read_events(r.id, EventSeq{after}, 1000);
    if (!events) co_return store_error(events.error(), "read events of " + id);
    for (const auto& e : *events) {
      after = e.seq.value;
      if (e.type == EventType::MessageReceived && e.data.value("message_id", "") == message_id.str()) {
        co_return json_response(200, {{"session", id},
                                      {"update_id", std::get<std::string>(update_id)},
                                      {"result", {{"recorded_seq", e.seq.value}, {"call_id", call}, {"answer", answer}}}});
      }
    }
    if (!co_await pause(std::chrono::milliseconds(25))) break;
  }
  co_return json_response(202, {{"session", id}, {"update_id", std::get<std::string>(update_id)}, {"accepted", true}});
}

// Cancel takes the lease over (fencing whichever worker runs the session: it stops without
// writing more), records SessionCancelled with who and why, and lets the lease go.
asio::awaitable<ServerResponse> SessionApi::cancel(const ServerRequest& request, std::string id) {
  auto org = authorise(request, *c_.tokens);
  if (is_answer(org)) co_return std::get<ServerResponse>(std::move(org));
  auto body = json_object_body(request);
  if (is_answer(body)) co_return std::get<ServerResponse>(std::move(body));
  const auto& b = std::get<json>(body);
  auto reason = string_field(b, "reason", kMaxReason);
  if (is_answer(reason)) co_return std::get<ServerResponse>(std::move(reason));
  const auto why = std::get<std::optional<std::string>>(reason);
  if (!why) co_return json_error(400, "invalid_request", "reason: required");
  // string_field, not json::value(): a mistyped mode is a 400, not an exception (500).
  auto mode_field = string_field(b, "mode", 16);
  if (is_answer(mode_field)) co_return json_error(400, "invalid_request", "mode: cancel or terminate");
  const std::string mode = std::get<std::optional<std::string>>(mode_field).value_or("cancel");
  if (mode != "cancel" && mode != "terminate") co_return json_error(400, "invalid_request", "mode: cancel or terminate");
  auto record = co_await find_owned_session(*c_.store, std::get<std::string>(org), id);
  if (is_answer(record)) co_return std::get<ServerResponse>(std::move(record));
  if (is_terminal(std::get<SessionRecord>(record).status)) {
    co_return json_error(409, "session_finished", "session " + id + " is already " +
                                                      std::string(session_status_name(std::get<SessionRecord>(record).status)));
  }
  auto lease = co_await HeldLease::take(*c_.leases, *c_.clock, SessionId{id}, c_.cancel_owner, HeldLease::Mode::take_over,
                                        c_.lease);
  if (!lease) co_return store_error(lease.error(), "take over " + id + " to cancel it");
  // Read again under the lease: the session may have moved on meanwhile.
  auto current = co_await c_.store->get_session(SessionId{id});
  ServerResponse answer = json_error(500, "internal", "not cancelled");
  if (!current) {
    answer = store_error(current.error(), "get session " + id);
  } else if (is_terminal(current->status)) {
    answer = json_error(409, "session_finished", "session " + id + " is already " +
                                                     std::string(session_status_name(current->status)));
  } else {
    Event event{EventSeq{current->last_seq.value + 1}, EventType::SessionCancelled, c_.clock->wall_ms(),
                {{"reason", *why}, {"by", "api:org:" + std::get<std::string>(org)}, {"mode", mode}}};
    AppendRequest append{SessionId{id}, lease->epoch(), {event}, SessionStatus::cancelled, std::nullopt, {}};
    auto appended = co_await c_.store->append(std::move(append));
    if (!appended) {
      answer = store_error(appended.error(), "cancel " + id);
    } else {
      current->status = SessionStatus::cancelled;
      current->last_seq = event.seq;
      answer = json_response(200, {{"session", session_json(*current)}, {"cancelled_seq", event.seq.value}});
    }
  }
  auto released = co_await lease->release();
  if (!released && released.error().code != Errc::fenced) {
    spdlog::warn("api: session {}: lease not released after cancel: {}", id, released.error().to_string());
  }
  co_return answer;
}

}  // namespace agentrt::serve
