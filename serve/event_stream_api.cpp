#include "serve/event_stream_api.hpp"

#include <utility>

#include <boost/asio/this_coro.hpp>
#include <spdlog/spdlog.h>

#include "serve/api_support.hpp"
#include "serve/output_follower.hpp"
#include "serve/sse_format.hpp"

namespace agentrt::serve {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// One client's SSE stream over an OutputFollower: frames each step's events, a keepalive
// comment when nothing was sent for a while, an error frame when the follower gives up.
asio::awaitable<void> stream_events(const StreamContext& c, ResponseStream& out, SessionRecord record,
                                    std::int64_t from_seq) {
  FollowOptions options{c.options.poll_interval, c.options.page, c.options.subscriber};
  OutputFollower follower(*c.store, *c.hub, std::move(record), from_seq, options);
  std::string pending = "retry: 2000\n\n";
  auto last_write = Clock::now();
  while (!out.stopping()) {
    if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) co_return;
    FollowStep step = co_await follower.next();
    for (const auto& event : step.events) append_sse_frame(pending, event);
    if (step.end == FollowEnd::slow_consumer) {
      append_sse_error(pending, "slow_consumer", "the client fell behind the live stream; reconnect with Last-Event-ID",
                       follower.covered());
    } else if (step.end == FollowEnd::unavailable) {
      append_sse_error(pending, "unavailable", "the store could not be read; reconnect with Last-Event-ID",
                       follower.covered());
    }
    if (pending.empty() && Clock::now() - last_write >= c.options.keepalive) pending = ": keepalive\n\n";
    if (!pending.empty()) {
      const std::string data = std::move(pending);
      pending.clear();
      last_write = Clock::now();
      if (!co_await out.write(data)) co_return;
    }
    if (step.end != FollowEnd::none) co_return;
  }
}

}  // namespace

void EventStreamApi::add_routes(Router& router) {
  router.add("GET", "/v1/sessions/{id}/events",
             [this](const ServerRequest& r, const PathParams& p) { return events(r, p.at("id")); });
}

asio::awaitable<ServerResponse> EventStreamApi::events(const ServerRequest& request, std::string id) {
  auto org = authorise(request, *c_.tokens);
  if (std::holds_alternative<ServerResponse>(org)) co_return std::get<ServerResponse>(std::move(org));
  std::int64_t from_seq = 0;
  if (const auto last_id = request.header("last-event-id"); last_id && !last_id->empty()) {
    const auto parsed = parse_resume_seq(*last_id);
    if (!parsed) co_return json_error(400, "invalid_request", "Last-Event-ID: expected a seq (a non-negative integer)");
    from_seq = *parsed;
  } else if (const auto it = request.query.find("from_seq"); it != request.query.end()) {
    const auto parsed = parse_resume_seq(it->second);
    if (!parsed) co_return json_error(400, "invalid_request", "from_seq: expected a non-negative integer");
    from_seq = *parsed;
  }
  auto record = co_await find_owned_session(*c_.store, std::get<std::string>(org), id);
  if (std::holds_alternative<ServerResponse>(record)) co_return std::get<ServerResponse>(std::move(record));
  auto& r = std::get<SessionRecord>(record);
  if (from_seq > r.last_seq.value) {
    // Past the history (a seq from another session, or history reset since): nothing would
    // ever arrive, so say so instead of streaming silence.
    co_return json_error(409, "seq_ahead", "from seq " + std::to_string(from_seq) + " is past session " + id +
                                               "'s last seq " + std::to_string(r.last_seq.value) +
                                               "; resume from a seq you received from this session, or 0");
  }
  if (open_ >= c_.options.max_streams) {
    ServerResponse busy = json_error(503, "too_many_streams", "this server streams to as many clients as it may; retry");
    busy.headers.emplace_back("Retry-After", "1");
    co_return busy;
  }
  ServerResponse response;
  response.status = 200;
  response.content_type = "text/event-stream; charset=utf-8";
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.headers.emplace_back("X-Accel-Buffering", "no");  // proxies: do not buffer the stream
  // A plain copy capture: GCC 12 mishandles init-captures in lambdas made inside coroutines.
  const SessionRecord session = std::move(r);
  response.stream = [this, session, from_seq](ResponseStream& out) { return pump(out, session, from_seq); };
  co_return response;
}

asio::awaitable<void> EventStreamApi::pump(ResponseStream& out, SessionRecord record, std::int64_t from_seq) {
  ++open_;
  struct Counted {
    std::size_t& open;
    ~Counted() { --open; }
  } counted{open_};
  co_await stream_events(c_, out, std::move(record), from_seq);
}

}  // namespace agentrt::serve
