#pragma once
// The session endpoints of the serve HTTP API (docs/serve.md). Every /v1 route needs an org
// token; a session of another org answers 404 exactly like a missing one, so a token never
// learns whether another org's session exists.
//
//   POST /v1/sessions                       create {bot, message?: {text, message_id?}}
//   GET  /v1/sessions?status=&bot=&limit=   list the org's sessions, newest first
//   GET  /v1/sessions/{id}                  the session (status, seqs, pending messages)
//   POST /v1/sessions/{id}/messages         {text, message_id?}; idempotent by message_id
//   POST /v1/sessions/{id}/signals          {name, payload?, signal_id?}; idempotent by signal_id
//   GET  /v1/sessions/{id}/query/{name}     status | output | transcript | calls: read-only
//   POST /v1/sessions/{id}/updates          {name: answer|approve, call_id, ..., update_id}
//   POST /v1/sessions/{id}/cancel           {reason, mode?: cancel|terminate}
//
// Writes go to the store only (inbox rows, a fenced SessionCancelled); a worker, maybe on
// another process, runs the session. Definitions are the server's (config `bots`): a request
// names a bot, never sends a definition, since a definition can run commands on the worker.

#include <chrono>
#include <functional>
#include <map>
#include <string>

#include "backends/http_server/router.hpp"
#include "core/model/definition.hpp"
#include "core/ports/clock.hpp"
#include "core/ports/id_source.hpp"
#include "core/ports/lease_store.hpp"
#include "core/ports/session_store.hpp"
#include "core/ports/span_sink.hpp"
#include "core/ports/inbox_queue.hpp"
#include "core/runtime/held_lease.hpp"
#include "serve/bot_catalog.hpp"
#include "serve/lifecycle_events.hpp"
#include "serve/org_tokens.hpp"
#include "serve/session_trace_start.hpp"

namespace agentrt::serve {

struct ApiContext {
  SessionStore* store = nullptr;
  LeaseStore* leases = nullptr;
  const Clock* clock = nullptr;
  IdSource* ids = nullptr;
  const OrgTokens* tokens = nullptr;
  const BotCatalog* bots = nullptr;  // by bot name; a configuration reload may replace them
  std::function<void(const SessionId&)> work_arrived;            // tells this process's worker
  std::string cancel_owner;                                      // lease owner of a cancel
  LeaseTiming lease;
  std::chrono::milliseconds update_wait{10'000};                 // how long an update waits to be recorded
  SpanSink* spans = nullptr;          // where a new session's root span goes; null: tracing off
  double trace_sampling_ratio = 0.0;  // share of new traces sampled (parent-based otherwise)
  // Set (inbox: {kind: sqs}): messages and signals go to this queue, and the worker's
  // SqsInboxConsumer moves them into the store; null: straight into the store's inbox.
  InboxQueue* inbox_queue = nullptr;
  LifecycleEvents* lifecycle = nullptr;  // set (kafka.lifecycle_topic): session.created goes out
};

class SessionApi {
 public:
  explicit SessionApi(ApiContext context) : c_(std::move(context)), trace_start_(c_.spans ? c_.trace_sampling_ratio : 0.0) {}
  void add_routes(Router& router);

 private:
  boost::asio::awaitable<ServerResponse> create(const ServerRequest& request);
  boost::asio::awaitable<ServerResponse> list(const ServerRequest& request);
  boost::asio::awaitable<ServerResponse> get(const ServerRequest& request, std::string id);
  boost::asio::awaitable<ServerResponse> message(const ServerRequest& request, std::string id);
  boost::asio::awaitable<ServerResponse> signal(const ServerRequest& request, std::string id);
  boost::asio::awaitable<ServerResponse> query(const ServerRequest& request, std::string id, std::string name);
  boost::asio::awaitable<ServerResponse> update(const ServerRequest& request, std::string id);
  boost::asio::awaitable<ServerResponse> cancel(const ServerRequest& request, std::string id);

  // Enqueues one inbox entry; 409 duplicate_<kind> when the id was seen before. `client_id` is
  // the id as the client gave it (a signal's inbox id has a prefix the client never sees).
  // With an inbox queue the entry is sent there instead (accepted once the queue has it; a
  // repeat is deduplicated by the queue and then by the store, so it is accepted too).
  boost::asio::awaitable<ServerResponse> enqueue(const SessionRecord& record, InboxMessage message, std::string_view kind,
                                                 std::string client_id, int status, std::string traceparent = {});

  ApiContext c_;
  SessionTraceStart trace_start_;
};

}  // namespace agentrt::serve
