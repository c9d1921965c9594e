#pragma once
// CurlClient: an asynchronous HTTP client on libcurl's multi interface, driven by Asio.
//
// Contract:
// - Many concurrent request() calls share one client, its connections and its sockets.
//   One client per executor/strand: create it and await request() on the same executor.
//   The client must outlive every request awaiting on it.
// - request() returns the response for any HTTP status (a 404 or a 500 is a value), and an
//   Error only when no complete response came back:
//     Errc::timeout    request.timeout passed (connect, send and the whole body included);
//     Errc::retryable  connection refused, DNS failure, reset, empty or partial reply;
//     Errc::invalid    bad request value (URL, method, header with CR/LF), refused TLS peer,
//                      or "response from <url> exceeds N bytes" (unless truncate_body);
//     Errc::cancelled  the awaiting coroutine's cancellation slot fired (for instance the
//                      loser of `op || timer`): the transfer is removed from libcurl at once.
//   Messages name the method and the URL without query string or credentials; header
//   values never appear in them.
// - With an on_chunk sink, a 2xx body is delivered as it arrives (SSE streaming) and
//   HttpResponse::body stays empty; other statuses' bodies are collected in body.

#include <cstddef>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "backends/http/http_types.hpp"
#include "core/model/error.hpp"

namespace agentrt {

class CurlMultiDriver;

class CurlClient {
 public:
  explicit CurlClient(boost::asio::any_io_executor ex);
  ~CurlClient();
  CurlClient(const CurlClient&) = delete;
  CurlClient& operator=(const CurlClient&) = delete;

  boost::asio::awaitable<Result<HttpResponse>> request(HttpRequest request, BodyChunkSink on_chunk = {});

  // Transfers libcurl is running now (tests check that cancellation really removed one).
  [[nodiscard]] std::size_t active_transfers() const;
  [[nodiscard]] const boost::asio::any_io_executor& executor() const { return ex_; }

 private:
  boost::asio::any_io_executor ex_;
  std::shared_ptr<CurlMultiDriver> driver_;  // shared: pending Asio handlers hold weak refs
};

}  // namespace agentrt
