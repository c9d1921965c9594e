#pragma once
// The Socket.IO v5 side of one engine session (docs/streaming.md, "Socket.IO"): the default
// namespace "/", authenticated by the CONNECT packet's auth {"token": "<org token>"}, then:
//
//   join    {session, from_seq?}            ack {ok, session}   then `output` events
//   leave   {session}                        ack {ok, session}
//   message {session, text, message_id?}     ack {accepted, session, message_id}
//   (any failure)                            ack {error: {code, message}}
//
// `output` carries to_json(OutputEvent) plus "session". A join ends when its session reaches a
// terminal status, on `leave`, or with an `error` event {code, message, session, resume_from}
// when the client falls behind (slow_consumer: its OutputFollower overflowed, or the engine
// session holds more than max_buffered_bytes) or the store cannot be read (unavailable); the
// client joins again with from_seq = resume_from. The engine session stays open.
// A malformed packet, an event before CONNECT, a binary packet or too many events waiting
// closes the engine session (a protocol error). Events are handled one at a time, in order.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "backends/socketio/socket_packet.hpp"
#include "core/ports/clock.hpp"
#include "core/ports/id_source.hpp"
#include "core/ports/inbox_queue.hpp"
#include "core/ports/output_hub.hpp"
#include "core/ports/session_store.hpp"
#include "serve/engine_session.hpp"
#include "serve/org_tokens.hpp"
#include "serve/output_follower.hpp"

namespace agentrt::serve {

struct SocketIoOptions {
  EngineOptions engine;                 // ping 25 s / 20 s, maxPayload 1 MB, 4 MiB buffered
  std::size_t max_sessions = 2000;      // engine sessions per process; more: 503
  std::size_t max_joins = 16;           // joined sessions per client
  std::size_t max_pending_events = 64;  // received, not yet handled; more: protocol error
  FollowOptions follow;                 // per join: store polling, live buffer
};

struct SocketIoContext {
  SessionStore* store = nullptr;
  OutputHub* hub = nullptr;
  const OrgTokens* tokens = nullptr;
  IdSource* ids = nullptr;
  const Clock* clock = nullptr;
  std::function<void(const SessionId&)> work_arrived;  // tells this process's worker
  InboxQueue* inbox_queue = nullptr;  // inbox: {kind: sqs}: messages go there, not to the store
  SocketIoOptions options;
};

class SocketIoClient final : public EngineListener {
 public:
  SocketIoClient(EngineSession& engine, const SocketIoContext& context, std::string socket_sid);

  void on_message(std::string_view text) override;
  void on_close() override;

 private:
  struct Join {
    bool stopped = false;
  };

  void on_connect(const SocketPacket& packet);
  void protocol_error(std::string_view what);
  void emit(std::string_view event, nlohmann::json payload);
  void ack(const SocketPacket& packet, nlohmann::json payload);
  void stop_joins();

  boost::asio::awaitable<void> process_events(std::shared_ptr<EngineSession> keep);
  boost::asio::awaitable<void> handle_event(SocketPacket packet);
  boost::asio::awaitable<nlohmann::json> join(const nlohmann::json& args, bool& start, SessionRecord& record,
                                              std::int64_t& from_seq);
  nlohmann::json leave(const nlohmann::json& args);
  boost::asio::awaitable<nlohmann::json> message(const nlohmann::json& args);
  boost::asio::awaitable<void> follow(std::shared_ptr<EngineSession> keep, std::shared_ptr<Join> state,
                                      SessionRecord record, std::int64_t from_seq);

  EngineSession& engine_;
  const SocketIoContext& c_;
  std::string socket_sid_;
  std::string org_;  // empty until CONNECT succeeded
  bool closed_ = false;
  bool processing_ = false;
  std::deque<SocketPacket> pending_;
  std::map<std::string, std::shared_ptr<Join>, std::less<>> joins_;
};

}  // namespace agentrt::serve
