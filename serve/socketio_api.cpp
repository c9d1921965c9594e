#include "serve/socketio_api.hpp"

#include <array>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "backends/socketio/engine_packet.hpp"

namespace agentrt::serve {
namespace {

namespace asio = boost::asio;

ServerResponse text_response(std::string body, std::string content_type = "text/plain; charset=UTF-8") {
  ServerResponse response;
  response.status = 200;
  response.content_type = std::move(content_type);
  response.body = std::move(body);
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

std::string query_value(const ServerRequest& request, std::string_view name) {
  const auto found = request.query.find(name);
  return found == request.query.end() ? std::string() : found->second;
}

// The Engine.IO query (EIO=4, transport) checked; nullopt when valid, else the answer.
std::optional<ServerResponse> check_query(const ServerRequest& request) {
  if (query_value(request, "EIO") != "4") {
    return json_error(400, "unsupported_protocol", "only Engine.IO protocol version 4 (EIO=4) is supported");
  }
  const std::string transport = query_value(request, "transport");
  if (transport != "polling" && transport != "websocket") {
    return json_error(400, "unknown_transport", "transport must be polling or websocket");
  }
  return std::nullopt;
}

}  // namespace

SocketIoApi::SocketIoApi(asio::any_io_executor executor, SocketIoContext context)
    : executor_(executor), c_(std::move(context)) {}

SocketIoApi::~SocketIoApi() { stop(); }

void SocketIoApi::add_routes(Router& router) {
  for (const char* path : {"/socket.io/", "/socket.io"}) {
    router.add("GET", path, [this](const ServerRequest& r, const PathParams&) { return get(r); });
    router.add("POST", path, [this](const ServerRequest& r, const PathParams&) { return post(r); });
  }
}

void SocketIoApi::stop() {
  stopped_ = true;
  // close() erases each session from the map: iterate over a copy.
  std::vector<std::shared_ptr<EngineSession>> open;
  open.reserve(sessions_.size());
  for (const auto& [sid, session] : sessions_) open.push_back(session);
  for (const auto& session : open) session->close("the server is stopping");
  sessions_.clear();
}

std::string SocketIoApi::random_id() {
  // 120 bits from the OS (random_device): a sid is the key to a client's stream, so it must
  // not be guessable.
  std::array<unsigned, 4> words{};
  for (auto& word : words) word = random_();
  static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_";
  std::string id;
  for (unsigned word : words) {
    for (int i = 0; i < 5; ++i) {
      id.push_back(kAlphabet[word & 63U]);
      word >>= 6;
    }
  }
  return id;
}

std::shared_ptr<EngineSession> SocketIoApi::new_session() {
  std::string sid = random_id();
  auto session = std::make_shared<EngineSession>(executor_, sid, c_.options.engine,
                                                 [this](const std::string& closed) { sessions_.erase(closed); });
  session->set_listener(std::make_unique<SocketIoClient>(*session, c_, random_id()));
  sessions_.emplace(std::move(sid), session);
  session->start();
  return session;
}

asio::awaitable<ServerResponse> SocketIoApi::get(const ServerRequest& request) {
  if (auto refusal = check_query(request)) co_return std::move(*refusal);
  const bool websocket = query_value(request, "transport") == "websocket";
  const auto sid_field = request.query.find("sid");
  if (sid_field == request.query.end()) {
    if (stopped_) co_return json_error(503, "unavailable", "the server is stopping");
    if (sessions_.size() >= c_.options.max_sessions) {
      ServerResponse busy = json_error(503, "too_many_sessions", "this server holds as many Socket.IO clients as it may");
      busy.headers.emplace_back("Retry-After", "1");
      co_return busy;
    }
    co_return websocket ? open_websocket() : handshake_polling();
  }
  const auto found = sessions_.find(sid_field->second);
  if (found == sessions_.end()) co_return json_error(400, "unknown_sid", "Session ID unknown");
  std::shared_ptr<EngineSession> session = found->second;
  if (websocket) {
    if (session->transport() != EngineSession::Transport::polling) {
      co_return json_error(400, "bad_request", "this session is already upgrading or upgraded");
    }
    ServerResponse response;
    response.upgrade = [session](WebSocketChannel& ws) { return session->serve_websocket(ws, true); };
    co_return response;
  }
  if (session->transport() == EngineSession::Transport::websocket) {
    session->close("protocol error: polling after the upgrade");
    co_return json_error(400, "bad_request", "this session uses its websocket");
  }
  std::optional<std::string> payload = co_await session->poll();
  if (!payload) co_return json_error(400, "bad_request", "overlapping polls; the session is closed");
  co_return text_response(std::move(*payload));
}

ServerResponse SocketIoApi::handshake_polling() {
  auto session = new_session();
  return text_response(session->handshake(false));
}

ServerResponse SocketIoApi::open_websocket() {
  ServerResponse response;
  // The session starts once the WebSocket is accepted: a failed handshake leaves nothing behind.
  response.upgrade = [this](WebSocketChannel& ws) -> asio::awaitable<void> {
    if (stopped_) co_return;
    std::shared_ptr<EngineSession> session = new_session();
    const std::string open = session->handshake(true);
    if (!co_await ws.write(open)) {
      session->close("the open packet was not taken");
      co_return;
    }
    co_await session->serve_websocket(ws, false);
  };
  return response;
}

asio::awaitable<ServerResponse> SocketIoApi::post(const ServerRequest& request) {
  if (auto refusal = check_query(request)) co_return std::move(*refusal);
  if (query_value(request, "transport") != "polling") {
    co_return json_error(400, "bad_request", "POST is for the polling transport");
  }
  const auto found = sessions_.find(query_value(request, "sid"));
  if (found == sessions_.end()) co_return json_error(400, "unknown_sid", "Session ID unknown");
  std::shared_ptr<EngineSession> session = found->second;
  if (session->transport() == EngineSession::Transport::websocket) {
    session->close("protocol error: polling after the upgrade");
    co_return json_error(400, "bad_request", "this session uses its websocket");
  }
  auto packets = decode_engine_payload(request.body, c_.options.engine.max_payload_bytes);
  if (!packets) {
    session->close("protocol error: " + packets.error().message);
    co_return json_error(400, "bad_request", packets.error().message + "; the session is closed");
  }
  for (const auto& packet : *packets) {
    session->receive(packet);
    if (session->closed()) break;
  }
  co_return text_response("ok", "text/html");
}

}  // namespace agentrt::serve
