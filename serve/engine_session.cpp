#include "serve/engine_session.hpp"

#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace agentrt::serve {
namespace {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;

}  // namespace

EngineSession::EngineSession(asio::any_io_executor executor, std::string sid, EngineOptions options,
                             std::function<void(const std::string&)> on_closed)
    : executor_(executor),
      sid_(std::move(sid)),
      options_(options),
      on_closed_(std::move(on_closed)),
      wake_(executor, asio::steady_timer::time_point::max()),
      ping_timer_(executor),
      pong_timer_(executor),
      upgrade_timer_(executor) {}

EngineSession::~EngineSession() = default;

void EngineSession::start() {
  asio::co_spawn(executor_, heartbeat(), [sid = sid_](const std::exception_ptr& error) {
    if (error) spdlog::debug("socket.io {}: heartbeat ended by an exception", sid);
  });
}

std::string EngineSession::handshake(bool websocket_only) const {
  nlohmann::json open{{"sid", sid_},
                      {"upgrades", websocket_only ? nlohmann::json::array() : nlohmann::json::array({"websocket"})},
                      {"pingInterval", options_.ping_interval.count()},
                      {"pingTimeout", options_.ping_timeout.count()},
                      {"maxPayload", options_.max_payload_bytes}};
  return encode_engine_packet(EngineType::open, open.dump());
}

void EngineSession::send(std::string encoded_packet) {
  if (closed_) return;
  buffered_bytes_ += encoded_packet.size();
  outbox_.push_back(std::move(encoded_packet));
  if (buffered_bytes_ > 2 * options_.max_buffered_bytes) {
    close("buffer overflow: the client does not read");
    return;
  }
  wake();
}

void EngineSession::wake() { wake_.cancel(); }

asio::awaitable<void> EngineSession::wait_for_wake() {
  wake_.expires_at(asio::steady_timer::time_point::max());
  auto [ec] = co_await wake_.async_wait(as_tuple(use_awaitable));
  (void)ec;  // operation_aborted: woken
}

std::string EngineSession::take_payload() {
  std::string payload;
  while (!outbox_.empty()) {
    const std::string& next = outbox_.front();
    if (!payload.empty() && payload.size() + 1 + next.size() > options_.max_payload_bytes) break;
    if (!payload.empty()) payload.push_back(kRecordSeparator);
    payload += next;
    buffered_bytes_ -= next.size();
    outbox_.pop_front();
  }
  return payload;
}

asio::awaitable<std::optional<std::string>> EngineSession::poll() {
  auto self = shared_from_this();
  if (polling_) {
    close("protocol error: overlapping polls");
    co_return std::nullopt;
  }
  polling_ = true;
  struct Reset {
    bool& flag;
    ~Reset() { flag = false; }
  } reset{polling_};
  while (outbox_.empty() && !closed_ && transport_ == Transport::polling) co_await wait_for_wake();
  if (closed_) co_return encode_engine_packet(EngineType::close);
  if (outbox_.empty()) co_return encode_engine_packet(EngineType::noop);  // upgrading: let the client pause
  co_return take_payload();
}

void EngineSession::receive(const EnginePacket& packet) {
  if (closed_) return;
  switch (packet.type) {
    case EngineType::ping:
      send(encode_engine_packet(EngineType::pong, packet.data));
      break;
    case EngineType::pong:
      pong_due_ = false;
      pong_timer_.cancel();
      break;
    case EngineType::message:
      if (listener_) listener_->on_message(packet.data);
      break;
    case EngineType::close:
      close("the client closed");
      break;
    case EngineType::noop:
      break;
    case EngineType::open:
    case EngineType::upgrade:
      close("protocol error: unexpected engine.io packet type " + std::string(1, static_cast<char>(packet.type)));
      break;
  }
}

