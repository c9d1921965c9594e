#pragma once
// A real HTTP/1.1 server on 127.0.0.1 (ephemeral port) for tests, on its own thread, with
// scripted replies: delays, bodies written in odd parts (chunked or not), dropped
// connections. Every request is recorded so tests can assert on what arrived.
// Header-only (Boost.Beast parses requests; replies are written byte for byte).
//
//   TestHttpServer server([](const RecordedRequest& req, std::size_t index) {
//     return index < 2 ? TestReply::text(500, "busy") : TestReply::json(200, R"({"ok":true})");
//   });
//   client.request({.method = "GET", .url = server.url("/x")});

#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "backends/http/http_types.hpp"

namespace agentrt::testing {

struct RecordedRequest {
  std::string method;
  std::string target;  // path and query, as sent
  HttpHeaders headers;
  std::string body;

  [[nodiscard]] std::optional<std::string> header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (header_name_equals(key, name)) return value;
    }
    return std::nullopt;
  }
};

struct TestReply {
  int status = 200;
  HttpHeaders headers;                          // Content-Length / Transfer-Encoding are added
  std::vector<std::string> parts;               // the body, written part by part
  bool chunked = false;                         // Transfer-Encoding: chunked, one chunk per part
  std::chrono::milliseconds delay_before{0};    // before the status line is written
  std::chrono::milliseconds delay_between{0};   // between two parts
  bool drop_connection = false;                 // close the connection instead of replying

