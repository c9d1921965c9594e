#pragma once
// The Socket.IO surface of `agentrt serve` on the HTTP port (docs/streaming.md, "Socket.IO"):
// Engine.IO v4 over HTTP long-polling and WebSocket, with the upgrade, under /socket.io/.
//
//   GET  /socket.io/?EIO=4&transport=polling              handshake: "0{sid,upgrades,...}"
//   GET  /socket.io/?EIO=4&transport=polling&sid=S        long-poll: queued packets ("\x1e"-joined)
//   POST /socket.io/?EIO=4&transport=polling&sid=S        packets from the client; "ok"
//   GET  /socket.io/?EIO=4&transport=websocket            WebSocket only (open packet first)
//   GET  /socket.io/?EIO=4&transport=websocket&sid=S      upgrade of a polling session
//
// Errors are JSON {"error":{code,message}}: 400 unsupported_protocol (EIO != 4),
// unknown_transport, unknown_sid, bad_request (wrong transport for the sid, overlapping polls,
// a malformed payload: the session is closed), 503 too_many_sessions. The Socket.IO layer is
// SocketIoClient; each engine session is an EngineSession found by its random 120-bit sid.

#include <cstddef>
#include <map>
#include <memory>
#include <random>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "backends/http_server/router.hpp"
#include "serve/engine_session.hpp"
#include "serve/socketio_client.hpp"

namespace agentrt::serve {

class SocketIoApi {
 public:
  SocketIoApi(boost::asio::any_io_executor executor, SocketIoContext context);
  ~SocketIoApi();
  SocketIoApi(const SocketIoApi&) = delete;
  SocketIoApi& operator=(const SocketIoApi&) = delete;

  void add_routes(Router& router);
  // Closes every engine session (waiting polls answer, WebSockets get a close frame, joins end
  // within a poll interval); new handshakes are refused. Idempotent.
  void stop();

  [[nodiscard]] std::size_t open_sessions() const { return sessions_.size(); }

 private:
  boost::asio::awaitable<ServerResponse> get(const ServerRequest& request);
  boost::asio::awaitable<ServerResponse> post(const ServerRequest& request);
  ServerResponse handshake_polling();
  ServerResponse open_websocket();
  std::shared_ptr<EngineSession> new_session();
  std::string random_id();

  boost::asio::any_io_executor executor_;
  SocketIoContext c_;
  std::map<std::string, std::shared_ptr<EngineSession>, std::less<>> sessions_;
  std::random_device random_;
  bool stopped_ = false;
};

}  // namespace agentrt::serve
