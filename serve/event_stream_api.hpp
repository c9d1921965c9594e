#pragma once
// GET /v1/sessions/{id}/events: a session's output as Server-Sent Events (docs/streaming.md).
//
// Resumable and lossless: the client says where it is (Last-Event-ID, or ?from_seq=N), gets the
// durable events after that read from the store, then live events from the OutputHub. Every
// durable event's id is its history seq, so a reconnect to any worker continues exactly where
// the client left off. A session that runs in another process (nothing arrives on this
// process's hub) is followed by reading the store every poll_interval.
//
// Bounded: at most max_streams streams per process (then 503 too_many_streams); each buffers at
// most SubscriberLimits of live events; a client that falls behind them is sent
// `event: error` {code: slow_consumer, resume_from} and disconnected; one that stops reading
// is dropped after the server's write timeout. Neither slows another client.
// The stream ends after a terminal status (completed, failed, cancelled) or when the server
// drains; `: keepalive` comments flow while nothing happens.

#include <chrono>
#include <cstddef>
#include <cstdint>

#include <boost/asio/awaitable.hpp>

#include "backends/http_server/router.hpp"
#include "core/ports/output_hub.hpp"
#include "core/ports/session_store.hpp"
#include "serve/org_tokens.hpp"

namespace agentrt::serve {

struct StreamOptions {
  std::chrono::milliseconds poll_interval{500};   // store reads while the hub is silent
  std::chrono::milliseconds keepalive{15'000};    // a comment line when nothing was sent
  std::size_t max_streams = 2000;                 // per process
  std::size_t page = 500;                         // events per store read
  SubscriberLimits subscriber;                    // live buffer per client
};

struct StreamContext {
  SessionStore* store = nullptr;
  OutputHub* hub = nullptr;
  const OrgTokens* tokens = nullptr;
  StreamOptions options;
};

class EventStreamApi {
 public:
  explicit EventStreamApi(StreamContext context) : c_(std::move(context)) {}
  void add_routes(Router& router);

  [[nodiscard]] std::size_t open_streams() const { return open_; }

 private:
  boost::asio::awaitable<ServerResponse> events(const ServerRequest& request, std::string id);
  boost::asio::awaitable<void> pump(ResponseStream& out, SessionRecord record, std::int64_t from_seq);

  StreamContext c_;
  std::size_t open_ = 0;
};

}  // namespace agentrt::serve