  static TestReply text(int status, std::string body, std::string content_type = "text/plain") {
    TestReply r;
    r.status = status;
    r.headers = {{"Content-Type", std::move(content_type)}};
    r.parts = {std::move(body)};
    return r;
  }
  static TestReply json(int status, std::string body) { return text(status, std::move(body), "application/json"); }
  // A text/event-stream reply written in the given parts, `gap` apart.
  static TestReply sse(std::vector<std::string> parts, std::chrono::milliseconds gap = std::chrono::milliseconds(2)) {
    TestReply r;
    r.headers = {{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-cache"}};
    r.parts = std::move(parts);
    r.chunked = true;
    r.delay_between = gap;
    return r;
  }
  static TestReply dropped() {
    TestReply r;
    r.drop_connection = true;
    return r;
  }
};

// Called on the server thread for each request; `index` counts requests from 0.
using TestHandler = std::function<TestReply(const RecordedRequest& request, std::size_t index)>;

class TestHttpServer {
 public:
  // record_requests false: requests() stays empty and the handler sees only the method and
  // target (a benchmark's sink, which must not grow with every body it is sent).
  explicit TestHttpServer(TestHandler handler, bool record_requests = true)
      : handler_(std::move(handler)),
        record_requests_(record_requests),
        acceptor_(ioc_, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)) {
    boost::asio::co_spawn(ioc_, accept_loop(), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);  // a bug in the test server or handler: fail loudly
    });
    std::promise<long> started;
    auto tid = started.get_future();
    thread_ = std::thread([this, &started] {
      started.set_value(static_cast<long>(::gettid()));
      ioc_.run();
    });
    thread_id_ = tid.get();
  }
  ~TestHttpServer() {
    ioc_.stop();
    thread_.join();
  }
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  [[nodiscard]] unsigned short port() const { return acceptor_.local_endpoint().port(); }
  [[nodiscard]] std::string url(std::string_view path = "") const {
    return "http://127.0.0.1:" + std::to_string(port()) + std::string(path);
  }
  [[nodiscard]] std::vector<RecordedRequest> requests() const {
    const std::lock_guard lock(mutex_);
    return requests_;
  }
  // The server thread's kernel id (a benchmark tells its CPU time from the others').
  [[nodiscard]] long thread_id() const { return thread_id_; }
  [[nodiscard]] std::size_t request_count() const {
    const std::lock_guard lock(mutex_);
    return requests_.size();
  }

  // A port on 127.0.0.1 with nothing listening (bound, then closed): connecting is refused.
  static unsigned short unused_port() {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor probe(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return probe.local_endpoint().port();
  }

 private:
  using tcp = boost::asio::ip::tcp;
  template <class T>
  using awaitable = boost::asio::awaitable<T>;

  awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
      if (ec) co_return;
      socket.set_option(tcp::no_delay(true));
      boost::asio::co_spawn(ioc_, serve(std::move(socket)), [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
    }
  }

  awaitable<void> serve(tcp::socket socket) {
    namespace http = boost::beast::http;
    boost::beast::flat_buffer buffer;
    // Reads of up to 64 KiB, as a collector's server makes: beast reads into the buffer's free
    // room, which stays at 512 bytes otherwise (the parser takes the body out as it comes), and a
    // 400 KiB span batch then took some 800 reads, each sending the exporter a window update.
    buffer.reserve(64 * 1024);
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(64 * 1024 * 1024);
      auto [ec, n] = co_await http::async_read(socket, buffer, parser, boost::asio::as_tuple(boost::asio::use_awaitable));
      if (ec) co_return;
      const auto& req = parser.get();
      RecordedRequest recorded{std::string(req.method_string()), std::string(req.target()), {}, {}};
      std::size_t index = 0;
      if (record_requests_) {
        recorded.body = req.body();
        for (const auto& field : req) recorded.headers.emplace_back(field.name_string(), field.value());
        const std::lock_guard lock(mutex_);
        index = requests_.size();
        requests_.push_back(recorded);
      } else {
        index = unrecorded_++;
      }
      const TestReply reply = handler_(recorded, index);
      if (reply.drop_connection) co_return;  // the socket closes: the client sees an empty reply
      if (!co_await write_reply(socket, reply)) co_return;
      if (!req.keep_alive()) co_return;
    }
  }

  awaitable<bool> write_reply(tcp::socket& socket, const TestReply& reply) {
    namespace http = boost::beast::http;
    if (!co_await pause(reply.delay_before)) co_return false;
    std::string head = "HTTP/1.1 " + std::to_string(reply.status) + " " +
                       std::string(http::obsolete_reason(static_cast<http::status>(reply.status))) + "\r\n";
    std::size_t length = 0;
    for (const auto& part : reply.parts) length += part.size();
    for (const auto& [name, value] : reply.headers) head += name + ": " + value + "\r\n";
    head += reply.chunked ? std::string("Transfer-Encoding: chunked\r\n") : "Content-Length: " + std::to_string(length) + "\r\n";
    head += "\r\n";
    if (!co_await write(socket, head)) co_return false;
    for (std::size_t i = 0; i < reply.parts.size(); ++i) {
      if (i > 0 && !co_await pause(reply.delay_between)) co_return false;
      const std::string& part = reply.parts[i];
      if (reply.chunked && part.empty()) continue;  // an empty chunk would end the body
      std::string bytes = reply.chunked ? to_hex(part.size()) + "\r\n" + part + "\r\n" : part;
      if (!co_await write(socket, bytes)) co_return false;
    }
    if (reply.chunked && !co_await write(socket, "0\r\n\r\n")) co_return false;
    co_return true;
  }

  static awaitable<bool> write(tcp::socket& socket, std::string_view bytes) {
    auto [ec, n] = co_await boost::asio::async_write(socket, boost::asio::buffer(bytes.data(), bytes.size()),
                                                     boost::asio::as_tuple(boost::asio::use_awaitable));
    co_return !ec;
  }

  awaitable<bool> pause(std::chrono::milliseconds delay) {
    if (delay.count() <= 0) co_return true;
    boost::asio::steady_timer timer(ioc_, delay);
    auto [ec] = co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    co_return !ec;
  }

  static std::string to_hex(std::size_t n) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    do {
      out.insert(out.begin(), kDigits[n % 16]);
      n /= 16;
    } while (n != 0);
    return out;
  }

  TestHandler handler_;
  bool record_requests_ = true;
  std::size_t unrecorded_ = 0;  // requests seen without recording (server thread only)
  long thread_id_ = 0;
  mutable std::mutex mutex_;
  std::vector<RecordedRequest> requests_;
  boost::asio::io_context ioc_{1};
  tcp::acceptor acceptor_;
  std::thread thread_;
};

}  // namespace agentrt::testing
