#pragma once
// The open connections of one HttpServer, for max_connections and for the two phases of
// stop(): close the idle ones, then abort the rest when the grace period ends.
// Single executor (see http_server.hpp): no lock. Members are not owned: each HttpConnection
// inserts itself on construction and erases itself on destruction.

#include <cstddef>
#include <unordered_set>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

namespace agentrt {

class HttpConnection;

class ConnectionSet final {
 public:
  explicit ConnectionSet(boost::asio::any_io_executor executor);
  ConnectionSet(const ConnectionSet&) = delete;
  ConnectionSet& operator=(const ConnectionSet&) = delete;

  // `counted`: the connection counts towards max_connections (served, not being rejected).
  void insert(HttpConnection& connection, bool counted);
  void erase(HttpConnection& connection, bool counted);

  [[nodiscard]] std::size_t size() const { return members_.size(); }
  [[nodiscard]] std::size_t counted() const { return counted_; }
  [[nodiscard]] bool draining() const { return draining_; }

  // Marks the set draining (connections close after their current response) and closes
  // the connections that wait for a request.
  void drain();
  // Closes every connection and cancels its handler.
  void abort_all();
  // Returns once the set is empty, or when the awaiting coroutine is cancelled.
  boost::asio::awaitable<void> wait_until_empty();

 private:
  std::unordered_set<HttpConnection*> members_;
  std::size_t counted_ = 0;
  bool draining_ = false;
  boost::asio::steady_timer changed_;  // never expires: erase() cancels its waits to wake them
};

}  // namespace agentrt
