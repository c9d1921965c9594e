// WebSocket upgrades through HttpServer (ServerResponse::upgrade), driven by Beast's own
// WebSocket client on 127.0.0.1: echo, binary and oversize messages refused with their close
// codes, a non-handshake request refused, a client that stops reading dropped within the
// write timeout, and stop() ending a session.
#include "backends/http_server/http_server.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "backends/http_server/router.hpp"
#include "backends/http_server/testing/raw_http_client.hpp"

namespace agentrt {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::as_tuple;
using asio::use_awaitable;
using std::chrono::milliseconds;
using tcp = asio::ip::tcp;
using Client = websocket::stream<tcp::socket>;

struct Outcome {
  std::string received;
  std::string error;  // the read's error once the exchange ended
  int close_code = 0;
};

asio::awaitable<std::unique_ptr<Client>> open_client(unsigned short port, std::string target) {
  auto client = std::make_unique<Client>(co_await testing::connect_local(port));
  const std::string host = "127.0.0.1";
  co_await client->async_handshake(host, target, use_awaitable);
  co_return client;
}

// Sends `message` (text or binary), then reads one message or the end.
asio::awaitable<Outcome> exchange(Client& client, std::string message, bool binary) {
  client.binary(binary);
  Outcome outcome;
  auto [write_ec, written] = co_await client.async_write(asio::buffer(message), as_tuple(use_awaitable));
  (void)written;
  if (write_ec) {
    outcome.error = write_ec.message();
    co_return outcome;
  }
  beast::flat_buffer buffer;
  auto [ec, n] = co_await client.async_read(buffer, as_tuple(use_awaitable));
  (void)n;
  if (ec) {
    outcome.error = ec.message();
    outcome.close_code = client.reason().code;
  } else {
    outcome.received = beast::buffers_to_string(buffer.data());
  }
  co_return outcome;
}

// Echoes text messages back with a prefix until the channel ends.
asio::awaitable<void> echo_session(WebSocketChannel& channel, int* sessions_ended) {
  for (;;) {
    std::optional<std::string> message = co_await channel.read();
    if (!message) break;
    const std::string answer = "echo:" + *message;
    if (!co_await channel.write(answer)) break;
    if (*message == "bye") {
      co_await channel.close("done");
      break;
    }
  }
  ++*sessions_ended;
}

class WebSocketTest : public ::testing::Test {
 protected:
  void start(HttpServerOptions options) {
    router_.add("GET", "/ws", [this](const ServerRequest&, const PathParams&) -> asio::awaitable<ServerResponse> {
      ServerResponse response;
      int* ended = &sessions_ended_;
      response.upgrade = [ended](WebSocketChannel& channel) { return echo_session(channel, ended); };
      co_return response;
    });
    server_ = std::make_unique<HttpServer>(ioc_.get_executor(), options,
                                           [this](const ServerRequest& request) { return router_.handle(request); });
    ASSERT_TRUE(server_->listen().ok());
    server_->start();
  }

  static HttpServerOptions options() {
    HttpServerOptions o;
    o.max_websocket_message_bytes = 1024;
    o.write_timeout = milliseconds(500);
    return o;
  }

  void TearDown() override {
    if (server_) testing::run_bounded(ioc_, server_->stop(milliseconds(0)));
  }

  template <class T>
  auto run(asio::awaitable<T> op, milliseconds limit = milliseconds(5000)) {
    return testing::run_bounded(ioc_, std::move(op), limit);
  }

  asio::io_context ioc_;
  Router router_;
  std::unique_ptr<HttpServer> server_;
  int sessions_ended_ = 0;
};

TEST_F(WebSocketTest, TextMessagesGoBothWaysAndTheServerClosesCleanly) {
  start(options());
  auto client = run(open_client(server_->port(), "/ws"));
  Outcome first = run(exchange(*client, "hello", false));
  EXPECT_EQ(first.received, "echo:hello");
  Outcome second = run(exchange(*client, "bye", false));
  EXPECT_EQ(second.received, "echo:bye");
  Outcome after = run(exchange(*client, "more", false));  // the server's close frame arrives
  EXPECT_EQ(after.close_code, static_cast<int>(websocket::close_code::normal)) << after.error;
  testing::run_until(ioc_, [&] { return sessions_ended_ == 1 && server_->connection_count() == 0; });
}

TEST_F(WebSocketTest, BinaryMessageIsRefusedWithPolicyClose) {
  start(options());
  auto client = run(open_client(server_->port(), "/ws"));
  Outcome outcome = run(exchange(*client, "\x01\x02", true));
  EXPECT_TRUE(outcome.received.empty());
  EXPECT_EQ(outcome.close_code, static_cast<int>(websocket::close_code::policy_error)) << outcome.error;
  testing::run_until(ioc_, [&] { return sessions_ended_ == 1; });
}

TEST_F(WebSocketTest, MessageOverTheLimitIsRefusedWithTooBig) {
  start(options());
  auto client = run(open_client(server_->port(), "/ws"));
  Outcome ok = run(exchange(*client, std::string(1024 - 5, 'a'), false));  // the echo adds 5 bytes
  EXPECT_EQ(ok.received.size(), 1024U);
  Outcome outcome = run(exchange(*client, std::string(1025, 'a'), false));
  EXPECT_TRUE(outcome.received.empty());
  EXPECT_EQ(outcome.close_code, static_cast<int>(websocket::close_code::too_big)) << outcome.error;
  testing::run_until(ioc_, [&] { return sessions_ended_ == 1; });
}

TEST_F(WebSocketTest, PlainRequestToAWebSocketRouteIs400) {
  start(options());
  auto socket = run(testing::connect_local(server_->port()));
  run(testing::send_bytes(socket, "GET /ws HTTP/1.1\r\nHost: t\r\n\r\n"));
  beast::flat_buffer buffer;
  const auto response = run(testing::read_response(socket, buffer));
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_NE(response.body().find("bad_request"), std::string::npos) << response.body();
}

TEST_F(WebSocketTest, AClientThatStopsReadingIsDroppedWithinTheWriteTimeout) {
  bool write_failed = false;
  router_.add("GET", "/flood", [&](const ServerRequest&, const PathParams&) -> asio::awaitable<ServerResponse> {
    ServerResponse response;
    bool* failed = &write_failed;
    response.upgrade = [failed](WebSocketChannel& channel) -> asio::awaitable<void> {
      const std::string chunk(64 * 1024, 'x');
      for (int i = 0; i < 100'000; ++i) {
        if (!co_await channel.write(chunk)) {
          *failed = true;
          co_return;
        }
      }
    };
    co_return response;
  });
  HttpServerOptions o = options();
  o.write_timeout = milliseconds(300);
  start(o);
  auto client = run(open_client(server_->port(), "/flood"));  // never reads
  const auto started = std::chrono::steady_clock::now();
  testing::run_until(ioc_, [&] { return write_failed; }, milliseconds(5000));
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(4000));
  testing::run_until(ioc_, [&] { return server_->connection_count() == 0; }, milliseconds(2000));
}

TEST_F(WebSocketTest, StopEndsAnOpenSession) {
  start(options());
  auto client = run(open_client(server_->port(), "/ws"));
  testing::run_until(ioc_, [&] { return server_->connection_count() == 1; });
  run(server_->stop(milliseconds(200)));
  EXPECT_EQ(server_->connection_count(), 0U);
  EXPECT_EQ(sessions_ended_, 1);
  Outcome outcome = run(exchange(*client, "late", false));
  EXPECT_TRUE(outcome.received.empty());
  EXPECT_FALSE(outcome.error.empty());
}

}  // namespace
}  // namespace agentrt
