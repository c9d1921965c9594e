#pragma once
// One Engine.IO v4 connection ("engine session", by sid) of the Socket.IO surface
// (docs/streaming.md, "Socket.IO"): its outgoing queue, its transport (HTTP long-polling, then
// maybe WebSocket), its heartbeat, and its end. What the packets mean is the listener's
// business (SocketIoClient).
//
// Transitions:
//   polling  --(WS with this sid: "2probe" -> "3probe")-->  upgrading  --("5")-->  websocket
//   upgrading --(anything else, or no "5" within upgrade_timeout)--> polling (the WS is dropped)
//   any --(close(): client "1", ping timeout, protocol error, buffer overflow, stop)--> closed
// While upgrading, a waiting poll is answered at once ("6" noop when nothing is queued), so the
// client can pause polling and send "5". Closed is final: timers and the listener are stopped,
// a waiting poll gets "1", an attached WebSocket is closed.
//
// Heartbeat (server-initiated, v4): every ping_interval a "2"; no "3" within ping_timeout
// closes the session. Threading: the serve executor only; one poll() at a time (a second
// concurrent one is a protocol error that closes the session).

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "backends/http_server/http_message.hpp"
#include "backends/socketio/engine_packet.hpp"

namespace agentrt::serve {

struct EngineOptions {
  std::chrono::milliseconds ping_interval{25'000};    // announced in the handshake
  std::chrono::milliseconds ping_timeout{20'000};     // announced in the handshake
  std::chrono::milliseconds upgrade_timeout{10'000};  // "2probe" .. "5" on a new WebSocket
  std::size_t max_payload_bytes = kEngineMaxPayloadBytes;  // one polling body or WS message
  std::size_t max_buffered_bytes = 4 * 1024 * 1024;   // queued for the client; 2x: disconnected
};

// What an engine session's messages mean (the Socket.IO layer).
class EngineListener {
 public:
  virtual ~EngineListener() = default;
  virtual void on_message(std::string_view text) = 0;
  virtual void on_close() = 0;  // the session closed: stop everything, send nothing
};

class EngineSession : public std::enable_shared_from_this<EngineSession> {
 public:
  enum class Transport { polling, upgrading, websocket };

  EngineSession(boost::asio::any_io_executor executor, std::string sid, EngineOptions options,
                std::function<void(const std::string& sid)> on_closed);
  ~EngineSession();
  EngineSession(const EngineSession&) = delete;
  EngineSession& operator=(const EngineSession&) = delete;

  // Before start(): the listener that receives messages.
  void set_listener(std::unique_ptr<EngineListener> listener) { listener_ = std::move(listener); }
  // Starts the heartbeat.
  void start();

  [[nodiscard]] const std::string& sid() const { return sid_; }
  [[nodiscard]] Transport transport() const { return transport_; }
  [[nodiscard]] bool closed() const { return closed_; }
  [[nodiscard]] const EngineOptions& options() const { return options_; }
  [[nodiscard]] boost::asio::any_io_executor executor() const { return executor_; }
  // The open packet's JSON: sid, upgrades, pingInterval, pingTimeout, maxPayload.
  [[nodiscard]] std::string handshake(bool websocket_only) const;

  // Queues one encoded packet for the client. Past 2x max_buffered_bytes the client is not
  // reading at all: the session closes ("buffer overflow").
  void send(std::string encoded_packet);
  void send_message(std::string_view text) { send(encode_engine_packet(EngineType::message, text)); }
  [[nodiscard]] std::size_t buffered_bytes() const { return buffered_bytes_; }

  // Polling GET: waits for queued packets and returns them as a payload; nullopt when another
  // poll is already waiting (the session is then closed).
  boost::asio::awaitable<std::optional<std::string>> poll();
  // Packets from the client (a polling POST or a WebSocket message).
  void receive(const EnginePacket& packet);

  // A WebSocket for this session: `upgrade` from polling (probe first), or the session's only
  // transport (the open packet was sent by the caller). Returns when the WebSocket ends.
  boost::asio::awaitable<void> serve_websocket(WebSocketChannel& ws, bool upgrade);

  void close(std::string_view reason);

 private:
  boost::asio::awaitable<void> heartbeat();
  boost::asio::awaitable<bool> probe(WebSocketChannel& ws);
  boost::asio::awaitable<void> read_websocket(WebSocketChannel& ws);
  boost::asio::awaitable<void> write_websocket(WebSocketChannel& ws);
  boost::asio::awaitable<void> wait_for_wake();
  void wake();
  std::string take_payload();

  boost::asio::any_io_executor executor_;
  std::string sid_;
  EngineOptions options_;
  std::function<void(const std::string&)> on_closed_;
  std::unique_ptr<EngineListener> listener_;
  Transport transport_ = Transport::polling;
  std::deque<std::string> outbox_;
  std::size_t buffered_bytes_ = 0;
  bool closed_ = false;
  bool polling_ = false;      // a poll() is waiting
  bool pong_due_ = false;
  WebSocketChannel* probing_ = nullptr;  // the WebSocket being upgraded to, until "5"
  boost::asio::steady_timer wake_;       // never expires: wake() cancels its wait
  boost::asio::steady_timer ping_timer_;
  boost::asio::steady_timer pong_timer_;
  boost::asio::steady_timer upgrade_timer_;
};

}  // namespace agentrt::serve