void EngineSession::close(std::string_view reason) {
  if (closed_) return;
  auto self = shared_from_this();  // on_closed_ drops the table's reference
  closed_ = true;
  spdlog::debug("socket.io {}: closed: {}", sid_, reason);
  outbox_.clear();
  buffered_bytes_ = 0;
  ping_timer_.cancel();
  pong_timer_.cancel();
  upgrade_timer_.cancel();
  if (probing_ != nullptr) probing_->abort();
  wake();
  // The listener stays alive until the session is destroyed: its coroutines may still be
  // suspended in it, and end on their own after on_close().
  if (listener_) listener_->on_close();
  if (on_closed_) on_closed_(sid_);
}

asio::awaitable<void> EngineSession::heartbeat() {
  auto self = shared_from_this();
  while (!closed_) {
    ping_timer_.expires_after(options_.ping_interval);
    auto [ping_ec] = co_await ping_timer_.async_wait(as_tuple(use_awaitable));
    (void)ping_ec;
    if (closed_) co_return;
    pong_due_ = true;
    send(encode_engine_packet(EngineType::ping));
    pong_timer_.expires_after(options_.ping_timeout);
    auto [pong_ec] = co_await pong_timer_.async_wait(as_tuple(use_awaitable));
    (void)pong_ec;  // cancelled: the pong arrived (or the session closed)
    if (closed_) co_return;
    if (pong_due_) close("ping timeout");
  }
}

asio::awaitable<bool> EngineSession::probe(WebSocketChannel& ws) {
  probing_ = &ws;
  std::weak_ptr<EngineSession> weak = weak_from_this();
  upgrade_timer_.expires_after(options_.upgrade_timeout);
  upgrade_timer_.async_wait([weak](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto session = weak.lock(); session && session->probing_ != nullptr) session->probing_->abort();
  });
  std::optional<std::string> first = co_await ws.read();
  bool ok = first && *first == "2probe";
  if (ok) {
    const std::string pong = encode_engine_packet(EngineType::pong, "probe");
    ok = co_await ws.write(pong);
  }
  if (ok && !closed_) {
    transport_ = Transport::upgrading;
    wake();  // a waiting poll answers now, so the client can pause polling
    std::optional<std::string> second = co_await ws.read();
    ok = second && *second == encode_engine_packet(EngineType::upgrade);
  }
  upgrade_timer_.cancel();
  probing_ = nullptr;
  if (closed_) co_return false;
  if (!ok) {
    spdlog::debug("socket.io {}: upgrade to websocket abandoned", sid_);
    transport_ = Transport::polling;
    co_return false;
  }
  transport_ = Transport::websocket;
  co_return true;
}

asio::awaitable<void> EngineSession::serve_websocket(WebSocketChannel& ws, bool upgrade) {
  using namespace asio::experimental::awaitable_operators;
  auto self = shared_from_this();
  if (upgrade) {
    if (closed_ || transport_ != Transport::polling) co_return;
    if (!co_await probe(ws)) co_return;
  } else {
    transport_ = Transport::websocket;
  }
  co_await (read_websocket(ws) || write_websocket(ws));
  close("the websocket closed");
}

asio::awaitable<void> EngineSession::read_websocket(WebSocketChannel& ws) {
  // Reads until the WebSocket ends, also after close(): the writer's close frame ends it.
  for (;;) {
    std::optional<std::string> text = co_await ws.read();
    if (!text) co_return;
    if (closed_) continue;
    auto packet = decode_engine_packet(*text, options_.max_payload_bytes);
    if (!packet) {
      close("protocol error: " + packet.error().message);
      continue;
    }
    receive(*packet);
  }
}

asio::awaitable<void> EngineSession::write_websocket(WebSocketChannel& ws) {
  for (;;) {
    while (outbox_.empty() && !closed_) co_await wait_for_wake();
    if (closed_) {
      co_await ws.close("closed");
      co_return;
    }
    const std::string packet = std::move(outbox_.front());
    outbox_.pop_front();
    buffered_bytes_ -= packet.size();
    if (!co_await ws.write(packet)) {
      close("the client did not take a write in time");
      co_return;
    }
  }
}

}  // namespace agentrt::serve
